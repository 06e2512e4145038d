"""The outbox: every e-mail and paper letter with its status, attempts and the server's last reply."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from arrears.api.auth import VIEWER, company_of
from arrears.api.errors import ERRORS, ApiError
from arrears.api.paging import PageParams, page
from arrears.api.types import Id, Text
from arrears.delivery.models import DeliveryAttempt, OutboxMessage

router = Router(tags=["messages"])

Status = Literal["queued", "sending", "sent", "failed", "paper", "printed", "skipped", "cancelled", "uncertain"]


class AttemptOut(Schema):
    number: int
    started_at: datetime
    finished_at: datetime
    outcome: str
    smtp_code: int | None
    reply: str


class MessageOut(Schema):
    id: int
    kind: Literal["notice", "report"]
    notice_id: int | None
    run_id: int | None
    customer_id: str | None
    channel: Literal["email", "letter"]
    recipient: str = Field(description="the e-mail address; empty for a paper letter")
    status: Status
    reason: str = Field(description="why it was skipped, went to paper or failed")
    attempts: int
    last_error: str
    subject: str
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    updated_at: datetime


class MessageDetail(MessageOut):
    attempt_log: list[AttemptOut]


class MessagePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MessageOut]


class MessageFilters(Schema):
    status: Status | None = None
    channel: Literal["email", "letter"] | None = None
    customer: Text | None = Field(None, max_length=64, description="a customer's id")
    notice: Id | None = None


def _rows(company_id: int) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(company_id=company_id).select_related("notice__customer")


def message_out(m: OutboxMessage) -> MessageOut:
    return MessageOut(
        id=m.pk,
        kind=m.kind,  # type: ignore[arg-type]
        notice_id=m.notice_id,
        run_id=m.run_id,
        customer_id=m.notice.customer.external_id if m.notice is not None else None,
        channel=m.channel,  # type: ignore[arg-type]
        recipient=m.recipient,
        status=m.status,  # type: ignore[arg-type]
        reason=m.reason,
        attempts=m.attempts,
        last_error=m.last_error,
        subject=m.subject,
        next_attempt_at=m.next_attempt_at,
        created_at=m.created_at,
        sent_at=m.sent_at,
        updated_at=m.updated_at,
    )


@router.get("/companies/{code}/messages", response={200: MessagePage, **ERRORS}, auth=VIEWER)
def list_messages(
    request: HttpRequest, code: Text, paging: Query[PageParams], filters: Query[MessageFilters]
) -> MessagePage:
    """Outbox messages, newest first. Viewer or higher."""
    rows = _rows(company_of(code).pk).order_by("-created_at", "-id")
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    if filters.channel is not None:
        rows = rows.filter(channel=filters.channel)
    if filters.customer is not None:
        rows = rows.filter(notice__customer__external_id=filters.customer)
    if filters.notice is not None:
        rows = rows.filter(notice_id=filters.notice)
    count, items = page(rows, paging)
    return MessagePage(count=count, limit=paging.limit, offset=paging.offset, items=[message_out(m) for m in items])


@router.get("/companies/{code}/messages/{message_id}", response={200: MessageDetail, **ERRORS}, auth=VIEWER)
def get_message(request: HttpRequest, code: Text, message_id: Id) -> MessageDetail:
    """One message with every delivery attempt. Viewer or higher."""
    attempts = DeliveryAttempt.objects.order_by("number", "id")
    found = (
        _rows(company_of(code).pk)
        .prefetch_related(Prefetch("attempt_log", queryset=attempts))
        .filter(pk=message_id)
        .first()
    )
    if found is None:
        raise ApiError(404, f"there is no message #{message_id}")
    return MessageDetail(
        **message_out(found).model_dump(),
        attempt_log=[
            AttemptOut(
                number=a.number,
                started_at=a.started_at,
                finished_at=a.finished_at,
                outcome=a.outcome,
                smtp_code=a.smtp_code,
                reply=a.reply,
            )
            for a in found.attempt_log.all()
        ],
    )
