"""A dunning run from start to end: lock, sending days, decisions, notices, approval.

A run either stops at a proposal for review (notices "proposed", nothing else changes) or is
approved at once. Approval is set-based SQL: one statement moves every reminded invoice to its
new state, whatever the number of notices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import holidays as holiday_calendars
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from arrears.companies.models import Company
from arrears.core.calendar import SendingCalendar
from arrears.customers.models import Customer
from arrears.dunning.engine_io import (
    CustomerPlan,
    Planner,
    RunWriter,
    cycle_collector_paused,
    load_lookups,
    stream_customers,
    write_notice_events,
)
from arrears.dunning.models import DunningAction, InvoiceDunning, Notice, NoticeItem, Run
from arrears.dunning.policies import PolicySet
from arrears.dunning.signals import invoices_handed_over, notices_created
from arrears.history.services import Actor, EventDraft
from arrears.ledger import bulk
from arrears.ledger.allocation_io import write_events

# A run still "running" after this long died without cleaning up; a new run may take over.
STALE_AFTER = timedelta(hours=6)


class RunRefused(Exception):
    """The run cannot start: another is in progress, or one for the date waits for review."""


@dataclass
class RunResult:
    run: Run | None  # None for a dry run
    as_of: date
    status: str
    message: str = ""
    decisions: int = 0
    notices: int = 0
    items: int = 0
    plans: list[CustomerPlan] = field(default_factory=list)  # kept only when a report was asked for


def sending_days(company: Company, policies: PolicySet, as_of: date) -> dict[str, str | None]:
    """For each policy: None when it may send on `as_of`, else why not."""
    try:
        public = holiday_calendars.country_holidays(company.country, years=[as_of.year])
        days = frozenset(public.keys())
    except NotImplementedError:
        days = frozenset()  # a country the holidays package does not know: weekdays only
    return {
        code: SendingCalendar(p.weekdays, p.business_days_only, days).why_not(as_of)
        for code, p in policies.policies.items()
    }


def _customer_ids(company: Company, external_ids: list[str] | None) -> list[int] | None:
    if not external_ids:
        return None
    found = dict(
        Customer.objects.filter(company=company, external_id__in=external_ids).values_list("external_id", "id")
    )
    missing = [e for e in external_ids if e not in found]
    if missing:
        raise RunRefused(f"unknown customer(s): {', '.join(missing)}")
    return [found[e] for e in external_ids]


def _take_lock(company: Company, as_of: date, external_ids: list[str] | None, policies: PolicySet, actor: Actor) -> Run:
    """Insert the 'running' row in its own committed transaction: a unique index admits one per company."""
    stale = timezone.now() - STALE_AFTER
    Run.objects.filter(company=company, status=Run.Status.RUNNING, started_at__lt=stale).update(
        status=Run.Status.FAILED, message="did not finish; taken over by a later run", finished_at=timezone.now()
    )
    waiting = Run.objects.filter(company=company, status=Run.Status.PROPOSAL).first()
    if waiting is not None:
        raise RunRefused(f"run #{waiting.pk} of {waiting.as_of} waits for review: approve or discard it first")
    try:
        with transaction.atomic():
            return Run.objects.create(
                company=company,
                as_of=as_of,
                status=Run.Status.RUNNING,
                customer_ids=external_ids or [],
                policy_versions={"source": policies.source, **policies.versions()},
                actor_label=actor.label,
            )
    except IntegrityError:
        other = Run.objects.filter(company=company, status=Run.Status.RUNNING).first()
        since = f" (run #{other.pk}, started {other.started_at:%Y-%m-%d %H:%M})" if other else ""
        raise RunRefused(f"another run for {company.code} is in progress{since}; try again when it ends") from None


def start_run(
    company: Company,
    as_of: date,
    policies: PolicySet,
    actor: Actor,
    *,
    customers: list[str] | None = None,
    dry_run: bool = False,
    review: bool = False,
    keep_plans: bool = False,
) -> RunResult:
    if not policies.policies or (policies.default is None and not policies.customer and not policies.group):
        raise RunRefused("no dunning policy: load one with 'arrears policy load FILE' (see docs/dunning.md)")
    customer_ids = _customer_ids(company, customers)
    if not dry_run and not customers:
        done = Run.objects.filter(company=company, as_of=as_of, customer_ids=[], status=Run.Status.DONE).first()
        if done is not None:
            return RunResult(
                done, as_of, "already_done", f"run #{done.pk} already covered {as_of}; a second run creates nothing new"
            )
    sending = sending_days(company, policies, as_of)
    if all(sending.values()):
        reasons = "; ".join(sorted({w for w in sending.values() if w}))
        message = f"not a sending day: {reasons}; no reminders on {as_of}"
        run = None
        if not dry_run:
            run = _take_lock(company, as_of, customers, policies, actor)
            Run.objects.filter(pk=run.pk).update(status=Run.Status.NOTHING, message=message, finished_at=timezone.now())
            run.refresh_from_db()
        return RunResult(run, as_of, Run.Status.NOTHING, message)

    lookups = load_lookups(company.pk, policies, customer_ids)
    if dry_run:
        return _dry_run(company, as_of, policies, lookups, customer_ids, sending, keep_plans)

    run = _take_lock(company, as_of, customers, policies, actor)
    try:
        with cycle_collector_paused(), transaction.atomic():
            writer = RunWriter(
                company.pk, run.pk, as_of, Notice.Status.PROPOSED, actor.user.pk if actor.user is not None else None
            )
            plans: list[CustomerPlan] = []
            planner = Planner(as_of, policies, lookups, sending)
            for customer_id, rows in stream_customers(company.pk, customer_ids):
                plan = planner.plan(customer_id, rows)
                writer.add(plan)
                if keep_plans:
                    plans.append(plan)
            writer.flush()
            counts = {"decisions": writer.decisions, "notices": writer.notices, "items": writer.items}
            status = Run.Status.PROPOSAL if review else Run.Status.DONE
            Run.objects.filter(pk=run.pk).update(status=status, counts=counts, finished_at=timezone.now())
            if not review:
                _approve(run.pk, company.pk, as_of, actor)
    except BaseException:
        Run.objects.filter(pk=run.pk).update(
            status=Run.Status.FAILED, finished_at=timezone.now(), message="failed; nothing of it was kept"
        )
        raise
    run.refresh_from_db()
    return RunResult(run, as_of, run.status, "", writer.decisions, writer.notices, writer.items, plans)


def _dry_run(
    company: Company,
    as_of: date,
    policies: PolicySet,
    lookups: object,
    customer_ids: list[int] | None,
    sending: dict[str, str | None],
    keep_plans: bool,
) -> RunResult:
    from arrears.dunning.engine_io import Lookups

    assert isinstance(lookups, Lookups)
    result = RunResult(None, as_of, "dry_run")
    planner = Planner(as_of, policies, lookups, sending)
    with cycle_collector_paused():
        for customer_id, rows in stream_customers(company.pk, customer_ids):
            plan = planner.plan(customer_id, rows)
            result.decisions += len(plan.rows)
            if plan.notice is not None:
                result.notices += 1
                result.items += len(plan.notice.items)
            if keep_plans:
                result.plans.append(plan)
    return result


def totals_left(notice: Notice, left: Sequence[NoticeItem]) -> list[dict[str, object]]:
    """The notice's totals for the items review left in it: the same credit, netted again."""
    reminded: dict[str, int] = {}
    for i in left:
        reminded[i.currency] = reminded.get(i.currency, 0) + i.outstanding_minor
    return [
        {**t, "reminded": reminded[t["currency"]], "demanded": max(reminded[t["currency"]] - t["credit"], 0)}
        for t in notice.totals
        if t["currency"] in reminded
    ]


def _drop_what_changed(run: Run, today: date, actor: Actor) -> int:
    """Before a proposal is approved, take out the invoices that no longer call for a reminder:
    paid, stopped, handed over, disputed, paused or excluded since the run; bring partly paid
    amounts up to date. Returns how many items were taken out."""
    items = list(
        NoticeItem.objects.filter(
            notice__run=run, notice__status=Notice.Status.PROPOSED, excluded=False
        ).select_related("invoice", "invoice__customer", "notice")
    )
    states = {s.invoice_id: s for s in InvoiceDunning.objects.filter(invoice_id__in=[i.invoice_id for i in items])}
    dropped: dict[int, list[str]] = {}
    touched: set[int] = set()
    for item in items:
        inv, cust, state = item.invoice, item.invoice.customer, states.get(item.invoice_id)
        why = _why_no_longer(inv, cust, state, today)
        if why:
            NoticeItem.objects.filter(pk=item.pk).update(excluded=True)
            dropped.setdefault(item.notice_id, []).append(f"{inv.number} ({why})")
            touched.add(item.notice_id)
        elif inv.outstanding_minor != item.outstanding_minor:
            NoticeItem.objects.filter(pk=item.pk).update(outstanding_minor=inv.outstanding_minor)
            touched.add(item.notice_id)
    for notice in Notice.objects.filter(pk__in=touched):
        left = list(NoticeItem.objects.filter(notice=notice, excluded=False))
        if not left:
            Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.EXCLUDED)
        else:
            Notice.objects.filter(pk=notice.pk).update(
                level=max(i.level for i in left), totals=totals_left(notice, left)
            )
        if notice.pk in dropped:
            write_events(
                [
                    EventDraft(
                        company_id=notice.company_id,
                        kind="notice.items_dropped",
                        customer_id=notice.customer_id,
                        summary=(
                            f"Taken out of proposed notice #{notice.pk} at approval: " + ", ".join(dropped[notice.pk])
                        ),
                        data={"notice": notice.pk},
                    )
                ],
                actor,
                bulk.db_datetime(timezone.now()),
            )
    return sum(len(v) for v in dropped.values())


def _why_no_longer(inv: Any, cust: Any, state: InvoiceDunning | None, today: date) -> str:
    if inv.outstanding_minor <= 0:
        return "paid meanwhile"
    if state is not None and state.handed_over_on:
        return "handed over meanwhile"
    if state is not None and state.stopped_on:
        return "reminding stopped meanwhile"
    if inv.disputed or cust.disputed:
        return "disputed meanwhile"
    if not inv.dunning_enabled or not cust.dunning_enabled:
        return "excluded meanwhile"
    for paused in (inv.paused_until, cust.paused_until):
        if paused is not None and paused >= today:
            return f"paused until {paused}"
    return ""


def approve_run(run: Run, actor: Actor) -> Run:
    """Approve a proposal: its notices (less what review excluded) are created and invoices move on."""
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status != Run.Status.PROPOSAL:
            raise RunRefused(f"run #{run.pk} is {locked.status}, not a proposal waiting for review")
        _drop_what_changed(locked, locked.company.today(), actor)
        _approve(run.pk, locked.company_id, locked.as_of, actor)
        Run.objects.filter(pk=run.pk).update(
            status=Run.Status.DONE, approved_at=timezone.now(), approved_by=actor.label
        )
    run.refresh_from_db()
    return run


def discard_run(run: Run, actor: Actor) -> Run:
    """Throw a proposal away: nothing of it is sent and no invoice moves."""
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status != Run.Status.PROPOSAL:
            raise RunRefused(f"run #{run.pk} is {locked.status}, not a proposal waiting for review")
        proposed = Notice.objects.filter(run=run, status=Notice.Status.PROPOSED)
        NoticeItem.objects.filter(notice__in=proposed).update(excluded=True)
        proposed.update(status=Notice.Status.EXCLUDED)
        Run.objects.filter(pk=run.pk).update(status=Run.Status.FAILED, message=f"discarded by {actor.label}")
    run.refresh_from_db()
    return run


# The state of every invoice reminded by approved notices, in one statement. `WHERE true` lets
# SQLite tell the SELECT's end from the ON CONFLICT clause. On conflict, a pre-due item (level 0)
# keeps the invoice's level; a level or repeat item sets it and ends a manual stop.
_APPLY_NOTICES = """
INSERT INTO {state} (invoice_id, company_id, level, repetitions, last_notice_on, pre_due_sent_on,
                     stopped_on, handed_over_on)
SELECT ni.invoice_id, n.company_id, ni.level, ni.repetition, n.notice_date,
       CASE WHEN ni.reason = 'pre_due' THEN n.notice_date END, NULL,
       CASE WHEN ni.action = 'handover' THEN n.notice_date END
FROM {item} ni JOIN {notice} n ON n.id = ni.notice_id
WHERE {scope} AND n.status = 'proposed' AND NOT ni.excluded AND true
ON CONFLICT (invoice_id) DO UPDATE SET
    level = CASE WHEN excluded.pre_due_sent_on IS NOT NULL THEN {state}.level ELSE excluded.level END,
    repetitions = CASE WHEN excluded.pre_due_sent_on IS NOT NULL THEN {state}.repetitions
                       ELSE excluded.repetitions END,
    last_notice_on = excluded.last_notice_on,
    pre_due_sent_on = COALESCE(excluded.pre_due_sent_on, {state}.pre_due_sent_on),
    stopped_on = CASE WHEN excluded.pre_due_sent_on IS NOT NULL THEN {state}.stopped_on ELSE NULL END,
    handed_over_on = COALESCE(excluded.handed_over_on, {state}.handed_over_on)
"""


def _approve(run_id: int | None, company_id: int, as_of: date, actor: Actor, notice_id: int | None = None) -> None:
    scope = "n.run_id = %s" if notice_id is None else "n.id = %s"
    key = run_id if notice_id is None else notice_id
    sql = _APPLY_NOTICES.format(
        state=bulk.table(InvoiceDunning), item=bulk.table(NoticeItem), notice=bulk.table(Notice), scope=scope
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
    notices = Notice.objects.filter(status=Notice.Status.PROPOSED)
    notices = notices.filter(pk=notice_id) if notice_id is not None else notices.filter(run_id=run_id or 0)
    _record(scope, key, company_id, actor)
    actions = NoticeItem.objects.filter(notice__in=notices, excluded=False, action="webhook")
    DunningAction.objects.bulk_create(
        DunningAction(
            company_id=company_id, notice_id=a.notice_id, invoice_id=a.invoice_id, action="webhook", url=a.action_url
        )
        for a in actions
    )
    handovers = list(
        NoticeItem.objects.filter(notice__in=notices, excluded=False, action="handover").values_list(
            "invoice_id", "notice_id", "level"
        )
    )
    created = list(notices.values_list("id", flat=True))
    notices.update(status=Notice.Status.CREATED)
    # Delivery writes the outbox rows here, in this transaction: nothing leaves unless recorded.
    notices_created.send(sender=Notice, notice_ids=created)
    if handovers:
        invoices_handed_over.send(sender=Notice, company_id=company_id, by="level", items=handovers)


def _record(scope: str, key: int | None, company_id: int, actor: Actor) -> None:
    """One history event per notice, and one per invoice handed over to external collection."""
    write_notice_events(scope, key, company_id, actor)
