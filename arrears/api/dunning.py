"""Notices and runs: what was sent or proposed, a dry run of what a run would do, approval."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from arrears.api.auth import CLERK, VIEWER, api_actor, company_of
from arrears.api.errors import ERRORS, ApiError, ErrorItem
from arrears.api.paging import PageParams, page
from arrears.api.types import Day, Id, Text
from arrears.core.money import format_minor
from arrears.customers.models import Customer
from arrears.delivery.models import OutboxMessage
from arrears.dunning.models import Notice, NoticeItem, Run
from arrears.dunning.policies import stored_policies
from arrears.dunning.report import as_json
from arrears.dunning.runs import RunRefused, approve_run, discard_run, start_run

router = Router(tags=["dunning"])
MAX_DRY_RUN_CUSTOMERS = 1000
# A dry run over a whole large ledger decides every open invoice; its lists are cut here (the
# summary always counts everything).
MAX_DRY_RUN_ENTRIES = 5000


# --- Notices ---------------------------------------------------------------------------------------


class TotalOut(Schema):
    currency: str
    reminded: str
    overdue: str
    credit: str
    demanded: str = Field(description="what the notice asks to be paid: reminded less credit")


class NoticeItemOut(Schema):
    invoice: str
    level: int
    repetition: int
    reason: str
    currency: str
    outstanding: str
    days_overdue: int
    excluded: bool = Field(description="taken out in review")


class MessageRef(Schema):
    id: int
    channel: str
    recipient: str
    status: str


class NoticeOut(Schema):
    id: int
    customer_id: str
    run_id: int | None
    level: int = Field(description="the highest level among its items; 0: the reminder before the due date")
    channel: str
    status: Literal["proposed", "excluded", "created"]
    notice_date: date
    deadline: date
    manual: bool
    note: str
    policy: str
    totals: list[TotalOut]
    items: list[NoticeItemOut]
    messages: list[MessageRef]
    created_at: datetime


class NoticePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[NoticeOut]


class NoticeFilters(Schema):
    status: Literal["proposed", "excluded", "created"] | None = None
    level: int | None = Field(None, ge=0, le=1000)
    customer: Text | None = Field(None, max_length=64, description="a customer's id")
    run: Id | None = None
    date_from: Day | None = Field(None, description="notice date on or after")
    date_to: Day | None = Field(None, description="notice date on or before")


def _notices(company_id: int) -> QuerySet[Notice]:
    items = NoticeItem.objects.select_related("invoice").order_by("currency", "id")
    messages = OutboxMessage.objects.order_by("id").only("id", "notice_id", "channel", "recipient", "status")
    return (
        Notice.objects.filter(company_id=company_id)
        .select_related("customer")
        .prefetch_related(Prefetch("items", queryset=items), Prefetch("messages", queryset=messages))
    )


def _total(t: dict[str, Any]) -> TotalOut:
    cur = str(t.get("currency", ""))
    money = {k: format_minor(int(t.get(k, 0)), cur) for k in ("reminded", "overdue", "credit", "demanded")}
    return TotalOut(currency=cur, **money)


def notice_out(n: Notice) -> NoticeOut:
    return NoticeOut(
        id=n.pk,
        customer_id=n.customer.external_id,
        run_id=n.run_id,
        level=n.level,
        channel=n.channel,
        status=n.status,  # type: ignore[arg-type]
        notice_date=n.notice_date,
        deadline=n.deadline,
        manual=n.manual,
        note=n.note,
        policy=n.policy_code,
        totals=[_total(t) for t in n.totals],
        items=[
            NoticeItemOut(
                invoice=i.invoice.number,
                level=i.level,
                repetition=i.repetition,
                reason=i.reason,
                currency=i.currency,
                outstanding=format_minor(i.outstanding_minor, i.currency),
                days_overdue=i.days_overdue,
                excluded=i.excluded,
            )
            for i in n.items.all()
        ],
        messages=[
            MessageRef(id=m.pk, channel=m.channel, recipient=m.recipient, status=m.status) for m in n.messages.all()
        ],
        created_at=n.created_at,
    )


@router.get("/companies/{code}/notices", response={200: NoticePage, **ERRORS}, auth=VIEWER)
def list_notices(
    request: HttpRequest, code: Text, paging: Query[PageParams], filters: Query[NoticeFilters]
) -> NoticePage:
    """Notices, newest first, with their items and the messages that deliver them. Viewer or higher."""
    company = company_of(code)
    rows = _notices(company.pk).order_by("-notice_date", "-id")
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    if filters.level is not None:
        rows = rows.filter(level=filters.level)
    if filters.customer is not None:
        rows = rows.filter(customer__external_id=filters.customer)
    if filters.run is not None:
        rows = rows.filter(run_id=filters.run)
    if filters.date_from is not None:
        rows = rows.filter(notice_date__gte=filters.date_from)
    if filters.date_to is not None:
        rows = rows.filter(notice_date__lte=filters.date_to)
    count, items = page(rows, paging)
    return NoticePage(count=count, limit=paging.limit, offset=paging.offset, items=[notice_out(n) for n in items])


@router.get("/companies/{code}/notices/{notice_id}", response={200: NoticeOut, **ERRORS}, auth=VIEWER)
def get_notice(request: HttpRequest, code: Text, notice_id: Id) -> NoticeOut:
    """One notice. Viewer or higher."""
    found = _notices(company_of(code).pk).filter(pk=notice_id).first()
    if found is None:
        raise ApiError(404, f"there is no notice #{notice_id}")
    return notice_out(found)


# --- Runs ------------------------------------------------------------------------------------------


class RunOut(Schema):
    id: int
    as_of: date
    status: Literal["running", "proposal", "done", "nothing", "failed"]
    message: str
    customers: list[str] = Field(description="the customers the run was limited to (empty: all)")
    counts: dict[str, int] = Field(description="decisions, notices and items")
    policy_versions: dict[str, str | int]
    actor: str
    started_at: datetime
    finished_at: datetime | None
    approved_at: datetime | None
    approved_by: str


class RunPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RunOut]


class RunFilters(Schema):
    status: Literal["running", "proposal", "done", "nothing", "failed"] | None = None


def run_out(r: Run) -> RunOut:
    return RunOut(
        id=r.pk,
        as_of=r.as_of,
        status=r.status,  # type: ignore[arg-type]
        message=r.message,
        customers=[str(c) for c in r.customer_ids],
        counts={str(k): int(v) for k, v in r.counts.items()},
        policy_versions=r.policy_versions,
        actor=r.actor_label,
        started_at=r.started_at,
        finished_at=r.finished_at,
        approved_at=r.approved_at,
        approved_by=r.approved_by,
    )


def _run(company_id: int, run_id: int) -> Run:
    found = Run.objects.filter(company_id=company_id, pk=run_id).first()
    if found is None:
        raise ApiError(404, f"there is no run #{run_id}")
    return found


class DryRunIn(Schema):
    model_config = ConfigDict(extra="forbid")

    as_of: Day | None = Field(None, description="the day to decide for (default: today where the company is)")
    customers: list[Text] | None = Field(
        None, max_length=MAX_DRY_RUN_CUSTOMERS, description="limit it to these customers' ids (default: all)"
    )


class DryRunInfo(Schema):
    id: None = None
    company: str
    as_of: date
    status: str = Field(description="dry_run, or nothing on a day no policy sends")
    dry_run: bool
    message: str
    policies: dict[str, str | int]


class DryRunSummary(Schema):
    looked_at: int
    notices: int
    items: int
    by_reason: dict[str, int]


class DryItem(Schema):
    invoice: str
    level: int
    repetition: int
    reason: str
    outstanding: str
    currency: str
    due_date: date
    days_overdue: int
    next_possible_on: date | None


class DryNotice(Schema):
    customer: str
    channel: str
    level: int
    policy: str | None
    items: list[DryItem]
    totals: list[TotalOut]


class NotReminded(Schema):
    customer: str
    invoice: str
    currency: str
    outstanding: str
    due_date: date
    reason: str
    words: str
    level: int
    next_possible_on: date | None
    policy: str


class DryRunOut(Schema):
    """The run report (docs/dunning.md) of a run that wrote nothing."""

    report_version: int
    run: DryRunInfo
    summary: DryRunSummary
    notices: list[DryNotice]
    not_reminded: list[NotReminded]
    truncated: bool = Field(description=f"true: a list was cut at {MAX_DRY_RUN_ENTRIES} entries")


@router.get("/companies/{code}/runs", response={200: RunPage, **ERRORS}, auth=VIEWER)
def list_runs(request: HttpRequest, code: Text, paging: Query[PageParams], filters: Query[RunFilters]) -> RunPage:
    """Dunning runs, newest first. Viewer or higher."""
    rows = Run.objects.filter(company=company_of(code)).order_by("-as_of", "-id")
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    count, items = page(rows, paging)
    return RunPage(count=count, limit=paging.limit, offset=paging.offset, items=[run_out(r) for r in items])


@router.post("/companies/{code}/runs/dry-run", response={200: DryRunOut, **ERRORS}, auth=CLERK)
def dry_run(request: HttpRequest, code: Text, payload: DryRunIn) -> DryRunOut:
    """What a run would do, with nothing written: every notice with its items, and for every other
    open invoice why it gets no reminder. Clerk or higher."""
    company = company_of(code)
    customers = list(dict.fromkeys(payload.customers or []))
    if customers:
        known = set(
            Customer.objects.filter(company=company, external_id__in=customers).values_list("external_id", flat=True)
        )
        unknown = [
            ErrorItem(location="body", index=i, field="customers", message=f"there is no customer {c!r}")
            for i, c in enumerate(payload.customers or [])
            if c not in known
        ]
        if unknown:
            raise ApiError(422, f"{len(unknown)} unknown customer(s); nothing was run", unknown)
    policies = stored_policies(company)
    try:
        result = start_run(
            company,
            payload.as_of or company.today(),
            policies,
            api_actor(request),
            customers=customers or None,
            dry_run=True,
            keep_plans=True,
        )
    except RunRefused as exc:
        raise ApiError(409, str(exc)) from None
    report = as_json(company, result, {"source": policies.source, **policies.versions()})
    truncated = False
    for key in ("notices", "not_reminded"):
        if len(report[key]) > MAX_DRY_RUN_ENTRIES:
            report[key] = report[key][:MAX_DRY_RUN_ENTRIES]
            truncated = True
    return DryRunOut(**report, truncated=truncated)


@router.get("/companies/{code}/runs/{run_id}", response={200: RunOut, **ERRORS}, auth=VIEWER)
def get_run(request: HttpRequest, code: Text, run_id: Id) -> RunOut:
    """One run; its notices are listed by GET .../notices?run=ID. Viewer or higher."""
    return run_out(_run(company_of(code).pk, run_id))


@router.post("/companies/{code}/runs/{run_id}/approve", response={200: RunOut, **ERRORS}, auth=CLERK)
def approve(request: HttpRequest, code: Text, run_id: Id) -> RunOut:
    """Approve a proposal: its notices are created and queued for delivery (409 when the run is not
    a proposal waiting for review). Clerk or higher."""
    run = _run(company_of(code).pk, run_id)
    try:
        return run_out(approve_run(run, api_actor(request)))
    except RunRefused as exc:
        raise ApiError(409, str(exc)) from None


@router.post("/companies/{code}/runs/{run_id}/discard", response={200: RunOut, **ERRORS}, auth=CLERK)
def discard(request: HttpRequest, code: Text, run_id: Id) -> RunOut:
    """Throw a proposal away: nothing of it is sent. Clerk or higher."""
    run = _run(company_of(code).pk, run_id)
    try:
        return run_out(discard_run(run, api_actor(request)))
    except RunRefused as exc:
        raise ApiError(409, str(exc)) from None
