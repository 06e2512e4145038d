"""Event webhooks, the writing side: a fact (a notice sent, a message failed, an invoice handed
over) becomes one EventDelivery row per subscribed endpoint, in the transaction that records the
fact. If that transaction rolls back, no event exists; if it commits, the worker delivers it
(webhooks.deliver_due_events). See docs/decisions/0009-event-webhooks.md.

The worker calls `message_recorded` directly (same app); dunning sends `invoices_handed_over`,
which `on_invoices_handed_over` receives (dunning must not import delivery).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from arrears.delivery.models import EventDelivery, OutboxMessage, WebhookEndpoint
from arrears.dunning.models import InvoiceDunning, NoticeItem
from arrears.ledger.models import Invoice

Event = WebhookEndpoint.Event
TEST_EVENT = "webhook.test"
REAL_EVENTS = [e.value for e in Event]  # all but the test event
CHUNK = 1000


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def new_delivery_id() -> str:
    return f"dlv_{uuid.uuid4().hex}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def subscribers(company_id: int, event_type: str) -> list[WebhookEndpoint]:
    """The company's active endpoints that take this event type (one query; usually none)."""
    endpoints = WebhookEndpoint.objects.filter(company_id=company_id, active=True).select_related("company")
    return [e for e in endpoints if event_type in (e.events or [])]


def write(
    endpoints: Sequence[WebhookEndpoint], event_type: str, datas: Sequence[dict[str, Any]], now: datetime
) -> list[EventDelivery]:
    """One delivery per event and endpoint; every endpoint gets the same event id and body."""
    rows: list[EventDelivery] = []
    for data in datas:
        event_id = new_event_id()
        for endpoint in endpoints:
            body = {
                "id": event_id,
                "type": event_type,
                "created": iso(now),
                "company": endpoint.company.code,
                "data": data,
            }
            rows.append(
                EventDelivery(
                    endpoint=endpoint,
                    event_id=event_id,
                    delivery_id=new_delivery_id(),
                    event_type=event_type,
                    payload=body,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    return EventDelivery.objects.bulk_create(rows, batch_size=CHUNK)


# -- notice.sent and message.failed: the worker records a message's outcome -----------------------


def message_recorded(message: OutboxMessage, status: str, now: datetime, *, attempts: int, error: str = "") -> int:
    """Called by the worker inside the transaction that records a message as sent or failed."""
    if status == OutboxMessage.Status.SENT:
        if message.notice_id is None:
            return 0  # a run report to the credit controller is not a notice
        event_type = Event.NOTICE_SENT.value
    elif status == OutboxMessage.Status.FAILED:
        event_type = Event.MESSAGE_FAILED.value
    else:
        return 0
    endpoints = subscribers(message.company_id, event_type)
    if not endpoints:
        return 0
    return len(write(endpoints, event_type, [message_data(message, status, now, attempts, error)], now))


def message_data(message: OutboxMessage, status: str, now: datetime, attempts: int, error: str) -> dict[str, Any]:
    went_to = message.envelope_to.split(",")[0].strip()
    data: dict[str, Any] = {
        "message": {
            "id": message.pk,
            "kind": message.kind,
            "channel": message.channel,
            "recipient": message.recipient,
            # In test mode the e-mail went to the test address instead of the recipient.
            "delivered_to": went_to or message.recipient,
            "message_id": message.message_id,
            "status": status,
            "attempts": attempts,
        },
        "notice": None,
        "customer": None,
        "invoices": [],
    }
    if status == OutboxMessage.Status.SENT:
        data["message"]["sent_at"] = iso(now)
    else:
        data["message"]["error"] = error[:1000]
    notice = message.notice
    if notice is not None:
        customer = notice.customer
        data["notice"] = {
            "id": notice.pk,
            "level": notice.level,
            "date": notice.notice_date.isoformat(),
            "deadline": notice.deadline.isoformat(),
            "manual": notice.manual,
            "totals": [{"currency": t["currency"], "demanded_minor": t["demanded"]} for t in notice.totals],
        }
        data["customer"] = {"id": customer.external_id, "name": customer.name}
        data["invoices"] = [
            {"number": number, "currency": currency, "reminded_minor": reminded, "level": level}
            for number, currency, reminded, level in NoticeItem.objects.filter(notice_id=notice.pk, excluded=False)
            .order_by("id")
            .values_list("invoice__number", "currency", "outstanding_minor", "level")
        ]
    return data


# -- invoice.handed_over: dunning's signal -----------------------------------------------------------


def on_invoices_handed_over(
    sender: Any, company_id: int, by: str, items: Sequence[tuple[int, int | None, int | None]], **kwargs: Any
) -> None:
    handed_over(company_id, by, items, timezone.now())


def handed_over(company_id: int, by: str, items: Sequence[tuple[int, int | None, int | None]], now: datetime) -> int:
    event_type = Event.INVOICE_HANDED_OVER.value
    endpoints = subscribers(company_id, event_type)
    if not endpoints or not items:
        return 0
    written = 0
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        ids = [invoice_id for invoice_id, _, _ in chunk]
        invoices = Invoice.objects.select_related("customer").in_bulk(ids)
        states = dict(InvoiceDunning.objects.filter(invoice_id__in=ids).values_list("invoice_id", "handed_over_on"))
        datas = []
        for invoice_id, notice_id, level in chunk:
            invoice = invoices[invoice_id]
            on = states.get(invoice_id)
            datas.append(
                {
                    "invoice": {
                        "number": invoice.number,
                        "currency": invoice.currency,
                        "amount_minor": invoice.amount_minor,
                        "outstanding_minor": invoice.outstanding_minor,
                        "issue_date": invoice.issue_date.isoformat(),
                        "due_date": invoice.due_date.isoformat(),
                    },
                    "customer": {"id": invoice.customer.external_id, "name": invoice.customer.name},
                    "handed_over_on": on.isoformat() if on else None,
                    "by": by,
                    "notice": None if notice_id is None else {"id": notice_id, "level": level},
                }
            )
        written += len(write(endpoints, event_type, datas, now))
    return written


def make_test_event(endpoint: WebhookEndpoint, now: datetime) -> EventDelivery:
    """A "webhook.test" event for one endpoint, whatever it subscribes to."""
    data = {"endpoint": endpoint.pk, "description": endpoint.description, "text": "a test event from arrears"}
    (row,) = write([endpoint], TEST_EVENT, [data], now)
    return row
