from __future__ import annotations

from arrears.ledger.imports.runner import run_import
from arrears.ledger.models import Invoice, Payment
from tests.conftest import CUSTOMER_HEADER, INVOICE_HEADER, PAYMENT_HEADER


def test_a_small_import_allocates_by_reference(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", "retail"])
    write_csv("invoices.csv", INVOICE_HEADER, ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"])
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-10-20", "CZK", "1000.00", "F1"])

    report = run_import(company, [tmp_path / "in"], actor)

    assert report.counts["invoices"]["created"] == 1
    invoice = Invoice.objects.get(number="F1")
    assert (invoice.amount_minor, invoice.allocated_minor, invoice.outstanding_minor) == (121000, 100000, 21000)
    assert Payment.objects.get(external_id="P1").unallocated_minor == 0
