"""Optional columns of customers and invoices: stored when given, checked like the required ones."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.customers.models import Customer
from arrears.ledger.imports.errors import ImportFailed
from arrears.ledger.imports.runner import run_import
from arrears.ledger.models import Allocation, Invoice, Payment
from tests.conftest import INVOICE_HEADER, PAYMENT_HEADER

CUSTOMER_COLUMNS = [
    "id",
    "name",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "registration_no",
    "vat_no",
    "dunning_enabled",
    "paused_until",
]
INVOICE_COLUMNS = [*INVOICE_HEADER, "variable_symbol", "document_url", "dunning_enabled", "paused_until"]


def test_customer_address_and_dunning_columns_are_stored(company, actor, write_csv, tmp_path):
    write_csv(
        "customers.csv",
        CUSTOMER_COLUMNS,
        [
            "C1",
            "Pekárna U Mostu s.r.o.",
            "Karlova 12",
            "2. patro",
            "602 00",
            "Brno",
            "cz",
            "12345678",
            "CZ12345678",
            "yes",
            "",
        ],
        # In insolvency: no reminders at all. On holiday: none until 15 November.
        ["C2", "Insolventní a.s.", "", "", "", "", "", "", "", "false", ""],
        ["C3", "Dovolená s.r.o.", "", "", "", "", "", "", "", "1", "2026-11-15"],
    )

    run_import(company, [tmp_path / "in"], actor)

    rows = list(
        Customer.objects.order_by("external_id").values_list(
            "external_id",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
            "country",
            "registration_no",
            "vat_no",
            "dunning_enabled",
            "paused_until",
        )
    )
    assert rows == [
        ("C1", "Karlova 12", "2. patro", "602 00", "Brno", "CZ", "12345678", "CZ12345678", True, None),
        ("C2", "", "", "", "", "", "", "", False, None),
        ("C3", "", "", "", "", "", "", "", True, date(2026, 11, 15)),
    ]


def test_a_changed_pause_updates_the_customer_and_a_missing_column_keeps_it(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", ["id", "name", "city", "paused_until"], ["C1", "Jana", "Praha", "2026-11-15"])
    run_import(company, [tmp_path / "in"], actor)

    write_csv("customers.csv", ["id", "name", "paused_until"], ["C1", "Jana", "2026-12-01"])
    report = run_import(company, [tmp_path / "in"], actor)

    assert report.counts["customers"]["updated"] == 1
    customer = Customer.objects.get()
    assert (customer.city, customer.paused_until) == ("Praha", date(2026, 12, 1))


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("dunning_enabled", "maybe", "'maybe' is not a yes/no value: expected true or false"),
        ("paused_until", "15.11.2026", "'15.11.2026' is not a date: expected YYYY-MM-DD, for example 2026-11-20"),
        ("country", "Czechia", "'CZECHIA' is not a country: expected an ISO 3166 code such as CZ, DE or PL"),
        ("postal_code", "1" * 21, "is 21 characters long: at most 20 are allowed"),
    ],
)
def test_a_bad_optional_customer_value_is_reported(company, actor, write_csv, tmp_path, column, value, message):
    write_csv("customers.csv", ["id", "name", column], ["C1", "Jana", value])

    with pytest.raises(ImportFailed) as info:
        run_import(company, [tmp_path / "in"], actor)

    error = info.value.errors[0]
    assert (info.value.total, error.file, error.line, error.field, error.message) == (
        1,
        "customers.csv",
        2,
        column,
        message,
    )
    assert Customer.objects.count() == 0


def test_invoice_optional_columns_are_stored(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", ["id", "name"], ["C1", "Jana"])
    write_csv(
        "invoices.csv",
        INVOICE_COLUMNS,
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00", "2026001", "https://docs.example.cz/F1.pdf", "", ""],
        ["F2", "C1", "2026-10-01", "2026-10-15", "CZK", "100.00", "", "", "no", ""],
        ["F3", "C1", "2026-10-01", "2026-10-15", "CZK", "100.00", "", "", "true", "2026-12-31"],
    )

    run_import(company, [tmp_path / "in"], actor)

    rows = list(
        Invoice.objects.order_by("number").values_list(
            "number", "variable_symbol", "document_url", "dunning_enabled", "paused_until"
        )
    )
    assert rows == [
        ("F1", "2026001", "https://docs.example.cz/F1.pdf", True, None),
        ("F2", "", "", False, None),
        ("F3", "", "", True, date(2026, 12, 31)),
    ]


def test_a_payment_quoting_the_variable_symbol_without_its_leading_zeros_is_matched(
    company, actor, write_csv, tmp_path
):
    # The invoice prints VS 0000123456; the bank statement says 123456.
    write_csv("customers.csv", ["id", "name"], ["C1", "Jana"])
    write_csv(
        "invoices.csv",
        [*INVOICE_HEADER, "variable_symbol"],
        ["2026-0042", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00", "0000123456"],
    )
    write_csv(
        "payments.csv",
        [*PAYMENT_HEADER, "reference"],
        ["P1", "C1", "2026-10-20", "CZK", "1000.00", "", "VS 123456"],
        ["P2", "C1", "2026-10-21", "CZK", "500.00", "", "123456"],
    )

    run_import(company, [tmp_path / "in"], actor)

    assert list(Allocation.objects.order_by("pk").values_list("payment__external_id", "amount_minor", "method")) == [
        ("P1", 100000, "reference"),
        ("P2", 21000, "reference"),
    ]
    invoice = Invoice.objects.get()
    assert (invoice.outstanding_minor, invoice.settled_on) == (0, date(2026, 10, 21))
    assert Payment.objects.get(external_id="P2").unallocated_minor == 29000


@pytest.mark.parametrize("url", ["www.example.cz/F1.pdf", "ftp://files.example.cz/F1.pdf", "https://"])
def test_a_bad_document_url_is_reported(company, actor, write_csv, tmp_path, url):
    write_csv("customers.csv", ["id", "name"], ["C1", "Jana"])
    write_csv(
        "invoices.csv", [*INVOICE_HEADER, "document_url"], ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1", url]
    )

    with pytest.raises(ImportFailed) as info:
        run_import(company, [tmp_path / "in"], actor)

    error = info.value.errors[0]
    assert (error.file, error.line, error.field) == ("invoices.csv", 2, "document_url")
    assert error.message == f"{url!r} is not a web address: expected http:// or https://"
    assert (Customer.objects.count(), Invoice.objects.count()) == (0, 0)


def test_a_bad_invoice_pause_date_is_reported(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", ["id", "name"], ["C1", "Jana"])
    write_csv(
        "invoices.csv", [*INVOICE_HEADER, "paused_until"], ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1", "soon"]
    )

    with pytest.raises(ImportFailed) as info:
        run_import(company, [tmp_path / "in"], actor)

    assert [(e.line, e.field, e.message) for e in info.value.errors] == [
        (2, "paused_until", "'soon' is not a date: expected YYYY-MM-DD, for example 2026-11-20")
    ]
    assert Invoice.objects.count() == 0


def test_a_document_url_added_later_updates_the_invoice(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", ["id", "name"], ["C1", "Jana"])
    write_csv("invoices.csv", INVOICE_HEADER, ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1"])
    run_import(company, [tmp_path / "in"], actor)

    write_csv(
        "invoices.csv",
        [*INVOICE_HEADER, "document_url"],
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1", "https://docs.example.cz/F1.pdf"],
    )
    report = run_import(company, [tmp_path / "in" / "invoices.csv"], actor)

    assert report.counts["invoices"] == {"created": 0, "updated": 1}
    assert Invoice.objects.get().document_url == "https://docs.example.cz/F1.pdf"
