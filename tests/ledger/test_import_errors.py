"""Broken input: every error names file, line and field, and the import writes nothing at all."""

from __future__ import annotations

import json

import pytest

from arrears.customers.models import Contact, Customer, CustomerGroup
from arrears.history.models import Event
from arrears.ledger.imports.context import MAX_REPORTED_ERRORS
from arrears.ledger.imports.errors import ImportFailed
from arrears.ledger.imports.runner import run_import
from arrears.ledger.models import Allocation, ImportBatch, Invoice, Payment
from tests.conftest import CUSTOMER_HEADER, INVOICE_HEADER, PAYMENT_HEADER

JANA = ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", "retail"]
PETR = ["C2", "Petr Svoboda", "petr@example.cz", "cs", "CZ", ""]
F1 = ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"]
F2 = ["F2", "C2", "2026-10-02", "2026-10-16", "EUR", "99.90"]


def snapshot() -> dict[str, int]:
    """Row counts of everything an import may write."""
    models = (Customer, Contact, CustomerGroup, Invoice, Payment, Allocation, ImportBatch, Event)
    return {model.__name__: model.objects.count() for model in models}


def import_fails(company, actor, paths, **kwargs) -> ImportFailed:
    """Run an import that must fail; prove that it changed no row anywhere."""
    before = snapshot()
    with pytest.raises(ImportFailed) as info:
        run_import(company, paths, actor, **kwargs)
    assert snapshot() == before
    return info.value


def only_error(exc: ImportFailed) -> tuple[str, int, str, str]:
    assert exc.total == 1, str(exc)
    assert len(exc.errors) == 1
    error = exc.errors[0]
    return error.file, error.line, error.field, error.message


# --- columns and file structure ----------------------------------------------------------------


def test_an_invoice_file_without_due_date_column_is_refused(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "invoices.csv",
        ["number", "customer_id", "issue_date", "currency", "amount"],
        ["F1", "C1", "2026-10-01", "CZK", "5"],
    )

    exc = import_fails(company, actor, [tmp_path / "in"])

    file, line, field, message = only_error(exc)
    assert (file, line, field) == ("invoices.csv", 1, "due_date")
    assert message.startswith("missing column:")
    assert "number, customer_id, issue_date, due_date, currency, amount" in message
    assert "invoices.csv, line 1, field 'due_date': missing column" in str(exc)
    assert str(exc).startswith("import failed with 1 error(s); nothing was written:")


def test_a_customer_file_with_an_unknown_column_is_refused(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", [*CUSTOMER_HEADER, "colour"], [*JANA, "blue"])

    exc = import_fails(company, actor, [tmp_path / "in"])

    file, line, field, message = only_error(exc)
    assert (file, line, field) == ("customers.csv", 1, "colour")
    assert message.startswith("unknown column: the customers columns are id, name, email")
    assert "customers.csv, line 1, field 'colour': unknown column" in str(exc)


def test_a_column_given_twice_is_refused(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", ["id", "name", "Name"], ["C1", "Jana", "Jana"])

    exc = import_fails(company, actor, [tmp_path / "in"])

    assert only_error(exc) == ("customers.csv", 1, "", "a column appears twice in the header")


def test_a_row_with_too_many_values_is_refused(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA, [*PETR, "surplus"])

    exc = import_fails(company, actor, [tmp_path / "in"])

    assert only_error(exc) == ("customers.csv", 3, "", "has 7 values, the header has 6")
    assert "customers.csv, line 3: has 7 values, the header has 6" in str(exc)


def test_an_empty_file_is_refused(company, actor, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "customers.csv").write_bytes(b"")

    exc = import_fails(company, actor, [folder])

    assert only_error(exc) == ("customers.csv", 1, "", "the file is empty: expected a header line")


def test_a_header_only_file_is_fine_and_imports_nothing(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER)

    report = run_import(company, [tmp_path / "in"], actor)

    assert report.counts == {}
    assert Customer.objects.count() == 0
    assert ImportBatch.objects.get().status == ImportBatch.Status.DONE


def test_a_windows_1250_file_is_refused_on_the_line_of_the_first_bad_byte(company, actor, tmp_path):
    # Exported by an old accounting program: the header and the first row are plain ASCII.
    folder = tmp_path / "in"
    folder.mkdir()
    text = "id,name\r\nC1,Jana Novak\r\nC2,Petr Dvořák\r\n"
    (folder / "customers.csv").write_bytes(text.encode("cp1250"))

    exc = import_fails(company, actor, [folder])

    assert only_error(exc) == ("customers.csv", 3, "", "not UTF-8 text")


def test_a_latin_1_json_lines_file_is_refused_with_an_import_error(company, actor, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    lines = ['{"id": "C1", "name": "Jana"}', '{"id": "C2", "name": "Müller"}']
    (folder / "customers.jsonl").write_bytes("\n".join(lines).encode("latin-1"))

    exc = import_fails(company, actor, [folder])

    assert only_error(exc) == ("customers.jsonl", 2, "", "not UTF-8 text")


def test_a_latin_1_json_file_is_refused_on_the_right_line(company, actor, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    text = '[\n  {"id": "C1", "name": "Jana"},\n  {"id": "C2", "name": "Müller"}\n]\n'
    (folder / "customers.json").write_bytes(text.encode("latin-1"))

    exc = import_fails(company, actor, [folder])

    assert only_error(exc) == ("customers.json", 3, "", "not UTF-8 text")


def test_a_folder_without_import_files_is_refused(company, actor, tmp_path):
    (tmp_path / "notes.txt").write_text("nothing to import")

    exc = import_fails(company, actor, [tmp_path])

    assert exc.errors[0].line == 0
    assert exc.errors[0].file == str(tmp_path)
    assert "no customers/invoices/payments .csv, .json or .jsonl files in this folder" in str(exc)


# --- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (
            ["F1", "C1", "2026-13-01", "2026-12-15", "CZK", "10"],
            "issue_date",
            "'2026-13-01' is not a date: expected YYYY-MM-DD, for example 2026-11-20",
        ),
        (
            ["F1", "C1", "2026-11-01", "20.11.2026", "CZK", "10"],
            "due_date",
            "'20.11.2026' is not a date: expected YYYY-MM-DD, for example 2026-11-20",
        ),
        (
            ["F1", "C1", "2026-11-01", "2026-11-20", "CZK", "12,50"],
            "amount",
            "'12,50' is not a decimal amount: expected digits with an optional '.' such as 1234.50",
        ),
        (
            ["F1", "C1", "2026-11-01", "2026-11-20", "CZK", "abc"],
            "amount",
            "'abc' is not a decimal amount: expected digits with an optional '.' such as 1234.50",
        ),
        (
            ["F1", "C1", "2026-11-01", "2026-11-20", "EUR", "12.345"],
            "amount",
            "'12.345' has more decimal places than EUR allows (2): amounts are never rounded",
        ),
        (
            ["F1", "C1", "2026-11-01", "2026-11-20", "EURO", "12.34"],
            "currency",
            "'EURO' is not a currency: expected an ISO 4217 code such as EUR, CZK or USD",
        ),
        (
            ["F1", "C1", "2026-11-20", "2026-11-19", "CZK", "10"],
            "due_date",
            "2026-11-19 is before the issue date 2026-11-20",
        ),
        (
            ["F1", "C9", "2026-11-01", "2026-11-20", "CZK", "10"],
            "customer_id",
            "unknown customer 'C9': import the customer first or add it to the customers file",
        ),
        (
            ["", "C1", "2026-11-01", "2026-11-20", "CZK", "10"],
            "number",
            "is empty: a value is required",
        ),
    ],
    ids=[
        "month-13",
        "czech-date",
        "decimal-comma",
        "not-a-number",
        "too-many-decimals",
        "unknown-currency",
        "due-before-issue",
        "unknown-customer",
        "no-number",
    ],
)
def test_a_bad_invoice_value_is_reported_with_file_line_and_field(
    company, actor, write_csv, tmp_path, row, field, message
):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv("invoices.csv", INVOICE_HEADER, ["F0", "C1", "2026-10-01", "2026-10-15", "CZK", "100"], row)

    exc = import_fails(company, actor, [tmp_path / "in"])

    assert only_error(exc) == ("invoices.csv", 3, field, message)
    assert f"invoices.csv, line 3, field '{field}': {message}" in str(exc)


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (
            ["P1", "C1", "2026-10-20", "CZK", "-50.00", "F1"],
            "amount",
            "'-50.00' is not positive: a payment brings money in (refunds are not payments)",
        ),
        (
            ["P1", "C1", "2026-10-20", "CZK", "0", "F1"],
            "amount",
            "'0' is not positive: a payment brings money in (refunds are not payments)",
        ),
        (
            ["P1", "C7", "2026-10-20", "CZK", "50.00", "F1"],
            "customer_id",
            "unknown customer 'C7': import the customer first or add it to the customers file",
        ),
        (
            ["P1", "C1", "2026-02-30", "CZK", "50.00", "F1"],
            "date",
            "'2026-02-30' is not a date: expected YYYY-MM-DD, for example 2026-11-20",
        ),
    ],
    ids=["negative", "zero", "unknown-customer", "february-30"],
)
def test_a_bad_payment_is_reported_with_file_line_and_field(company, actor, write_csv, tmp_path, row, field, message):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv("invoices.csv", INVOICE_HEADER, F1)
    write_csv("payments.csv", PAYMENT_HEADER, row)

    exc = import_fails(company, actor, [tmp_path / "in"])

    assert only_error(exc) == ("payments.csv", 2, field, message)


def test_an_unknown_customer_is_found_against_the_database_too(company, actor, write_csv, tmp_path):
    # The customers were imported last week; today only payments come, one of a stranger.
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    run_import(company, [tmp_path / "in" / "customers.csv"], actor)
    write_csv(
        "payments.csv",
        PAYMENT_HEADER,
        ["P1", "C1", "2026-10-20", "CZK", "50.00", ""],
        ["P2", "X1", "2026-10-20", "CZK", "50.00", ""],
    )

    exc = import_fails(company, actor, [tmp_path / "in" / "payments.csv"])

    assert only_error(exc)[:3] == ("payments.csv", 3, "customer_id")
    assert "unknown customer 'X1'" in str(exc)


# --- duplicates ----------------------------------------------------------------------------------


def test_an_invoice_number_twice_in_one_chunk_is_refused(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv("invoices.csv", INVOICE_HEADER, F1, ["F2", "C1", "2026-10-01", "2026-10-15", "CZK", "5"], F1)

    exc = import_fails(company, actor, [tmp_path / "in"])

    assert only_error(exc) == ("invoices.csv", 4, "number", "duplicate invoice number 'F1': also on line 2")


def test_an_invoice_number_twice_in_different_chunks_is_refused(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    rows = [[f"F{n}", "C1", "2026-10-01", "2026-10-15", "CZK", "5"] for n in range(1, 5)]
    write_csv("invoices.csv", INVOICE_HEADER, *rows, ["F1", "C1", "2026-10-02", "2026-10-16", "CZK", "7"])

    exc = import_fails(company, actor, [tmp_path / "in"], chunk_size=2)

    file, line, field, message = only_error(exc)
    assert (file, line, field) == ("invoices.csv", 6, "number")
    assert message.startswith("duplicate invoice number 'F1': also on")


def test_a_customer_id_twice_in_one_chunk_is_refused(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA, PETR, ["C1", "Jana Nová", "", "", "", ""])

    exc = import_fails(company, actor, [tmp_path / "in"])

    assert only_error(exc) == ("customers.csv", 4, "id", "duplicate customer id 'C1': also on line 2")


def test_a_customer_id_twice_in_different_chunks_is_refused(company, actor, write_csv, tmp_path):
    # The same row twice, far apart in a long export: the second copy must not pass as "unchanged".
    write_csv("customers.csv", CUSTOMER_HEADER, JANA, PETR, ["C3", "Eva", "", "", "", ""], JANA)

    exc = import_fails(company, actor, [tmp_path / "in"], chunk_size=2)

    file, line, field, message = only_error(exc)
    assert (file, line, field) == ("customers.csv", 5, "id")
    assert message == "duplicate customer id 'C1': also on line 2"


def test_a_changed_customer_twice_in_different_chunks_is_refused(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA, PETR)
    run_import(company, [tmp_path / "in"], actor)
    renamed = ["C1", "Jana Dvořáková", "jana@example.cz", "cs", "CZ", "retail"]
    write_csv("customers.csv", CUSTOMER_HEADER, renamed, PETR, ["C3", "Eva", "", "", "", ""], JANA)

    exc = import_fails(company, actor, [tmp_path / "in"], chunk_size=2)

    assert only_error(exc)[:3] == ("customers.csv", 5, "id")
    assert Customer.objects.get(external_id="C1").name == "Jana Nováková"


def test_a_payment_id_twice_is_refused(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "payments.csv",
        PAYMENT_HEADER,
        ["P1", "C1", "2026-10-20", "CZK", "10.00", ""],
        ["P2", "C1", "2026-10-20", "CZK", "10.00", ""],
        ["P1", "C1", "2026-10-21", "CZK", "12.00", ""],
    )

    exc = import_fails(company, actor, [tmp_path / "in"])

    assert only_error(exc) == ("payments.csv", 4, "id", "duplicate payment id 'P1': also on line 2")


def test_a_payment_id_twice_in_different_chunks_is_refused(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv(
        "payments.csv",
        PAYMENT_HEADER,
        ["P1", "C1", "2026-10-20", "CZK", "10.00", ""],
        ["P2", "C1", "2026-10-20", "CZK", "10.00", ""],
        ["P1", "C1", "2026-10-21", "CZK", "12.00", ""],
    )

    exc = import_fails(company, actor, [tmp_path / "in"], chunk_size=2)

    file, line, field, message = only_error(exc)
    assert (file, line, field) == ("payments.csv", 4, "id")
    assert message.startswith("duplicate payment id 'P1'")


# --- all or nothing ------------------------------------------------------------------------------


def test_an_error_in_payments_rolls_back_customers_and_invoices_too(company, actor, write_csv, tmp_path):
    # Monday's import went through; Tuesday's files are fine except one payment at the very end.
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv("invoices.csv", INVOICE_HEADER, F1)
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-10-20", "CZK", "210.00", "F1"])
    run_import(company, [tmp_path / "in"], actor)
    monday = snapshot()
    assert monday["Customer"] == 1
    assert monday["Allocation"] == 1

    write_csv("customers.csv", CUSTOMER_HEADER, ["C1", "Jana Dvořáková", "jana@example.cz", "cs", "CZ", "vip"], PETR)
    write_csv("invoices.csv", INVOICE_HEADER, F1, F2, ["F3", "C1", "2026-10-05", "2026-10-19", "CZK", "500.00"])
    write_csv(
        "payments.csv",
        PAYMENT_HEADER,
        ["P1", "C1", "2026-10-20", "CZK", "210.00", "F1"],
        ["P2", "C1", "2026-10-21", "CZK", "1000.00", "F1"],
        ["P3", "C2", "2026-10-22", "EUR", "99.90", "F2"],
        ["P4", "C2", "2026-10-22", "EUR", "9,90", ""],
    )

    exc = import_fails(company, actor, [tmp_path / "in"])

    assert only_error(exc)[:3] == ("payments.csv", 5, "amount")
    assert snapshot() == monday
    jana = Customer.objects.get(external_id="C1")
    assert jana.name == "Jana Nováková"
    assert list(jana.groups.values_list("code", flat=True)) == ["retail"]
    invoice = Invoice.objects.get(number="F1")
    assert (invoice.allocated_minor, invoice.outstanding_minor, invoice.settled_on) == (21000, 100000, None)
    assert not Event.objects.filter(kind__in=["customer.updated", "receipt.credit"]).exists()


def test_every_error_is_reported_in_file_order(company, actor, write_csv, tmp_path):
    write_csv(
        "customers.csv",
        CUSTOMER_HEADER,
        JANA,
        ["C2", "Petr", "not-an-address", "cs", "CZ", ""],
    )
    write_csv(
        "invoices.csv",
        INVOICE_HEADER,
        ["F1", "C1", "2026-13-01", "2026-12-01", "CZK", "10"],
        ["F2", "C1", "2026-10-01", "2026-10-15", "CZK", "1,5"],
        # C2's row was broken: its invoice is not reported again as of an unknown customer.
        ["F3", "C2", "2026-10-01", "2026-10-15", "CZK", "5"],
        ["F4", "C9", "2026-10-01", "2026-10-15", "CZK", "5"],
    )
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-10-20", "XXX1", "5", ""])

    exc = import_fails(company, actor, [tmp_path / "in"])

    assert exc.total == 5
    assert [(e.file, e.line, e.field) for e in exc.errors] == [
        ("customers.csv", 3, "email"),
        ("invoices.csv", 2, "issue_date"),
        ("invoices.csv", 3, "amount"),
        ("invoices.csv", 5, "customer_id"),
        ("payments.csv", 2, "currency"),
    ]
    assert exc.errors[0].message == "'not-an-address' is not an e-mail address"
    assert str(exc).count("\n  ") == 5
    assert "... and" not in str(exc)


def test_errors_beyond_the_cap_are_counted_but_not_listed(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    bad = [[f"F{n}", "C1", "2026-10-01", "2026-10-15", "CZK", "12,50"] for n in range(MAX_REPORTED_ERRORS + 5)]
    write_csv("invoices.csv", INVOICE_HEADER, *bad)

    exc = import_fails(company, actor, [tmp_path / "in"], chunk_size=10)

    assert MAX_REPORTED_ERRORS == 100
    assert exc.total == 105
    assert len(exc.errors) == 100
    assert exc.errors[-1].line == 101
    assert str(exc).startswith("import failed with 105 error(s); nothing was written:")
    assert str(exc).endswith("\n  ... and 5 more")


# --- JSON structure ------------------------------------------------------------------------------


def test_a_json_record_without_a_required_field_is_refused(company, actor, tmp_path):
    path = tmp_path / "customers.json"
    path.write_text('[\n  {"id": "C1", "name": "Jana"},\n  {"id": "C2"}\n]\n', encoding="utf-8")

    exc = import_fails(company, actor, [path])

    assert only_error(exc) == ("customers.json", 3, "name", "missing: this field is required")


def test_a_json_record_with_an_unknown_field_is_refused(company, actor, tmp_path):
    path = tmp_path / "data.json"
    data = {"customers": [{"id": "C1", "name": "Jana"}], "invoices": [{"number": "F1", "colour": "red"}]}
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")

    exc = import_fails(company, actor, [path])

    file, line, field, message = only_error(exc)
    assert (file, line, field) == ("data.json", 9, "colour")
    assert message.startswith("unknown field: accepted are number, customer_id")


def test_a_json_object_with_an_unknown_key_is_refused(company, actor, tmp_path):
    path = tmp_path / "data.json"
    path.write_text('{\n  "customers": [],\n  "orders": []\n}\n', encoding="utf-8")

    exc = import_fails(company, actor, [path])

    assert only_error(exc) == (
        "data.json",
        3,
        "",
        "unknown key 'orders': expected customers, invoices or payments",
    )


def test_a_customer_in_two_files_of_one_import_is_refused(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA, PETR)
    (tmp_path / "in" / "customers_new.jsonl").write_text(
        '{"id": "C3", "name": "Eva"}\n{"id": "C1", "name": "Jana N."}\n'
    )

    exc = import_fails(company, actor, [tmp_path / "in"])

    assert only_error(exc) == (
        "customers_new.jsonl",
        2,
        "id",
        "duplicate customer id 'C1': also on customers.csv, line 2",
    )


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        # Two exports concatenated by a script: the second array must not be dropped silently.
        ("customers.json", '[{"id": "C1", "name": "Jana"}]\n[{"id": "C2", "name": "Petr"}]\n', 2),
        ("data.json", '{"customers": [{"id": "C1", "name": "Jana"}]}\n\n{"customers": []}\n', 3),
    ],
    ids=["array", "object"],
)
def test_text_after_the_json_document_is_refused(company, actor, tmp_path, name, text, line):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")

    exc = import_fails(company, actor, [path])

    assert only_error(exc) == (name, line, "", "unexpected text after the end of the JSON document")


# --- bounds: what the database and the dunning rules can hold -----------------------------------


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "100000000000000.00"], "amount", "too large"),
        (["F1", "C1", "2026-10-01", "9999-12-31", "CZK", "1.00"], "due_date", "out of range"),
        (["F1", "C1", "1899-12-31", "2026-10-15", "CZK", "1.00"], "issue_date", "out of range"),
    ],
)
def test_amounts_and_days_beyond_what_can_be_stored_are_refused(company, actor, write_csv, tmp_path, row, field, words):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv("invoices.csv", INVOICE_HEADER, row)
    file, line, found_field, message = only_error(import_fails(company, actor, [tmp_path / "in"]))
    assert (file, line, found_field) == ("invoices.csv", 2, field)
    assert words in message


def test_the_largest_amount_still_imports(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, JANA)
    write_csv("invoices.csv", INVOICE_HEADER, ["F1", "C1", "2026-10-01", "2999-12-31", "CZK", "99999999999999.99"])
    run_import(company, [tmp_path / "in"], actor)
    assert Invoice.objects.get().amount_minor == 9_999_999_999_999_999
