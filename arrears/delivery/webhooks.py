"""Level actions that call a webhook (for example, an ISP blocking a subscriber's service).

HTTP has no exactly-once: a call is made at least once, carries an Idempotency-Key that stays the
same on every retry, and counts as done on a 2xx reply. Other replies and network errors are
retried with the worker's backoff; after the last try the action is "failed" for a person to see.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from arrears.delivery.models import WebhookCall
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
