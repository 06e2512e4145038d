"""Level actions that call a webhook (for example, an ISP blocking a subscriber's service), and
event webhooks (notice sent, message failed, invoice handed over) signed with HMAC-SHA256.

HTTP has no exactly-once: a call is made at least once, carries an id that stays the same on every
retry (Idempotency-Key; X-Arrears-Delivery and the event's id), and counts as done on a 2xx reply.
Other replies and network errors are retried with the worker's backoff; after the last try the
call is "failed" for a person to see.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from arrears.delivery.events import TEST_EVENT, make_test_event
from arrears.delivery.models import EventDelivery, WebhookCall, WebhookEndpoint
from arrears.dunning.models import DunningAction
from arrears.history.services import Actor, EventDraft, record

log = logging.getLogger("arrears.delivery.webhooks")
TIMEOUT_SECONDS = 10
CLAIM_LEASE = timedelta(minutes=5)
# A batch must end well inside its lease, even when every endpoint times out: 10 x 10 s < 5 min.
CLAIM_BATCH = 10


def payload(action: DunningAction) -> dict[str, Any]:
    invoice, notice = action.invoice, action.notice
    customer = invoice.customer
    return {
        "event": "dunning.level_reached",
        "action_id": action.pk,
        "company": action.company.code,
        "customer": {"id": customer.external_id, "name": customer.name},
        "invoice": {
            "number": invoice.number,
            "currency": invoice.currency,
            "outstanding_minor": invoice.outstanding_minor,
            "due_date": invoice.due_date.isoformat(),
        },
        "notice": {"id": notice.pk, "level": notice.level, "date": notice.notice_date.isoformat()},
    }


def post(url: str, body: dict[str, Any], key: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - the URL comes from a policy an administrator configured
        url,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json", "Idempotency-Key": key, "User-Agent": "arrears"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        status: int = response.status
        return status


def call_due_webhooks(now: datetime, backoff: list[Any], actor: Actor, send: Callable[..., int] = post) -> int:
    pending = DunningAction.objects.filter(status=DunningAction.Status.PENDING, action="webhook")
    for action in pending.filter(call__isnull=True):
        WebhookCall.objects.get_or_create(action=action, defaults={"next_attempt_at": now})
    # Claimed like outbox messages: SKIP LOCKED, and the claim moves the next attempt a lease ahead,
    # so two workers on PostgreSQL never call the same webhook at once. A worker that dies mid-call
    # leaves it to be called again after the lease (at least once; the Idempotency-Key stays).
    with transaction.atomic():
        ids = list(
            WebhookCall.objects.filter(action__status=DunningAction.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:CLAIM_BATCH]
        )
        WebhookCall.objects.filter(pk__in=ids).update(next_attempt_at=now + CLAIM_LEASE)
    due = list(
        WebhookCall.objects.filter(pk__in=ids)
        .select_related("action", "action__company", "action__invoice__customer", "action__notice")
        .order_by("pk")
    )
    for call in due:
        _call(call, now, backoff, actor, send)
    return len(due)


def _call(call: WebhookCall, now: datetime, backoff: list[Any], actor: Actor, send: Callable[..., int]) -> None:
    action = call.action
    status: int | None = None
    error = ""
    try:
        status = send(action.url, payload(action), f"arrears-action-{action.pk}")
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    call.attempts += 1
    call.last_status = status
    ok = status is not None and 200 <= status < 300
    with transaction.atomic():
        if ok:
            call.finished_at, call.last_error = now, ""
            DunningAction.objects.filter(pk=action.pk).update(status=DunningAction.Status.DONE)
            what = f"webhook for {action.invoice.number} called: HTTP {status}"
        elif call.attempts > len(backoff):
            call.finished_at, call.last_error = now, error or f"HTTP {status}"
            DunningAction.objects.filter(pk=action.pk).update(status=DunningAction.Status.FAILED)
            what = f"webhook for {action.invoice.number} failed after {call.attempts} attempts: {call.last_error}"
        else:
            call.last_error = error or f"HTTP {status}"
            call.next_attempt_at = now + backoff[call.attempts - 1]
            call.save()
            log.warning("webhook %s for action %s: %s; retry at %s", action.url, action.pk, call.last_error,
                        call.next_attempt_at)  # fmt: skip
            return
        call.save()
        record(
            EventDraft(
                company_id=action.company_id,
                kind="action.webhook",
                customer_id=action.invoice.customer_id,
                invoice_id=action.invoice_id,
                summary=what[:500],
                data={"action": action.pk, "status": status},
            ),
            actor,
        )


# -- event webhooks -----------------------------------------------------------------------------------

EVENT_TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Arrears-Signature"


def shown_url(url: str) -> str:
    """The URL for logs and the history: without a user name and password in it."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Arrears-Signature value: `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(delivery: EventDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def post_event(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - configured by an administrator
    with urllib.request.urlopen(request, timeout=EVENT_TIMEOUT_SECONDS) as response:  # noqa: S310
        status: int = response.status
        return status


def deliver_due_events(now: datetime, backoff: list[Any], actor: Actor, send: Callable[..., int] = post_event) -> int:
    """Claim due event deliveries of active endpoints (SKIP LOCKED, a lease as for level webhooks)
    and POST them. Returns how many were tried."""
    with transaction.atomic():
        ids = list(
            EventDelivery.objects.filter(
                status=EventDelivery.Status.PENDING, endpoint__active=True, next_attempt_at__lte=now
            )
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:CLAIM_BATCH]
        )
        EventDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now + CLAIM_LEASE)
    due = list(EventDelivery.objects.filter(pk__in=ids).select_related("endpoint").order_by("pk"))
    for delivery in due:
        deliver_event(delivery, now, backoff, actor, send)
    return len(due)


def deliver_event(
    delivery: EventDelivery, now: datetime, backoff: list[Any], actor: Actor, send: Callable[..., int] = post_event
) -> EventDelivery:
    """One attempt: sign, POST, record. A 2xx reply delivers it; anything else is retried after
    backoff[attempts - 1], and fails once the backoff is used up (an empty backoff: one try)."""
    endpoint = delivery.endpoint
    body = event_body(delivery)
    timestamp = int(time.time())  # the real time of sending: receivers compare it with their clock
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "arrears",
        "X-Arrears-Event": delivery.event_type,
        "X-Arrears-Delivery": delivery.delivery_id,
        "X-Arrears-Timestamp": str(timestamp),
        SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
    }
    status: int | None = None
    error = ""
    try:
        status = send(endpoint.url, body, headers)
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    delivery.attempts += 1
    delivery.last_status = status
    fields = ["attempts", "last_status", "last_error", "status", "next_attempt_at", "finished_at"]
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.finished_at, delivery.last_error = EventDelivery.Status.DELIVERED, now, ""
        delivery.save(update_fields=fields)
        return delivery
    delivery.last_error = (error or f"HTTP {status}")[:2000]
    if delivery.attempts <= len(backoff):
        delivery.next_attempt_at = now + backoff[delivery.attempts - 1]
        delivery.save(update_fields=fields)
        log.warning("event %s (%s) to webhook #%s: %s; retry at %s", delivery.event_id, delivery.event_type,
                    endpoint.pk, delivery.last_error, delivery.next_attempt_at)  # fmt: skip
        return delivery
    delivery.status, delivery.finished_at = EventDelivery.Status.FAILED, now
    what = (
        f"Webhook #{endpoint.pk} ({shown_url(endpoint.url)}): event {delivery.event_type} {delivery.event_id} failed "
        f"after {delivery.attempts} attempt(s): {delivery.last_error}"
    )
    if delivery.event_type == TEST_EVENT:  # whoever sent the test sees the result
        delivery.save(update_fields=fields)
        return delivery
    with transaction.atomic():
        delivery.save(update_fields=fields)
        record(
            EventDraft(
                company_id=endpoint.company_id,
                kind="webhook.failed",
                summary=what[:500],
                data={"endpoint": endpoint.pk, "event": delivery.event_id, "status": status},
            ),
            actor,
        )
    log.error("%s", what)
    return delivery


def send_test_event(endpoint: WebhookEndpoint, actor: Actor, send: Callable[..., int] = post_event) -> EventDelivery:
    """Send a "webhook.test" event to the endpoint now, once (no retries), and return its delivery."""
    now = timezone.now()
    delivery = make_test_event(endpoint, now)
    # Claimed at once (the lease), so a running worker does not send it as well.
    EventDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now + CLAIM_LEASE)
    delivery.endpoint = endpoint
    return deliver_event(delivery, now, [], actor, send)
