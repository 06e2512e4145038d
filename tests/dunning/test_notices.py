"""One notice per customer, in every currency it owes, with its own money netted.

Novák Stavby (C1) buys in CZK and in EUR. On Friday 2026-11-20 it owes K1 (10 000.00 CZK, due
2026-10-15), K2 (2 500.00 CZK, due 2026-11-02), E1 (400.00 EUR, due 2026-10-20) and E2 (150.00 EUR,
due 2026-12-15, not yet due). It sent 3 000.00 CZK without a usable reference, which matches no
invoice: the import kept it as credit.

Hana Malá (C2) overpaid in EUR: 500.00 EUR of credit against H1 (120.00 EUR, due 2026-10-20), but
H2 (1 000.00 CZK, due 2026-10-20) is still unpaid. Hana has no e-mail address.
"""

from __future__ import annotations

from datetime import date

import pytest

from arrears.dunning.models import InvoiceDunning, NoticeItem, RunDecision
from arrears.dunning.runs import approve_run
from arrears.dunning.services import exclude_item
from tests.dunning.conftest import FRIDAY, customer_row, decisions, items, level_of, notices, reasons, run, state


@pytest.fixture
def novak(ledger, standard):
    ledger(
        customers=[
            customer_row("C1", "Novák Stavby s.r.o.", "ucetni@novak.cz"),
            customer_row("C2", "Hana Malá"),
        ],
        invoices=[
            ["K1", "C1", "2026-10-01", "2026-10-15", "CZK", "10000.00"],
            ["K2", "C1", "2026-10-19", "2026-11-02", "CZK", "2500.00"],
            ["E1", "C1", "2026-10-06", "2026-10-20", "EUR", "400.00"],
            ["E2", "C1", "2026-12-01", "2026-12-15", "EUR", "150.00"],
            ["H1", "C2", "2026-10-06", "2026-10-20", "EUR", "120.00"],
            ["H2", "C2", "2026-10-06", "2026-10-20", "CZK", "1000.00"],
        ],
        payments=[
            ["P1", "C1", "2026-11-10", "CZK", "3000.00", ""],
            ["P2", "C2", "2026-11-12", "EUR", "500.00", ""],
        ],
    )


def test_one_notice_covers_both_currencies_with_totals_and_credit_netted(novak, company, actor):
    result = run(company, FRIDAY, actor)

    notice = notices(result)["C1"]
    assert (notice.level, notice.channel, notice.deadline) == (1, "email", date(2026, 11, 30))
    assert items(notice) == [
        ("K1", 1, "level", "CZK", 1000000),
        ("K2", 1, "level", "CZK", 250000),
        ("E1", 1, "level", "EUR", 40000),
    ]
    # The 3 000.00 CZK credit is shown and netted: 12 500.00 reminded, 9 500.00 demanded.
    assert notice.totals == [
        {"currency": "CZK", "reminded": 1250000, "overdue": 1250000, "credit": 300000, "demanded": 950000},
        {"currency": "EUR", "reminded": 40000, "overdue": 40000, "credit": 0, "demanded": 40000},
    ]
    # E2 is not due yet, and too small for the reminder before the due date (200.00 EUR).
    assert decisions(result)["E2"] == ("not_yet_due", 0, date(2026, 12, 22), "")


def test_credit_covering_a_currency_demands_nothing_in_it_but_the_other_currency_is_reminded(novak, company, actor):
    result = run(company, FRIDAY, actor)

    notice = notices(result)["C2"]
    assert items(notice) == [("H2", 1, "level", "CZK", 100000)]
    assert notice.totals == [
        {"currency": "CZK", "reminded": 100000, "overdue": 100000, "credit": 0, "demanded": 100000},
    ]
    # Without an e-mail address the reminder goes by letter.
    assert notice.channel == "letter"
    assert decisions(result)["H1"] == ("credit_covers", 0, None, "")
    assert state("H1") is None
    assert state("H2") == (1, 0, FRIDAY, None, None, None)


def test_the_notice_level_is_the_highest_level_among_its_items(novak, company, actor, ledger):
    run(company, FRIDAY, actor)
    # A new invoice arrives after the first reminder.
    ledger(invoices=[["K3", "C1", "2026-11-11", "2026-11-25", "CZK", "700.00"]])

    result = run(company, date(2026, 12, 4), actor)

    notice = notices(result)["C1"]
    assert {n: lv for n, lv, *_ in items(notice)} == {"K1": 2, "K2": 2, "K3": 1, "E1": 2}
    assert (notice.level, notice.template) == (2, "level2")
    assert notice.totals[0] == {
        "currency": "CZK",
        "reminded": 1320000,
        "overdue": 1320000,
        "credit": 300000,
        "demanded": 1020000,
    }
    assert (level_of("K1"), level_of("K3")) == (2, 1)


def test_a_partial_payment_before_the_run_lowers_what_is_reminded(novak, company, actor, ledger):
    ledger(payments=[["P3", "C1", "2026-11-18", "CZK", "4000.00", "K1"]])

    notice = notices(run(company, FRIDAY, actor))["C1"]

    assert items(notice)[0] == ("K1", 1, "level", "CZK", 600000)
    assert notice.totals[0] == {
        "currency": "CZK",
        "reminded": 850000,
        "overdue": 850000,
        "credit": 300000,
        "demanded": 550000,
    }


def test_a_paid_invoice_is_never_reminded(novak, company, actor, ledger):
    ledger(payments=[["P3", "C1", "2026-11-19", "EUR", "400.00", "E1"]])

    result = run(company, FRIDAY, actor)

    notice = notices(result)["C1"]
    assert [n for n, *_ in items(notice)] == ["K1", "K2"]
    assert [t["currency"] for t in notice.totals] == ["CZK"]
    # A paid invoice is not open: the run does not even look at it.
    assert "E1" not in decisions(result)
    assert not NoticeItem.objects.filter(invoice__number="E1").exists()
    assert not InvoiceDunning.objects.filter(invoice__number="E1").exists()


def test_an_invoice_paid_after_the_first_reminder_gets_no_second(novak, company, actor, ledger):
    run(company, FRIDAY, actor)
    ledger(payments=[["P3", "C1", "2026-11-25", "CZK", "2500.00", "K2"]])

    result = run(company, date(2026, 12, 4), actor)

    assert [(n, lv) for n, lv, *_ in items(notices(result)["C1"])] == [("K1", 2), ("E1", 2)]
    assert "K2" not in reasons(result)
    assert list(NoticeItem.objects.filter(invoice__number="K2").values_list("level", flat=True)) == [1]
    assert state("K2") == (1, 0, FRIDAY, None, None, None)
    assert RunDecision.objects.filter(invoice__number="K2").count() == 1


def test_credit_arriving_after_a_reminder_stops_the_next_level_in_that_currency(novak, company, actor, ledger):
    run(company, FRIDAY, actor)
    # Novák sends 1 000.00 EUR without a reference: more than all it owes in EUR.
    ledger(payments=[["P3", "C1", "2026-11-30", "EUR", "1000.00", ""]])

    result = run(company, date(2026, 12, 4), actor)

    notice = notices(result)["C1"]
    assert [(n, lv) for n, lv, *_ in items(notice)] == [("K1", 2), ("K2", 2)]
    assert [t["currency"] for t in notice.totals] == ["CZK"]
    # E1 stays at the level it reached: no second reminder went out about it.
    assert decisions(result)["E1"] == ("credit_covers", 1, None, "")
    assert state("E1") == (1, 0, FRIDAY, None, None, None)


def test_taking_invoices_out_in_review_leaves_totals_for_what_is_still_reminded(novak, company, actor):
    proposal = run(company, FRIDAY, actor, review=True)
    notice = notices(proposal)["C1"]

    exclude_item(notice.items.get(invoice__number="E1"), actor)
    exclude_item(notice.items.get(invoice__number="K2"), actor)

    notice.refresh_from_db()
    # No EUR left in the notice; in CZK only K1, with the credit still netted.
    assert notice.totals == [
        {"currency": "CZK", "reminded": 1000000, "overdue": 1250000, "credit": 300000, "demanded": 700000},
    ]
    approve_run(proposal.run, actor)
    assert (state("K1")[0], state("K2"), state("E1")) == (1, None, None)
