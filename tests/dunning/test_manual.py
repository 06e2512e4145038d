"""Reminding by hand: the credit controller picks invoices and sends a reminder now.

Jana (C1) owes F1 (1 000.00 CZK, due 2026-10-15), F2 (500.00 CZK, due 2026-11-02) and F3
(200.00 EUR, due 2026-10-20); F4 (300.00 CZK) she has paid. Each of F1-F3 got its first reminder
on Friday 2026-11-20. F5 (600.00 CZK, due 2026-11-16) came too late for that run. Petr (C2) owes
G1 (800.00 CZK). Bohdan (C3) is a key account (group vip, policy "gentle" with two levels) and
owes B1 (1 000.00 CZK, due 2026-10-01).
"""

from __future__ import annotations

from datetime import date

import pytest

from arrears.dunning.models import Notice, NoticeItem
from arrears.dunning.services import DunningActionError, create_manual_notice, default_deadline
from arrears.history.models import Event
from tests.dunning.conftest import (
    FRIDAY,
    GENTLE,
    STANDARD,
    cust,
    customer_row,
    decisions,
    inv,
    items,
    notices,
    run,
    state,
    table_counts,
)

WEDNESDAY = date(2026, 11, 25)


@pytest.fixture
def book(ledger, load_policy, company, actor):
    ledger(
        customers=[
            customer_row("C1", "Jana Nováková", "jana@example.cz"),
            customer_row("C2", "Petr Svoboda", "petr@example.cz"),
            customer_row("C3", "Bohdan Král", "bohdan@example.cz", "vip"),
        ],
        invoices=[
            ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"],
            ["F2", "C1", "2026-10-19", "2026-11-02", "CZK", "500.00"],
            ["F3", "C1", "2026-10-06", "2026-10-20", "EUR", "200.00"],
            ["F4", "C1", "2026-10-06", "2026-10-20", "CZK", "300.00"],
            ["G1", "C2", "2026-10-01", "2026-10-15", "CZK", "800.00"],
            ["B1", "C3", "2026-09-17", "2026-10-01", "CZK", "1000.00"],
        ],
        payments=[["P1", "C1", "2026-10-25", "CZK", "300.00", "F4"]],
    )
    load_policy(STANDARD, GENTLE, '[assign]\ngroups = { vip = "gentle" }')
    run(company, FRIDAY, actor)
    ledger(invoices=[["F5", "C1", "2026-11-02", "2026-11-16", "CZK", "600.00"]])


def remind(numbers, *, customer="C1", deadline=date(2026, 12, 7), note="", today=WEDNESDAY, actor):
    return create_manual_notice(
        cust(customer), [inv(n) for n in numbers], actor, deadline=deadline, note=note, today=today
    )


def test_a_manual_reminder_puts_each_invoice_at_its_next_level(book, company, actor):
    notice = remind(["F1", "F5"], note="Call before Friday", actor=actor)

    assert (notice.level, notice.status, notice.manual, notice.note) == (2, "created", True, "Call before Friday")
    assert (notice.notice_date, notice.deadline, notice.channel) == (WEDNESDAY, date(2026, 12, 7), "email")
    assert (notice.policy_code, notice.template, notice.run_id) == ("standard", "level2", None)
    assert items(notice) == [("F1", 2, "level", "CZK", 100000), ("F5", 1, "level", "CZK", 60000)]
    assert notice.totals == [
        {"currency": "CZK", "reminded": 160000, "overdue": 160000, "credit": 0, "demanded": 160000}
    ]
    assert state("F1") == (2, 0, WEDNESDAY, None, None, None)
    assert state("F5") == (1, 0, WEDNESDAY, None, None, None)
    event = Event.objects.get(kind="notice.created", data__notice=notice.pk)
    assert event.summary == (
        f"Level 2 reminder #{notice.pk} (manual, email) about F1, F5: demanding 1600.00 CZK; note: Call before Friday"
    )
    assert (event.customer_id, event.actor_label) == (cust("C1").pk, "test")


def test_a_manual_reminder_counts_as_the_previous_notice_for_the_next_run(book, company, actor):
    remind(["F1", "F5"], actor=actor)

    result = run(company, date(2026, 12, 4), actor)

    # F2 and F3 go on to level 2 (14 days after 2026-11-20); F1 and F5 were reminded on 2026-11-25.
    assert [(n, lv) for n, lv, *_ in items(notices(result)["C1"])] == [("F2", 2), ("F3", 2)]
    assert decisions(result)["F1"] == ("too_soon", 2, date(2026, 12, 9), "2026-12-09")
    assert decisions(result)["F5"] == ("too_soon", 1, date(2026, 12, 9), "2026-12-09")


def test_at_the_last_level_a_manual_reminder_repeats_it_under_the_customers_group_policy(book, company, actor):
    # The gentle policy has two levels: 1, 2, then level 2 again.
    steps = [remind(["B1"], customer="C3", today=date(2026, 11, 23 + i), actor=actor) for i in range(3)]

    assert [list(n.items.values_list("level", "repetition", "reason")) for n in steps] == [
        [(1, 0, "level")],
        [(2, 0, "level")],
        [(2, 1, "repeat")],
    ]
    assert [(n.level, n.policy_code, n.template) for n in steps] == [
        (1, "gentle", "friendly"),
        (2, "gentle", "level2"),
        (2, "gentle", "level2"),
    ]
    assert state("B1") == (2, 1, date(2026, 11, 25), None, None, None)
    # The gentle policy gives 14 days to pay, the standard one 10.
    assert default_deadline(cust("C3"), WEDNESDAY) == date(2026, 12, 9)
    assert default_deadline(cust("C1"), WEDNESDAY) == date(2026, 12, 5)


@pytest.mark.parametrize(
    ("numbers", "options", "message"),
    [
        (["F1"], {"note": "x" * 51}, "the note has 51 characters; at most 50 are allowed"),
        (["F1"], {"deadline": date(2026, 11, 24)}, "the payment deadline 2026-11-24 is in the past"),
        (["F1", "G1"], {}, "G1 belongs to another customer"),
        (["F4"], {}, "F4 has nothing outstanding"),
        ([], {}, "choose at least one invoice"),
    ],
)
def test_manual_reminders_that_make_no_sense_are_refused(book, actor, numbers, options, message):
    before = table_counts()

    with pytest.raises(DunningActionError) as excinfo:
        remind(numbers, actor=actor, **options)

    assert str(excinfo.value) == message
    assert table_counts() == before
    assert state("F1") == (1, 0, FRIDAY, None, None, None)


def test_a_note_of_exactly_50_characters_and_a_deadline_of_today_are_fine(book, actor):
    note = "Zavolat před pátkem, slíbila zaplatit do 30. 11. ."
    assert len(note) == 50

    notice = remind(["F3"], note=f"  {note}  ", deadline=WEDNESDAY, actor=actor)

    assert (notice.note, notice.deadline, notice.level) == (note, WEDNESDAY, 2)
    assert items(notice) == [("F3", 2, "level", "EUR", 20000)]
    assert Notice.objects.filter(manual=True).count() == 1
    assert NoticeItem.objects.filter(invoice__number="F3").count() == 2


def test_a_reminder_by_hand_nets_the_customers_credit(book, ledger, actor):
    # Found in review: a manual reminder demanded the full amount although Jana had credit.
    ledger(payments=[["P7", "C1", "2026-11-24", "CZK", "300.00", ""]])

    notice = create_manual_notice(cust("C1"), [inv("F1")], actor, deadline=date(2026, 12, 9), today=WEDNESDAY)

    assert notice.totals == [
        {"currency": "CZK", "reminded": 100000, "overdue": 100000, "credit": 30000, "demanded": 70000}
    ]


def test_a_reminder_by_hand_asks_only_for_what_is_late(book, ledger, actor):
    ledger(invoices=[["F9", "C1", "2026-11-20", "2026-12-15", "CZK", "100.00"]])
    with pytest.raises(DunningActionError, match=r"^F9 is not overdue yet \(due 2026-12-15\)"):
        create_manual_notice(cust("C1"), [inv("F9")], actor, deadline=date(2026, 12, 9), today=WEDNESDAY)
