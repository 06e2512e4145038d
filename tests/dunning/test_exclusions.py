"""Who is not reminded, and why: switched off, paused, disputed, stopped, handed over, too small.

ACME's customers on Friday 2026-11-20, every invoice due 2026-10-15 unless said otherwise:
- Jana (C1): F1 1 000.00 CZK; F2 500.00 CZK, which the billing system marks "no dunning";
  F3 800.00 CZK, which she disputes.
- Petr (C2), for whom dunning is switched off: G1 800.00 CZK.
- Eva (C3), who asked for time until Tuesday 2026-11-24: E1 900.00 CZK; E2 700.00 CZK, paused on
  its own until 2026-12-01 in the billing system.
- Karel (C4), who disputes everything: K1 1 200.00 CZK.
- Lída (C5), small amounts: L1 99.99 CZK, L2 5.00 EUR, L3 1 000.00 CZK of which 950.00 is paid.
- Marek (C6), large invoices due Monday 2026-11-23: M1 6 000.00 CZK and M2 4 000.00 CZK.
- Ota (C7): O1 2 000.00 CZK and O2 300.00 CZK.
"""

from __future__ import annotations

from datetime import date

import pytest

from arrears.dunning.models import InvoiceDunning, Notice
from arrears.dunning.services import (
    DunningActionError,
    create_manual_notice,
    hand_over,
    handover_rows,
    pause,
    set_disputed,
    set_dunning_enabled,
    stop_reminding,
)
from arrears.history.models import Event
from tests.conftest import CUSTOMER_HEADER, INVOICE_HEADER
from tests.dunning.conftest import FRIDAY, cust, customer_row, decisions, inv, items, notices, reasons, run, state


def due(number: str, customer: str, amount: str, currency: str = "CZK", enabled: str = "", paused: str = "") -> list:
    return [number, customer, "2026-10-01", "2026-10-15", currency, amount, enabled, paused]


@pytest.fixture
def customers(ledger, standard, actor):
    ledger(
        customer_header=[*CUSTOMER_HEADER, "dunning_enabled"],
        customers=[
            ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", "", "true"],
            ["C2", "Petr Svoboda", "petr@example.cz", "cs", "CZ", "", "false"],
            ["C3", "Eva Dvořáková", "eva@example.cz", "cs", "CZ", "", ""],
            ["C4", "Karel Černý", "karel@example.cz", "cs", "CZ", "", ""],
            ["C5", "Lída Malá", "lida@example.cz", "cs", "CZ", "", ""],
            ["C6", "Marek Veliký", "marek@example.cz", "cs", "CZ", "", ""],
            ["C7", "Ota Pokorný", "ota@example.cz", "cs", "CZ", "", ""],
        ],
        invoice_header=[*INVOICE_HEADER, "dunning_enabled", "paused_until"],
        invoices=[
            due("F1", "C1", "1000.00"),
            due("F2", "C1", "500.00", enabled="false"),
            due("F3", "C1", "800.00"),
            due("G1", "C2", "800.00"),
            due("E1", "C3", "900.00"),
            due("E2", "C3", "700.00", paused="2026-12-01"),
            due("K1", "C4", "1200.00"),
            due("L1", "C5", "99.99"),
            due("L2", "C5", "5.00", "EUR"),
            due("L3", "C5", "1000.00"),
            ["M1", "C6", "2026-11-09", "2026-11-23", "CZK", "6000.00", "", ""],
            ["M2", "C6", "2026-11-09", "2026-11-23", "CZK", "4000.00", "", ""],
            due("O1", "C7", "2000.00"),
            due("O2", "C7", "300.00"),
        ],
        payments=[["P1", "C5", "2026-11-02", "CZK", "950.00", "L3"]],
    )
    set_disputed(cust("C1"), "goods damaged on delivery", actor, invoice=inv("F3"))
    set_disputed(cust("C4"), "contract terminated", actor)
    pause(cust("C3"), date(2026, 11, 24), actor)


def test_dunning_switched_off_for_a_customer_or_an_invoice(customers, company, actor):
    result = run(company, FRIDAY, actor)

    assert decisions(result)["G1"] == ("excluded_customer", 0, None, "")
    assert decisions(result)["F2"] == ("excluded_invoice", 0, None, "")
    assert "C2" not in notices(result)
    jana = notices(result)["C1"]
    assert items(jana) == [("F1", 1, "level", "CZK", 100000)]
    # Only what can be reminded counts as overdue for netting: the switched-off invoices do not.
    assert jana.totals == [{"currency": "CZK", "reminded": 100000, "overdue": 100000, "credit": 0, "demanded": 100000}]

    # Switched on again: the next run reminds them, at level 1.
    set_dunning_enabled(cust("C2"), True, actor)
    set_dunning_enabled(cust("C1"), True, actor, invoice=inv("F2"))
    assert Event.objects.get(kind="dunning.included", invoice__number="F2").summary == (
        "Invoice F2 included in automatic dunning"
    )
    later = run(company, date(2026, 11, 23), actor)
    assert items(notices(later)["C2"]) == [("G1", 1, "level", "CZK", 80000)]
    assert items(notices(later)["C1"]) == [("F2", 1, "level", "CZK", 50000)]


def test_a_pause_holds_until_its_date_and_ends_by_itself(customers, company, actor):
    first = run(company, FRIDAY, actor)
    assert decisions(first)["E1"] == ("paused", 0, date(2026, 11, 25), "2026-11-24")
    assert decisions(first)["E2"] == ("paused", 0, date(2026, 12, 2), "2026-12-01")

    # On the day itself, still paused.
    assert decisions(run(company, date(2026, 11, 24), actor))["E1"] == ("paused", 0, date(2026, 11, 25), "2026-11-24")

    # The day after, reminders resume without anyone lifting the pause; E2's own pause goes on.
    resumed = run(company, date(2026, 11, 25), actor)
    assert items(notices(resumed)["C3"]) == [("E1", 1, "level", "CZK", 90000)]
    assert decisions(resumed)["E2"] == ("paused", 0, date(2026, 12, 2), "2026-12-01")
    assert cust("C3").paused_until == date(2026, 11, 24)

    after = run(company, date(2026, 12, 2), actor)
    assert items(notices(after)["C3"]) == [("E2", 1, "level", "CZK", 70000)]
    assert decisions(after)["E1"] == ("too_soon", 1, date(2026, 12, 9), "2026-12-09")


def test_disputed_invoices_and_customers_are_not_reminded_until_the_dispute_is_settled(customers, company, actor):
    result = run(company, FRIDAY, actor)
    assert (reasons(result)["F3"], reasons(result)["K1"]) == ("disputed", "disputed")
    assert "C4" not in notices(result)

    set_disputed(cust("C4"), "", actor)
    assert Event.objects.filter(kind="dunning.dispute_settled", customer=cust("C4")).count() == 1
    later = run(company, date(2026, 11, 23), actor)
    assert items(notices(later)["C4"]) == [("K1", 1, "level", "CZK", 120000)]
    assert reasons(later)["F3"] == "disputed"


def test_stopped_by_hand_and_restarted_by_a_manual_reminder(customers, company, actor):
    run(company, FRIDAY, actor)
    assert stop_reminding(cust("C1"), actor, today=date(2026, 11, 23)) == 3

    stopped = run(company, date(2026, 12, 4), actor)
    assert decisions(stopped)["F1"] == ("stopped", 1, None, "2026-11-23")
    assert "C1" not in notices(stopped)

    # The credit controller phones Jana and sends a reminder by hand: F1 moves on to level 2.
    notice = create_manual_notice(
        cust("C1"),
        [inv("F1")],
        actor,
        deadline=date(2026, 12, 17),
        note="as agreed on the phone",
        today=date(2026, 12, 7),
    )
    assert (notice.level, notice.manual, notice.status) == (2, True, "created")
    assert state("F1") == (2, 0, date(2026, 12, 7), None, None, None)
    # Only the reminded invoice restarts; F2 and F3 stay stopped.
    assert state("F2")[4] == date(2026, 11, 23)

    restarted = run(company, date(2026, 12, 21), actor)
    assert [(n, lv) for n, lv, *_ in items(notices(restarted)["C1"])] == [("F1", 3)]
    assert decisions(restarted)["F2"] == ("stopped", 0, None, "2026-11-23")


def test_handed_over_by_hand_leaves_automatic_dunning(customers, company, actor):
    assert hand_over(cust("C7"), actor, today=date(2026, 11, 19), invoices=[inv("O1")]) == 1

    result = run(company, FRIDAY, actor)

    assert decisions(result)["O1"] == ("handed_over", 0, None, "2026-11-19")
    assert items(notices(result)["C7"]) == [("O2", 1, "level", "CZK", 30000)]
    assert [(r["invoice"], r["level"], r["handed_over_on"], r["outstanding"]) for r in handover_rows(company.pk)] == [
        ("O1", "0", "2026-11-19", "2000.00")
    ]
    assert Event.objects.get(kind="invoice.handed_over").summary == (
        "O1 (2000.00 CZK) handed over to external collection by hand"
    )
    with pytest.raises(DunningActionError, match="O1 was handed over to external collection on 2026-11-19"):
        create_manual_notice(cust("C7"), [inv("O1")], actor, deadline=date(2026, 12, 4), today=FRIDAY)
    assert reasons(run(company, date(2027, 2, 1), actor))["O1"] == "handed_over"


def test_amounts_below_the_policy_minimum_are_never_reminded(customers, company, actor):
    result = run(company, FRIDAY, actor)

    assert decisions(result)["L1"] == ("below_minimum", 0, None, "")
    # 1 000.00 less 950.00 paid leaves 50.00 CZK, below the tolerance of 100.00 CZK.
    assert decisions(result)["L3"] == ("below_minimum", 0, None, "")
    # 5.00 EUR is exactly the EUR minimum: reminded.
    notice = notices(result)["C5"]
    assert items(notice) == [("L2", 1, "level", "EUR", 500)]
    assert notice.totals == [{"currency": "EUR", "reminded": 500, "overdue": 500, "credit": 0, "demanded": 500}]
    # Months later they are still too small to remind.
    assert reasons(run(company, date(2027, 3, 1), actor))["L1"] == "below_minimum"


def test_a_large_invoice_gets_one_friendly_reminder_before_it_is_due(customers, company, actor):
    # Thursday: four days before the due date, one day too early.
    thursday = run(company, date(2026, 11, 19), actor)
    assert decisions(thursday)["M1"] == ("not_yet_due", 0, date(2026, 11, 20), "")
    assert "C6" not in notices(thursday)

    friday = run(company, FRIDAY, actor)
    notice = notices(friday)["C6"]
    assert (notice.level, notice.template, notice.deadline) == (0, "pre_due", date(2026, 11, 30))
    assert items(notice) == [("M1", 0, "pre_due", "CZK", 600000)]
    assert notice.totals == [{"currency": "CZK", "reminded": 600000, "overdue": 0, "credit": 0, "demanded": 600000}]
    # M2 is below the pre-due minimum of 5 000.00 CZK: its first reminder comes 7 days after due.
    assert decisions(friday)["M2"] == ("not_yet_due", 0, date(2026, 11, 30), "")
    assert state("M1") == (0, 0, FRIDAY, FRIDAY, None, None)
    assert Event.objects.get(kind="notice.created", customer=cust("C6")).summary.startswith("Pre-due reminder #")

    # Once only: on the due date nothing more, and the first level a week later as usual.
    monday = run(company, date(2026, 11, 23), actor)
    assert decisions(monday)["M1"] == ("not_yet_due", 0, date(2026, 11, 30), "")
    assert "C6" not in notices(monday)
    week_later = run(company, date(2026, 11, 30), actor)
    assert items(notices(week_later)["C6"]) == [
        ("M1", 1, "level", "CZK", 600000),
        ("M2", 1, "level", "CZK", 400000),
    ]
    assert Notice.objects.filter(customer=cust("C6"), level=0).count() == 1
    assert InvoiceDunning.objects.get(invoice=inv("M1")).pre_due_sent_on == FRIDAY


def test_hand_over_refuses_paid_foreign_and_already_handed_over_invoices(ledger, standard, company, actor):
    # Found in review: any invoice number was accepted, and a second hand-over rewrote the date.
    from arrears.dunning.services import DunningActionError, hand_over

    ledger(
        customers=[
            customer_row("C1", "Jana Nováková", "jana@example.cz"),
            customer_row("C2", "Petr Svoboda", "petr@example.cz"),
        ],
        invoices=[
            ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"],
            ["F2", "C1", "2026-10-01", "2026-10-15", "CZK", "100.00"],
            ["G1", "C2", "2026-10-01", "2026-10-15", "CZK", "800.00"],
        ],
        payments=[["P1", "C1", "2026-10-20", "CZK", "100.00", "F2"]],
    )
    with pytest.raises(DunningActionError, match="G1 belongs to another customer"):
        hand_over(cust("C1"), actor, invoices=[inv("G1")])
    with pytest.raises(DunningActionError, match="F2 has nothing outstanding"):
        hand_over(cust("C1"), actor, invoices=[inv("F2")])
    assert hand_over(cust("C1"), actor, today=date(2026, 11, 20), invoices=[inv("F1")]) == 1
    with pytest.raises(DunningActionError, match="F1 was already handed over on 2026-11-20"):
        hand_over(cust("C1"), actor, today=date(2026, 11, 27), invoices=[inv("F1")])
