"""decide(): which reminder an invoice is due for on a day, or why none.

Every open invoice a run looks at gets a Decision: a reason code the UI and reports show, the
level and repetition when a notice is due, and the date of the next possible reminder.

The rules, from the source documents and the issue:
- levels are never skipped: level n+1 only after a notice at level n went out; at most one
  level per run, so a first reminder for an invoice 90 days overdue is a first reminder, and
  days without runs never cause a burst;
- a level is reached `days_after_due` days after the due date, and not sooner than
  `min_days_since_previous` days (at least one) after the previous notice about the same invoice;
- a level may repeat every N days, at most M times, until the next level is reachable;
- paid, handed-over, stopped, excluded, disputed and paused invoices get no reminder; a pause
  ends by itself the day after its date; amounts below the policy's tolerance are never reminded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from arrears.core.money import format_minor
from arrears.core.policy import Policy


class Reason(StrEnum):
    # A notice is due:
    LEVEL = "level"  # due for the next level
    REPEAT = "repeat"  # due for a repetition of the current level
    PRE_DUE = "pre_due"  # the friendly reminder before the due date
    # No notice, and why:
    PAID = "paid"
    HANDED_OVER = "handed_over"
    STOPPED = "stopped"
    EXCLUDED_CUSTOMER = "excluded_customer"
    EXCLUDED_INVOICE = "excluded_invoice"
    DISPUTED = "disputed"
    PAUSED = "paused"
    BELOW_MINIMUM = "below_minimum"
    BELOW_LEVEL_MINIMUM = "below_level_minimum"
    NOT_YET_DUE = "not_yet_due"
    TOO_SOON = "too_soon"
    ALL_LEVELS_SENT = "all_levels_sent"
    CREDIT_COVERS = "credit_covers"  # set when notices are grouped, not by decide()
    NOT_SENDING_DAY = "not_sending_day"  # set for a whole run on a non-sending day


NOTICE_REASONS = frozenset({Reason.LEVEL, Reason.REPEAT, Reason.PRE_DUE})


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    """What the ledger knows about an open invoice and its customer, as of the run."""

    invoice_id: int
    customer_id: int
    currency: str
    due_date: date
    outstanding: int
    dunning_enabled: bool = True
    paused_until: date | None = None
    disputed: bool = False
    customer_dunning_enabled: bool = True
    customer_paused_until: date | None = None
    customer_disputed: bool = False


@dataclass(frozen=True, slots=True)
class DunningState:
    """Where an invoice stands in the reminder process (all empty for one never reminded)."""

    level: int = 0  # highest level a notice went out for
    repetitions: int = 0  # notices at that level after the first
    last_notice_on: date | None = None  # any notice about the invoice, pre-due included
    pre_due_sent_on: date | None = None
    stopped_on: date | None = None
    handed_over_on: date | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    reason: Reason
    level: int = 0  # the level the notice is for (0 for pre-due); for other reasons, the current level
    repetition: int = 0  # 0 = the first notice at that level
    next_possible_on: date | None = None  # the first day another reminder could be due
    detail: str = ""  # a date or amount the words need ("2026-12-01", "50.00 EUR")

    @property
    def sends(self) -> bool:
        return self.reason in NOTICE_REASONS


def decide(facts: InvoiceFacts, state: DunningState, policy: Policy, today: date) -> Decision:
    """The decision for one invoice on `today`. A sending decision's next_possible_on is the first
    day after this notice on which another could be due (None: no further automatic reminder)."""
    decision = _decide(facts, state, policy, today)
    if decision.reason in NOTICE_REASONS:
        after = _decide(facts, after_notice(state, decision, today), policy, today)
        # Built directly, not with dataclasses.replace: this runs a million times a run.
        return Decision(decision.reason, decision.level, decision.repetition, after.next_possible_on, decision.detail)
    return decision


def _decide(facts: InvoiceFacts, state: DunningState, policy: Policy, today: date) -> Decision:
    current = state.level
    if facts.outstanding <= 0:
        return Decision(Reason.PAID, current)
    if state.handed_over_on is not None:
        return Decision(Reason.HANDED_OVER, current, detail=state.handed_over_on.isoformat())
    if state.stopped_on is not None:
        return Decision(Reason.STOPPED, current, detail=state.stopped_on.isoformat())
    if not facts.customer_dunning_enabled:
        return Decision(Reason.EXCLUDED_CUSTOMER, current)
    if not facts.dunning_enabled:
        return Decision(Reason.EXCLUDED_INVOICE, current)
    if facts.disputed or facts.customer_disputed:
        return Decision(Reason.DISPUTED, current)
    paused = facts.paused_until
    if facts.customer_paused_until is not None and (paused is None or facts.customer_paused_until > paused):
        paused = facts.customer_paused_until
    if paused is not None and paused >= today:
        return Decision(Reason.PAUSED, current, next_possible_on=paused + timedelta(days=1), detail=paused.isoformat())
    if facts.outstanding < policy.min_amount(facts.currency):
        return Decision(Reason.BELOW_MINIMUM, current)
    if facts.due_date >= today:
        return _before_due(facts, state, policy, today)
    return _overdue(facts, state, policy, today)


def amount_thresholds(policy: Policy, currency: str) -> tuple[int, ...]:
    """The amounts decide() compares an invoice's outstanding amount with under `policy`, ascending.

    decide() looks at the amount only through comparisons with these: two invoices whose amounts
    reach the same thresholds (`bisect_right(thresholds, outstanding)` is equal) and that agree in
    every other input get the same decision, so a run of a million invoices computes each distinct
    decision once. Any new rule about amounts must add its threshold here (a property test checks)."""
    amounts = {1, policy.min_amount(currency)}  # 1: "paid" is an amount of less than one minor unit
    if policy.pre_due is not None:
        amounts.add(policy.pre_due.min_amount(currency))
    amounts.update(level.min_amount(currency) for level in policy.levels)
    return tuple(sorted(amounts))


def _spacing(min_days_since_previous: int) -> int:
    # Never two notices about one invoice on the same day: a second run on the same date must
    # create nothing new, even with a policy that asks for no spacing between levels.
    return max(min_days_since_previous, 1)


def _next_level_on(facts: InvoiceFacts, state: DunningState, policy: Policy) -> date | None:
    """The day the invoice's next level could be due; None when there is none or the invoice is
    below its minimum (never, as things stand)."""
    if state.level >= len(policy.levels):
        return None
    target = policy.levels[state.level]
    if facts.outstanding < target.min_amount(facts.currency):
        return None
    earliest = facts.due_date + timedelta(days=max(target.days_after_due, 1))
    if state.last_notice_on is not None:
        earliest = max(earliest, state.last_notice_on + timedelta(days=_spacing(target.min_days_since_previous)))
    return earliest


def _before_due(facts: InvoiceFacts, state: DunningState, policy: Policy, today: date) -> Decision:
    pre = policy.pre_due
    # No friendly "will soon be due" once real reminders went out (a due date moved later).
    if (
        pre is not None
        and state.pre_due_sent_on is None
        and state.level == 0
        and facts.outstanding >= pre.min_amount(facts.currency)
    ):
        pre_due_on = facts.due_date - timedelta(days=pre.days_before)
        if today >= pre_due_on:
            return Decision(Reason.PRE_DUE, 0)
        return Decision(Reason.NOT_YET_DUE, state.level, next_possible_on=pre_due_on)
    return Decision(Reason.NOT_YET_DUE, state.level, next_possible_on=_next_level_on(facts, state, policy))


def _overdue(facts: InvoiceFacts, state: DunningState, policy: Policy, today: date) -> Decision:
    current = state.level
    if current > len(policy.levels):
        # Reminded under a longer policy than the one that applies now: nothing further to send.
        return Decision(Reason.ALL_LEVELS_SENT, current)
    last_on = state.last_notice_on
    next_on: date | None = None  # the earliest day something becomes due
    below_next: int | None = None  # the next level's minimum, when the invoice is below it
    if current < len(policy.levels):
        target = policy.levels[current]  # level current + 1
        minimum = target.min_amounts.get(facts.currency, 0)
        if facts.outstanding < minimum:
            below_next = minimum  # the next level is out of reach; the current one may still repeat
    if current < len(policy.levels) and below_next is None:
        target = policy.levels[current]
        reach_on = facts.due_date + timedelta(days=max(target.days_after_due, 1))
        if last_on is not None:
            spaced = last_on + timedelta(days=_spacing(target.min_days_since_previous))
            if spaced > reach_on:
                reach_on = spaced
        if today >= reach_on:
            return Decision(Reason.LEVEL, current + 1)
        next_on = reach_on
    if current > 0 and last_on is not None:
        level = policy.levels[current - 1]
        if level.repeat_every_days and state.repetitions < level.repeat_max:
            repeat_on = last_on + timedelta(days=level.repeat_every_days)
            if today >= repeat_on:
                return Decision(Reason.REPEAT, current, repetition=state.repetitions + 1)
            if next_on is None or repeat_on < next_on:
                next_on = repeat_on
    if next_on is None:
        if below_next is not None:
            return Decision(Reason.BELOW_LEVEL_MINIMUM, current, detail=str(below_next))
        return Decision(Reason.ALL_LEVELS_SENT, current)
    return Decision(Reason.TOO_SOON, current, next_possible_on=next_on, detail=next_on.isoformat())


def after_notice(state: DunningState, decision: Decision, today: date) -> DunningState:
    """The state of an invoice once the notice a decision asked for went out."""
    if decision.reason == Reason.PRE_DUE:
        return DunningState(state.level, state.repetitions, today, today, None, state.handed_over_on)
    if decision.reason == Reason.REPEAT:
        return DunningState(state.level, decision.repetition, today, state.pre_due_sent_on, None, state.handed_over_on)
    if decision.reason == Reason.LEVEL:
        return DunningState(decision.level, 0, today, state.pre_due_sent_on, None, state.handed_over_on)
    raise ValueError(f"a {decision.reason} decision sends no notice")


def next_reminder_on(facts: InvoiceFacts, state: DunningState, policy: Policy, today: date) -> date | None:
    """The date an invoice's next reminder could be due, seen from `today` (None: never, as things stand)."""
    decision = decide(facts, state, policy, today)
    if decision.sends:
        return today
    return decision.next_possible_on


def explain(decision: Decision, currency: str = "") -> str:
    """The decision in words, as the run report and the customer card show it."""
    r, d = decision.reason, decision
    if r == Reason.LEVEL:
        return f"due for level {d.level}"
    if r == Reason.REPEAT:
        return f"due for level {d.level} again (repetition {d.repetition})"
    if r == Reason.PRE_DUE:
        return "due for the reminder before the due date"
    if r == Reason.BELOW_LEVEL_MINIMUM:
        amount = f"{format_minor(int(d.detail), currency)} {currency}" if currency else d.detail
        return f"below the minimum of level {d.level + 1} ({amount})"
    words = {
        Reason.PAID: "paid",
        Reason.HANDED_OVER: f"handed over to external collection on {d.detail}",
        Reason.STOPPED: f"reminding stopped by hand on {d.detail}",
        Reason.EXCLUDED_CUSTOMER: "excluded: dunning is off for the customer",
        Reason.EXCLUDED_INVOICE: "excluded: dunning is off for the invoice",
        Reason.DISPUTED: "disputed",
        Reason.PAUSED: f"paused until {d.detail}",
        Reason.BELOW_MINIMUM: "below the policy's minimum amount",
        Reason.NOT_YET_DUE: "not yet due",
        Reason.TOO_SOON: f"too soon since the last notice, next possible on {d.detail}",
        Reason.ALL_LEVELS_SENT: "all levels sent; no further automatic reminder",
        Reason.CREDIT_COVERS: "covered by the customer's unallocated credit in this currency",
        Reason.NOT_SENDING_DAY: f"not a sending day: {d.detail}",
    }
    return words[r]
