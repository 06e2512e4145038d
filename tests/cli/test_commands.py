"""The command line, as an accountant uses it: set up the company, import, look at a customer, pair by hand."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from arrears.companies.models import Company
from arrears.history.models import Event, Note
from arrears.ledger.models import Allocation, ImportBatch, Invoice, Payment
from tests.conftest import CUSTOMER_HEADER, INVOICE_HEADER, PAYMENT_HEADER


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def line_matching(text: str, pattern: str) -> str:
    """The one output line matching pattern (columns separated by any whitespace)."""
    found = [line for line in text.splitlines() if re.fullmatch(pattern, line.strip())]
    assert len(found) == 1, f"{pattern!r} matched {found!r} in:\n{text}"
    return found[0]


@pytest.fixture
def files(write_csv, tmp_path):
    """Jana (C1) and Petr (C2); see tests/ledger/test_balance.py for the same story in figures."""
    write_csv(
        "customers.csv",
        CUSTOMER_HEADER,
        ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", "retail"],
        ["C2", "Petr Svoboda", "petr@example.cz", "cs", "CZ", "retail"],
    )
    write_csv(
        "invoices.csv",
        INVOICE_HEADER,
        ["F4", "C1", "2026-09-17", "2026-10-01", "CZK", "800.00"],
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"],
        ["F2", "C1", "2026-11-06", "2026-11-20", "CZK", "500.00"],
        ["E1", "C1", "2026-10-18", "2026-11-01", "EUR", "100.00"],
        ["D1", "C1", "2026-11-02", "2026-11-02", "CZK", "-150.00"],
        ["G1", "C2", "2026-09-01", "2026-09-15", "CZK", "7000.00"],
    )
    write_csv(
        "payments.csv",
        PAYMENT_HEADER,
        ["P1", "C1", "2026-10-20", "CZK", "1000.00", "F1"],
        ["P2", "C1", "2026-10-02", "CZK", "800.00", ""],
        ["P3", "C1", "2026-11-10", "CZK", "99.00", ""],
    )
    return tmp_path / "in"


@pytest.fixture
def imported(company, files):
    run("import", str(files), "--no-progress")


# --- company -------------------------------------------------------------------------------------


def test_company_add_and_list(company):
    out = run(
        "company",
        "add",
        "beta",
        "--name",
        "Beta GmbH",
        "--country",
        "de",
        "--currency",
        "eur",
        "--language",
        "de",
        "--time-zone",
        "Europe/Berlin",
        "--iban",
        "de89 3704 0044 0532 0130 00",
        "--iban",
        "GB82WEST12345698765432:gbp:MIDLGB22",
    )

    assert out == "created company beta (Beta GmbH)\n"
    beta = Company.objects.get(code="beta")
    assert (beta.country, beta.default_currency, beta.default_language) == ("DE", "EUR", "de")
    assert list(beta.bank_accounts.values_list("iban", "currency", "bic")) == [
        ("DE89370400440532013000", "EUR", ""),
        ("GB82WEST12345698765432", "GBP", "MIDLGB22"),
    ]
    listed = run("company", "list").splitlines()
    assert len(listed) == 2
    assert re.fullmatch(
        r"acme\s+ACME s\.r\.o\. \[CZ, CZK, cs, Europe/Prague\] CZ6508000000192000145399 \(CZK\)", listed[0]
    )
    assert re.fullmatch(
        r"beta\s+Beta GmbH \[DE, EUR, de, Europe/Berlin\] "
        r"DE89370400440532013000 \(EUR\), GB82WEST12345698765432 \(GBP\)",
        listed[1],
    )


def test_company_list_with_no_company(db):
    assert run("company", "list") == ""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--currency", "EUX"], "company not created: default_currency: 'EUX' is not an ISO 4217 currency code"),
        (["--currency", "EUR", "--time-zone", "Berlin"], "time_zone: 'Berlin' is not a time zone name"),
        (
            ["--currency", "EUR", "--iban", "DE89370400440532013001"],
            "company not created: iban: 'DE89370400440532013001' is not a valid IBAN: its check digits do not match",
        ),
    ],
)
def test_company_add_refuses_bad_settings(db, extra, message):
    with pytest.raises(CommandError) as excinfo:
        run("company", "add", "beta", "--name", "Beta GmbH", "--country", "DE", *extra)

    assert message in str(excinfo.value)
    assert not Company.objects.exists()


def test_company_add_refuses_a_taken_code(company):
    with pytest.raises(CommandError, match="company not created: code: Company with this Code already exists"):
        run("company", "add", "acme", "--name", "Another ACME", "--country", "CZ", "--currency", "CZK")
    assert Company.objects.get().name == "ACME s.r.o."


def test_company_add_needs_a_name(db):
    with pytest.raises(CommandError, match="the following arguments are required: --name"):
        run("company", "add", "beta", "--country", "DE", "--currency", "EUR")


# --- import --------------------------------------------------------------------------------------


def test_import_prints_what_it_did(company, files):
    out = run("import", str(files), "--no-progress")

    batch = ImportBatch.objects.get()
    assert re.match(rf"import #{batch.pk} into acme finished in \d+\.\d s\n", out)
    line_matching(out, r"customers\s+2 created, 0 updated, 0 unchanged")
    line_matching(out, r"invoices\s+6 created, 0 updated, 0 unchanged")
    line_matching(out, r"payments\s+3 created, 0 updated, 0 unchanged")
    # P1 by reference, P2 by exact amount (settling F4); P3 and the credit note stay as credit.
    line_matching(out, r"allocated\s+2 allocations, 1 invoices settled, 2 receipts left \(partly\) as customer credit")


def test_importing_the_same_files_again_changes_nothing(imported, files):
    out = run("import", str(files), "--no-progress")

    line_matching(out, r"invoices\s+0 created, 0 updated, 6 unchanged")
    line_matching(out, r"allocated\s+0 allocations, 0 invoices settled, 0 receipts left \(partly\) as customer credit")
    assert Allocation.objects.count() == 2


def test_a_broken_file_names_file_line_and_field_and_writes_nothing(company, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, ["C1", "Jana Nováková", "", "cs", "CZ", ""])
    write_csv(
        "invoices.csv",
        INVOICE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"],
        ["F2", "C1", "2026-10-01", "2026-10-15", "CZK", "12,50"],
        ["F3", "C1", "2026-10-01", "2026-09-15", "CZK", "10.00"],
    )

    with pytest.raises(CommandError) as excinfo:
        run("import", str(tmp_path / "in"), "--no-progress")

    text = str(excinfo.value)
    assert text.startswith("import failed with 2 error(s); nothing was written:")
    assert "invoices.csv, line 3, field 'amount': '12,50' is not a decimal amount" in text
    assert "invoices.csv, line 4, field 'due_date': 2026-09-15 is before the issue date 2026-10-01" in text
    assert (Invoice.objects.count(), ImportBatch.objects.count()) == (0, 0)


def test_import_of_a_missing_folder(company, tmp_path):
    with pytest.raises(CommandError, match=r"nowhere: no such file or folder"):
        run("import", str(tmp_path / "nowhere"), "--no-progress")


def test_import_into_an_unknown_company(company, files):
    with pytest.raises(CommandError, match=r"no company with code 'gamma' \(known: acme\)"):
        run("import", str(files), "--company", "gamma", "--no-progress")


# --- customer ------------------------------------------------------------------------------------


def test_customer_show_as_text(imported):
    run("customer", "note", "C1", "Promised to pay F1 by Friday", "--invoice", "F1")

    out = run("customer", "show", "C1", "--as-of", "2026-11-20")

    assert out.startswith("C1  Jana Nováková\n")
    assert "balance as of 2026-11-20" in out
    assert (
        "CZK: billed 2510.00, credited 150.00, paid 1899.00; due 710.00, overdue 210.00, "
        "unallocated credit 249.00, net due 461.00" in out
    )
    assert (
        "EUR: billed 100.00, credited 0.00, paid 0.00; due 100.00, overdue 100.00, "
        "unallocated credit 0.00, net due 100.00" in out
    )
    line_matching(out, r"F4\s+2026-09-17\s+2026-10-01\s+800\.00\s+800\.00\s+0\.00\s+settled")
    line_matching(out, r"F1\s+2026-10-01\s+2026-10-15\s+1210\.00\s+1000\.00\s+210\.00\s+36 d")
    line_matching(out, r"D1 \(CN\)\s+2026-11-02\s+2026-11-02\s+-150\.00\s+0\.00\s+150\.00")
    line_matching(out, r"F2\s+2026-11-06\s+2026-11-20\s+500\.00\s+0\.00\s+500\.00")
    line_matching(out, r"E1\s+2026-10-18\s+2026-11-01\s+100\.00\s+0\.00\s+100\.00\s+19 d")
    line_matching(out, r"payment P1 2026-10-20 1000\.00 ref F1 -> F1 1000\.00 \(reference\)")
    line_matching(out, r"payment P3 2026-11-10 99\.00 ref - -> nothing; credit 99\.00")
    assert "G1" not in out  # Petr's invoice
    notes, history = out.split("\n  notes:\n")[1].split("\n  history (newest first):\n")
    assert re.fullmatch(r"\s+\d{4}-\d\d-\d\d \d\d:\d\d cli:\S+: Promised to pay F1 by Friday\n", notes)
    history_lines = history.splitlines()
    assert history_lines[0].endswith("Note: Promised to pay F1 by Friday")
    assert any(
        line.endswith("Payment P1 of 2026-10-20 applied 1000.00 CZK to F1 by reference") for line in history_lines
    )
    assert len(history_lines) == Event.objects.filter(customer__external_id="C1").count() == 5


def test_customer_show_open_only(imported):
    out = run("customer", "show", "C1", "--as-of", "2026-11-20", "--open-only")

    assert not re.search(r"^\s+F4\s", out, re.MULTILINE)
    line_matching(out, r"F1\s+2026-10-01\s+2026-10-15\s+1210\.00\s+1000\.00\s+210\.00\s+36 d")


def test_customer_show_as_json(imported):
    data = json.loads(run("customer", "show", "C1", "--as-of", "2026-11-20", "--json"))

    assert data["customer"] == {"id": "C1", "name": "Jana Nováková", "language": "cs", "country": "CZ"}
    assert data["as_of"] == "2026-11-20"
    assert list(data["currencies"]) == ["CZK", "EUR"]
    czk = data["currencies"]["CZK"]
    assert {k: czk[k] for k in ("billed", "credited", "paid", "total_due", "total_overdue")} == {
        "billed": "2510.00",
        "credited": "150.00",
        "paid": "1899.00",
        "total_due": "710.00",
        "total_overdue": "210.00",
    }
    assert (czk["unallocated_credit"], czk["net_due"]) == ("249.00", "461.00")
    invoices = {i["number"]: i for i in czk["invoices"]}
    assert [i["number"] for i in czk["invoices"]] == ["F4", "F1", "D1", "F2"]
    assert invoices["F1"] == {
        "number": "F1",
        "kind": "invoice",
        "issue_date": "2026-10-01",
        "due_date": "2026-10-15",
        "amount": "1210.00",
        "paid": "1000.00",
        "outstanding": "210.00",
        "days_overdue": 36,
        "settled_on": None,
    }
    assert (invoices["F4"]["settled_on"], invoices["F4"]["days_overdue"]) == ("2026-10-02", 0)
    assert (invoices["D1"]["kind"], invoices["D1"]["amount"]) == ("credit_note", "-150.00")
    payments = {p["id"]: p for p in czk["payments"]}
    assert payments["P2"]["allocations"] == [{"invoice": "F4", "amount": "800.00", "method": "exact_amount"}]
    assert (payments["P3"]["unallocated"], payments["P3"]["allocations"]) == ("99.00", [])
    eur = data["currencies"]["EUR"]
    assert (eur["total_overdue"], eur["invoices"][0]["days_overdue"], eur["payments"]) == ("100.00", 19, [])


def test_customer_show_net_due_goes_negative_in_json(company, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, ["K1", "Karel Dvořák", "", "cs", "CZ", ""])
    write_csv("invoices.csv", INVOICE_HEADER, ["K-1", "K1", "2026-10-01", "2026-10-15", "CZK", "300.00"])
    write_csv("payments.csv", PAYMENT_HEADER, ["PK", "K1", "2026-10-10", "CZK", "500.05", "K-1"])
    run("import", str(tmp_path / "in"), "--no-progress")

    czk = json.loads(run("customer", "show", "K1", "--as-of", "2026-11-20", "--json"))["currencies"]["CZK"]

    assert (czk["total_due"], czk["unallocated_credit"], czk["net_due"]) == ("0.00", "200.05", "-200.05")


def test_customer_show_of_an_unknown_customer(imported):
    with pytest.raises(CommandError, match=r"^no customer 'C9' in company acme$"):
        run("customer", "show", "C9")


def test_customer_note_on_an_invoice(imported):
    out = run("customer", "note", "C1", "Called: will pay next week", "--invoice", "F1")

    assert out == "note added\n"
    note = Note.objects.get()
    assert (note.text, note.invoice.number, note.customer.external_id) == ("Called: will pay next week", "F1", "C1")
    assert note.author_label.startswith("cli:")
    event = Event.objects.get(kind="note.added")
    assert (event.invoice_id, event.summary) == (note.invoice_id, "Note: Called: will pay next week")


def test_customer_note_without_an_invoice(imported):
    run("customer", "note", "C2", "Asked for a payment plan")

    assert list(Note.objects.values_list("customer__external_id", "invoice", "text")) == [
        ("C2", None, "Asked for a payment plan")
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["C1", "text", "--invoice", "F9"], "customer C1 has no invoice 'F9'"),
        (["C1", "text", "--invoice", "G1"], "customer C1 has no invoice 'G1'"),  # Petr's invoice
        (["C9", "text"], "no customer 'C9' in company acme"),
    ],
)
def test_customer_note_errors(imported, args, message):
    with pytest.raises(CommandError) as excinfo:
        run("customer", "note", *args)

    assert str(excinfo.value) == message
    assert not Note.objects.exists()


def test_customer_note_with_no_text_is_refused(imported):
    # A usage error, reported like the others (it used to escape as a ValueError traceback).
    with pytest.raises(CommandError, match=r"^a note needs some text$"):
        run("customer", "note", "C1", "   ")
    assert not Note.objects.exists()


# --- payment pair / unpair -----------------------------------------------------------------------


def test_payment_pair_and_unpair(imported):
    # Jana phones: the 99.00 she sent (P3) was meant for F2.
    out = run("payment", "pair", "P3", "F2")

    assert out == "paired 99.00 CZK of P3 with F2\n"
    allocation = Allocation.objects.get(payment__external_id="P3")
    assert (allocation.invoice.number, allocation.amount_minor, allocation.method) == ("F2", 9900, "manual")
    assert Invoice.objects.get(number="F2").outstanding_minor == 40100
    assert Payment.objects.get(external_id="P3").unallocated_minor == 0

    assert run("payment", "unpair", "P3", "F2") == "un-paired 1 allocation(s)\n"

    assert not Allocation.objects.filter(payment__external_id="P3").exists()
    assert Invoice.objects.get(number="F2").outstanding_minor == 50000
    assert Payment.objects.get(external_id="P3").unallocated_minor == 9900
    assert Event.objects.filter(kind="allocation.removed", payment__external_id="P3").count() == 1


def test_payment_pair_an_amount_twice_then_unpair_both(imported):
    assert run("payment", "pair", "P3", "F2", "--amount", "40.50") == "paired 40.50 CZK of P3 with F2\n"
    assert run("payment", "pair", "P3", "F2", "--amount", "8") == "paired 8.00 CZK of P3 with F2\n"
    assert Payment.objects.get(external_id="P3").unallocated_minor == 5050

    assert run("payment", "unpair", "P3", "F2") == "un-paired 2 allocation(s)\n"
    assert Payment.objects.get(external_id="P3").unallocated_minor == 9900
    assert Invoice.objects.get(number="F2").allocated_minor == 0


def test_unpair_an_imported_allocation_from_the_command_line(imported):
    assert run("payment", "unpair", "P1", "F1") == "un-paired 1 allocation(s)\n"

    f1 = Invoice.objects.get(number="F1")
    assert (f1.allocated_minor, f1.outstanding_minor) == (0, 121000)
    assert Payment.objects.get(external_id="P1").unallocated_minor == 100000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pair", "P9", "F2"], "no payment 'P9'"),
        (["pair", "P3", "F9"], "no invoice 'F9'"),
        (["unpair", "P9", "F2"], "no payment 'P9'"),
        (["unpair", "P3", "F9"], "no invoice 'F9'"),
        (["unpair", "P3", "F2"], "payment P3 is not paired with F2"),
        (["pair", "P3", "E1"], "payment P3 is in CZK, invoice E1 in EUR"),
        (["pair", "P3", "G1"], "payment P3 and invoice G1 belong to different customers"),
        (["pair", "P3", "D1"], "D1 is a credit note; payments pair with invoices"),
        (["pair", "P3", "F2", "--amount", "99.01"], "cannot pair 99.01 CZK: at most 99.00 CZK fits"),
        (["pair", "P3", "F2", "--amount", "1.005"], "'1.005' has more decimal places than CZK allows (2)"),
        (["pair", "P3", "F2", "--amount", "ten"], "'ten' is not a decimal amount"),
        (["pair", "P3", "F2", "--amount", "0"], "a pairing amount must be positive"),
        (["pair", "P3", "F2", "--amount", "-5"], "a pairing amount must be positive"),
        (["pair", "P1", "F1"], "nothing to pair"),
    ],
)
def test_payment_command_errors(imported, args, message):
    with pytest.raises(CommandError) as excinfo:
        run("payment", *args)

    assert message in str(excinfo.value)
    assert Allocation.objects.count() == 2  # the two the import made
    assert not Event.objects.filter(kind__in=["allocation.removed"]).exists()


def test_payment_command_with_an_unknown_company(imported):
    with pytest.raises(CommandError, match=r"no company with code 'gamma' \(known: acme\)"):
        run("payment", "--company", "gamma", "pair", "P3", "F2")
