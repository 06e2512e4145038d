"""The dunning run's hot loop: stream open invoices, let the core decide, write in bulk.

No ORM objects per invoice: one SQL statement streams narrow rows ordered by customer (an index
serves the order), the pure `decide()` runs per row, and decisions, notices and items are written
a chunk of customers at a time with prepared statements. Memory stays flat however large the
ledger is; only the per-customer lookups (policy, credit, e-mail) are held for the whole run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.utils import timezone

from arrears.core.engine import Decision, DunningState, InvoiceFacts, Reason, decide
from arrears.core.notices import Item, NoticePlan, group_customer, payment_deadline
from arrears.core.policy import Action, Channel, Policy
from arrears.customers.models import Contact, Customer
from arrears.dunning.models import InvoiceDunning, Notice, NoticeItem, RunDecision
from arrears.dunning.policies import PolicySet
from arrears.ledger import bulk
from arrears.ledger.models import Invoice, Payment

_CANDIDATES = """
SELECT i.id, i.customer_id, i.number, i.currency, i.due_date, i.outstanding_minor,
       i.dunning_enabled, i.paused_until, i.disputed,
       c.dunning_enabled, c.paused_until, c.disputed,
       s.level, s.repetitions, s.last_notice_on, s.pre_due_sent_on, s.stopped_on, s.handed_over_on
FROM {invoice} i
JOIN {customer} c ON c.id = i.customer_id
LEFT JOIN {state} s ON s.invoice_id = i.id
WHERE i.company_id = %s AND i.outstanding_minor > 0 AND i.kind = 'invoice' {only}
ORDER BY i.company_id, i.customer_id, i.due_date
"""


def _day(value: Any) -> date | None:
    # SQLite returns dates as ISO text, PostgreSQL as date objects.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class Looked:
    """One invoice the run looked at, with its decision."""

    facts: InvoiceFacts
    number: str
    policy: str
    decision: Decision


@dataclass
class CustomerPlan:
    customer_id: int
    looked: list[Looked]
    notice: NoticePlan | None
    policy: Policy | None  # the policy of the notice's highest item, for deadline and template
    item_policy: dict[int, Policy] = field(default_factory=dict)  # invoice id -> its own policy (level actions)


@dataclass
class Lookups:
    """What the run needs per customer, loaded once."""

    has_email: set[int]
    credit: dict[int, dict[str, int]]
    policy_of_customer: dict[int, str]
    external_id: dict[int, str]


def load_lookups(company_id: int, policies: PolicySet, customer_ids: list[int] | None) -> Lookups:
    customers = Customer.objects.filter(company_id=company_id)
    if customer_ids is not None:
        customers = customers.filter(pk__in=customer_ids)
    has_email = set(
        Contact.objects.filter(customer__in=customers, role_dunning=True)
        .exclude(email="")
        .values_list("customer_id", flat=True)
    )
    credit: dict[int, dict[str, int]] = defaultdict(dict)
    for customer_id, currency, amount in Payment.objects.filter(
        customer__in=customers, unallocated_minor__gt=0
    ).values_list("customer_id", "currency", "unallocated_minor"):
        credit[customer_id][currency] = credit[customer_id].get(currency, 0) + amount
    for customer_id, currency, amount in Invoice.objects.filter(
        customer__in=customers, kind=Invoice.Kind.CREDIT_NOTE, outstanding_minor__gt=0
    ).values_list("customer_id", "currency", "outstanding_minor"):
        credit[customer_id][currency] = credit[customer_id].get(currency, 0) + amount
    # Customer beats group beats default; among several groups, the lowest priority number wins.
    policy_of: dict[int, str] = {}
    if policies.group:
        through = Customer.groups.through
        best: dict[int, tuple[int, str, str]] = {}
        for customer_id, group_id, group_code in through.objects.filter(
            customergroup_id__in=list(policies.group), customer__in=customers
        ).values_list("customer_id", "customergroup_id", "customergroup__code"):
            priority, code = policies.group[group_id]
            candidate = (priority, group_code, code)
            if customer_id not in best or candidate < best[customer_id]:
                best[customer_id] = candidate
        policy_of.update({customer_id: code for customer_id, (_, _, code) in best.items()})
    policy_of.update(policies.customer)
    external = dict(customers.values_list("id", "external_id"))
    return Lookups(has_email, dict(credit), policy_of, external)


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

    sql = _CANDIDATES.format(
        invoice=bulk.table(Invoice), customer=bulk.table(C), state=bulk.table(InvoiceDunning), only=only
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


def plan_customer(
    customer_id: int,
    rows: list[tuple[Any, ...]],
    today: date,
    policies: PolicySet,
    lookups: Lookups,
    sending: dict[str, str | None],
) -> CustomerPlan:
    """Decide every open invoice of one customer and group the due ones into one notice."""
    looked: list[Looked] = []
    due: list[Item] = []
    overdue: dict[str, int] = {}
    customer_policy = lookups.policy_of_customer.get(customer_id, policies.default or "")
    by_code = policies.policies
    top_policy: Policy | None = None
    for (inv_id, _, number, currency, due_on, outstanding, inv_on, inv_paused, inv_disputed,
         cust_on, cust_paused, cust_disputed, level, reps, last_on, pre_on, stop_on, hand_on) in rows:  # fmt: skip
        due_date = _day(due_on)
        assert due_date is not None
        facts = InvoiceFacts(
            inv_id,
            customer_id,
            currency,
            due_date,
            outstanding,
            bool(inv_on),
            _day(inv_paused),
            bool(inv_disputed),
            bool(cust_on),
            _day(cust_paused),
            bool(cust_disputed),
        )
        state = DunningState(level or 0, reps or 0, _day(last_on), _day(pre_on), _day(stop_on), _day(hand_on))
        code = policies.invoice.get(inv_id, customer_policy)
        policy = by_code.get(code)
        remindable = (
            bool(inv_on) and bool(cust_on) and not inv_disputed and not cust_disputed and not stop_on and not hand_on
        )
        if due_date < today and remindable:
            # Credit answers for what can be demanded: a disputed or stopped invoice does not use it up.
            overdue[currency] = overdue.get(currency, 0) + outstanding
        if policy is None:
            looked.append(
                Looked(facts, number, code, Decision(Reason.EXCLUDED_CUSTOMER, state.level, detail="no policy"))
            )
            continue
        decision = decide(facts, state, policy, today)
        why_not = sending.get(code)
        if decision.sends and why_not:
            decision = Decision(Reason.NOT_SENDING_DAY, state.level, next_possible_on=None, detail=why_not)
        looked.append(Looked(facts, number, code, decision))
        if decision.sends:
            if decision.reason == Reason.PRE_DUE:
                channel = policy.pre_due.channel if policy.pre_due else Channel.EMAIL
            else:
                channel = policy.level(decision.level).channel
            due.append(Item(facts, decision, channel))
    grouping = group_customer(
        customer_id, due, overdue, lookups.credit.get(customer_id, {}), customer_id in lookups.has_email
    )
    if grouping.covered_by_credit:
        covered = {item.facts.invoice_id for item in grouping.covered_by_credit}
        # No notice goes out: like every decision that sends nothing, it carries the current level
        # (a "level" decision was for the level after it).
        looked = [
            Looked(
                lk.facts,
                lk.number,
                lk.policy,
                Decision(
                    Reason.CREDIT_COVERS,
                    lk.decision.level - 1 if lk.decision.reason == Reason.LEVEL else lk.decision.level,
                ),
            )
            if lk.facts.invoice_id in covered
            else lk
            for lk in looked
        ]
    if grouping.notice is not None:
        top = max(grouping.notice.items, key=lambda it: it.decision.level)
        top_code = next(lk.policy for lk in looked if lk.facts.invoice_id == top.facts.invoice_id)
        top_policy = by_code[top_code]
    item_policy = {}
    if grouping.notice is not None:
        codes = {lk.facts.invoice_id: lk.policy for lk in looked}
        item_policy = {i.facts.invoice_id: by_code[codes[i.facts.invoice_id]] for i in grouping.notice.items}
    return CustomerPlan(customer_id, looked, grouping.notice, top_policy, item_policy)


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
                (
                    self.run_id,
                    lk.facts.invoice_id,
                    plan.customer_id,
                    lk.decision.reason.value,
                    lk.decision.level,
                    lk.decision.repetition,
                    lk.decision.next_possible_on,
                    lk.decision.detail[:40],
                    lk.policy,
                )
                for plan in plans
                for lk in plan.looked
            ],
        )
        self.decisions += sum(len(p.looked) for p in plans)
        with_notice = [p for p in plans if p.notice is not None]
        # A prepared INSERT and one query for the new ids: no model instance per notice.
        bulk.insert_rows(Notice, _NOTICE_FIELDS, [self._notice(p) for p in with_notice])
        ids = dict(
            Notice.objects.filter(run_id=self.run_id, customer_id__in=[p.customer_id for p in with_notice]).values_list(
                "customer_id", "id"
            )
        )
        rows = []
        for plan in with_notice:
            notice_id = ids[plan.customer_id]
            assert plan.notice is not None
            assert plan.policy is not None
            for item in plan.notice.items:
                level = item.decision.level
                action, url = Action.NONE, ""
                if item.decision.reason == Reason.LEVEL:
                    own = plan.item_policy.get(item.facts.invoice_id, plan.policy)
                    lv = own.level(level) if level <= own.last_level else None
                    if lv is not None:
                        action, url = lv.action, lv.webhook_url
                rows.append(
                    (
                        notice_id,
                        item.facts.invoice_id,
                        level,
                        item.decision.repetition,
                        item.decision.reason.value,
                        item.facts.currency,
                        item.facts.outstanding,
                        max((self.today - item.facts.due_date).days, 0),
                        False,
                        action.value,
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
