"""Event webhooks: ACME's ERP subscribes to "notice sent", "message failed" and "invoice handed
over". Each event is written in the transaction of the fact it reports, POSTed by the worker to a
real HTTP server on 127.0.0.1 that checks the HMAC signature as a receiver would (the snippet of
docs/operations.md), retried with backoff, and given up on visibly. The secret never shows."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from arrears.companies.services import create_company
from arrears.delivery import webhooks
from arrears.delivery.models import EventDelivery, OutboxMessage, WebhookEndpoint
from arrears.delivery.webhooks import deliver_due_events, send_test_event, sign
from arrears.dunning.runs import approve_run
from arrears.dunning.services import hand_over
from arrears.history.models import Event
from tests.delivery.conftest import only_message
from tests.dunning.conftest import FRIDAY, cust, customer_row, run

SECRET = "whsec_test-secret-of-ACME-0123456789"
BACKOFF = [timedelta(minutes=1), timedelta(minutes=5)]
JANA = ("C1", "Jana Nováková", "jana@example.cz")
RADEK = ("C2", "Radek Odmítnutý", "reject@example.cz")  # the SMTP server refuses it for good (554)

# Hands every invoice over to collection a week after it is due.
COLLECT = """
[[policy]]
code = "collect"
name = "Straight to collection"
default = true
weekdays = ["mon", "tue", "wed", "thu", "fri"]
payment_days = 10

[[policy.level]]
name = "Handover to collection"
days_after_due = 7
channel = "letter"
template = "final"
action = "handover"
"""


# -- the receiver's side, as docs/operations.md shows it -------------------------------------------


def verify(secret: str, body: bytes, signature: str, tolerance: int = 300) -> bool:
    """True if `signature` (the X-Arrears-Signature header) signs `body` with `secret` and is at
    most `tolerance` seconds old (an older one may be a replay)."""
    try:
        parts = dict(item.split("=", 1) for item in signature.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass
class Call:
    headers: dict[str, str]
    raw: bytes
    verified: bool

    @property
    def body(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1; each reply is taken from `replies` (an HTTP status, or "hang":
    no reply for longer than the sender's timeout), 204 once they are used up."""

    url: str = ""
    secret: str = SECRET
    calls: list[Call] = field(default_factory=list)
    replies: list[int | str] = field(default_factory=list)

    def verified(self) -> list[Call]:
        return [c for c in self.calls if c.verified]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    hung = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            headers = dict(self.headers)
            ok = verify(state.secret, raw, headers.get("X-Arrears-Signature", ""))
            state.calls.append(Call(headers, raw, ok))
            reply = state.replies.pop(0) if state.replies else 204
            if reply == "hang":
                hung.wait(5)
                return
            self.send_response(int(reply) if ok else 400)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/arrears-events"
    yield state
    hung.set()
    server.shutdown()
    server.server_close()


def subscribe(company: Any, url: str, *events: str, **fields: Any) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        company=company, url=url, secret=SECRET, events=list(events or [e.value for e in WebhookEndpoint.Event]),
        **fields,
    )  # fmt: skip


def deliveries(event_type: str | None = None) -> list[EventDelivery]:
    rows = EventDelivery.objects.select_related("endpoint").order_by("pk")
    return list(rows.filter(event_type=event_type) if event_type else rows)


@pytest.fixture
def owing(ledger: Any, company: Any) -> Any:
    """Jana owes F1 (1 000.00 CZK, due 2026-10-15) and F2 (250.00 CZK)."""
    ledger(
        customers=[customer_row("C1", "Jana Nováková", "jana@example.cz")],
        invoices=[
            ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"],
            ["F2", "C1", "2026-10-05", "2026-10-19", "CZK", "250.00"],
        ],
    )
    return cust("C1")


# -- the signature ------------------------------------------------------------------------------------


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    body = b'{"id":"evt_1","type":"notice.sent"}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("s3cret", 1700000000, body) == f"t=1700000000,v1={expected}"


def test_a_delivered_event_carries_its_headers_and_a_signature_the_receiver_verifies(receiver, company, owing, actor):
    subscribe(company, receiver.url, "invoice.handed_over")
    hand_over(owing, actor, invoices=[owing.invoices.get(number="F1")])
    [row] = deliveries()

    assert deliver_due_events(timezone.now(), BACKOFF, actor) == 1

    [call] = receiver.calls
    assert call.verified
    headers, body = call.headers, call.body
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Arrears-Event"] == "invoice.handed_over"
    assert headers["X-Arrears-Delivery"] == row.delivery_id
    timestamp = int(headers["X-Arrears-Timestamp"])
    assert abs(time.time() - timestamp) < 60
    assert headers["X-Arrears-Signature"].startswith(f"t={timestamp},v1=")
    assert set(body) == {"id", "type", "created", "company", "data"}
    assert (body["id"], body["type"], body["company"]) == (row.event_id, "invoice.handed_over", "acme")
    # The receiver's check refuses another secret, a changed body and an old signature (a replay).
    signature = headers["X-Arrears-Signature"]
    assert not verify("another secret", call.raw, signature)
    assert not verify(SECRET, call.raw.replace(b"F1", b"F9"), signature)
    old = int(time.time()) - 301
    assert not verify(SECRET, call.raw, sign(SECRET, old, call.raw))
    assert verify(SECRET, call.raw, sign(SECRET, old + 2, call.raw))
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status) == ("delivered", 1, 204)
    assert deliver_due_events(timezone.now() + timedelta(days=1), BACKOFF, actor) == 0, "delivered once"


# -- notice.sent and message.failed: when the worker records the outcome --------------------------------


def test_notice_sent_and_message_failed_fire_when_the_worker_records_them(
    receiver, company, mailbox, account, remind, worker, actor
):
    subscribe(company, receiver.url, "notice.sent", "message.failed")
    notices = remind(JANA, RADEK)
    assert deliveries() == [], "creating notices is no event: nothing was sent yet"

    worker.send_due()

    [sent] = deliveries("notice.sent")
    [failed] = deliveries("message.failed")
    jana, radek = only_message(notices["C1"]), only_message(notices["C2"])
    assert (jana.status, radek.status) == ("sent", "failed")
    data = sent.payload["data"]
    assert data["message"]["id"] == jana.pk
    assert data["message"]["message_id"] == jana.message_id
    assert (data["message"]["recipient"], data["message"]["status"], data["message"]["attempts"]) == (
        "jana@example.cz", "sent", 1,
    )  # fmt: skip
    assert data["notice"]["id"] == notices["C1"].pk
    assert data["notice"]["level"] == 1
    assert data["customer"] == {"id": "C1", "name": "Jana Nováková"}
    assert data["invoices"] == [{"number": "F-C1", "currency": "CZK", "reminded_minor": 100000, "level": 1}]
    data = failed.payload["data"]
    assert data["message"]["id"] == radek.pk
    assert data["message"]["error"] == "554 5.7.1 message refused"
    assert data["customer"]["id"] == "C2"

    # The worker's next cycle delivers both, signed.
    worker.cycle()
    assert sorted(c.headers["X-Arrears-Event"] for c in receiver.verified()) == ["message.failed", "notice.sent"]
    assert {d.status for d in deliveries()} == {"delivered"}


def test_a_temporary_failure_is_no_event_yet(receiver, company, mailbox, account, remind, worker):
    subscribe(company, receiver.url)
    remind(("C1", "Tomáš Dočasný", "tempfail@example.cz"))
    worker.send_due()
    assert OutboxMessage.objects.get().status == "queued"
    assert deliveries() == []


@pytest.mark.parametrize("who", [JANA, RADEK], ids=["sent", "failed"])
def test_no_event_when_the_outcome_is_rolled_back(
    receiver, company, mailbox, account, remind, worker, monkeypatch, who
):
    subscribe(company, receiver.url)
    notice = remind(who)[who[0]]

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away while recording")

    # The history is written last in the transaction that records the outcome.
    monkeypatch.setattr("arrears.delivery.worker.write_events", broken)
    with pytest.raises(RuntimeError):
        worker.send_due()

    assert only_message(notice).status == "sending"  # its outcome was not recorded ...
    assert deliveries() == []  # ... and neither was the event


# -- invoice.handed_over: by hand and by a level's action ----------------------------------------------------


def test_a_hand_over_by_hand_fires_one_event_per_invoice(receiver, company, owing, actor):
    subscribe(company, receiver.url, "invoice.handed_over")

    assert hand_over(owing, actor, today=FRIDAY) == 2

    rows = deliveries("invoice.handed_over")
    assert len(rows) == 2
    assert len({r.event_id for r in rows}) == 2
    by_number = {r.payload["data"]["invoice"]["number"]: r.payload["data"] for r in rows}
    assert by_number["F1"] == {
        "invoice": {
            "number": "F1", "currency": "CZK", "amount_minor": 100000, "outstanding_minor": 100000,
            "issue_date": "2026-10-01", "due_date": "2026-10-15",
        },
        "customer": {"id": "C1", "name": "Jana Nováková"},
        "handed_over_on": "2026-11-20",
        "by": "hand",
        "notice": None,
    }  # fmt: skip


def test_a_hand_over_that_rolls_back_fires_nothing(receiver, company, owing, actor):
    subscribe(company, receiver.url, "invoice.handed_over")

    def hand_over_then_fail() -> None:
        with transaction.atomic():
            hand_over(owing, actor, today=FRIDAY)
            raise RuntimeError("the clerk's request failed after the hand-over")

    with pytest.raises(RuntimeError):
        hand_over_then_fail()
    assert deliveries() == []


def test_a_levels_hand_over_fires_when_its_notice_is_approved_not_when_proposed(
    receiver, company, owing, load_policy, actor
):
    subscribe(company, receiver.url, "invoice.handed_over")
    load_policy(COLLECT)

    result = run(company, FRIDAY, actor, review=True)
    assert deliveries() == [], "a proposal hands nothing over"

    def approve_then_fail() -> None:
        with transaction.atomic():
            approve_run(result.run, actor)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        approve_then_fail()
    assert deliveries() == []

    approve_run(result.run, actor)
    rows = deliveries("invoice.handed_over")
    assert sorted(r.payload["data"]["invoice"]["number"] for r in rows) == ["F1", "F2"]
    data = rows[0].payload["data"]
    assert (data["by"], data["handed_over_on"], data["notice"]["level"]) == ("level", "2026-11-20", 1)
    assert data["notice"]["id"] == result.run.notices.get().pk


# -- who gets what --------------------------------------------------------------------------------------------


def test_events_go_only_to_active_endpoints_of_the_company_that_subscribe_to_them(receiver, company, owing, actor):
    erp = subscribe(company, receiver.url, "invoice.handed_over", "message.failed")
    subscribe(company, receiver.url, "notice.sent")  # another event type
    subscribe(company, receiver.url, "invoice.handed_over", active=False)  # switched off
    beta = create_company(code="beta", name="Beta a.s.", country="CZ", default_currency="CZK")
    subscribe(beta, receiver.url)  # another company

    hand_over(owing, actor, invoices=[owing.invoices.get(number="F1")])

    assert [r.endpoint for r in deliveries()] == [erp]


def test_an_inactive_endpoints_waiting_events_are_not_sent(receiver, company, owing, actor):
    erp = subscribe(company, receiver.url, "invoice.handed_over")
    hand_over(owing, actor)
    WebhookEndpoint.objects.filter(pk=erp.pk).update(active=False)

    assert deliver_due_events(timezone.now(), BACKOFF, actor) == 0
    assert receiver.calls == []


# -- retries and failure ------------------------------------------------------------------------------------


def test_a_500_and_a_timeout_are_retried_with_backoff_then_the_failure_is_visible(
    receiver, company, owing, actor, monkeypatch
):
    monkeypatch.setattr(webhooks, "EVENT_TIMEOUT_SECONDS", 0.5)
    erp = subscribe(company, receiver.url, "invoice.handed_over")
    hand_over(owing, actor, invoices=[owing.invoices.get(number="F1")])
    receiver.replies.extend([500, "hang", 503])
    now = timezone.now()

    deliver_due_events(now, BACKOFF, actor)
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status, row.last_error) == (
        "pending",
        1,
        500,
        "HTTP 500 Internal Server Error",
    )
    assert row.next_attempt_at == now + BACKOFF[0]
    assert deliver_due_events(now + BACKOFF[0] - timedelta(seconds=1), BACKOFF, actor) == 0, "not before the wait"

    deliver_due_events(now + BACKOFF[0], BACKOFF, actor)
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status) == ("pending", 2, None)
    assert "timed out" in row.last_error
    assert row.next_attempt_at == now + BACKOFF[0] + BACKOFF[1]

    deliver_due_events(now + BACKOFF[0] + BACKOFF[1], BACKOFF, actor)
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status) == ("failed", 3, 503)
    assert row.finished_at == now + BACKOFF[0] + BACKOFF[1]
    # Every try was the same delivery of the same event, freshly signed.
    assert len(receiver.calls) == 3
    assert all(c.verified for c in receiver.calls)
    assert {c.headers["X-Arrears-Delivery"] for c in receiver.calls} == {row.delivery_id}
    assert {c.body["id"] for c in receiver.calls} == {row.event_id}
    [failure] = Event.objects.filter(kind="webhook.failed")
    assert failure.company_id == company.pk
    assert f"Webhook #{erp.pk}" in failure.summary
    assert "failed after 3 attempt(s): HTTP 503" in failure.summary
    assert deliver_due_events(now + timedelta(days=1), BACKOFF, actor) == 0, "a failed delivery is not retried"

    out = io.StringIO()
    call_command("webhook", "list", stdout=out)
    assert "pending=0 failed=1" in out.getvalue()


def test_a_user_and_password_in_the_url_are_left_out_of_the_history(company, owing, actor):
    subscribe(company, "http://erp:pa55word@127.0.0.1:9/hook", "invoice.handed_over")
    hand_over(owing, actor, invoices=[owing.invoices.get(number="F1")])
    deliver_due_events(timezone.now(), [], actor)
    [failure] = Event.objects.filter(kind="webhook.failed")
    assert "(http://127.0.0.1:9/hook)" in failure.summary
    assert "pa55word" not in failure.summary


def test_an_unreachable_endpoint_is_retried_not_a_crash(company, owing, actor):
    subscribe(company, "http://127.0.0.1:9/nothing-listens", "invoice.handed_over")
    hand_over(owing, actor, invoices=[owing.invoices.get(number="F1")])
    deliver_due_events(timezone.now(), BACKOFF, actor)
    [row] = deliveries()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "Connection refused" in row.last_error or "URLError" in row.last_error


def test_an_event_being_delivered_is_not_claimed_by_a_second_worker(receiver, company, owing, actor):
    subscribe(company, receiver.url, "invoice.handed_over")
    hand_over(owing, actor, invoices=[owing.invoices.get(number="F1")])
    now = timezone.now()
    seen_by_second_worker = []

    def slow_receiver(url: str, body: bytes, headers: dict[str, str]) -> int:
        seen_by_second_worker.append(deliver_due_events(now, BACKOFF, actor, send=slow_receiver))
        return 200

    assert deliver_due_events(now, BACKOFF, actor, send=slow_receiver) == 1
    assert seen_by_second_worker == [0]
    assert deliveries()[0].status == "delivered"


# -- managing endpoints: the command -------------------------------------------------------------------------


def test_the_command_adds_lists_tests_and_removes_an_endpoint(receiver, company, actor):
    out = io.StringIO()
    call_command("webhook", "add", receiver.url, "--events", "notice.sent,invoice.handed_over",
                 "--description", "ERP", stdout=out)  # fmt: skip
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["notice.sent", "invoice.handed_over"]
    assert endpoint.secret.startswith("whsec_")
    assert len(endpoint.secret) > 40
    assert out.getvalue().count(endpoint.secret) == 1, "a generated secret is shown once"
    receiver.secret = endpoint.secret

    out = io.StringIO()
    call_command("webhook", "list", stdout=out)
    assert f"#{endpoint.pk}" in out.getvalue()
    assert "events=notice.sent,invoice.handed_over" in out.getvalue()
    assert endpoint.secret not in out.getvalue()

    out = io.StringIO()
    call_command("webhook", "test", str(endpoint.pk), stdout=out)
    assert "delivered, HTTP 204" in out.getvalue()
    [call] = receiver.calls
    assert call.verified
    assert call.headers["X-Arrears-Event"] == "webhook.test"

    receiver.replies.append(500)
    with pytest.raises(CommandError, match="not delivered: HTTP 500"):
        call_command("webhook", "test", str(endpoint.pk))
    assert deliver_due_events(timezone.now() + timedelta(days=1), BACKOFF, actor) == 0, "a test is tried once"
    out = io.StringIO()
    call_command("webhook", "list", stdout=out)
    assert "pending=0 failed=0" in out.getvalue(), "a failed test is no failed event"

    call_command("webhook", "remove", str(endpoint.pk), stdout=io.StringIO())
    assert not WebhookEndpoint.objects.exists()
    assert not EventDelivery.objects.exists()


def test_the_command_takes_the_secret_from_the_environment_or_stdin_and_refuses_bad_input(company, monkeypatch):
    monkeypatch.setenv("ERP_SECRET", SECRET)
    out = io.StringIO()
    call_command("webhook", "add", "https://erp.example.com/hook", "--secret-env", "ERP_SECRET", stdout=out)
    assert WebhookEndpoint.objects.get().secret == SECRET
    assert SECRET not in out.getvalue()

    monkeypatch.setattr("sys.stdin", io.StringIO("another-secret-from-a-vault\n"))
    call_command("webhook", "add", "https://erp.example.com/two", "--secret-stdin", stdout=io.StringIO())
    assert WebhookEndpoint.objects.get(url__endswith="/two").secret == "another-secret-from-a-vault"

    with pytest.raises(CommandError, match="unknown event type"):
        call_command("webhook", "add", "https://erp.example.com/x", "--events", "notice.created")
    with pytest.raises(CommandError, match="url"):
        call_command("webhook", "add", "ftp://erp.example.com/x")
    monkeypatch.setenv("SHORT", "short")
    with pytest.raises(CommandError, match="at least 16"):
        call_command("webhook", "add", "https://erp.example.com/x", "--secret-env", "SHORT")
    with pytest.raises(CommandError, match="no webhook #999"):
        call_command("webhook", "remove", "999")
    assert WebhookEndpoint.objects.count() == 2


# -- the secret never shows ----------------------------------------------------------------------------------


def test_the_secret_is_never_logged(receiver, company, owing, actor, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ERP_SECRET", SECRET)
    call_command("webhook", "add", receiver.url, "--secret-env", "ERP_SECRET", stdout=io.StringIO())
    endpoint = WebhookEndpoint.objects.get()
    hand_over(owing, actor)
    receiver.replies.extend([500] * 7)  # two events, three tries each, and the test event
    now = timezone.now()
    for wait in (timedelta(0), BACKOFF[0], BACKOFF[0] + BACKOFF[1]):
        deliver_due_events(now + wait, BACKOFF, actor)
    send_test_event(endpoint, actor)

    assert "retry at" in caplog.text
    assert "failed after 3 attempt(s)" in caplog.text
    assert SECRET not in caplog.text
    assert not Event.objects.filter(summary__contains=SECRET).exists()
    assert not any(SECRET in json.dumps(d.payload) or SECRET in d.last_error for d in deliveries())
    assert all(SECRET not in c.raw.decode() for c in receiver.calls)
    assert SECRET not in str(endpoint)
    assert SECRET not in repr(endpoint)


@pytest.fixture
def admin_client_(client: Any, django_user_model: Any) -> Any:
    client.force_login(django_user_model.objects.create_superuser("root", "root@acme.cz", "x"))
    return client


def test_the_admin_never_shows_the_secret_and_keeps_it_when_left_empty(admin_client_, receiver, company, owing, actor):
    endpoint = subscribe(company, receiver.url, description="ERP")
    hand_over(owing, actor)
    for page in (
        "/admin/delivery/webhookendpoint/",
        f"/admin/delivery/webhookendpoint/{endpoint.pk}/change/",
        "/admin/delivery/webhookendpoint/add/",
        "/admin/delivery/eventdelivery/",
        f"/admin/delivery/eventdelivery/{deliveries()[0].pk}/change/",
    ):
        response = admin_client_.get(page)
        assert response.status_code == 200, page
        assert SECRET not in response.content.decode(), page

    form = {"company": company.pk, "url": receiver.url, "description": "ERP (all events)", "active": "on",
            "events": ["notice.sent", "message.failed"], "secret": ""}  # fmt: skip
    response = admin_client_.post(f"/admin/delivery/webhookendpoint/{endpoint.pk}/change/", form)
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.events, endpoint.description) == (
        SECRET, ["notice.sent", "message.failed"], "ERP (all events)",
    )  # fmt: skip

    response = admin_client_.post("/admin/delivery/webhookendpoint/add/", {**form, "secret": "short"})
    assert response.status_code == 200
    assert "at least 16 characters" in response.content.decode()
    response = admin_client_.post("/admin/delivery/webhookendpoint/add/", {**form, "secret": "a-new-long-secret-1"})
    assert response.status_code == 302
    assert WebhookEndpoint.objects.get(description="ERP (all events)", pk__gt=endpoint.pk).secret == (
        "a-new-long-secret-1"
    )


def test_the_admin_sends_a_test_event_and_queues_a_failed_delivery_again(
    admin_client_, receiver, company, owing, actor
):
    endpoint = subscribe(company, receiver.url, "invoice.handed_over")
    response = admin_client_.post(
        "/admin/delivery/webhookendpoint/", {"action": "send_test", "_selected_action": [endpoint.pk]}, follow=True
    )
    assert "delivered, HTTP 204" in response.content.decode()
    [call] = receiver.calls
    assert call.verified
    assert call.body["type"] == "webhook.test"

    hand_over(owing, actor, invoices=[owing.invoices.get(number="F1")])
    receiver.replies.append(500)
    deliver_due_events(timezone.now(), [], actor)  # no retries: failed at once
    [row] = deliveries("invoice.handed_over")
    assert row.status == "failed"
    admin_client_.post("/admin/delivery/eventdelivery/", {"action": "send_again_now", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert (row.status, row.finished_at) == ("pending", None)
    assert deliver_due_events(timezone.now(), BACKOFF, actor) == 1
    row.refresh_from_db()
    assert row.status == "delivered"
