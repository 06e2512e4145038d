"""What the outbox screen reads: the journal filtered in the database, counts per status, one message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from arrears.companies.models import Company
from arrears.delivery.models import DeliveryAttempt, OutboxMessage, PrintBatch

STATUSES = [s.value for s in OutboxMessage.Status]


@dataclass
class OutboxFilters:
    status: str = ""
    channel: str = ""
    kind: str = ""
    q: str = ""
    since: date | None = None
    until: date | None = None
    active: dict[str, str] = field(default_factory=dict)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def read_filters(params: Any) -> OutboxFilters:
    """The filters from a query string; values that are not choices are ignored, not errors."""
    f = OutboxFilters()
    status = params.get("status", "")
    f.status = status if status in STATUSES else ""
    channel = params.get("channel", "")
    f.channel = channel if channel in OutboxMessage.Channel.values else ""
    kind = params.get("kind", "")
    f.kind = kind if kind in OutboxMessage.Kind.values else ""
    f.q = (params.get("q") or "").strip()[:100]
    f.since = _day(params.get("since", ""))
    f.until = _day(params.get("until", ""))
    return f


def _start_of(day: date, company: Company) -> datetime:
    zone = company_zone(company)
    return timezone.make_aware(datetime.combine(day, time.min), zone)


def company_zone(company: Company) -> Any:
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(company.time_zone or "UTC")
    except (KeyError, ValueError):  # pragma: no cover - a time zone validated on input
        return ZoneInfo("UTC")


def _filtered_without_status(company: Company, f: OutboxFilters) -> QuerySet[OutboxMessage]:
    rows = OutboxMessage.objects.filter(company=company)
    if f.channel:
        rows = rows.filter(channel=f.channel)
    if f.kind:
        rows = rows.filter(kind=f.kind)
    if f.q:
        term = f.q
        match = (
            Q(recipient__icontains=term)
            | Q(notice__customer__external_id__iexact=term)
            | Q(notice__customer__name__icontains=term)
            | Q(subject__icontains=term)
        )
        number = term.lstrip("#")
        if number.isdigit():
            match |= Q(pk=int(number)) | Q(notice_id=int(number))
        rows = rows.filter(match)
    if f.since:
        rows = rows.filter(created_at__gte=_start_of(f.since, company))
    if f.until:
        rows = rows.filter(created_at__lt=_start_of(f.until + timedelta(days=1), company))
    return rows


def outbox_messages(company: Company, f: OutboxFilters) -> QuerySet[OutboxMessage]:
    """The journal's rows, newest first, with what the list shows joined in (no query per row)."""
    rows = _filtered_without_status(company, f)
    if f.status:
        rows = rows.filter(status=f.status)
    return rows.select_related("notice__customer", "account", "print_batch").order_by("-created_at", "-id")


def status_counts(company: Company, f: OutboxFilters) -> dict[str, int]:
    """How many messages each status has under the other filters: one grouped query."""
    counts = dict.fromkeys(STATUSES, 0)
    rows = _filtered_without_status(company, f).order_by().values("status").annotate(n=Count("id"))
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def message_of(company: Company, pk: int) -> OutboxMessage | None:
    return (
        OutboxMessage.objects.filter(company=company, pk=pk)
        .select_related("notice__customer", "account", "print_batch", "run", "mime")
        .first()
    )


def attempts_of(message: OutboxMessage) -> list[DeliveryAttempt]:
    return list(DeliveryAttempt.objects.filter(message=message).order_by("number", "id"))


def waiting_letters(company: Company) -> QuerySet[OutboxMessage]:
    """Paper letters waiting for the next print batch, in the order the batch will print them."""
    return (
        OutboxMessage.objects.filter(company=company, status=OutboxMessage.Status.PAPER, print_batch__isnull=True)
        .select_related("notice__customer")
        .order_by("notice__customer__country", "notice__customer__postal_code", "notice__customer__name", "pk")
    )


def print_batches(company: Company) -> QuerySet[PrintBatch]:
    return PrintBatch.objects.filter(company=company).order_by("-created_at", "-id")


def batch_letters(batch: PrintBatch) -> QuerySet[OutboxMessage]:
    return (
        OutboxMessage.objects.filter(print_batch=batch)
        .select_related("notice__customer")
        .order_by("notice__customer__country", "notice__customer__postal_code", "notice__customer__name", "pk")
    )
