"""Climbing the reminder ladder, one step per run.

Jana Nováková (C1) never paid F-OLD: 1 000.00 CZK, due Saturday 2026-08-22, so 90 days overdue on
Friday 2026-11-20, when ACME runs dunning for the first time. She also owes F-NEW (2 000.00 CZK,
due 2026-11-06, 14 days overdue) and F-FRESH (300.00 CZK, due 2026-11-12, 8 days overdue).
Petr Svoboda (C2) owes G1 (800.00 CZK, due 2026-10-30).
"""

from __future__ import annotations

from datetime import date

import pytest

from arrears.dunning.models import Notice, NoticeItem, RunDecision
from arrears.dunning.services import handover_rows
from arrears.history.models import Event
from tests.dunning.conftest import FRIDAY, customer_row, decisions, items, notices, reasons, run, state


@pytest.fixture
def jana(ledger, standard):
    ledger(
        customers=[
            customer_row("C1", "Jana Nováková", "jana@example.cz"),
            customer_row("C2", "Petr Svoboda", "petr@example.cz"),
        ],
        invoices=[
            ["F-OLD", "C1", "2026-08-08", "2026-08-22", "CZK", "1000.00"],
            ["F-NEW", "C1", "2026-10-23", "2026-11-06", "CZK", "2000.00"],
            ["F-FRESH", "C1", "2026-10-29", "2026-11-12", "CZK", "300.00"],
            ["G1", "C2", "2026-10-16", "2026-10-30", "CZK", "800.00"],
        ],
    )


def test_an_invoice_90_days_overdue_gets_the_first_reminder_first(jana, company, actor):
    result = run(company, FRIDAY, actor)

    assert (result.status, result.decisions, result.notices, result.items) == ("done", 4, 2, 4)
    notice = notices(result)["C1"]
    assert (notice.level, notice.status, notice.notice_date, notice.deadline) == (
        1,
        "created",
        FRIDAY,
        date(2026, 11, 30),
    )
    assert (notice.channel, notice.template, notice.policy_code) == ("email", "level1", "standard")
    # Every item is a first reminder, however long overdue: levels are never skipped.
    assert items(notice) == [
        ("F-OLD", 1, "level", "CZK", 100000),
        ("F-NEW", 1, "level", "CZK", 200000),
        ("F-FRESH", 1, "level", "CZK", 30000),
    ]
    assert list(NoticeItem.objects.filter(invoice__number="F-OLD").values_list("days_overdue", flat=True)) == [90]
    assert state("F-OLD") == (1, 0, FRIDAY, None, None, None)
    # Level 2 is reachable 21 days after the due date (2026-12-03 for F-FRESH), but not sooner
    # than 14 days after this reminder: 2026-12-04 for all of them.
    assert decisions(result)["F-OLD"] == ("level", 1, date(2026, 12, 4), "")
    assert decisions(result)["F-FRESH"] == ("level", 1, date(2026, 12, 4), "")


def test_one_notice_per_customer_per_run(jana, company, actor):
    result = run(company, FRIDAY, actor)

    assert Notice.objects.filter(run=result.run).count() == 2
    assert sorted(notices(result)) == ["C1", "C2"]
    assert [n for n, *_ in items(notices(result)["C2"])] == ["G1"]
    totals = notices(result)["C1"].totals
    assert totals == [{"currency": "CZK", "reminded": 330000, "overdue": 330000, "credit": 0, "demanded": 330000}]


def test_the_next_level_comes_with_a_later_run_not_sooner_than_the_spacing_allows(jana, company, actor):
    run(company, FRIDAY, actor)

    # Monday: F-OLD is far past 21 days overdue, but the first reminder went out only 3 days ago.
    monday = run(company, date(2026, 11, 23), actor)
    assert monday.notices == 0
    assert decisions(monday)["F-OLD"] == ("too_soon", 1, date(2026, 12, 4), "2026-12-04")
    assert decisions(monday)["G1"] == ("too_soon", 1, date(2026, 12, 4), "2026-12-04")

    # Two weeks after the first reminder: the second, for all of Jana's invoices and for G1.
    second = run(company, date(2026, 12, 4), actor)
    assert [(n, lv, r) for n, lv, r, *_ in items(notices(second)["C1"])] == [
        ("F-OLD", 2, "level"),
        ("F-NEW", 2, "level"),
        ("F-FRESH", 2, "level"),
    ]
    assert [(n, lv) for n, lv, *_ in items(notices(second)["C2"])] == [("G1", 2)]
    assert notices(second)["C1"].level == 2
    assert state("F-OLD") == (2, 0, date(2026, 12, 4), None, None, None)


def test_weeks_without_runs_never_cause_a_burst_of_levels(jana, company, actor):
    run(company, FRIDAY, actor)

    # The server was down until mid-January: F-OLD is 146 days overdue, level 4 would be reachable
    # by the calendar, but it gets level 2, the one after the reminder it really received.
    later = run(company, date(2027, 1, 15), actor)

    notice = notices(later)["C1"]
    assert notice.level == 2
    assert {n: lv for n, lv, *_ in items(notice)} == {"F-OLD": 2, "F-NEW": 2, "F-FRESH": 2}
    assert NoticeItem.objects.filter(invoice__number="F-OLD").count() == 2
    assert state("F-OLD") == (2, 0, date(2027, 1, 15), None, None, None)
    assert decisions(later)["F-OLD"] == ("level", 2, date(2027, 1, 29), "")

    # And one more step per run from there, each at least 14 days after the previous.
    assert reasons(run(company, date(2027, 1, 22), actor))["F-OLD"] == "too_soon"
    third = run(company, date(2027, 1, 29), actor)
    assert items(notices(third)["C1"])[0] == ("F-OLD", 3, "level", "CZK", 100000)
    assert notices(third)["C1"].channel == "both"


def test_the_last_level_hands_the_invoice_over_and_it_is_never_reminded_again(jana, company, actor):
    days = [FRIDAY, date(2026, 12, 4), date(2026, 12, 18), date(2027, 1, 4)]
    results = [run(company, day, actor) for day in days]

    assert [notices(r)["C2"].level for r in results] == [1, 2, 3, 4]
    final = notices(results[-1])["C2"]
    assert (final.channel, final.template) == ("letter", "final")
    assert list(final.items.values_list("action", flat=True)) == ["handover"]
    assert state("G1") == (4, 0, date(2027, 1, 4), None, None, date(2027, 1, 4))
    event = Event.objects.get(kind="invoice.handed_over", invoice__number="G1")
    assert event.summary == "G1 handed over to external collection at level 4"

    rows = [r for r in handover_rows(company.pk) if r["customer_id"] == "C2"]
    assert rows == [
        {
            "customer_id": "C2",
            "customer_name": "Petr Svoboda",
            "address": "CZ",
            "invoice": "G1",
            "issue_date": "2026-10-16",
            "due_date": "2026-10-30",
            "currency": "CZK",
            "amount": "800.00",
            "outstanding": "800.00",
            "level": "4",
            "handed_over_on": "2027-01-04",
        }
    ]

    # Months later G1 is still open, and still not reminded: it is with the collection agency.
    later = run(company, date(2027, 3, 1), actor)
    assert decisions(later)["G1"] == ("handed_over", 4, None, "2027-01-04")
    assert "C2" not in notices(later)
    assert NoticeItem.objects.filter(invoice__number="G1").count() == 4


def test_every_level_is_reached_exactly_once_whatever_the_run_days(jana, company, actor):
    # A run every working day from November to February: F-OLD climbs 1, 2, 3, 4, each once.
    day = FRIDAY
    while day < date(2027, 2, 26):
        run(company, day, actor)
        day = date.fromordinal(day.toordinal() + 1)

    steps = list(
        NoticeItem.objects.filter(invoice__number="F-OLD")
        .order_by("notice__notice_date")
        .values_list("level", "notice__notice_date")
    )
    # Each step 14 days after the previous one; the fourth would be due on 2027-01-01, a public
    # holiday (and a Friday), so it goes out on the next sending day, Monday 2027-01-04.
    assert steps == [
        (1, date(2026, 11, 20)),
        (2, date(2026, 12, 4)),
        (3, date(2026, 12, 18)),
        (4, date(2027, 1, 4)),
    ]
    assert RunDecision.objects.filter(invoice__number="F-OLD", reason="handed_over").exists()


REPEATING = """
[[policy]]
code = "repeating"
name = "Repeat the first reminder; the final notice only for large amounts"
default = true

[[policy.level]]
name = "Reminder"
days_after_due = 7
repeat_every_days = 7
repeat_max = 2
template = "reminder"

[[policy.level]]
name = "Final notice"
days_after_due = 30
min_days_since_previous = 7
min_amount = { CZK = "5000.00" }
template = "final"
"""


def test_a_level_repeats_and_a_small_invoice_never_reaches_the_final_notice(ledger, load_policy, company, actor):
    # Rudolf (C9) owes R1 (1 000.00 CZK) and R2 (8 000.00 CZK), both due 2026-11-06.
    ledger(
        customers=[customer_row("C9", "Rudolf Nový", "rudolf@example.cz")],
        invoices=[
            ["R1", "C9", "2026-10-23", "2026-11-06", "CZK", "1000.00"],
            ["R2", "C9", "2026-10-23", "2026-11-06", "CZK", "8000.00"],
        ],
    )
    load_policy(REPEATING)
    days = [FRIDAY, date(2026, 11, 27), date(2026, 12, 4)]

    steps = [[(n, lv, r) for n, lv, r, *_ in items(notices(run(company, day, actor))["C9"])] for day in days]

    assert steps == [
        [("R1", 1, "level"), ("R2", 1, "level")],
        [("R1", 1, "repeat"), ("R2", 1, "repeat")],
        [("R1", 1, "repeat"), ("R2", 1, "repeat")],
    ]
    assert list(
        NoticeItem.objects.filter(invoice__number="R1").order_by("id").values_list("repetition", flat=True)
    ) == [0, 1, 2]
    assert state("R1") == (1, 2, date(2026, 12, 4), None, None, None)

    # Repetitions used up: R2 goes on to the final notice 7 days after the last reminder; R1 is
    # below the final notice's minimum and gets nothing more.
    monday = run(company, date(2026, 12, 7), actor)
    assert decisions(monday)["R1"] == ("below_level_minimum", 1, None, "500000")
    assert decisions(monday)["R2"] == ("too_soon", 1, date(2026, 12, 11), "2026-12-11")
    final = run(company, date(2026, 12, 11), actor)
    assert items(notices(final)["C9"]) == [("R2", 2, "level", "CZK", 800000)]
    assert notices(final)["C9"].template == "final"
    assert reasons(final)["R1"] == "below_level_minimum"
