"""An idle worker sleeps until the next thing is due, never longer than a poll and never in a busy loop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from arrears.delivery.models import OutboxMessage, SenderAccount
from arrears.delivery.worker import Worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(company):
    return SenderAccount.objects.create(
        company=company, code="main", is_default=True, display_name="ACME", address="credit@acme.example",
        host="127.0.0.1", port=2525, security="none", send_interval_seconds=20,
    )  # fmt: skip


def queued(company, account, n, due):
    return OutboxMessage.objects.create(
        company=company, channel="email", recipient=f"c{n}@example.com", message_id=f"<{n}@acme.example>",
        account=account, status="queued", next_attempt_at=due,
    )  # fmt: skip


def test_an_empty_outbox_waits_one_poll(company, account):
    assert Worker(poll_seconds=30)._idle_seconds() == 30


def test_a_retry_due_in_ten_seconds_wakes_the_worker_then(company, account):
    now = timezone.now()
    queued(company, account, 1, now + timedelta(seconds=10))
    worker = Worker(poll_seconds=30, clock=lambda: now)
    assert worker._idle_seconds() == pytest.approx(10)


def test_a_throttled_account_wakes_the_worker_when_its_next_slot_opens(company, account):
    now = timezone.now()
    queued(company, account, 1, now - timedelta(seconds=5))
    SenderAccount.objects.filter(pk=account.pk).update(next_send_at=now + timedelta(seconds=7))
    worker = Worker(poll_seconds=30, clock=lambda: now)
    assert worker._idle_seconds() == pytest.approx(7)


def test_a_message_due_now_that_no_account_can_send_does_not_spin(company):
    now = timezone.now()
    queued(company, None, 1, now - timedelta(seconds=5))
    worker = Worker(poll_seconds=30, clock=lambda: now)
    assert worker.cycle() == 0
    assert worker._idle_seconds() == 30
    message = OutboxMessage.objects.get()
    assert message.last_error.startswith("no sender account")
