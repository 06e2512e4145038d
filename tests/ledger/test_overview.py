"""Company-wide receivables: totals and aging buckets per currency."""

from __future__ import annotations

from datetime import date

from arrears.ledger.imports.runner import run_import
from arrears.ledger.selectors.overview import receivables_overview
from tests.conftest import CUSTOMER_HEADER, INVOICE_HEADER, PAYMENT_HEADER


def test_every_open_invoice_lands_in_the_bucket_of_its_days_overdue(company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, ["C1", "Jana", "jana@example.cz", "cs", "CZ", ""])
    write_csv(
        "invoices.csv",
        INVOICE_HEADER,
        ["F1", "C1", "2026-11-01", "2026-11-25", "CZK", "1.00"],  # not due
        ["F2", "C1", "2026-10-01", "2026-11-20", "CZK", "2.00"],  # due today: not overdue yet
        ["F3", "C1", "2026-10-01", "2026-11-10", "CZK", "3.00"],  # 10 days
        ["F4", "C1", "2026-09-01", "2026-10-21", "CZK", "4.00"],  # 30 days
        ["F5", "C1", "2026-09-01", "2026-10-01", "CZK", "5.00"],  # 50 days
        ["F6", "C1", "2026-07-01", "2026-08-22", "CZK", "6.00"],  # 90 days
        ["F7", "C1", "2026-07-01", "2026-08-01", "CZK", "7.00"],  # 111 days
        ["F8", "C1", "2026-10-01", "2026-11-01", "EUR", "8.00"],  # 19 days, another currency
        ["F9", "C1", "2026-10-01", "2026-11-01", "CZK", "9.00"],  # paid below
        ["CN1", "C1", "2026-10-01", "2026-10-01", "CZK", "-0.50"],  # a credit note: credit, not aging
    )
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-11-02", "CZK", "9.00", "F9"])
    run_import(company, [tmp_path / "in"], actor)
    overview = receivables_overview(company.pk, date(2026, 11, 20))
    czk, eur = overview["CZK"], overview["EUR"]
    assert czk.aging == {"not due": 300, "1-30": 700, "31-60": 500, "61-90": 600, "90+": 700}
    assert (czk.open_invoices, czk.outstanding, czk.overdue) == (7, 2800, 2500)
    assert czk.unallocated_credit == 50
    assert eur.aging == {"not due": 0, "1-30": 800, "31-60": 0, "61-90": 0, "90+": 0}
    assert list(overview) == ["CZK", "EUR"]
