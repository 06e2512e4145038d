"""Hypothesis properties of arrears.core.engine: decide(), after_notice() and the reminder ladder over time.

Generated policies have 1-4 levels with non-decreasing days, random spacing, minimum amounts and
repetitions, and an optional pre-due reminder; every generated policy passes validate(). Facts and
states are random (states stay within the policy's ladder); "today" ranges from a month before the
due date to 200 days after it. The simulations run decide() day by day (or every k days, for a
company whose runs stop for a while) and apply after_notice() whenever a notice goes out.
"""

from bisect import bisect_right
from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from arrears.core.engine import (
    Decision,
    DunningState,
    InvoiceFacts,
    Reason,
    after_notice,
    amount_thresholds,
    decide,
    next_reminder_on,
)
from arrears.core.policy import Level, Policy, PreDue, validate

CURRENCIES = ("EUR", "CZK", "JPY")
START = date(2026, 1, 1)
SIMULATED_DAYS = 200

minimums = st.dictionaries(st.sampled_from(CURRENCIES), st.integers(min_value=0, max_value=20000), max_size=3)
due_dates = st.dates(min_value=START, max_value=START + timedelta(days=120))
maybe_dates = st.one_of(st.none(), st.dates(min_value=START - timedelta(days=60), max_value=date(2026, 12, 31)))


@st.composite
def levels(draw):
    count = draw(st.integers(min_value=1, max_value=4))
    days = sorted(draw(st.lists(st.integers(min_value=0, max_value=60), min_size=count, max_size=count)))
    result = []
    for number, days_after_due in enumerate(days, 1):
        repeat_max = draw(st.integers(min_value=0, max_value=3))
        if repeat_max:
            every = draw(st.integers(min_value=1, max_value=20))
        else:
            every = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=20)))
        result.append(
            Level(
                number,
                f"Level {number}",
                days_after_due,
                min_days_since_previous=draw(st.integers(min_value=0, max_value=20)),
                repeat_every_days=every,
                repeat_max=repeat_max,
                min_amounts=draw(st.one_of(st.just({}), minimums)),
            )
        )
    return tuple(result)


@st.composite
def policies(draw):
    pre_due = draw(
        st.one_of(
            st.none(),
            st.builds(PreDue, st.integers(min_value=1, max_value=10), st.one_of(st.just({}), minimums)),
        )
    )
    policy = Policy(
        "gen",
        "Generated",
        draw(levels()),
        pre_due=pre_due,
        min_amounts=draw(st.one_of(st.just({}), minimums)),
    )
    assert validate(policy) == []
    return policy


@st.composite
def clean_facts(draw, due=None):
    """An open invoice nobody has stopped, excluded, disputed or paused."""
    return InvoiceFacts(
        invoice_id=draw(st.integers(min_value=1, max_value=10**6)),
        customer_id=draw(st.integers(min_value=1, max_value=10**6)),
        currency=draw(st.sampled_from(CURRENCIES)),
        due_date=due if due is not None else draw(due_dates),
        outstanding=draw(st.one_of(st.integers(min_value=1, max_value=30000), st.integers(min_value=1, max_value=50))),
    )


@st.composite
def any_facts(draw):
    facts = draw(clean_facts())
    flags = st.sampled_from((True,) * 7 + (False,))  # each switch is off for one invoice in eight
    return InvoiceFacts(
        facts.invoice_id,
        facts.customer_id,
        facts.currency,
        facts.due_date,
        outstanding=draw(
            st.one_of(st.integers(min_value=-1000, max_value=0), st.integers(min_value=1, max_value=30000))
        ),
        dunning_enabled=draw(flags),
        paused_until=draw(maybe_dates),
        disputed=not draw(flags),
        customer_dunning_enabled=draw(flags),
        customer_paused_until=draw(maybe_dates),
        customer_disputed=not draw(flags),
    )


@st.composite
def states(draw, policy, blockers=True):
    level = draw(st.integers(min_value=0, max_value=policy.last_level))
    repetitions = draw(st.integers(min_value=0, max_value=policy.level(level).repeat_max)) if level else 0
    last = draw(maybe_dates)
    if level and last is None:
        last = draw(st.dates(min_value=START, max_value=date(2026, 9, 30)))
    rare = st.one_of(*[st.none()] * 5, st.dates(min_value=START, max_value=date(2026, 9, 30)))  # mostly None
    return DunningState(
        level=level,
        repetitions=repetitions,
        last_notice_on=last,
        pre_due_sent_on=draw(rare) if last is not None else None,
        stopped_on=draw(rare) if blockers else None,
        handed_over_on=draw(rare) if blockers else None,
    )


@st.composite
def situations(draw):
    """A policy, an invoice, its state and a day to decide on."""
    policy = draw(policies())
    clean = draw(st.booleans())  # half of the invoices have nothing that stops their reminders
    facts = draw(clean_facts() if clean else any_facts())
    state = draw(states(policy, blockers=not clean))
    offset = draw(st.integers(min_value=-30, max_value=SIMULATED_DAYS))
    return policy, facts, state, facts.due_date + timedelta(days=offset)


def blocking_reason(facts, state, today):
    """The first reason, in the documented order, that stops every reminder (None: nothing stops it)."""
    paused = [d for d in (facts.paused_until, facts.customer_paused_until) if d is not None and d >= today]
    for blocked, reason in (
        (facts.outstanding <= 0, Reason.PAID),
        (state.handed_over_on is not None, Reason.HANDED_OVER),
        (state.stopped_on is not None, Reason.STOPPED),
        (not facts.customer_dunning_enabled, Reason.EXCLUDED_CUSTOMER),
        (not facts.dunning_enabled, Reason.EXCLUDED_INVOICE),
        (facts.disputed or facts.customer_disputed, Reason.DISPUTED),
        (bool(paused), Reason.PAUSED),
    ):
        if blocked:
            return reason
    return None


# --- single decisions ---------------------------------------------------------------------------


@given(situations())
def test_decide_is_deterministic(situation):
    policy, facts, state, today = situation
    assert decide(facts, state, policy, today) == decide(facts, state, policy, today)


@given(situations())
def test_a_sending_decision_moves_at_most_one_step(situation):
    policy, facts, state, today = situation
    decision = decide(facts, state, policy, today)
    if decision.reason == Reason.LEVEL:
        assert decision.level == state.level + 1
        assert decision.level <= policy.last_level
        assert decision.repetition == 0
        assert today > facts.due_date
    elif decision.reason == Reason.REPEAT:
        assert decision.level == state.level >= 1
        assert decision.repetition == state.repetitions + 1 <= policy.level(state.level).repeat_max
        assert today >= state.last_notice_on + timedelta(days=policy.level(state.level).repeat_every_days)
    elif decision.reason == Reason.PRE_DUE:
        assert decision.level == 0
        assert decision.repetition == 0
        assert state.pre_due_sent_on is None
        assert policy.pre_due is not None
        assert facts.due_date - timedelta(days=policy.pre_due.days_before) <= today <= facts.due_date
    else:
        assert decision.sends is False
        assert decision.level == state.level


@given(situations())
def test_levels_never_go_down(situation):
    policy, facts, state, today = situation
    decision = decide(facts, state, policy, today)
    if decision.sends:
        after = after_notice(state, decision, today)
        assert state.level <= after.level <= state.level + 1
        assert after.last_notice_on == today
        assert after.handed_over_on == state.handed_over_on


@given(situations())
def test_blocked_invoices_never_get_a_sending_decision(situation):
    policy, facts, state, today = situation
    decision = decide(facts, state, policy, today)
    blocked = blocking_reason(facts, state, today)
    if blocked is not None:
        assert decision.reason == blocked
        assert decision.sends is False
        assert decision.level == state.level
    else:
        assert decision.reason not in {
            Reason.PAID,
            Reason.HANDED_OVER,
            Reason.STOPPED,
            Reason.EXCLUDED_CUSTOMER,
            Reason.EXCLUDED_INVOICE,
            Reason.DISPUTED,
            Reason.PAUSED,
        }


@given(situations())
def test_a_pause_resumes_the_day_after_the_later_pause(situation):
    policy, facts, state, today = situation
    decision = decide(facts, state, policy, today)
    if decision.reason == Reason.PAUSED:
        later = max(d for d in (facts.paused_until, facts.customer_paused_until) if d is not None)
        assert later >= today
        assert decision.detail == later.isoformat()
        assert decision.next_possible_on == later + timedelta(days=1)


@given(policies(), clean_facts(), st.data())
def test_an_invoice_below_the_policy_minimum_never_gets_a_sending_decision(policy, facts, data):
    minimum = data.draw(st.integers(min_value=facts.outstanding + 1, max_value=facts.outstanding + 10000))
    policy = replace(policy, min_amounts={**policy.min_amounts, facts.currency: minimum})
    assert validate(policy) == []
    state = data.draw(states(policy, blockers=False))
    for offset in range(-30, SIMULATED_DAYS):
        decision = decide(facts, state, policy, facts.due_date + timedelta(days=offset))
        assert decision == Decision(Reason.BELOW_MINIMUM, state.level)


@given(situations())
def test_deciding_again_the_same_day_after_a_notice_sends_nothing(situation):
    policy, facts, state, today = situation
    decision = decide(facts, state, policy, today)
    if decision.sends:
        again = decide(facts, after_notice(state, decision, today), policy, today)
        assert again.sends is False
        assert again.next_possible_on is None or again.next_possible_on > today


@given(situations())
def test_next_possible_on_is_after_today(situation):
    # For a sending decision it is the first day after this notice another one could be due.
    policy, facts, state, today = situation
    decision = decide(facts, state, policy, today)
    if decision.next_possible_on is not None:
        assert decision.next_possible_on > today
    if decision.reason == Reason.TOO_SOON:
        assert decision.detail == decision.next_possible_on.isoformat()


@given(situations())
def test_next_reminder_on_is_today_or_the_next_possible_day(situation):
    policy, facts, state, today = situation
    decision = decide(facts, state, policy, today)
    expected = today if decision.sends else decision.next_possible_on
    assert next_reminder_on(facts, state, policy, today) == expected


@given(situations())
def test_after_notice_refuses_every_non_sending_decision(situation):
    policy, facts, state, today = situation
    decision = decide(facts, state, policy, today)
    if not decision.sends:
        with pytest.raises(ValueError, match=f"^a {decision.reason} decision sends no notice$"):
            after_notice(state, decision, today)


@given(situations())
@example(
    (
        Policy("ex", "Pre-due", (Level(1, "a", 7),), pre_due=PreDue(3, {"EUR": 20000})),
        InvoiceFacts(1, 1, "EUR", date(2026, 3, 10), 25000),
        DunningState(),
        date(2026, 3, 8),
    )
).via("the pre-due reminder's minimum")
@example(
    (
        Policy("ex", "Two levels", (Level(1, "a", 7), Level(2, "b", 21, min_amounts={"EUR": 5000}))),
        InvoiceFacts(1, 1, "EUR", date(2026, 3, 10), 6000),
        DunningState(1, 0, date(2026, 3, 17)),
        date(2026, 4, 20),
    )
).via("a later level's minimum")
def test_amounts_reaching_the_same_thresholds_get_the_same_decision(situation):
    # A run computes one decision for all invoices alike (arrears.dunning.engine_io.Planner): the
    # amount counts only through the thresholds it reaches. The lowest and the highest amount of the
    # band the invoice's amount falls in must decide as it does: a threshold decide() uses but
    # amount_thresholds() leaves out splits some band, and the two ends of it decide differently.
    policy, facts, state, today = situation
    limits = amount_thresholds(policy, facts.currency)
    assert list(limits) == sorted(set(limits))
    band = bisect_right(limits, facts.outstanding)
    lowest = limits[band - 1] if band > 0 else -(10**9)
    highest = limits[band] - 1 if band < len(limits) else 10**9
    decision = decide(facts, state, policy, today)
    for amount in (lowest, highest):
        assert bisect_right(limits, amount) == band
        assert decide(replace(facts, outstanding=amount), state, policy, today) == decision


def test_amount_thresholds_are_every_minimum_of_the_currency_and_the_paid_limit():
    policy = Policy(
        "t",
        "Thresholds",
        (Level(1, "a", 7, min_amounts={"EUR": 500}), Level(2, "b", 21, min_amounts={"CZK": 900})),
        pre_due=PreDue(3, {"EUR": 20000}),
        min_amounts={"EUR": 100},
    )
    assert amount_thresholds(policy, "EUR") == (0, 1, 100, 500, 20000)
    assert amount_thresholds(policy, "CZK") == (0, 1, 900)
    assert amount_thresholds(replace(policy, pre_due=None, levels=policy.levels[:1]), "USD") == (0, 1)


# --- simulations over time ----------------------------------------------------------------------


def simulate(facts, policy, days, every=1):
    """Runs every `every` days from 30 days before the due date; returns [(day, decision, state before)]."""
    state = DunningState()
    log = []
    first = facts.due_date - timedelta(days=30)
    for offset in range(0, days + 30, every):
        today = first + timedelta(days=offset)
        decision = decide(facts, state, policy, today)
        log.append((today, decision, state))
        if decision.sends:
            state = after_notice(state, decision, today)
    return log


def sent(log):
    return [(day, decision, before) for day, decision, before in log if decision.sends]


def check_ladder(facts, policy, log):
    """What holds for every sequence of notices, however often the runs happen."""
    previous_day = None
    level = 0
    repetitions = 0
    pre_due_count = 0
    for day, decision, before in sent(log):
        assert before.level == level  # the state the engine saw is the one the notices built
        if decision.reason == Reason.LEVEL:
            assert decision.level == level + 1  # never skips, never more than one level per notice
            target = policy.level(decision.level)
            assert day >= facts.due_date + timedelta(days=max(target.days_after_due, 1))
            assert facts.outstanding >= target.min_amount(facts.currency)
            if previous_day is not None:
                assert (day - previous_day).days >= max(target.min_days_since_previous, 1)
            level, repetitions = decision.level, 0
        elif decision.reason == Reason.REPEAT:
            assert decision.level == level >= 1
            repetitions += 1
            assert decision.repetition == repetitions <= policy.level(level).repeat_max
            assert (day - previous_day).days >= policy.level(level).repeat_every_days
        else:
            assert decision.reason == Reason.PRE_DUE
            pre_due_count += 1
            assert pre_due_count == 1
            assert level == 0
            assert day <= facts.due_date
            assert day >= facts.due_date - timedelta(days=policy.pre_due.days_before)
            assert facts.outstanding >= policy.pre_due.min_amount(facts.currency)
        if previous_day is not None:
            assert day > previous_day  # never two notices on one day
        previous_day = day
    return level


@settings(deadline=None)
@given(policies(), clean_facts())
def test_daily_runs_climb_the_ladder_one_level_at_a_time(policy, facts):
    log = simulate(facts, policy, SIMULATED_DAYS)
    level = check_ladder(facts, policy, log)
    levels_seen = [before.level for _, _, before in log]
    assert levels_seen == sorted(levels_seen)  # levels never go down
    assert level <= policy.last_level
    # Below the policy minimum, nothing at all.
    if facts.outstanding < policy.min_amount(facts.currency):
        assert sent(log) == []


@settings(deadline=None)
@given(policies(), clean_facts())
@example(
    Policy("ex", "Example", (Level(1, "a", 0), Level(2, "b", 0), Level(3, "c", 0))),
    InvoiceFacts(1, 1, "EUR", date(2026, 1, 1), 100),
).via("three levels at zero days: one per day, never a burst")
def test_daily_runs_send_each_level_as_soon_as_it_is_reachable(policy, facts):
    # With a run every day, a level goes out on the first day it is reachable: the day after the
    # previous notice's spacing and its own days after due, whichever is later.
    log = simulate(facts, policy, SIMULATED_DAYS)
    for day, decision, before in sent(log):
        if decision.reason == Reason.LEVEL:
            target = policy.level(decision.level)
            reach_on = facts.due_date + timedelta(days=max(target.days_after_due, 1))
            if before.last_notice_on is not None:
                reach_on = max(reach_on, before.last_notice_on + timedelta(days=max(target.min_days_since_previous, 1)))
            assert day == reach_on


@settings(deadline=None)
@given(policies(), clean_facts(), st.integers(min_value=2, max_value=45))
def test_runs_with_downtime_never_burst(policy, facts, every):
    log = simulate(facts, policy, SIMULATED_DAYS, every=every)
    level = check_ladder(facts, policy, log)
    # One decision per run, so at most one notice and one level per run, however long the pause was.
    for (_, decision, before), (_, _, after) in pairwise(log):
        assert after.level - before.level == (1 if decision.reason == Reason.LEVEL else 0)
    assert level <= min(policy.last_level, len(sent(log)))


@settings(deadline=None)
@given(policies(), clean_facts(), st.integers(min_value=2, max_value=45))
def test_runs_with_downtime_send_exactly_when_the_previous_run_said(policy, facts, every):
    # A run sends if and only if the previous run's next_possible_on has come: downtime delays
    # reminders but loses none, except a pre-due reminder whose window closed with the due date.
    log = simulate(facts, policy, SIMULATED_DAYS, every=every)
    for (_, decision, _), (day, following, _) in pairwise(log):
        promised = decision.next_possible_on
        if promised is None or promised > day:
            assert following.sends is False
        elif promised <= facts.due_date < day:
            # Only a pre-due reminder is promised for a day before the due date; it is never sent late.
            assert decision.reason == Reason.NOT_YET_DUE
            assert promised == facts.due_date - timedelta(days=policy.pre_due.days_before)
            assert following.reason != Reason.PRE_DUE
        else:
            assert following.sends is True


@settings(deadline=None)
@given(policies(), clean_facts())
def test_next_possible_on_is_the_day_the_next_notice_goes_out(policy, facts):
    # In daily runs the state changes only when a notice goes out, so next_possible_on must be exactly
    # the next day with a notice (for a sending decision: the next after this one), and None must mean
    # no more notices.
    log = simulate(facts, policy, SIMULATED_DAYS)
    send_days = [day for day, _, _ in sent(log)]
    last_day = log[-1][0]
    for day, decision, _ in log:
        following = next((d for d in send_days if d > day), None)
        if decision.next_possible_on is None:
            assert following is None
        elif decision.next_possible_on <= last_day:
            assert following == decision.next_possible_on
        else:
            assert following is None


@settings(deadline=None)
@given(policies(), clean_facts(), st.data())
def test_a_repeat_never_exceeds_the_levels_maximum_even_from_a_random_state(policy, facts, data):
    state = data.draw(states(policy, blockers=False))
    first = facts.due_date - timedelta(days=30)
    for offset in range(SIMULATED_DAYS + 30):
        today = first + timedelta(days=offset)
        decision = decide(facts, state, policy, today)
        if decision.sends:
            previous = state
            state = after_notice(state, decision, today)
            assert state.level >= previous.level
            if decision.reason == Reason.REPEAT:
                assert state.repetitions <= policy.level(state.level).repeat_max
            assert decide(facts, state, policy, today).sends is False
