"""decide() as small credit-controller stories (see the rules in the docstring of arrears.core.engine).

The standard policy of these stories:
- tolerance: invoices below 50.00 CZK or 5.00 EUR are never reminded;
- a friendly pre-due reminder 3 days before the due date, for invoices of at least 1,000 CZK;
- level 1 at 14 days after the due date;
- level 2 at 28 days, at least 10 days after the previous notice, only from 50.00 EUR;
- level 3 at 42 days, at least 10 days after the previous notice, repeated every 7 days at most twice.
Jana's invoice of 1,210 CZK is due on Thursday 1 October 2026.
"""

from datetime import date, timedelta

import pytest

from arrears.core.engine import (
    NOTICE_REASONS,
    Decision,
    DunningState,
    InvoiceFacts,
    Reason,
    after_notice,
    decide,
    explain,
    next_reminder_on,
)
from arrears.core.policy import Level, Policy, PreDue

DUE = date(2026, 10, 1)


def on(day_of_october_or_date, month=10):
    return date(2026, month, day_of_october_or_date)


def days_after_due(n):
    return DUE + timedelta(days=n)


def standard_policy(**changes):
    fields = {
        "code": "std",
        "name": "Standard",
        "levels": (
            Level(1, "First reminder", 14),
            Level(2, "Second reminder", 28, min_days_since_previous=10, min_amounts={"EUR": 5000}),
            Level(3, "Final notice", 42, min_days_since_previous=10, repeat_every_days=7, repeat_max=2),
        ),
        "pre_due": PreDue(3, {"CZK": 100000}),
        "min_amounts": {"CZK": 5000, "EUR": 500},
    }
    fields.update(changes)
    return Policy(**fields)


POLICY = standard_policy()
NO_PRE_DUE = standard_policy(pre_due=None)


def jana(**changes):
    """Jana's invoice: 1,210 CZK, due on 1 October 2026."""
    fields = {"invoice_id": 1, "customer_id": 10, "currency": "CZK", "due_date": DUE, "outstanding": 121000}
    fields.update(changes)
    return InvoiceFacts(**fields)


NEW = DunningState()


def reminded(level, last_notice_on, repetitions=0, **changes):
    return DunningState(level=level, repetitions=repetitions, last_notice_on=last_notice_on, **changes)


# --- decisions that stop everything -------------------------------------------------------------


@pytest.mark.parametrize("outstanding", [0, -500])
def test_a_paid_or_overpaid_invoice_gets_no_reminder(outstanding):
    decision = decide(jana(outstanding=outstanding), reminded(1, on(15)), POLICY, on(30))
    assert decision == Decision(Reason.PAID, 1)
    assert decision.sends is False
    assert explain(decision) == "paid"


def test_paid_wins_over_everything_else():
    facts = jana(outstanding=0, dunning_enabled=False, disputed=True, paused_until=on(1, 12))
    state = DunningState(stopped_on=on(10), handed_over_on=on(20))
    assert decide(facts, state, POLICY, on(30)).reason == Reason.PAID


def test_a_handed_over_invoice_is_left_to_the_collection_agency():
    # Jana's invoice went to the collection agency on 20 November; the engine does not touch it again.
    state = reminded(3, on(12, 11), handed_over_on=on(20, 11))
    decision = decide(jana(), state, POLICY, on(1, 12))
    assert decision == Decision(Reason.HANDED_OVER, 3, detail="2026-11-20")
    assert explain(decision) == "handed over to external collection on 2026-11-20"


def test_handed_over_wins_over_stopped():
    state = DunningState(stopped_on=on(10), handed_over_on=on(20))
    assert decide(jana(), state, POLICY, on(30)).reason == Reason.HANDED_OVER


def test_reminding_stopped_by_hand():
    # The controller stopped the reminders for Jana's invoice on 16 October after a phone call.
    state = reminded(1, on(15), stopped_on=on(16))
    decision = decide(jana(), state, POLICY, on(30, 11))
    assert decision == Decision(Reason.STOPPED, 1, detail="2026-10-16")
    assert explain(decision) == "reminding stopped by hand on 2026-10-16"


def test_stopped_wins_over_exclusions():
    facts = jana(customer_dunning_enabled=False, dunning_enabled=False)
    assert decide(facts, DunningState(stopped_on=on(2)), POLICY, on(30)).reason == Reason.STOPPED


def test_customer_excluded_from_dunning():
    decision = decide(jana(customer_dunning_enabled=False), NEW, POLICY, on(20))
    assert decision == Decision(Reason.EXCLUDED_CUSTOMER, 0)
    assert explain(decision) == "excluded: dunning is off for the customer"


def test_customer_exclusion_wins_over_invoice_exclusion():
    facts = jana(customer_dunning_enabled=False, dunning_enabled=False)
    assert decide(facts, NEW, POLICY, on(20)).reason == Reason.EXCLUDED_CUSTOMER


def test_invoice_excluded_from_dunning():
    decision = decide(jana(dunning_enabled=False), reminded(1, on(15)), POLICY, on(20, 11))
    assert decision == Decision(Reason.EXCLUDED_INVOICE, 1)
    assert explain(decision) == "excluded: dunning is off for the invoice"


@pytest.mark.parametrize("where", ["disputed", "customer_disputed"])
def test_a_disputed_invoice_or_customer_gets_no_reminder(where):
    decision = decide(jana(**{where: True}), NEW, POLICY, on(20))
    assert decision == Decision(Reason.DISPUTED, 0)
    assert explain(decision) == "disputed"


def test_disputed_wins_over_a_pause():
    facts = jana(disputed=True, paused_until=on(30))
    assert decide(facts, NEW, POLICY, on(20)).reason == Reason.DISPUTED


# --- pauses -------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["paused_until", "customer_paused_until"])
def test_paused_until_the_end_of_the_pause_and_resumes_the_day_after(where):
    # Jana promised to pay after her own customer pays; the controller pauses reminders until 1 December.
    facts = jana(**{where: on(1, 12)})
    for today in (on(20), on(30, 11), on(1, 12)):
        decision = decide(facts, NEW, POLICY, today)
        assert decision == Decision(Reason.PAUSED, 0, next_possible_on=on(2, 12), detail="2026-12-01")
        assert explain(decision) == "paused until 2026-12-01"
    # On 2 December the pause is over: the first reminder is due, and level 2 could follow 10 days later.
    assert decide(facts, NEW, POLICY, on(2, 12)) == Decision(Reason.LEVEL, 1, next_possible_on=on(12, 12))


@pytest.mark.parametrize(
    ("invoice_pause", "customer_pause", "later"),
    [
        (on(1, 11), on(15, 11), on(15, 11)),
        (on(15, 11), on(1, 11), on(15, 11)),
        (on(15, 11), None, on(15, 11)),
        (None, on(15, 11), on(15, 11)),
    ],
)
def test_the_later_pause_wins(invoice_pause, customer_pause, later):
    facts = jana(paused_until=invoice_pause, customer_paused_until=customer_pause)
    decision = decide(facts, NEW, POLICY, on(5, 11))
    assert decision.reason == Reason.PAUSED
    assert decision.detail == later.isoformat()
    assert decision.next_possible_on == later + timedelta(days=1)
    # Between the two pauses the later one still holds.
    assert decide(facts, NEW, POLICY, on(10, 11)).reason == Reason.PAUSED
    assert decide(facts, NEW, POLICY, on(16, 11)).reason == Reason.LEVEL


def test_a_pause_in_the_past_is_ignored():
    facts = jana(paused_until=on(10), customer_paused_until=on(12))
    assert decide(facts, NEW, POLICY, on(20)) == Decision(Reason.LEVEL, 1, next_possible_on=on(30))


def test_a_pause_keeps_the_current_level():
    facts = jana(customer_paused_until=on(30, 11))
    decision = decide(facts, reminded(2, on(30)), POLICY, on(20, 11))
    assert (decision.reason, decision.level) == (Reason.PAUSED, 2)


# --- tolerance ----------------------------------------------------------------------------------


def test_below_the_policy_minimum_is_never_reminded():
    # 49.99 CZK left after a partial payment: below the 50 CZK tolerance, never worth a letter.
    decision = decide(jana(outstanding=4999), NEW, POLICY, days_after_due(90))
    assert decision == Decision(Reason.BELOW_MINIMUM, 0)
    assert explain(decision) == "below the policy's minimum amount"


def test_exactly_the_policy_minimum_is_reminded():
    assert decide(jana(outstanding=5000), NEW, POLICY, days_after_due(14)) == Decision(
        Reason.LEVEL, 1, next_possible_on=on(29)
    )


def test_the_policy_minimum_is_per_currency():
    # 4.99 EUR is below the EUR tolerance; 1 yen is reminded because there is no JPY tolerance.
    eur = jana(currency="EUR", outstanding=499)
    assert decide(eur, NEW, POLICY, days_after_due(20)).reason == Reason.BELOW_MINIMUM
    jpy = jana(currency="JPY", outstanding=1)
    assert decide(jpy, NEW, POLICY, days_after_due(20)) == Decision(Reason.LEVEL, 1, next_possible_on=on(31))


# --- before the due date ------------------------------------------------------------------------


def test_not_yet_due_without_a_pre_due_reminder():
    decision = decide(jana(), NEW, NO_PRE_DUE, on(20, 9))
    assert decision == Decision(Reason.NOT_YET_DUE, 0, next_possible_on=on(15))
    assert explain(decision) == "not yet due"
    assert decision.sends is False


def test_on_the_due_date_itself_the_invoice_is_not_yet_overdue():
    assert decide(jana(), NEW, NO_PRE_DUE, DUE) == Decision(Reason.NOT_YET_DUE, 0, next_possible_on=on(15))


def test_a_level_at_zero_days_is_reached_the_day_after_the_due_date():
    policy = standard_policy(levels=(Level(1, "Reminder", 0),), pre_due=None)
    assert decide(jana(), NEW, policy, DUE) == Decision(Reason.NOT_YET_DUE, 0, next_possible_on=on(2))
    assert decide(jana(), NEW, policy, on(2)) == Decision(Reason.LEVEL, 1)


def test_not_yet_due_points_to_the_pre_due_day_when_a_pre_due_reminder_applies():
    # 1,210 CZK is above the 1,000 CZK pre-due minimum: the next thing to happen is the friendly reminder.
    assert decide(jana(), NEW, POLICY, on(20, 9)) == Decision(Reason.NOT_YET_DUE, 0, next_possible_on=on(28, 9))
    assert decide(jana(), NEW, POLICY, on(27, 9)) == Decision(Reason.NOT_YET_DUE, 0, next_possible_on=on(28, 9))


@pytest.mark.parametrize("today", [date(2026, 9, 28), date(2026, 9, 30), DUE])
def test_pre_due_reminder_on_and_after_its_day_until_the_due_date(today):
    decision = decide(jana(), NEW, POLICY, today)
    assert decision == Decision(Reason.PRE_DUE, 0, next_possible_on=on(15))
    assert decision.sends is True
    assert explain(decision) == "due for the reminder before the due date"


def test_pre_due_reminder_goes_out_only_once():
    state = after_notice(NEW, decide(jana(), NEW, POLICY, on(28, 9)), on(28, 9))
    assert state == DunningState(0, 0, last_notice_on=on(28, 9), pre_due_sent_on=on(28, 9))
    for today in (on(28, 9), on(29, 9), DUE):
        assert decide(jana(), state, POLICY, today) == Decision(Reason.NOT_YET_DUE, 0, next_possible_on=on(15))


def test_pre_due_reminder_only_above_its_minimum():
    # 999.99 CZK is reminded after the due date but gets no friendly reminder before it.
    small = jana(outstanding=99999)
    assert decide(small, NEW, POLICY, on(29, 9)) == Decision(Reason.NOT_YET_DUE, 0, next_possible_on=on(15))
    # Exactly 1,000 CZK gets one.
    assert decide(jana(outstanding=100000), NEW, POLICY, on(29, 9)).reason == Reason.PRE_DUE
    # An invoice in EUR has no pre-due minimum in this policy.
    assert decide(jana(currency="EUR", outstanding=600), NEW, POLICY, on(29, 9)).reason == Reason.PRE_DUE


def test_a_missed_pre_due_reminder_is_not_sent_after_the_due_date():
    decision = decide(jana(), NEW, POLICY, on(2))
    assert decision == Decision(Reason.TOO_SOON, 0, next_possible_on=on(15), detail="2026-10-15")


def test_the_first_level_respects_the_days_since_the_pre_due_reminder():
    policy = standard_policy(levels=(Level(1, "First reminder", 1, min_days_since_previous=7),), pre_due=PreDue(3, {}))
    state = after_notice(NEW, Decision(Reason.PRE_DUE), on(30, 9))
    assert decide(jana(), state, policy, DUE) == Decision(Reason.NOT_YET_DUE, 0, next_possible_on=on(7))
    assert decide(jana(), state, policy, on(2)).next_possible_on == on(7)
    assert decide(jana(), state, policy, on(6)).reason == Reason.TOO_SOON
    assert decide(jana(), state, policy, on(7)) == Decision(Reason.LEVEL, 1)


def test_pre_due_next_possible_on_counts_the_pre_due_notice():
    # Pre-due reminder 3 days before the due date (28 September); level 1 one day after due, but not
    # sooner than 7 days after the previous notice: 5 October.
    policy = standard_policy(levels=(Level(1, "Reminder", 1, min_days_since_previous=7),), pre_due=PreDue(3, {}))
    decision = decide(jana(), NEW, policy, on(28, 9))
    assert decision.reason == Reason.PRE_DUE
    state = after_notice(NEW, decision, on(28, 9))
    assert next_reminder_on(jana(), state, policy, on(29, 9)) == on(5)
    assert decision.next_possible_on == on(5)


# --- level 1 ------------------------------------------------------------------------------------


def test_first_reminder_when_level_one_days_are_reached():
    # Jana's invoice was due on 1 October; on 20 October, with level 1 at 14 days, she is due for a
    # first reminder. Level 2 (28 days, 10 days after the previous notice) could follow on 30 October.
    decision = decide(jana(), NEW, POLICY, on(20))
    assert decision == Decision(Reason.LEVEL, 1, repetition=0, next_possible_on=on(30))
    assert explain(decision) == "due for level 1"


def test_first_reminder_exactly_on_the_fourteenth_day_and_not_a_day_earlier():
    assert decide(jana(), NEW, POLICY, on(14)) == Decision(
        Reason.TOO_SOON, 0, next_possible_on=on(15), detail="2026-10-15"
    )
    # Sent on 15 October, level 2 is possible at 28 days (29 October), 14 days after the first reminder.
    assert decide(jana(), NEW, POLICY, on(15)) == Decision(Reason.LEVEL, 1, next_possible_on=on(29))


@pytest.mark.parametrize("overdue_days", [29, 43, 90, 400])
def test_a_first_reminder_is_level_one_however_late(overdue_days):
    # The company started using arrears late: an invoice 90 days overdue still starts with level 1.
    assert decide(jana(), NEW, POLICY, days_after_due(overdue_days)) == Decision(
        Reason.LEVEL, 1, next_possible_on=days_after_due(overdue_days + 10)
    )


# --- level 2 and further ------------------------------------------------------------------------


def test_level_two_needs_ten_days_after_the_first_reminder():
    # The first reminder went out on 20 October. Level 2 is reachable at 28 days (29 October), but
    # not sooner than 10 days after the first reminder: 30 October.
    state = reminded(1, on(20))
    too_soon = decide(jana(), state, POLICY, on(29))
    assert too_soon == Decision(Reason.TOO_SOON, 1, next_possible_on=on(30), detail="2026-10-30")
    assert explain(too_soon) == "too soon since the last notice, next possible on 2026-10-30"
    # Level 3 is possible at 42 days, 12 November (more than 10 days after 30 October).
    assert decide(jana(), state, POLICY, on(30)) == Decision(Reason.LEVEL, 2, next_possible_on=on(12, 11))


def test_level_two_waits_for_its_days_after_due_when_the_first_reminder_was_early():
    # The first reminder went out on 15 October; 10 days later is 25 October, but level 2 is at 28 days.
    state = reminded(1, on(15))
    assert decide(jana(), state, POLICY, on(26)) == Decision(
        Reason.TOO_SOON, 1, next_possible_on=on(29), detail="2026-10-29"
    )
    assert decide(jana(), state, POLICY, on(29)) == Decision(Reason.LEVEL, 2, next_possible_on=on(12, 11))


def test_levels_are_never_skipped_even_long_after_the_last_one_is_reachable():
    # First reminder on 30 December (90 days); on 9 January level 2 is due, not level 3.
    state = reminded(1, days_after_due(90))
    assert decide(jana(), state, POLICY, days_after_due(100)) == Decision(
        Reason.LEVEL, 2, next_possible_on=days_after_due(110)
    )
    state = reminded(2, days_after_due(100))
    assert decide(jana(), state, POLICY, days_after_due(105)).reason == Reason.TOO_SOON
    # The final notice; its first repetition could follow 7 days later.
    assert decide(jana(), state, POLICY, days_after_due(110)) == Decision(
        Reason.LEVEL, 3, next_possible_on=days_after_due(117)
    )


def test_below_a_levels_minimum_amount_in_that_currency():
    # Klaus owes 49.99 EUR after the first reminder: level 2 asks for at least 50.00 EUR.
    klaus = jana(currency="EUR", outstanding=4999)
    decision = decide(klaus, reminded(1, on(15)), POLICY, on(20, 11))
    assert decision == Decision(Reason.BELOW_LEVEL_MINIMUM, 1, detail="5000")
    assert explain(decision, "EUR") == "below the minimum of level 2 (50.00 EUR)"
    # 50.00 EUR is enough.
    level_two = Decision(Reason.LEVEL, 2, next_possible_on=on(30, 11))
    assert decide(jana(currency="EUR", outstanding=5000), reminded(1, on(15)), POLICY, on(20, 11)) == level_two
    # The minimum is in EUR only: 1 CZK above the tolerance of 50 CZK may reach level 2.
    assert decide(jana(outstanding=5001), reminded(1, on(15)), POLICY, on(20, 11)) == level_two


def test_below_the_first_levels_minimum():
    policy = standard_policy(levels=(Level(1, "First reminder", 14, min_amounts={"JPY": 1000}),))
    decision = decide(jana(currency="JPY", outstanding=999), NEW, policy, on(20))
    assert decision == Decision(Reason.BELOW_LEVEL_MINIMUM, 0, detail="1000")
    assert explain(decision, "JPY") == "below the minimum of level 1 (1000 JPY)"


def test_repetitions_go_on_when_the_next_level_is_out_of_reach_by_amount():
    # Klaus owes 40.00 EUR after his first reminder on 15 October. Level 1 repeats every 7 days up to
    # 3 times; level 2 needs 50.00 EUR, so it never comes, but the repetitions of level 1 still do.
    policy = standard_policy(
        levels=(
            Level(1, "Reminder", 14, repeat_every_days=7, repeat_max=3),
            Level(2, "Final notice", 28, min_amounts={"EUR": 5000}),
        ),
        pre_due=None,
    )
    klaus = jana(currency="EUR", outstanding=4000)
    state = reminded(1, on(15))
    assert decide(klaus, state, policy, on(21)) == Decision(
        Reason.TOO_SOON, 1, next_possible_on=on(22), detail="2026-10-22"
    )
    expected = [
        (on(22), Decision(Reason.REPEAT, 1, repetition=1, next_possible_on=on(29))),
        (on(29), Decision(Reason.REPEAT, 1, repetition=2, next_possible_on=on(5, 11))),
        (on(5, 11), Decision(Reason.REPEAT, 1, repetition=3, next_possible_on=None)),
    ]
    for today, decision in expected:
        assert decide(klaus, state, policy, today) == decision
        state = after_notice(state, decision, today)
    done = decide(klaus, state, policy, on(30, 11))
    assert done == Decision(Reason.BELOW_LEVEL_MINIMUM, 1, detail="5000")
    assert explain(done, "EUR") == "below the minimum of level 2 (50.00 EUR)"


def test_below_the_first_levels_minimum_there_is_no_next_reminder_even_before_the_due_date():
    # Level 1 asks for at least 2,000 CZK; Jana's 1,210 CZK will never be reminded, so no date is promised.
    policy = standard_policy(levels=(Level(1, "First reminder", 14, min_amounts={"CZK": 200000}),), pre_due=None)
    assert decide(jana(), NEW, policy, on(15)) == Decision(Reason.BELOW_LEVEL_MINIMUM, 0, detail="200000")
    assert decide(jana(), NEW, policy, on(20, 9)) == Decision(Reason.NOT_YET_DUE, 0, next_possible_on=None)
    assert next_reminder_on(jana(), NEW, policy, on(20, 9)) is None
    assert next_reminder_on(jana(), NEW, policy, on(15)) is None
    # With a pre-due reminder (no minimum), that one still goes out, and nothing is promised after it.
    with_pre_due = standard_policy(levels=policy.levels, pre_due=PreDue(3, {}))
    assert decide(jana(), NEW, with_pre_due, on(28, 9)) == Decision(Reason.PRE_DUE, 0, next_possible_on=None)


# --- repetitions and the end of the ladder ------------------------------------------------------


def test_the_final_notice_repeats_every_seven_days_at_most_twice():
    # The final notice went out on 12 November (42 days).
    state = reminded(3, on(12, 11))
    assert decide(jana(), state, POLICY, on(18, 11)) == Decision(
        Reason.TOO_SOON, 3, next_possible_on=on(19, 11), detail="2026-11-19"
    )
    first = decide(jana(), state, POLICY, on(19, 11))
    assert first == Decision(Reason.REPEAT, 3, repetition=1, next_possible_on=on(26, 11))
    assert explain(first) == "due for level 3 again (repetition 1)"
    state = after_notice(state, first, on(19, 11))
    assert state == reminded(3, on(19, 11), repetitions=1)
    assert decide(jana(), state, POLICY, on(25, 11)).next_possible_on == on(26, 11)
    second = decide(jana(), state, POLICY, on(26, 11))
    assert second == Decision(Reason.REPEAT, 3, repetition=2, next_possible_on=None)  # the last one
    state = after_notice(state, second, on(26, 11))
    done = decide(jana(), state, POLICY, on(31, 12))
    assert done == Decision(Reason.ALL_LEVELS_SENT, 3)
    assert explain(done) == "all levels sent; no further automatic reminder"


def test_all_levels_sent_on_a_single_level_policy_without_repetitions():
    policy = standard_policy(levels=(Level(1, "Only reminder", 14),))
    decision = decide(jana(), reminded(1, on(15)), policy, on(1, 12))
    assert decision == Decision(Reason.ALL_LEVELS_SENT, 1, next_possible_on=None)
    assert next_reminder_on(jana(), reminded(1, on(15)), policy, on(1, 12)) is None


REPEATING_FIRST_LEVEL = standard_policy(
    levels=(
        Level(1, "Reminder", 14, repeat_every_days=3, repeat_max=5),
        Level(2, "Final notice", 20),
    ),
    pre_due=None,
)


def test_the_next_level_wins_when_a_repetition_is_due_too():
    # Level 1 went out on 15 October and was repeated on 18 October. On 21 October (20 days after due)
    # both the next repetition and level 2 are due: level 2 goes out.
    state = reminded(1, on(18), repetitions=1)
    assert decide(jana(), state, REPEATING_FIRST_LEVEL, on(21)) == Decision(Reason.LEVEL, 2)


def test_repetitions_continue_until_the_next_level_is_reachable():
    state = reminded(1, on(15))
    # After this repetition, both the next one and level 2 are possible on 21 October.
    assert decide(jana(), state, REPEATING_FIRST_LEVEL, on(18)) == Decision(
        Reason.REPEAT, 1, repetition=1, next_possible_on=on(21)
    )


def test_too_soon_names_the_earlier_of_the_repetition_and_the_next_level():
    # Repeated on 19 October: the next repetition would be 22 October, level 2 is reachable on 21 October.
    state = reminded(1, on(19), repetitions=1)
    decision = decide(jana(), state, REPEATING_FIRST_LEVEL, on(20))
    assert decision == Decision(Reason.TOO_SOON, 1, next_possible_on=on(21), detail="2026-10-21")
    # Repeated on 16 October: the next repetition (19 October) comes before level 2 (21 October).
    state = reminded(1, on(16), repetitions=1)
    assert decide(jana(), state, REPEATING_FIRST_LEVEL, on(17)).next_possible_on == on(19)


def test_no_repetition_without_a_recorded_last_notice():
    # An imported state at level 1 without a date: no repetition can be timed, level 2 still can.
    state = DunningState(level=1)
    assert decide(jana(), state, REPEATING_FIRST_LEVEL, on(18)) == Decision(
        Reason.TOO_SOON, 1, next_possible_on=on(21), detail="2026-10-21"
    )


def test_deciding_again_on_the_same_day_after_a_notice_sends_nothing():
    # Jana's invoice is 90 days overdue when the company starts using arrears; the run sends level 1.
    # The run is restarted on the same day (after a crash): it must not send level 2 as well.
    policy = standard_policy(
        levels=(Level(1, "First reminder", 14), Level(2, "Second reminder", 28)),
        pre_due=None,
    )
    today = days_after_due(90)
    first = decide(jana(), NEW, policy, today)
    tomorrow = today + timedelta(days=1)
    # Level 2 has no spacing of its own, yet never on the same day as level 1: the day after.
    assert first == Decision(Reason.LEVEL, 1, next_possible_on=tomorrow)
    state = after_notice(NEW, first, today)
    assert decide(jana(), state, policy, today) == Decision(
        Reason.TOO_SOON, 1, next_possible_on=tomorrow, detail=tomorrow.isoformat()
    )
    assert decide(jana(), state, policy, tomorrow) == Decision(Reason.LEVEL, 2)


# --- after_notice ---------------------------------------------------------------------------------


def test_after_a_level_notice():
    state = DunningState(1, 2, on(15), pre_due_sent_on=on(28, 9))
    assert after_notice(state, Decision(Reason.LEVEL, 2), on(30)) == DunningState(
        level=2, repetitions=0, last_notice_on=on(30), pre_due_sent_on=on(28, 9)
    )


def test_after_a_repetition():
    state = DunningState(3, 1, on(19, 11), pre_due_sent_on=on(28, 9))
    assert after_notice(state, Decision(Reason.REPEAT, 3, repetition=2), on(26, 11)) == DunningState(
        level=3, repetitions=2, last_notice_on=on(26, 11), pre_due_sent_on=on(28, 9)
    )


def test_after_a_pre_due_reminder():
    assert after_notice(NEW, Decision(Reason.PRE_DUE), on(28, 9)) == DunningState(
        level=0, repetitions=0, last_notice_on=on(28, 9), pre_due_sent_on=on(28, 9)
    )


def test_after_notice_keeps_the_handover_date():
    state = DunningState(1, 0, on(15), handed_over_on=on(1, 12))
    assert after_notice(state, Decision(Reason.LEVEL, 2), on(2, 12)).handed_over_on == on(1, 12)


@pytest.mark.parametrize("reason", sorted(set(Reason) - NOTICE_REASONS))
def test_after_notice_refuses_a_decision_that_sends_nothing(reason):
    with pytest.raises(ValueError, match=f"a {reason} decision sends no notice"):
        after_notice(NEW, Decision(reason), on(20))


def test_sends_is_true_exactly_for_level_repeat_and_pre_due():
    assert {reason for reason in Reason if Decision(reason).sends} == {Reason.LEVEL, Reason.REPEAT, Reason.PRE_DUE}


# --- next_reminder_on -----------------------------------------------------------------------------


def test_next_reminder_on_is_today_when_a_notice_is_due():
    assert next_reminder_on(jana(), NEW, POLICY, on(20)) == on(20)


def test_next_reminder_on_follows_the_decision():
    assert next_reminder_on(jana(), NEW, POLICY, on(20, 9)) == on(28, 9)
    assert next_reminder_on(jana(), reminded(1, on(20)), POLICY, on(25)) == on(30)
    assert next_reminder_on(jana(customer_paused_until=on(1, 12)), NEW, POLICY, on(20)) == on(2, 12)


@pytest.mark.parametrize(
    ("facts", "state"),
    [
        (jana(outstanding=0), NEW),
        (jana(dunning_enabled=False), NEW),
        (jana(disputed=True), NEW),
        (jana(outstanding=100), NEW),
        (jana(), DunningState(stopped_on=on(2))),
        (jana(), reminded(3, on(12, 11), repetitions=2)),
    ],
)
def test_next_reminder_on_is_none_when_nothing_will_come(facts, state):
    assert next_reminder_on(facts, state, POLICY, on(20, 11)) is None


# --- explain --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "words"),
    [
        (Decision(Reason.LEVEL, 2), "due for level 2"),
        (Decision(Reason.REPEAT, 3, repetition=2), "due for level 3 again (repetition 2)"),
        (Decision(Reason.PRE_DUE), "due for the reminder before the due date"),
        (Decision(Reason.PAID, 1), "paid"),
        (Decision(Reason.HANDED_OVER, 3, detail="2026-11-20"), "handed over to external collection on 2026-11-20"),
        (Decision(Reason.STOPPED, 1, detail="2026-10-16"), "reminding stopped by hand on 2026-10-16"),
        (Decision(Reason.EXCLUDED_CUSTOMER), "excluded: dunning is off for the customer"),
        (Decision(Reason.EXCLUDED_INVOICE), "excluded: dunning is off for the invoice"),
        (Decision(Reason.DISPUTED), "disputed"),
        (Decision(Reason.PAUSED, detail="2026-12-01"), "paused until 2026-12-01"),
        (Decision(Reason.BELOW_MINIMUM), "below the policy's minimum amount"),
        (Decision(Reason.NOT_YET_DUE), "not yet due"),
        (
            Decision(Reason.TOO_SOON, 1, detail="2026-10-30"),
            "too soon since the last notice, next possible on 2026-10-30",
        ),
        (Decision(Reason.ALL_LEVELS_SENT, 3), "all levels sent; no further automatic reminder"),
        (Decision(Reason.CREDIT_COVERS, 1), "covered by the customer's unallocated credit in this currency"),
        (
            Decision(Reason.NOT_SENDING_DAY, detail="Saturday is not a sending day"),
            "not a sending day: Saturday is not a sending day",
        ),
    ],
    ids=lambda value: value.reason.value if isinstance(value, Decision) else None,
)
def test_explain(decision, words):
    assert explain(decision) == words


@pytest.mark.parametrize(
    ("currency", "minimum", "words"),
    [
        ("EUR", "5000", "below the minimum of level 2 (50.00 EUR)"),
        ("CZK", "150000", "below the minimum of level 2 (1500.00 CZK)"),
        ("JPY", "5000", "below the minimum of level 2 (5000 JPY)"),
        ("KWD", "5000", "below the minimum of level 2 (5.000 KWD)"),
    ],
)
def test_explain_below_a_level_minimum_formats_the_amount_in_the_currency(currency, minimum, words):
    assert explain(Decision(Reason.BELOW_LEVEL_MINIMUM, 1, detail=minimum), currency) == words


def test_every_reason_has_words():
    for reason in Reason:
        assert explain(Decision(reason, 1, detail="5000"), "EUR") != ""


# --- bugs found while writing these tests ---------------------------------------------------------


def test_explain_below_a_level_minimum_without_a_currency():
    assert explain(Decision(Reason.BELOW_LEVEL_MINIMUM, 1, detail="5000")) == "below the minimum of level 2 (5000)"


def test_an_invoice_beyond_the_last_level_of_its_new_policy():
    # Jana's invoice got the final notice (level 4) under the old 4-level policy; it now falls under the
    # standard 3-level policy. Nothing more is automatic.
    assert decide(jana(), reminded(4, on(20, 11)), POLICY, on(20, 12)) == Decision(Reason.ALL_LEVELS_SENT, 4)


def test_not_yet_due_after_the_due_date_moved_points_to_the_next_level():
    # Level 1 went out on 20 October; then the due date was moved to 15 November. The next notice is
    # level 2: 28 days after the new due date, 13 December (not level 1's 14 days, 29 November).
    moved = jana(due_date=on(15, 11))
    state = reminded(1, on(20))
    assert decide(moved, state, NO_PRE_DUE, on(13, 12)).reason == Reason.LEVEL
    assert decide(moved, state, NO_PRE_DUE, on(1, 11)) == Decision(Reason.NOT_YET_DUE, 1, next_possible_on=on(13, 12))
