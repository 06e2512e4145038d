"""The reminder book: every notice with its delivery, filtered in the database, one page at a time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from arrears.companies.models import Company
from arrears.delivery.models import OutboxMessage
from arrears.dunning.models import Notice, NoticeItem, RunDecision


@dataclass(frozen=True)
class NoticeFilter:
    status: str = ""  # a Notice.Status
    delivery: str = ""  # an OutboxMessage.Status
    level: int | None = None
    customer: str = ""  # external id (exact) or a part of the name
    date_from: date | None = None
    date_to: date | None = None
    channel: str = ""

    @classmethod
    def from_query(cls, data: Any) -> NoticeFilter:
        """From the query string; anything not understood is ignored, never an error page."""

        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(data.get(name, ""))
            except ValueError:
                return None

        status = data.get("status", "")
        delivery = data.get("delivery", "")
        channel = data.get("channel", "")
        level_text = data.get("level", "")
        return cls(
            status=status if status in Notice.Status.values else "",
            delivery=delivery if delivery in OutboxMessage.Status.values else "",
            level=int(level_text) if level_text.isdigit() and len(level_text) < 4 else None,
            customer=data.get("customer", "").strip()[:100],
            date_from=day("from"),
            date_to=day("to"),
            channel=channel if channel in {"email", "letter", "both"} else "",
        )

    @property
    def active(self) -> bool:
        return any(
            (
                self.status,
                self.delivery,
                self.level is not None,
                self.customer,
                self.date_from,
                self.date_to,
                self.channel,
            )
        )


def notice_rows(company: Company, f: NoticeFilter) -> QuerySet[Notice]:
    rows = Notice.objects.filter(company=company).select_related("customer", "run")
    if f.status:
        rows = rows.filter(status=f.status)
    if f.delivery:
        rows = rows.filter(Exists(OutboxMessage.objects.filter(notice=OuterRef("pk"), status=f.delivery)))
    if f.level is not None:
        rows = rows.filter(level=f.level)
    if f.channel:
        rows = rows.filter(channel=f.channel)
    if f.customer:
        rows = rows.filter(Q(customer__external_id__iexact=f.customer) | Q(customer__name__icontains=f.customer))
    if f.date_from:
        rows = rows.filter(notice_date__gte=f.date_from)
    if f.date_to:
        rows = rows.filter(notice_date__lte=f.date_to)
    return rows.order_by("-notice_date", "-id")


def messages_of(notice_ids: list[int]) -> dict[int, list[OutboxMessage]]:
    """The outbox messages of some notices (one query), newest last."""
    found: dict[int, list[OutboxMessage]] = defaultdict(list)
    rows = OutboxMessage.objects.filter(notice_id__in=notice_ids).only(
        "id", "notice_id", "channel", "recipient", "status", "reason", "last_error", "sent_at", "attempts", "mime_id"
    )
    for m in rows.order_by("id"):
        if m.notice_id is not None:
            found[m.notice_id].append(m)
    return found


def next_reminders(notice_ids: list[int]) -> dict[int, date | None]:
    """Per notice: the first day another reminder about one of its invoices could be due, as the
    run that made the notice worked it out (RunDecision.next_possible_on of the invoices it covers;
    invoices paid since are left out). Absent: not known (a manual notice, or nothing still open);
    None: no further automatic reminder. Two queries, whatever the number of notices."""
    items = list(
        NoticeItem.objects.filter(
            notice_id__in=notice_ids, excluded=False, invoice__outstanding_minor__gt=0
        ).values_list("notice_id", "notice__run_id", "invoice_id")
    )
    keys = {(run_id, invoice_id) for _, run_id, invoice_id in items if run_id is not None}
    if not keys:
        return {}
    decided = {
        (run_id, invoice_id): next_on
        for run_id, invoice_id, next_on in RunDecision.objects.filter(
            run_id__in={r for r, _ in keys}, invoice_id__in={i for _, i in keys}
        ).values_list("run_id", "invoice_id", "next_possible_on")
        if (run_id, invoice_id) in keys
    }
    result: dict[int, date | None] = {}
    for notice_id, run_id, invoice_id in items:
        if (run_id, invoice_id) not in decided:
            continue
        next_on = decided[(run_id, invoice_id)]
        current = result.get(notice_id)
        if notice_id not in result or (next_on is not None and (current is None or next_on < current)):
            result[notice_id] = next_on
    return result
