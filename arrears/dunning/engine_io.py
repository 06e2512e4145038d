"""The dunning run's hot loop: stream open invoices, let the core decide, write in bulk.

No ORM objects per invoice: one SQL statement streams narrow rows ordered by customer (an index
serves the order), the pure `decide()` runs once per distinct input (most invoices are alike in
all it reads; see Planner), and decisions, notices and items are written a chunk of customers at
a time with prepared statements. Memory stays flat however large the ledger is; only the
per-customer lookups (policy, credit, e-mail) and a bounded set of decisions are held for the run.
"""

from __future__ import annotations

import gc
import json
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.utils import timezone

from arrears.core.engine import Decision, DunningState, InvoiceFacts, Reason, amount_thresholds, decide
from arrears.core.money import format_minor
from arrears.core.notices import Item, NoticePlan, group_customer, payment_deadline
from arrears.core.policy import Action, Channel, Policy
from arrears.customers.models import Contact, Customer
from arrears.dunning.models import InvoiceDunning, Notice, NoticeItem, RunDecision
from arrears.dunning.policies import PolicySet
from arrears.history.services import Actor, EventDraft
from arrears.ledger import bulk
from arrears.ledger.allocation_io import write_events
from arrears.ledger.models import Invoice, Payment

# The columns decide() reads come last, from `currency` on: a row's tail is (with the policy and
# the amount's thresholds) the key under which a run remembers a decision (see Planner).
_CANDIDATES = """
SELECT i.id, i.customer_id, i.number, i.outstanding_minor, i.currency, {due_date},
       i.dunning_enabled, {i_paused}, i.disputed,
       c.dunning_enabled, {c_paused}, c.disputed,
       s.level, s.repetitions, {last_notice_on}, {pre_due_sent_on}, {stopped_on}, {handed_over_on}
FROM {invoice} i
JOIN {customer} c ON c.id = i.customer_id
LEFT JOIN {state} s ON s.invoice_id = i.id
WHERE i.company_id = %s AND i.outstanding_minor > 0 AND i.kind = 'invoice' {only}
ORDER BY i.company_id, i.customer_id, i.due_date
"""
_DATES = {
    "due_date": "i.due_date",
    "i_paused": "i.paused_until",
    "c_paused": "c.paused_until",
    "last_notice_on": "s.last_notice_on",
    "pre_due_sent_on": "s.pre_due_sent_on",
    "stopped_on": "s.stopped_on",
    "handed_over_on": "s.handed_over_on",
}
_KEY_FROM = 4  # row[_KEY_FROM:]: currency, due date, the switches and the state


def _day(value: Any) -> date | None:
    # SQLite returns dates as ISO text, PostgreSQL as date objects.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _facts(row: tuple[Any, ...]) -> InvoiceFacts:
    due_date = _day(row[5])
    assert due_date is not None
    return InvoiceFacts(
        row[0],
        row[1],
        row[4],
        due_date,
        row[3],
        bool(row[6]),
        _day(row[7]),
        bool(row[8]),
        bool(row[9]),
        _day(row[10]),
        bool(row[11]),
    )


def _state(row: tuple[Any, ...]) -> DunningState:
    return DunningState(row[12] or 0, row[13] or 0, _day(row[14]), _day(row[15]), _day(row[16]), _day(row[17]))


@dataclass(frozen=True, slots=True)
class Looked:
    """One invoice the run looked at, with its decision."""

    facts: InvoiceFacts
    number: str
    policy: str
    decision: Decision


class Decided:
    """A decision with what the run derives from it, computed once for all invoices alike."""

    __slots__ = ("channel", "columns", "decision", "item", "overdue", "policy", "sends")

    def __init__(
        self, decision: Decision, code: str, overdue: bool, channel: Channel | None = None, policy: Policy | None = None
    ) -> None:
        self.decision = decision
        self.policy = code
        # The RunDecision columns after run, invoice and customer.
        self.columns = (
            decision.reason.value,
            decision.level,
            decision.repetition,
            bulk.db_date(decision.next_possible_on),
            decision.detail[:40],
            code,
        )
        self.sends = decision.sends
        self.overdue = overdue  # counts towards the customer's overdue amount in its currency
        self.channel = channel  # what a sending decision's level asks for
        # A sending decision's NoticeItem columns: level, repetition, reason, and the action its
        # level (under the invoice's own policy) triggers, with its URL.
        self.item: tuple[Any, ...] = ()
        if self.sends and policy is not None:
            action, url = Action.NONE, ""
            if decision.reason == Reason.LEVEL and decision.level <= policy.last_level:
                level = policy.level(decision.level)
                action, url = level.action, level.webhook_url
            self.item = (decision.level, decision.repetition, decision.reason.value, action.value, url)


@dataclass
class CustomerPlan:
    customer_id: int
    rows: list[tuple[Any, ...]]  # the customer's candidate rows, as read
    decided: list[Decided]  # one per row
    notice: NoticePlan | None
    policy: Policy | None  # the policy of the notice's highest item, for deadline and template
    in_notice: list[Decided] = field(default_factory=list)  # the decision of each notice item, in its order

    @property
    def looked(self) -> list[Looked]:
        """Every invoice with its decision (built on demand: a run writes from rows and decided)."""
        pairs = zip(self.rows, self.decided, strict=True)
        return [Looked(_facts(row), row[2], d.policy, d.decision) for row, d in pairs]


@dataclass
class Lookups:
    """What the run needs per customer, loaded once."""

    has_email: set[int]
    credit: dict[int, dict[str, int]]
    policy_of_customer: dict[int, str]


def load_lookups(company_id: int, policies: PolicySet, customer_ids: list[int] | None) -> Lookups:
    # Narrow rows in no particular order (.order_by(): the models' default orderings join and sort).
    customers = Customer.objects.filter(company_id=company_id)
    if customer_ids is not None:
        customers = customers.filter(pk__in=customer_ids)
    # For a whole company, filter by company (an index), not by a subquery listing all its customers.
    scope: dict[str, Any] = {"company_id": company_id} if customer_ids is None else {"customer__in": customers}
    has_email = set(
        Contact.objects.filter(customer__in=customers, role_dunning=True)
        .exclude(email="")
        .order_by()
        .values_list("customer_id", flat=True)
    )
    credit: dict[int, dict[str, int]] = defaultdict(dict)
    for customer_id, currency, amount in (
        Payment.objects.filter(**scope, unallocated_minor__gt=0)
        .order_by()
        .values_list("customer_id", "currency", "unallocated_minor")
    ):
        credit[customer_id][currency] = credit[customer_id].get(currency, 0) + amount
    for customer_id, currency, amount in (
        Invoice.objects.filter(**scope, kind=Invoice.Kind.CREDIT_NOTE, outstanding_minor__gt=0)
        .order_by()
        .values_list("customer_id", "currency", "outstanding_minor")
    ):
        credit[customer_id][currency] = credit[customer_id].get(currency, 0) + amount
    # Customer beats group beats default; among several groups, the lowest priority number wins.
    policy_of: dict[int, str] = {}
    if policies.group:
        through = Customer.groups.through
        best: dict[int, tuple[int, str, str]] = {}
        for customer_id, group_id, group_code in (
            through.objects.filter(customergroup_id__in=list(policies.group), customer__in=customers)
            .order_by()
            .values_list("customer_id", "customergroup_id", "customergroup__code")
        ):
            priority, code = policies.group[group_id]
            candidate = (priority, group_code, code)
            if customer_id not in best or candidate < best[customer_id]:
                best[customer_id] = candidate
        policy_of.update({customer_id: code for customer_id, (_, _, code) in best.items()})
    policy_of.update(policies.customer)
    return Lookups(has_email, dict(credit), policy_of)


def stream_customers(
    company_id: int, customer_ids: list[int] | None, chunk: int = 2000
) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
    """(customer id, its open invoice rows), customer after customer, from one streaming query."""
    only = ""
    params: list[Any] = [company_id]
    if customer_ids is not None:
        only = f"AND i.customer_id IN ({', '.join(['%s'] * len(customer_ids))})"
        params.extend(customer_ids)
    from arrears.customers.models import Customer as C

    # Dates as text on SQLite: no converter call per value; a decision is computed from them once.
    dates = _DATES if connection.vendor != "sqlite" else {k: f"CAST({v} AS TEXT)" for k, v in _DATES.items()}
    sql = _CANDIDATES.format(
        invoice=bulk.table(Invoice), customer=bulk.table(C), state=bulk.table(InvoiceDunning), only=only, **dates
    )
    # A server-side cursor on PostgreSQL: rows arrive as they are read, not all at once.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        current: int | None = None
        rows: list[tuple[Any, ...]] = []
        while batch := cursor.fetchmany(chunk):
            for row in batch:
                if row[1] != current:
                    if rows:
                        yield current, rows  # type: ignore[misc]
                    current, rows = row[1], []
                rows.append(row)
        if rows and current is not None:
            yield current, rows


class Planner:
    """Decides the open invoices of one run, customer after customer, and groups the due ones.

    decide() is pure, and most invoices are alike in all it reads: the same policy, currency, due
    date, switches and state, and an amount on the same side of every threshold. The planner keeps
    each distinct decision (with its RunDecision columns) and gives it to every invoice alike,
    building no InvoiceFacts for an invoice that is not due for a reminder."""

    # Distinct inputs kept, then it starts over: memory stays bounded (the million invoices of the
    # shared data set have about 3,000).
    MAX_REMEMBERED = 50_000

    def __init__(
        self, today: date, policies: PolicySet, lookups: Lookups, sending: dict[str, str | None], remember: bool = True
    ) -> None:
        self.today = today
        self.policies = policies
        self.lookups = lookups
        self.sending = sending
        self.remember = remember  # False: decide every invoice afresh (tests compare both)
        self.default_code = policies.default or ""
        self._decided: dict[tuple[Any, ...], Decided] = {}
        self._thresholds: dict[tuple[str, str], tuple[int, ...]] = {}

    def plan(self, customer_id: int, rows: list[tuple[Any, ...]]) -> CustomerPlan:
        """Decide every open invoice of one customer and group the due ones into one notice."""
        customer_code = self.lookups.policy_of_customer.get(customer_id, self.default_code)
        of_invoice = self.policies.invoice
        remembered = self._decided if self.remember else {}
        thresholds = self._thresholds
        decided: list[Decided] = []
        due: list[Item] = []
        overdue: dict[str, int] = {}
        for row in rows:
            code = of_invoice.get(row[0], customer_code) if of_invoice else customer_code
            currency = row[4]
            limits = thresholds.get((code, currency))
            if limits is None:
                limits = self._limits(code, currency)
            key = (code, bisect_right(limits, row[3]), *row[_KEY_FROM:])
            d = remembered.get(key)
            if d is None:
                d = self._decide(row, code)
                if self.remember:
                    if len(remembered) >= self.MAX_REMEMBERED:
                        remembered.clear()
                    remembered[key] = d
            decided.append(d)
            if d.overdue:
                # Credit answers for what can be demanded: a disputed or stopped invoice does not use it up.
                overdue[currency] = overdue.get(currency, 0) + row[3]
            if d.sends:
                assert d.channel is not None
                due.append(Item(_facts(row), d.decision, d.channel))
        if not due:
            return CustomerPlan(customer_id, rows, decided, None, None)
        grouping = group_customer(
            customer_id, due, overdue, self.lookups.credit.get(customer_id, {}), customer_id in self.lookups.has_email
        )
        if grouping.covered_by_credit:
            covered = {item.facts.invoice_id for item in grouping.covered_by_credit}
            # No notice goes out: like every decision that sends nothing, it carries the current level
            # (a "level" decision was for the level after it).
            decided = [
                Decided(
                    Decision(
                        Reason.CREDIT_COVERS,
                        d.decision.level - 1 if d.decision.reason == Reason.LEVEL else d.decision.level,
                    ),
                    d.policy,
                    d.overdue,
                )
                if row[0] in covered
                else d
                for row, d in zip(rows, decided, strict=True)
            ]
        if grouping.notice is None:
            return CustomerPlan(customer_id, rows, decided, None, None)
        of_row = {row[0]: d for row, d in zip(rows, decided, strict=True)}
        top = max(grouping.notice.items, key=lambda it: it.decision.level)
        in_notice = [of_row[i.facts.invoice_id] for i in grouping.notice.items]
        top_policy = self.policies.policies[of_row[top.facts.invoice_id].policy]
        return CustomerPlan(customer_id, rows, decided, grouping.notice, top_policy, in_notice)

    def _limits(self, code: str, currency: str) -> tuple[int, ...]:
        policy = self.policies.policies.get(code)
        limits = amount_thresholds(policy, currency) if policy is not None else ()
        self._thresholds[code, currency] = limits
        return limits

    def _decide(self, row: tuple[Any, ...], code: str) -> Decided:
        facts = _facts(row)
        state = _state(row)
        remindable = (
            facts.dunning_enabled
            and facts.customer_dunning_enabled
            and not facts.disputed
            and not facts.customer_disputed
            and not state.stopped_on
            and not state.handed_over_on
        )
        overdue = facts.due_date < self.today and remindable
        policy = self.policies.policies.get(code)
        if policy is None:
            return Decided(Decision(Reason.EXCLUDED_CUSTOMER, state.level, detail="no policy"), code, overdue)
        decision = decide(facts, state, policy, self.today)
        why_not = self.sending.get(code)
        if decision.sends and why_not:
            decision = Decision(Reason.NOT_SENDING_DAY, state.level, next_possible_on=None, detail=why_not)
        channel: Channel | None = None
        if decision.reason == Reason.PRE_DUE:
            channel = policy.pre_due.channel if policy.pre_due else Channel.EMAIL
        elif decision.sends:
            channel = policy.level(decision.level).channel
        return Decided(decision, code, overdue, channel, policy)


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a run streams and writes.

    A run allocates millions of short-lived tuples and objects, none in a reference cycle:
    reference counting frees them. The cycle collector would still walk every live object again
    and again (about 3 s of a 40 s run over a million invoices). Whatever cyclic garbage the run
    leaves is collected when it ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def plan_customer(
    customer_id: int,
    rows: list[tuple[Any, ...]],
    today: date,
    policies: PolicySet,
    lookups: Lookups,
    sending: dict[str, str | None],
) -> CustomerPlan:
    """Decide every open invoice of one customer and group the due ones into one notice."""
    return Planner(today, policies, lookups, sending).plan(customer_id, rows)


@dataclass
class RunWriter:
    """Writes a run's decisions, notices and items a chunk of customers at a time."""

    company_id: int
    run_id: int
    today: date
    status: str
    actor_user_id: int | None = None
    pending: list[CustomerPlan] = field(default_factory=list)
    decisions: int = 0
    notices: int = 0
    items: int = 0
    now: Any = None

    def __post_init__(self) -> None:
        self.now = bulk.db_datetime(timezone.now())

    def add(self, plan: CustomerPlan, flush_at: int = 2000) -> None:
        self.pending.append(plan)
        if len(self.pending) >= flush_at:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        plans, self.pending = self.pending, []
        run_id = self.run_id
        bulk.insert_rows(
            RunDecision,
            [
                "run",
                "invoice",
                "customer",
                "reason",
                "level",
                "repetition",
                "next_possible_on",
                "detail",
                "policy_code",
            ],
            [
                (run_id, row[0], plan.customer_id, *d.columns)
                for plan in plans
                for row, d in zip(plan.rows, plan.decided, strict=True)
            ],
        )
        self.decisions += sum(len(p.rows) for p in plans)
        with_notice = [p for p in plans if p.notice is not None]
        # A prepared INSERT and one query for the new ids: no model instance per notice.
        last_id = self._last_notice_id()
        bulk.insert_rows(Notice, _NOTICE_FIELDS, [self._notice(p) for p in with_notice])
        ids = self._notice_ids(last_id)
        rows = []
        today = self.today
        for plan in with_notice:
            notice_id = ids[plan.customer_id]
            assert plan.notice is not None
            for item, d in zip(plan.notice.items, plan.in_notice, strict=True):
                facts = item.facts
                level, repetition, reason, action, url = d.item
                overdue_days = max((today - facts.due_date).days, 0)
                rows.append(
                    (
                        notice_id,
                        facts.invoice_id,
                        level,
                        repetition,
                        reason,
                        facts.currency,
                        facts.outstanding,
                        overdue_days,
                        False,
                        action,
                        url,
                    )
                )
        bulk.insert_rows(
            NoticeItem,
            [
                "notice",
                "invoice",
                "level",
                "repetition",
                "reason",
                "currency",
                "outstanding_minor",
                "days_overdue",
                "excluded",
                "action",
                "action_url",
            ],
            rows,
        )
        self.notices += len(with_notice)
        self.items += len(rows)

    def _last_notice_id(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX({bulk.columns(Notice, ['id'])[0]}) FROM {bulk.table(Notice)}")
            return int(cursor.fetchone()[0] or 0)

    def _notice_ids(self, after_id: int) -> dict[int, int]:
        """customer id -> id of the run's notices inserted since `after_id` was the highest id (new
        ids are higher than every id before, on both databases; a run sends one notice per customer)."""
        customer, notice_id, run = bulk.columns(Notice, ["customer", "id", "run"])
        # "+run": no index on the run, whose notices grow with every chunk; the range of ids is small.
        sql = f"SELECT {customer}, {notice_id} FROM {bulk.table(Notice)} WHERE {notice_id} > %s AND +{run} = %s"
        with connection.cursor() as cursor:
            cursor.execute(sql, [after_id, self.run_id])
            return dict(cursor.fetchall())

    def _notice(self, plan: CustomerPlan) -> tuple[Any, ...]:
        assert plan.notice is not None
        assert plan.policy is not None
        n = plan.notice
        policy = plan.policy
        if n.level == 0:
            template = policy.pre_due.template if policy.pre_due else "pre_due"
        else:
            template = policy.level(min(n.level, policy.last_level)).template
        totals = [
            {
                "currency": t.currency,
                "reminded": t.reminded,
                "overdue": t.overdue,
                "credit": t.credit,
                "demanded": t.demanded,
            }
            for t in n.totals
        ]
        return (
            self.company_id,
            self.run_id,
            plan.customer_id,
            n.level,
            n.channel.value,
            self.status,
            self.today,
            payment_deadline(self.today, policy.payment_days),
            bulk.db_json(totals),
            False,
            "",
            policy.code,
            template,
            self.now,
            self.actor_user_id,
        )


_NOTICE_FIELDS = [
    "company",
    "run",
    "customer",
    "level",
    "channel",
    "status",
    "notice_date",
    "deadline",
    "totals",
    "manual",
    "note",
    "policy_code",
    "template",
    "created_at",
    "created_by",
]


# The items of the notices being approved, with what their history events say: the notices
# newest first (their default order: a run's notices share one date), their items by currency.
_NOTICE_ITEMS = """
SELECT n.id, n.customer_id, n.level, n.channel, n.totals, n.manual, n.note,
       i.number, ni.invoice_id, ni.action, ni.level
FROM {notice} n
JOIN {item} ni ON ni.notice_id = n.id
JOIN {invoice} i ON i.id = ni.invoice_id
WHERE {scope} AND n.status = 'proposed' AND NOT ni.excluded
ORDER BY n.id DESC, ni.currency, ni.id
"""


def write_notice_events(scope: str, key: int | None, company_id: int, actor: Actor, chunk: int = 5000) -> None:
    """The history of notices being approved: one event per notice, one per invoice handed over.

    One streaming query in plain SQL, events written a few thousand at a time: a run approves
    tens of thousands of notices, and neither the ORM nor memory should grow with them."""
    sql = _NOTICE_ITEMS.format(
        notice=bulk.table(Notice), item=bulk.table(NoticeItem), invoice=bulk.table(Invoice), scope=scope
    )
    now = bulk.db_datetime(timezone.now())
    drafts: list[EventDraft] = []
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [key])
        notice: tuple[Any, ...] | None = None
        covered: list[tuple[Any, ...]] = []
        while batch := cursor.fetchmany(2000):
            for row in batch:
                if notice is not None and row[0] != notice[0]:
                    drafts.extend(_notice_events(company_id, notice, covered))
                    covered = []
                    if len(drafts) >= chunk:
                        write_events(drafts, actor, now)
                        drafts = []
                notice = row
                covered.append(row[7:])
        if notice is not None:
            drafts.extend(_notice_events(company_id, notice, covered))
    write_events(drafts, actor, now)


def _notice_events(company_id: int, notice: tuple[Any, ...], covered: list[tuple[Any, ...]]) -> list[EventDraft]:
    """The events of one notice; `covered` holds (number, invoice id, action, level) per item."""
    notice_id, customer_id, level, channel, totals, manual, note = notice[:7]
    if isinstance(totals, str):  # JSON as text (SQLite, and PostgreSQL as Django reads it)
        totals = json.loads(totals)
    money = ", ".join(f"{format_minor(t['demanded'], t['currency'])} {t['currency']}" for t in totals)
    what = "Pre-due reminder" if level == 0 else f"Level {level} reminder"
    by = "manual, " if manual else ""
    drafts = [
        EventDraft(
            company_id=company_id,
            kind="notice.created",
            customer_id=customer_id,
            summary=(
                f"{what} #{notice_id} ({by}{channel}) about {', '.join(c[0] for c in covered)}: "
                f"demanding {money}" + (f"; note: {note}" if note else "")
            ),
            data={"notice": notice_id, "level": level, "invoices": [c[1] for c in covered]},
        )
    ]
    for number, invoice_id, action, item_level in covered:
        if action == "handover":
            drafts.append(
                EventDraft(
                    company_id=company_id,
                    kind="invoice.handed_over",
                    customer_id=customer_id,
                    invoice_id=invoice_id,
                    summary=f"{number} handed over to external collection at level {item_level}",
                    data={"notice": notice_id},
                )
            )
    return drafts
