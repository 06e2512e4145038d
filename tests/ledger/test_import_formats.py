"""The same data as CSV, JSON arrays, one JSON object or JSON Lines gives the same database."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from arrears.customers.models import Customer
from arrears.ledger.imports.errors import ImportFailed
from arrears.ledger.imports.runner import run_import
from arrears.ledger.models import Allocation, Invoice, Payment
from tests.conftest import CUSTOMER_HEADER, INVOICE_HEADER, PAYMENT_HEADER


def records(header: list[str], *rows: list[str]) -> list[dict[str, str]]:
    return [dict(zip(header, row, strict=True)) for row in rows]


CUSTOMERS = records(
    CUSTOMER_HEADER,
    ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", "retail"],
    ["C2", "Müller GmbH", "ap@mueller.de; boss@mueller.de", "de", "DE", "b2b;vip"],
)
INVOICES = records(
    INVOICE_HEADER,
    ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"],
    ["F2", "C1", "2026-10-03", "2026-10-17", "CZK", "500.50"],
    ["2026/7", "C2", "2026-09-01", "2026-09-30", "EUR", "120.10"],
)
PAYMENTS = records(
    PAYMENT_HEADER,
    ["P1", "C1", "2026-10-20", "CZK", "1210", "F1"],
    ["P2", "C1", "2026-10-21", "CZK", "500.5", ""],
    ["P3", "C2", "2026-10-02", "EUR", "150.00", "2026/7"],
)
DATA = {"customers": CUSTOMERS, "invoices": INVOICES, "payments": PAYMENTS}

# What any of the formats must leave in the database.
EXPECTED = {
    "customers": [
        ("C1", "Jana Nováková", "cs", "CZ", ["jana@example.cz"], ["retail"]),
        ("C2", "Müller GmbH", "de", "DE", ["ap@mueller.de", "boss@mueller.de"], ["b2b", "vip"]),
    ],
    "invoices": [
        ("2026/7", "C2", date(2026, 9, 1), date(2026, 9, 30), "EUR", 12010, 12010, 0, date(2026, 10, 2)),
        ("F1", "C1", date(2026, 10, 1), date(2026, 10, 15), "CZK", 121000, 121000, 0, date(2026, 10, 20)),
        ("F2", "C1", date(2026, 10, 3), date(2026, 10, 17), "CZK", 50050, 50050, 0, date(2026, 10, 21)),
    ],
    "payments": [
        ("P1", "C1", date(2026, 10, 20), "CZK", 121000, 121000, 0, "F1"),
        ("P2", "C1", date(2026, 10, 21), "CZK", 50050, 50050, 0, ""),
        ("P3", "C2", date(2026, 10, 2), "EUR", 15000, 12010, 2990, "2026/7"),
    ],
    "allocations": [
        ("2026/7", "P3", "EUR", 12010, "reference"),
        ("F1", "P1", "CZK", 121000, "reference"),
        ("F2", "P2", "CZK", 50050, "exact_amount"),
    ],
}


def database_contents() -> dict[str, list[tuple]]:
    return {
        "customers": [
            (
                c.external_id,
                c.name,
                c.language,
                c.country,
                sorted(c.contacts.values_list("email", flat=True)),
                sorted(c.groups.values_list("code", flat=True)),
            )
            for c in Customer.objects.order_by("external_id")
        ],
        "invoices": list(
            Invoice.objects.order_by("number").values_list(
                "number",
                "customer__external_id",
                "issue_date",
                "due_date",
                "currency",
                "amount_minor",
                "allocated_minor",
                "outstanding_minor",
                "settled_on",
            )
        ),
        "payments": list(
            Payment.objects.order_by("external_id").values_list(
                "external_id",
                "customer__external_id",
                "received_on",
                "currency",
                "amount_minor",
                "allocated_minor",
                "unallocated_minor",
                "reference",
            )
        ),
        "allocations": list(
            Allocation.objects.order_by("invoice__number").values_list(
                "invoice__number", "payment__external_id", "currency", "amount_minor", "method"
            )
        ),
    }


def write_csv_files(folder: Path) -> list[Path]:
    for kind, records in DATA.items():
        with (folder / f"{kind}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)
    return [folder]


def write_json_arrays(folder: Path) -> list[Path]:
    for kind, records in DATA.items():
        (folder / f"{kind}.json").write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    return [folder]


def write_one_json_object(folder: Path) -> list[Path]:
    # Keys in an unusual order: customers must still be imported before their invoices.
    data = {"payments": PAYMENTS, "invoices": INVOICES, "customers": CUSTOMERS}
    path = folder / "data.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return [path]


def write_json_lines(folder: Path) -> list[Path]:
    for kind, records in DATA.items():
        lines = [json.dumps(r, ensure_ascii=False) for r in records]
        (folder / f"{kind}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [folder]


@pytest.mark.parametrize(
    "writer",
    [write_csv_files, write_json_arrays, write_one_json_object, write_json_lines],
    ids=["csv", "json-arrays", "json-object", "jsonl"],
)
def test_every_format_gives_the_same_database(company, actor, tmp_path, writer):
    folder = tmp_path / "in"
    folder.mkdir()

    report = run_import(company, writer(folder), actor)

    assert database_contents() == EXPECTED
    assert report.counts == {
        "customers": {"created": 2, "updated": 0, "unchanged": 0},
        "invoices": {"created": 3},
        "payments": {"created": 3},
    }
    assert (report.allocation.allocations, report.allocation.settled_invoices) == (3, 3)
    assert report.allocation.credit_receipts == 1


def test_json_numbers_are_exact_money_never_floats(company, actor, tmp_path):
    # A web shop exports amounts as JSON numbers; 0.1 + 0.2 must still be thirty cents.
    path = tmp_path / "data.json"
    path.write_text(
        """{
  "customers": [{"id": "C1", "name": "Web shop buyer"}],
  "invoices": [
    {"number": "W1", "customer_id": "C1", "issue_date": "2026-10-01", "due_date": "2026-10-15",
     "currency": "EUR", "amount": 12.1},
    {"number": "W2", "customer_id": "C1", "issue_date": "2026-10-01", "due_date": "2026-10-15",
     "currency": "EUR", "amount": 0.30000000000000004},
    {"number": "W3", "customer_id": "C1", "issue_date": "2026-10-01", "due_date": "2026-10-15",
     "currency": "EUR", "amount": 1234567.89},
    {"number": "W4", "customer_id": "C1", "issue_date": "2026-10-01", "due_date": "2026-10-15",
     "currency": "EUR", "amount": 100},
    {"number": "W5", "customer_id": "C1", "issue_date": "2026-10-01", "due_date": "2026-10-15",
     "currency": "JPY", "amount": 5000}
  ],
  "payments": [{"id": "P1", "customer_id": "C1", "date": "2026-10-20", "currency": "EUR", "amount": 0.1,
                "invoice_number": "W1"}]
}
""",
        encoding="utf-8",
    )

    with pytest.raises(ImportFailed) as info:
        run_import(company, [path], actor)

    # 0.30000000000000004 is what a float would print: it has cents beyond EUR's two decimals.
    assert [(e.line, e.field) for e in info.value.errors] == [(6, "amount")]
    assert "has more decimal places than EUR allows (2)" in info.value.errors[0].message

    text = path.read_text(encoding="utf-8").replace("0.30000000000000004", "0.3")
    path.write_text(text, encoding="utf-8")
    run_import(company, [path], actor)

    amounts = dict(Invoice.objects.values_list("number", "amount_minor"))
    assert amounts == {"W1": 1210, "W2": 30, "W3": 123456789, "W4": 10000, "W5": 5000}
    assert all(type(v) is int for v in amounts.values())
    payment = Payment.objects.get(external_id="P1")
    assert (payment.amount_minor, payment.allocated_minor) == (10, 10)
    assert Invoice.objects.get(number="W1").outstanding_minor == 1200


def test_a_json_number_in_scientific_notation_is_refused_not_rounded(company, actor, tmp_path):
    path = tmp_path / "invoices.json"
    path.write_text(
        '[{"number": "W1", "customer_id": "C1", "issue_date": "2026-10-01", "due_date": "2026-10-15",'
        ' "currency": "EUR", "amount": 1.5e2}]',
        encoding="utf-8",
    )

    with pytest.raises(ImportFailed) as info:
        run_import(company, [path], actor)

    assert (info.value.errors[0].line, info.value.errors[0].field) == (1, "amount")
    assert info.value.errors[0].message.startswith("'1.5e2' is not a decimal amount")
    assert Invoice.objects.count() == 0


def test_a_json_error_names_the_line_the_record_starts_on(company, actor, tmp_path):
    path = tmp_path / "invoices.json"
    rows = records(
        INVOICE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1"],
        ["F2", "C1", "2026-10-01", "2026-10-15", "CZK", "1"],
        ["F3", "C1", "20.10.2026", "2026-10-15", "CZK", "1"],
    )
    # Pretty-printed: each record takes 8 lines after the opening bracket; F3 starts on line 18.
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    customers = tmp_path / "customers.json"
    customers.write_text('[{"id": "C1", "name": "Jana"}]', encoding="utf-8")

    with pytest.raises(ImportFailed) as info:
        run_import(company, [customers, path], actor)

    assert info.value.total == 1
    error = info.value.errors[0]
    assert path.read_text().splitlines()[error.line - 1] == "  {"
    assert (error.file, error.line, error.field) == ("invoices.json", 18, "issue_date")
    assert "invoices.json, line 18, field 'issue_date': '20.10.2026' is not a date" in str(info.value)


def test_broken_json_syntax_names_its_line(company, actor, tmp_path):
    path = tmp_path / "customers.json"
    path.write_text(
        '[\n  {"id": "C1", "name": "Jana"},\n  {"id": "C2", "name": "Petr"}\n  {"id": "C3", "name": "Eva"}\n]\n'
    )

    with pytest.raises(ImportFailed) as info:
        run_import(company, [path], actor)

    error = info.value.errors[0]
    assert (error.file, error.line, error.field) == ("customers.json", 4, "")
    assert error.message == "expected ',' or ']' after a record"
    assert Customer.objects.count() == 0


def test_a_json_lines_error_names_its_line(company, actor, tmp_path):
    path = tmp_path / "customers.jsonl"
    path.write_text('{"id": "C1", "name": "Jana"}\n\n{"id": "C2", "name": "Petr"\n', encoding="utf-8")

    with pytest.raises(ImportFailed) as info:
        run_import(company, [path], actor)

    error = info.value.errors[0]
    assert (error.file, error.line, error.field) == ("customers.jsonl", 3, "")
    assert error.message.startswith("not valid JSON: ")
    assert Customer.objects.count() == 0


def test_a_csv_file_from_excel_with_a_byte_order_mark_works(company, actor, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "customers.csv").write_text("id,name,email\r\nC1,Jana Nováková,jana@example.cz\r\n", encoding="utf-8-sig")
    (folder / "invoices.csv").write_text(
        "Number,Customer_ID,Issue_Date,Due_Date,Currency,Amount\r\nF1,C1,2026-10-01,2026-10-15,CZK,99.90\r\n",
        encoding="utf-8-sig",
    )
    assert (folder / "customers.csv").read_bytes().startswith(b"\xef\xbb\xbfid,")

    report = run_import(company, [folder], actor)

    assert report.counts["customers"]["created"] == 1
    customer = Customer.objects.get()
    assert (customer.external_id, customer.name) == ("C1", "Jana Nováková")
    assert Invoice.objects.get().amount_minor == 9990


def test_a_bom_prefixed_json_file_works(company, actor, tmp_path):
    path = tmp_path / "customers.json"
    path.write_text('[{"id": "C1", "name": "Jana"}]', encoding="utf-8-sig")

    run_import(company, [path], actor)

    assert list(Customer.objects.values_list("external_id", "name")) == [("C1", "Jana")]


def test_json_null_and_native_types_are_accepted(company, actor, tmp_path):
    path = tmp_path / "customers.jsonl"
    path.write_text(
        '{"id": 42, "name": "Answer Ltd", "email": null, "dunning_enabled": false, "paused_until": null}\n',
        encoding="utf-8",
    )

    run_import(company, [path], actor)

    customer = Customer.objects.get()
    assert (customer.external_id, customer.dunning_enabled, customer.paused_until) == ("42", False, None)
    assert customer.contacts.count() == 0


def test_a_file_of_an_unknown_kind_is_refused(company, actor, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("id,name\nC1,Jana\n", encoding="utf-8")

    with pytest.raises(ImportFailed) as info:
        run_import(company, [path], actor)

    error = info.value.errors[0]
    assert (error.file, error.line) == ("orders.csv", 0)
    assert error.message.startswith("cannot tell what the file holds")
    assert str(info.value).endswith(
        "orders.csv: cannot tell what the file holds: its name must start with customers, invoices or payments"
    )


def test_progress_is_reported_a_chunk_at_a_time(company, actor, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_csv_files(folder)
    seen: list[tuple[str, int]] = []

    run_import(company, [folder], actor, chunk_size=2, on_progress=lambda name, n: seen.append((name, n)))

    assert seen == [
        ("customers.csv", 2),
        ("invoices.csv", 2),
        ("invoices.csv", 1),
        ("payments.csv", 2),
        ("payments.csv", 1),
    ]
    assert database_contents() == EXPECTED
