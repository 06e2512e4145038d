"""Anna's service is blocked by webhook when the strict level is reached: the worker calls the
ISP's endpoint (here a real HTTP server on 127.0.0.1) with an Idempotency-Key, retries a failing
endpoint with backoff, and gives up, visibly, after the last try."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from arrears.delivery.models import WebhookCall
from arrears.delivery.webhooks import call_due_webhooks
from arrears.dunning.models import DunningAction
from arrears.history.models import Event
from tests.dunning.conftest import FRIDAY, STANDARD, STRICT, customer_row, ledger, load_policy, run  # noqa: F401

BACKOFF = [timedelta(minutes=1), timedelta(minutes=5)]


@pytest.fixture
def endpoint():
    calls: list[tuple[dict, dict]] = []
    replies: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls.append((dict(self.headers), body))
            self.send_response(replies.pop(0) if replies else 204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/block", calls, replies
    server.shutdown()


@pytest.fixture
def anna_blocked(ledger, load_policy, company, actor, endpoint):  # noqa: F811
    ledger(
        customers=[customer_row("C3", "Anna Bílá", "anna@example.cz")],
        invoices=[["W1", "C3", "2026-11-04", "2026-11-18", "CZK", "300.00"]],
    )
    load_policy(STANDARD, STRICT, '[assign]\ncustomers = { C3 = "strict" }')
    run(company, FRIDAY, actor)
    action = DunningAction.objects.get()
    DunningAction.objects.filter(pk=action.pk).update(url=endpoint[0])
    return action


def test_the_webhook_is_called_once_with_the_invoice_and_an_idempotency_key(anna_blocked, endpoint, actor):
    _, calls, _ = endpoint
    now = timezone.now()
    assert call_due_webhooks(now, BACKOFF, actor) == 1
    assert call_due_webhooks(now, BACKOFF, actor) == 0, "a done action is not called again"

    ((headers, body),) = calls
    assert headers["Idempotency-Key"] == f"arrears-action-{anna_blocked.pk}"
    assert body["customer"] == {"id": "C3", "name": "Anna Bílá"}
    assert body["invoice"]["number"] == "W1"
    assert body["invoice"]["outstanding_minor"] == 30000
    anna_blocked.refresh_from_db()
    assert anna_blocked.status == "done"
    assert Event.objects.filter(kind="action.webhook", summary__contains="W1 called: HTTP 204").exists()


def test_a_failing_endpoint_is_retried_with_backoff_then_the_action_fails(anna_blocked, endpoint, actor):
    _, calls, replies = endpoint
    replies.extend([500, 503, 502])
    now = timezone.now()
    call_due_webhooks(now, BACKOFF, actor)
    call = WebhookCall.objects.get()
    assert (call.attempts, call.last_status, call.next_attempt_at) == (1, 500, now + BACKOFF[0])
    assert call_due_webhooks(now + timedelta(seconds=30), BACKOFF, actor) == 0, "not before the backoff"
    call_due_webhooks(now + BACKOFF[0], BACKOFF, actor)
    call_due_webhooks(now + BACKOFF[0] + BACKOFF[1], BACKOFF, actor)
    assert len(calls) == 3
    assert {h["Idempotency-Key"] for h, _ in calls} == {f"arrears-action-{anna_blocked.pk}"}
    anna_blocked.refresh_from_db()
    assert anna_blocked.status == "failed"
    assert Event.objects.filter(kind="action.webhook", summary__contains="failed after 3 attempts").exists()


def test_an_unreachable_endpoint_is_an_error_to_retry_not_a_crash(anna_blocked, actor):
    DunningAction.objects.filter(pk=anna_blocked.pk).update(url="http://127.0.0.1:9/nothing-listens")
    call_due_webhooks(timezone.now(), BACKOFF, actor)
    call = WebhookCall.objects.get()
    assert call.attempts == 1
    assert "ConnectionRefusedError" in call.last_error or "URLError" in call.last_error
    anna_blocked.refresh_from_db()
    assert anna_blocked.status == "pending"


def test_a_webhook_being_called_is_not_called_by_a_second_worker_meanwhile(anna_blocked, actor):
    now = timezone.now()
    seen_by_second_worker = []

    def slow_endpoint(url, body, key):
        # While the first worker waits for the reply, a second one looks for due webhooks.
        seen_by_second_worker.append(call_due_webhooks(now, BACKOFF, actor, send=slow_endpoint))
        return 200

    assert call_due_webhooks(now, BACKOFF, actor, send=slow_endpoint) == 1
    assert seen_by_second_worker == [0]
    anna_blocked.refresh_from_db()
    assert anna_blocked.status == "done"
