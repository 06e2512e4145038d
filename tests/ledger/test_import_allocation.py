"""Where imported money goes: by reference, by exact amount, or kept as customer credit."""

from __future__ import annotations

from datetime import date

from django.db.models import Sum

from arrears.history.models import Event
from arrears.ledger.imports.runner import run_import
from arrears.ledger.models import Allocation, Invoice, Payment
from tests.conftest import CUSTOMER_HEADER, INVOICE_HEADER, PAYMENT_HEADER

JANA = ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", "retail"]
PETR = ["C2", "Petr Svoboda", "petr@example.cz", "cs", "CZ", ""]
CREDIT_NOTE_HEADER = [*INVOICE_HEADER, "reference"]


def state(number: str) -> tuple[int, int, date | None]:
    invoice = Invoice.objects.get(number=number)
    return invoice.allocated_minor, invoice.outstanding_minor, invoice.settled_on


def assert_ledger_consistent() -> None:
    """What the check constraints promise, and that the allocations add up to the stored balances."""
    for invoice in Invoice.objects.all():
        assert invoice.allocated_minor + invoice.outstanding_minor == abs(invoice.amount_minor), invoice.number
        assert invoice.allocated_minor >= 0
        assert invoice.outstanding_minor >= 0
        assert (invoice.settled_on is not None) == (invoice.outstanding_minor == 0), invoice.number
        received = invoice.allocations.aggregate(s=Sum("amount_minor"))["s"] or 0
        applied = invoice.applications.aggregate(s=Sum("amount_minor"))["s"] or 0
        assert invoice.allocated_minor == (received if invoice.kind == "invoice" else applied), invoice.number
    for payment in Payment.objects.all():
        assert payment.allocated_minor + payment.unallocated_minor == payment.amount_minor, payment.external_id
        assert payment.unallocated_minor >= 0
        allocated = payment.allocations.aggregate(s=Sum("amount_minor"))["s"] or 0
        assert payment.allocated_minor == allocated, payment.external_id
    for allocation in Allocation.objects.select_related("invoice"):
        assert allocation.currency == allocation.invoice.currency
        assert allocation.invoice.kind == "invoice"


def test_an_overpayment_by_reference_settles_the_invoice_and_keeps_the_rest_as_credit(
    company, actor, write_csv, tmp_path
):
    # Jana pays 1500 CZK quoting F1, which is for 1210 CZK; F2 for exactly 290 CZK is not touched.
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "invoices.csv",
        INVOICE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"],
        ["F2", "C1", "2026-10-01", "2026-10-10", "CZK", "290.00"],
    )
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-10-20", "CZK", "1500.00", "F1"])

    report = run_import(company, [tmp_path / "in"], actor)

    assert state("F1") == (121000, 0, date(2026, 10, 20))
    assert state("F2") == (0, 29000, None)
    payment = Payment.objects.get(external_id="P1")
    assert (payment.allocated_minor, payment.unallocated_minor, payment.reference) == (121000, 29000, "F1")
    allocation = Allocation.objects.get()
    assert (allocation.invoice.number, allocation.payment_id, allocation.credit_note_id) == ("F1", payment.pk, None)
    assert (allocation.amount_minor, allocation.method, allocation.currency) == (121000, "reference", "CZK")
    credit = Event.objects.get(kind="receipt.credit")
    assert (credit.payment_id, credit.data) == (
        payment.pk,
        {"credit_minor": 29000, "currency": "CZK", "rule": "reference"},
    )
    assert credit.summary.startswith("290.00 CZK of payment P1 kept as customer credit")
    assert Event.objects.get(kind="allocation.created").summary == (
        "Payment P1 of 2026-10-20 applied 1210.00 CZK to F1 by reference; F1 is settled"
    )
    assert (report.allocation.allocations, report.allocation.settled_invoices, report.allocation.credit_receipts) == (
        1,
        1,
        1,
    )
    assert_ledger_consistent()


def test_an_underpayment_by_reference_leaves_the_rest_outstanding(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv("invoices.csv", INVOICE_HEADER, ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"])
    write_csv(
        "payments.csv",
        PAYMENT_HEADER,
        ["P1", "C1", "2026-10-20", "CZK", "1000.00", "F1"],
        ["P2", "C1", "2026-11-03", "CZK", "210.00", "F1"],
    )

    run_import(company, [tmp_path / "in"], actor, chunk_size=1)

    # Settled on the day of the payment that paid the last crown, not on the first one.
    assert state("F1") == (121000, 0, date(2026, 11, 3))
    assert list(Allocation.objects.order_by("pk").values_list("payment__external_id", "amount_minor")) == [
        ("P1", 100000),
        ("P2", 21000),
    ]
    assert not Event.objects.filter(kind="receipt.credit").exists()
    assert_ledger_consistent()


def test_a_payment_naming_two_invoices_pays_them_in_the_order_named(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "invoices.csv",
        INVOICE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "100.00"],
        ["F2", "C1", "2026-09-01", "2026-09-15", "CZK", "100.00"],
    )
    write_csv(
        "payments.csv",
        [*PAYMENT_HEADER, "reference"],
        ["P1", "C1", "2026-10-20", "CZK", "150.00", "F1", "and F2, thank you"],
    )

    run_import(company, [tmp_path / "in"], actor)

    assert state("F1") == (10000, 0, date(2026, 10, 20))
    assert state("F2") == (5000, 5000, None)
    assert Payment.objects.get().reference == "F1 and F2, thank you"
    assert_ledger_consistent()


def test_a_payment_without_reference_pays_the_oldest_due_invoice_of_exactly_that_amount(
    company, actor, write_csv, tmp_path
):
    # Three open invoices of 500 CZK; the bank statement only says "500 CZK from Jana".
    write_csv("customers.csv", CUSTOMER_HEADER, JANA, PETR)
    write_csv(
        "invoices.csv",
        INVOICE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-31", "CZK", "500.00"],
        ["F2", "C1", "2026-09-01", "2026-10-20", "CZK", "500.00"],
        ["F3", "C1", "2026-10-05", "2026-11-30", "CZK", "700.00"],
        ["F4", "C1", "2026-08-01", "2026-08-15", "EUR", "500.00"],
        # Petr's invoice is older still, but Petr did not pay.
        ["F5", "C2", "2026-07-01", "2026-07-15", "CZK", "500.00"],
    )
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-11-02", "CZK", "500.00", ""])

    run_import(company, [tmp_path / "in"], actor)

    allocation = Allocation.objects.get()
    assert (allocation.invoice.number, allocation.amount_minor, allocation.method) == ("F2", 50000, "exact_amount")
    assert state("F2") == (50000, 0, date(2026, 11, 2))
    assert state("F1") == (0, 50000, None)
    assert state("F5") == (0, 50000, None)
    assert Payment.objects.get().unallocated_minor == 0
    assert not Event.objects.filter(kind="receipt.credit").exists()
    assert_ledger_consistent()


def test_a_payment_without_reference_and_no_exact_match_stays_credit(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "invoices.csv",
        INVOICE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "500.00"],
        ["F2", "C1", "2026-10-01", "2026-10-20", "CZK", "300.00"],
    )
    # 800 CZK would pay both, but money is never spread over invoices by guessing.
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-10-20", "CZK", "800.00", ""])

    report = run_import(company, [tmp_path / "in"], actor)

    assert Allocation.objects.count() == 0
    payment = Payment.objects.get()
    assert (payment.allocated_minor, payment.unallocated_minor) == (0, 80000)
    assert state("F1") == (0, 50000, None)
    credit = Event.objects.get(kind="receipt.credit")
    assert credit.data == {"credit_minor": 80000, "currency": "CZK", "rule": "credit"}
    assert report.allocation.credit_receipts == 1
    assert_ledger_consistent()


def test_a_reference_to_an_invoice_in_another_currency_stays_credit(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv("invoices.csv", INVOICE_HEADER, ["F1", "C1", "2026-10-01", "2026-10-15", "EUR", "50.00"])
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-10-20", "CZK", "50.00", "F1"])

    run_import(company, [tmp_path / "in"], actor)

    assert Allocation.objects.count() == 0
    assert Payment.objects.get().unallocated_minor == 5000
    assert state("F1") == (0, 5000, None)


def test_a_reference_to_a_settled_invoice_keeps_the_money_as_credit(company, actor, write_csv, tmp_path):
    # Jana pays F1 twice by mistake; the second payment must not drift to F2 of the same amount.
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "invoices.csv",
        INVOICE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "400.00"],
        ["F2", "C1", "2026-10-02", "2026-10-16", "CZK", "400.00"],
    )
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-10-10", "CZK", "400.00", "F1"])
    run_import(company, [tmp_path / "in"], actor)
    write_csv(
        "payments.csv",
        PAYMENT_HEADER,
        ["P1", "C1", "2026-10-10", "CZK", "400.00", "F1"],
        ["P2", "C1", "2026-10-12", "CZK", "400.00", "F1"],
    )

    run_import(company, [tmp_path / "in" / "payments.csv"], actor)

    assert state("F1") == (40000, 0, date(2026, 10, 10))
    assert state("F2") == (0, 40000, None)
    assert Payment.objects.get(external_id="P2").unallocated_minor == 40000
    assert_ledger_consistent()


def test_a_credit_note_naming_an_invoice_is_applied_to_it(company, actor, write_csv, tmp_path):
    # Two items of F1 came back damaged: credit note D1 for 210 CZK corrects F1.
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "invoices.csv",
        CREDIT_NOTE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00", ""],
        ["F2", "C1", "2026-10-02", "2026-10-16", "CZK", "210.00", ""],
        ["D1", "C1", "2026-10-05", "2026-10-05", "CZK", "-210.00", "F1"],
    )
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-10-20", "CZK", "1000.00", "F1"])

    report = run_import(company, [tmp_path / "in"], actor)

    note = Invoice.objects.get(number="D1")
    assert (note.kind, note.amount_minor, note.reference) == ("credit_note", -21000, "F1")
    assert (note.allocated_minor, note.outstanding_minor, note.settled_on) == (21000, 0, date(2026, 10, 5))
    applied = Allocation.objects.get(credit_note=note)
    assert (applied.invoice.number, applied.payment_id, applied.amount_minor, applied.method) == (
        "F1",
        None,
        21000,
        "reference",
    )
    # The payment of 1000 CZK and the credit note of 210 CZK together settle F1.
    assert state("F1")[:2] == (121000, 0)
    assert state("F2") == (0, 21000, None)
    assert report.allocation.allocations == 2
    summaries = list(Event.objects.filter(kind="allocation.created").values_list("summary", flat=True))
    assert "Credit note D1 of 2026-10-05 applied 210.00 CZK to F1 by reference; F1 is settled" in summaries
    assert_ledger_consistent()


def test_a_credit_note_without_reference_stays_as_credit(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "invoices.csv",
        INVOICE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"],
        ["D1", "C1", "2026-10-05", "2026-10-05", "CZK", "-100.00"],
    )

    report = run_import(company, [tmp_path / "in"], actor)

    note = Invoice.objects.get(number="D1")
    assert (note.kind, note.allocated_minor, note.outstanding_minor, note.settled_on) == ("credit_note", 0, 10000, None)
    assert Allocation.objects.count() == 0
    assert state("F1") == (0, 121000, None)
    credit = Event.objects.get(kind="receipt.credit")
    assert (credit.invoice_id, credit.payment_id) == (note.pk, None)
    assert credit.data == {"credit_minor": 10000, "currency": "CZK", "rule": "credit"}
    assert report.allocation.credit_receipts == 1
    assert_ledger_consistent()


def test_a_credit_note_larger_than_the_invoice_keeps_the_rest(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "invoices.csv",
        CREDIT_NOTE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-15", "EUR", "80.00", ""],
        ["D1", "C1", "2026-10-05", "2026-10-05", "EUR", "-100.00", "F1"],
    )

    run_import(company, [tmp_path / "in"], actor)

    assert state("F1") == (8000, 0, date(2026, 10, 5))
    assert state("D1") == (8000, 2000, None)
    assert Event.objects.get(kind="receipt.credit").data["credit_minor"] == 2000
    assert_ledger_consistent()


def test_a_payment_by_variable_symbol_without_leading_zeros_is_matched(company, actor, write_csv, tmp_path):
    # The invoice says VS 0020261001; the bank drops the zeros and reports "VS 20261001".
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "invoices.csv",
        [*INVOICE_HEADER, "variable_symbol"],
        ["FV-2026-1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00", "0020261001"],
        ["FV-2026-2", "C1", "2026-10-01", "2026-10-15", "CZK", "600.00", "0020261002"],
    )
    write_csv(
        "payments.csv",
        ["id", "customer_id", "date", "currency", "amount", "reference"],
        ["P1", "C1", "2026-10-20", "CZK", "600.00", "20261001"],
    )

    run_import(company, [tmp_path / "in"], actor)

    allocation = Allocation.objects.get()
    # By reference to FV-2026-1, not by exact amount to FV-2026-2.
    assert (allocation.invoice.number, allocation.amount_minor, allocation.method) == ("FV-2026-1", 60000, "reference")
    assert state("FV-2026-2") == (0, 60000, None)
    assert_ledger_consistent()


def test_a_variable_symbol_of_a_settled_invoice_without_leading_zeros_keeps_the_money_as_credit(
    company, actor, write_csv, tmp_path
):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "invoices.csv",
        [*INVOICE_HEADER, "variable_symbol"],
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "400.00", "0042"],
        ["F2", "C1", "2026-10-02", "2026-10-16", "CZK", "400.00", "0043"],
    )
    write_csv(
        "payments.csv",
        ["id", "customer_id", "date", "currency", "amount", "reference"],
        ["P1", "C1", "2026-10-10", "CZK", "400.00", "0042"],
        ["P2", "C1", "2026-10-12", "CZK", "400.00", "42"],
    )

    run_import(company, [tmp_path / "in"], actor, chunk_size=1)

    assert state("F1") == (40000, 0, date(2026, 10, 10))
    # P2 names F1 (settled) by its variable symbol: by rule (a) it becomes credit, F2 stays open.
    assert Payment.objects.get(external_id="P2").unallocated_minor == 40000
    assert state("F2") == (0, 40000, None)


def test_a_mixed_import_keeps_every_balance_consistent(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA, PETR)
    write_csv(
        "invoices.csv",
        [*CREDIT_NOTE_HEADER, "variable_symbol"],
        ["F1", "C1", "2026-09-01", "2026-09-15", "CZK", "1000.00", "", "1001"],
        ["F2", "C1", "2026-09-10", "2026-09-24", "CZK", "250.00", "", "1002"],
        ["F3", "C1", "2026-09-20", "2026-10-04", "EUR", "19.99", "", ""],
        ["F4", "C2", "2026-09-01", "2026-09-15", "CZK", "250.00", "", ""],
        ["F5", "C2", "2026-09-02", "2026-09-16", "JPY", "3000", "", ""],
        ["D1", "C2", "2026-09-20", "2026-09-20", "CZK", "-50.00", "F4", ""],
        ["D2", "C1", "2026-09-21", "2026-09-21", "EUR", "-19.99", "", ""],
    )
    write_csv(
        "payments.csv",
        [*PAYMENT_HEADER, "reference"],
        ["P1", "C1", "2026-10-01", "CZK", "600.00", "", "VS 1001"],
        ["P2", "C1", "2026-10-02", "CZK", "600.00", "F1", ""],
        ["P3", "C1", "2026-10-03", "CZK", "250.00", "", ""],
        ["P4", "C2", "2026-10-04", "CZK", "200.00", "", ""],
        ["P5", "C2", "2026-10-05", "JPY", "1000", "F5", ""],
        ["P6", "C1", "2026-10-06", "EUR", "5.00", "", ""],
    )

    run_import(company, [tmp_path / "in"], actor, chunk_size=2)

    assert state("F1") == (100000, 0, date(2026, 10, 2))
    assert Payment.objects.get(external_id="P2").unallocated_minor == 20000
    assert state("F2") == (25000, 0, date(2026, 10, 3))
    # D2 is applied by exact amount: a credit note without reference follows rule (b) too.
    assert state("F3") == (1999, 0, date(2026, 9, 21))
    assert state("D2") == (1999, 0, date(2026, 9, 21))
    # P4 (200 CZK, no reference) found no invoice of exactly 200 CZK: F4 still owed 250 then.
    assert state("F4") == (5000, 20000, None)
    assert Payment.objects.get(external_id="P4").unallocated_minor == 20000
    assert state("F5") == (1000, 2000, None)
    assert Payment.objects.get(external_id="P6").unallocated_minor == 500
    assert_ledger_consistent()


def test_an_invoice_settled_by_a_credit_note_and_a_later_payment_is_settled_on_the_payment_date(
    company, actor, write_csv, tmp_path
):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "invoices.csv",
        CREDIT_NOTE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00", ""],
        ["D1", "C1", "2026-10-05", "2026-10-05", "CZK", "-210.00", "F1"],
    )
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-10-20", "CZK", "1000.00", "F1"])

    run_import(company, [tmp_path / "in"], actor)

    # Paid five days after the due date: the settlement day must say so.
    assert state("F1") == (121000, 0, date(2026, 10, 20))


def test_re_importing_a_credit_note_does_not_apply_it_twice(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "invoices.csv",
        CREDIT_NOTE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00", ""],
        ["D1", "C1", "2026-10-05", "2026-10-05", "CZK", "-210.00", "F1"],
    )
    run_import(company, [tmp_path / "in"], actor)

    report = run_import(company, [tmp_path / "in"], actor)

    assert report.counts["invoices"] == {"created": 0, "unchanged": 2}
    assert report.allocation.allocations == 0
    assert Allocation.objects.count() == 1
    assert state("F1") == (21000, 100000, None)
    assert state("D1") == (21000, 0, date(2026, 10, 5))
    assert_ledger_consistent()
