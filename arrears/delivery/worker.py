"""`arrears worker`: claims queued messages, re-checks them, sends, records. Runs scheduled dunning runs.

Exactly-once, step by step:
1. claim: a batch of due messages becomes "sending" with this worker's name (SKIP LOCKED on
   PostgreSQL, so workers never claim the same row; on SQLite one worker dispatches);
2. just before sending: still owed? (paid meanwhile: "skipped"), address not blocked, test mode;
3. the body goes out, then the row's phase becomes "committing" (only if this worker still owns
   it), then the final "." goes out and the reply is recorded;
4. a worker that dies leaves rows in "sending": the next worker to look sees the owner is dead
   (liveness.py) and puts "claimed" rows back in the queue (the server never got their end) and
   marks "committing" rows uncertain, for a person to check.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from arrears.delivery import events as event_webhooks
from arrears.delivery.liveness import Liveness
from arrears.delivery.models import BlockedAddress, DeliveryAttempt, OutboxMessage, SenderAccount
from arrears.delivery.outbox import ensure_paper_fallback
from arrears.delivery.prepare import NotPrepared, prepare, read_bytes, test_mode_skips
from arrears.delivery.smtp import Outcome, Result, SmtpSession
from arrears.history.services import Actor, EventDraft
from arrears.ledger import bulk
from arrears.ledger.allocation_io import write_events
from arrears.ledger.models import Invoice

log = logging.getLogger("arrears.delivery.worker")

# After the n-th temporary failure, wait this long; after the last, give up ("failed").
BACKOFF = [timedelta(minutes=m) for m in (1, 5, 15, 60, 120, 240, 480, 720)]
# A connection-level failure (server down) puts the rest of a claimed batch back, untried, for this long.
SERVER_DOWN_PAUSE = timedelta(minutes=1)
# After the server refused the account's password, the account sends nothing for this long.
LOGIN_REFUSED_PAUSE = timedelta(minutes=15)
BLOCKED = " is on the block list"

Status = OutboxMessage.Status
Phase = OutboxMessage.Phase


class Worker:
    def __init__(
        self,
        *,
        batch: int = 50,
        poll_seconds: float = 30.0,
        schedules: bool = True,
        clock: Callable[[], datetime] = timezone.now,
        out: Callable[[str], None] | None = None,
    ) -> None:
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.schedules = schedules
        self.clock = clock
        self.out = out or (lambda text: None)
        self.liveness = Liveness()
        self.name = self.liveness.name
        self.actor = Actor(f"worker:{self.name}")
        self.sessions: dict[int, tuple[tuple[Any, ...], SmtpSession]] = {}
        self.stopping = False
        self.sent = 0
        self._provisional: dict[int, int] = {}  # message id -> its attempt line written at the commit point

    # -- the loop ---------------------------------------------------------------------------

    def run(self, *, once: bool = False, max_seconds: float | None = None) -> None:
        """Work until stopped (SIGTERM/SIGINT finish the message in hand), or with `once` until
        nothing is due."""
        self.liveness.start()  # first: a refused worker (AnotherWorker) leaves the signal handlers alone
        self.out(f"worker {self.name} started")  # only once it holds its lock: a refused worker never started
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        started = time.monotonic()
        try:
            while not self.stopping:
                done = self.cycle()
                if max_seconds is not None and time.monotonic() - started > max_seconds:
                    break
                if done:
                    continue
                if once:
                    break
                self._sleep(self._idle_seconds())
        finally:
            for session_key in list(self.sessions):
                self.sessions.pop(session_key)[1].close()
            self.liveness.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _idle_seconds(self) -> float:
        """Until the next message is due or a throttled account may send again, at most one poll."""
        now = self.clock()
        soon: list[datetime] = []
        queued = OutboxMessage.objects.filter(status=Status.QUEUED, channel=OutboxMessage.Channel.EMAIL)
        # Only what becomes due later: a message due now that this cycle left (no account yet) waits a poll.
        later = queued.filter(account__isnull=False, next_attempt_at__gt=now)
        first_due = later.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
        if first_due is not None:
            soon.append(first_due)
        throttled = SenderAccount.objects.filter(pk__in=queued.values("account_id"), next_send_at__gt=now)
        slot = throttled.order_by("next_send_at").values_list("next_send_at", flat=True).first()
        if slot is not None:
            soon.append(slot)
        wait = min(((t - now).total_seconds() for t in soon), default=self.poll_seconds)
        return min(max(wait, 0.05), self.poll_seconds)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            time.sleep(min(0.2, max(end - time.monotonic(), 0)))

    def cycle(self) -> int:
        """One pass: recover what dead workers left, start due scheduled runs, send what is due.
        Returns how much happened (0: nothing to do right now)."""
        work = self.recover()
        if self.schedules:
            from arrears.delivery.schedule import queue_run_reports, start_due_runs

            work += start_due_runs(self.clock(), self.out)
            work += queue_run_reports(self.clock())
        work += self.send_due()
        from arrears.delivery.webhooks import call_due_webhooks, deliver_due_events

        work += call_due_webhooks(self.clock(), BACKOFF, self.actor)
        work += deliver_due_events(self.clock(), BACKOFF, self.actor)
        return work

    # -- recovery ---------------------------------------------------------------------------

    def recover(self) -> int:
        owners = set(
            OutboxMessage.objects.filter(status=Status.SENDING)
            .exclude(lease_owner=self.name)
            .values_list("lease_owner", flat=True)
            .distinct()
        )
        recovered = 0
        for owner in owners:
            if self.liveness.is_dead(owner):
                recovered += self._recover_owner(owner)
        return recovered

    def _recover_owner(self, owner: str) -> int:
        now = self.clock()
        with transaction.atomic():
            rows = list(
                OutboxMessage.objects.select_for_update()
                .filter(status=Status.SENDING, lease_owner=owner)
                .values_list("id", "phase", "attempts")
            )
            attempts = []
            for message_id, phase, tried in rows:
                if phase == Phase.COMMITTING:
                    # Its attempt line was written at the commit point, as provisionally uncertain.
                    reply = (
                        f"worker {owner} stopped after handing the message to the server and before it recorded "
                        "the reply: check with the recipient or the server's log whether it arrived"
                    )
                    OutboxMessage.objects.filter(pk=message_id, status=Status.SENDING, lease_owner=owner).update(
                        status=Status.UNCERTAIN, phase=Phase.NONE, reason=reply[:300], attempts=tried + 1
                    )
                    DeliveryAttempt.objects.filter(message_id=message_id, number=tried + 1).update(
                        reply=reply, finished_at=now
                    )
                    continue
                reply = f"worker {owner} stopped before the server could accept the message; queued again"
                OutboxMessage.objects.filter(pk=message_id, status=Status.SENDING, lease_owner=owner).update(
                    status=Status.QUEUED, phase=Phase.NONE, lease_owner="", next_attempt_at=now, attempts=tried + 1
                )
                attempts.append(
                    DeliveryAttempt(
                        message_id=message_id,
                        number=tried + 1,
                        worker=owner[:100],
                        started_at=now,
                        finished_at=now,
                        outcome=DeliveryAttempt.Outcome.INTERRUPTED,
                        reply=reply,
                    )
                )
            DeliveryAttempt.objects.bulk_create(attempts)
            uncertain = [message_id for message_id, phase, _ in rows if phase == Phase.COMMITTING]
            write_events(
                [
                    EventDraft(
                        company_id=m.company_id,
                        kind="message.uncertain",
                        customer_id=m.notice.customer_id if m.notice is not None else None,
                        summary=f"Notice #{m.notice_id} e-mail to {m.recipient} uncertain: {m.reason}"[:500],
                        data={"message": m.pk, "notice": m.notice_id, "message_id": m.message_id},
                    )
                    for m in OutboxMessage.objects.filter(pk__in=uncertain, notice__isnull=False).select_related(
                        "notice"
                    )
                ],
                self.actor,
                bulk.db_datetime(now),
            )
        if rows:
            log.warning("recovered %d message(s) of stopped worker %s", len(rows), owner)
        return len(rows)

    # -- claiming and sending ----------------------------------------------------------------

    def send_due(self) -> int:
        now = self.clock()
        self._assign_default_accounts()
        account_ids = set(
            OutboxMessage.objects.filter(
                status=Status.QUEUED, channel=OutboxMessage.Channel.EMAIL, next_attempt_at__lte=now
            )
            .exclude(account__isnull=True)
            .values_list("account_id", flat=True)
            .distinct()
        )
        handled = 0
        for account in SenderAccount.objects.filter(pk__in=account_ids).order_by("pk"):
            if self.stopping:
                break
            if account.paused_until is not None and account.paused_until > now:
                continue  # its server refused the password: it waits for a fix, or the pause to end
            if account.send_interval_seconds:
                if not self._reserve_slot(account, now):
                    continue
                ids = self._claim(account, 1, now)
            else:
                ids = self._claim(account, self.batch, now)
            loaded = OutboxMessage.objects.select_related("notice", "notice__customer").in_bulk(ids)
            for position, message_id in enumerate(ids):
                if self.stopping:
                    self._release(ids[position:], now)
                    break
                result = self.deliver(loaded[message_id], account)
                handled += 1
                if result is not None and (
                    (result.outcome == Outcome.RETRY and result.code is None) or result.login_refused
                ):
                    # Could not talk to the server at all, or it refused the password: leave the rest
                    # of the batch for later, untried (a server locks an account after a few wrong
                    # passwords; one try per batch, not one per message).
                    pause = LOGIN_REFUSED_PAUSE if result.login_refused else SERVER_DOWN_PAUSE
                    self._release(ids[position + 1 :], self.clock() + pause)
                    if result.login_refused:
                        # The whole account waits, not only this batch: a few wrong passwords an
                        # hour, not one a minute, before a person fixes it (servers lock accounts).
                        SenderAccount.objects.filter(pk=account.pk).update(paused_until=self.clock() + pause)
                    break
        return handled

    def _assign_default_accounts(self) -> None:
        waiting = set(
            OutboxMessage.objects.filter(
                status=Status.QUEUED, channel=OutboxMessage.Channel.EMAIL, account__isnull=True
            ).values_list("company_id", flat=True)
        )
        for company_id in waiting:
            account = SenderAccount.objects.filter(company_id=company_id, is_default=True).first()
            pending = OutboxMessage.objects.filter(
                company_id=company_id, status=Status.QUEUED, channel=OutboxMessage.Channel.EMAIL, account__isnull=True
            )
            if account is not None:
                pending.update(account=account)
            else:
                pending.exclude(last_error__startswith="no sender account").update(
                    last_error="no sender account: add one with 'arrears smtp add' (docs/operations.md)"
                )

    def _reserve_slot(self, account: SenderAccount, now: datetime) -> bool:
        """Take the account's next sending slot; several workers share one interval."""
        taken = (
            SenderAccount.objects.filter(pk=account.pk)
            .filter(Q(next_send_at__isnull=True) | Q(next_send_at__lte=now))
            .update(next_send_at=now + timedelta(seconds=account.send_interval_seconds))
        )
        return taken == 1

    def _claim(self, account: SenderAccount, limit: int, now: datetime) -> list[int]:
        with transaction.atomic():
            due = (
                OutboxMessage.objects.filter(
                    status=Status.QUEUED,
                    channel=OutboxMessage.Channel.EMAIL,
                    account=account,
                    next_attempt_at__lte=now,
                )
                .order_by("next_attempt_at", "id")
                .select_for_update(skip_locked=True)
                .values_list("id", flat=True)[:limit]
            )
            ids = list(due)
            if ids:
                OutboxMessage.objects.filter(pk__in=ids).update(
                    status=Status.SENDING, phase=Phase.CLAIMED, lease_owner=self.name
                )
        return ids

    def _release(self, ids: list[int], when: datetime) -> None:
        if ids:
            OutboxMessage.objects.filter(pk__in=ids, status=Status.SENDING, lease_owner=self.name).update(
                status=Status.QUEUED, phase=Phase.NONE, lease_owner="", next_attempt_at=when
            )

    def _session(self, account: SenderAccount) -> SmtpSession:
        key = (account.host, account.port, account.security, account.username, account.password,
               account.timeout_seconds, account.debug, account.request_delivery_receipt)  # fmt: skip
        held = self.sessions.get(account.pk)
        if held is not None and held[0] == key:
            held[1].account = account
            return held[1]
        if held is not None:
            held[1].close()
        session = SmtpSession(account)
        self.sessions[account.pk] = (key, session)
        return session

    def _skip_reason(self, message: OutboxMessage, account: SenderAccount) -> str:
        notice = message.notice
        if notice is None:
            return ""
        if not Invoice.objects.filter(
            notice_items__notice_id=notice.pk, notice_items__excluded=False, outstanding_minor__gt=0
        ).exists():
            return "paid meanwhile: every invoice of the notice was settled before sending"
        if BlockedAddress.objects.filter(company_id=message.company_id, address=message.recipient.lower()).exists():
            return f"{message.recipient}{BLOCKED}"
        if test_mode_skips(account, notice.customer.external_id):
            return f"test mode: only customers {', '.join(account.test_customers)} get e-mail"
        return ""

    def deliver(self, message: OutboxMessage, account: SenderAccount) -> Result | None:
        started = self.clock()
        why = self._skip_reason(message, account)
        if why:
            self._finish(message, started, Result(Outcome.FAILED, reply=why), skipped=True)
            if why.endswith(BLOCKED):
                ensure_paper_fallback(message, why)
            return None
        if not message.mime_path or self._test_mode_changed(message, account):
            try:
                message = prepare(message, account, started, self.actor)
            except NotPrepared as exc:
                self._finish(message, started, Result(Outcome.FAILED, reply=str(exc)))
                return None
        data = read_bytes(message.mime_path)
        recipients = [r.strip() for r in message.envelope_to.split(",") if r.strip()] or [message.recipient]
        result = self._session(account).send(
            account.address, recipients, data, commit_point=lambda: self._commit_point(message, started)
        )
        self._finish(message, started, result)
        return result

    @staticmethod
    def _test_mode_changed(message: OutboxMessage, account: SenderAccount) -> bool:
        """A reminder built while test mode redirected it (or built before test mode began) is built
        again for where it must go now: the customer, or the test address."""
        if message.notice_id is None:
            return False
        built_for = message.envelope_to.split(",")[0].strip().lower()
        goes_to = (account.test_address or message.recipient).lower()
        return built_for != goes_to

    def _commit_point(self, message: OutboxMessage, started: datetime) -> bool:
        """Just before the final ".": the row says "committing" (only if this worker still owns it:
        a recovery may have given it to someone else) and the attempt's journal line is written,
        provisionally uncertain. After the reply, one short transaction settles both. Plain SQL:
        this runs once per message on the hot path."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {bulk.table(OutboxMessage)} SET phase = %s WHERE id = %s AND status = %s AND lease_owner = %s",
                [Phase.COMMITTING.value, message.pk, Status.SENDING.value, self.name],
            )
            if cursor.rowcount != 1:
                return False
            cursor.execute(
                f"INSERT INTO {bulk.table(DeliveryAttempt)} "
                "(message_id, number, worker, started_at, finished_at, outcome, smtp_code, reply) "
                "VALUES (%s, %s, %s, %s, %s, %s, NULL, %s) RETURNING id",
                [
                    message.pk,
                    message.attempts + 1,
                    self.name[:100],
                    bulk.db_datetime(started),
                    bulk.db_datetime(started),
                    DeliveryAttempt.Outcome.UNCERTAIN.value,
                    "the message's end went to the server; waiting for its reply",
                ],
            )
            (attempt_id,) = cursor.fetchone()
        self._provisional[message.pk] = attempt_id
        return True

    def _record_sent(self, message: OutboxMessage, result: Result, attempt_id: int) -> None:
        """The common outcome in one short transaction of plain SQL: the window after the final "."
        is as narrow as the database allows."""
        now = bulk.db_datetime(self.clock())
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {bulk.table(OutboxMessage)} SET status = %s, phase = '', attempts = attempts + 1, "
                "sent_at = %s, last_error = '', updated_at = %s "
                "WHERE id = %s AND lease_owner = %s AND status IN (%s, %s)",
                [Status.SENT.value, now, now, message.pk, self.name, Status.SENDING.value, Status.UNCERTAIN.value],
            )
            if cursor.rowcount != 1:
                log.warning("message #%s changed hands before its result was recorded", message.pk)
                return
            event_webhooks.message_recorded(message, Status.SENT, self.clock(), attempts=message.attempts + 1)
            cursor.execute(
                f"UPDATE {bulk.table(DeliveryAttempt)} SET finished_at = %s, outcome = %s, smtp_code = %s, "
                "reply = %s WHERE id = %s",
                [now, DeliveryAttempt.Outcome.SENT.value, result.code, result.reply, attempt_id],
            )
            if message.notice is not None:
                write_events(
                    [self._event(message, DeliveryAttempt.Outcome.SENT, result, message.notice.customer_id)],
                    self.actor,
                    now,
                )
        self.sent += 1

    def _finish(self, message: OutboxMessage, started: datetime, result: Result, *, skipped: bool = False) -> None:
        if result.outcome == Outcome.ABANDONED:
            self._provisional.pop(message.pk, None)
            log.warning("message #%s was taken over by another worker; not sent by %s", message.pk, self.name)
            return
        now = self.clock()
        attempt = message.attempts + 1
        update: dict[str, Any] = {"phase": Phase.NONE, "attempts": F("attempts") + 1}
        outcome = DeliveryAttempt.Outcome(result.outcome.value)
        events: list[EventDraft] = []
        customer_id = message.notice.customer_id if message.notice is not None else None
        if skipped:
            outcome = DeliveryAttempt.Outcome.SKIPPED
            update.update(status=Status.SKIPPED, reason=result.reply[:300])
        elif result.outcome == Outcome.SENT:
            update.update(status=Status.SENT, sent_at=now, last_error="")
            if result.refused:
                update["last_error"] = "; ".join(f"{a}: {why}" for a, why in result.refused.items())
        elif result.outcome == Outcome.RETRY:
            # Counted from the last "send again": a person's retry gets the whole schedule again.
            in_round = attempt - message.retry_base
            if in_round > len(BACKOFF):
                update.update(
                    status=Status.FAILED, reason=f"gave up after {in_round} attempts", last_error=result.reply
                )
                outcome = DeliveryAttempt.Outcome.FAILED
            else:
                update.update(
                    status=Status.QUEUED, lease_owner="", next_attempt_at=now + BACKOFF[in_round - 1],
                    last_error=f"{result.code or ''} {result.reply}".strip(),
                )  # fmt: skip
        elif result.outcome == Outcome.FAILED:
            update.update(status=Status.FAILED, last_error=f"{result.code or ''} {result.reply}".strip())
        elif result.outcome == Outcome.UNCERTAIN:
            update.update(status=Status.UNCERTAIN, reason=result.reply[:300])
        provisional = self._provisional.pop(message.pk, None)
        if result.outcome == Outcome.SENT and not result.refused and not skipped and provisional is not None:
            self._record_sent(message, result, provisional)
            return
        # One transaction: the status, the journal line, the block list, the paper fallback and the
        # history event stand or fall together (a bounce must never be recorded without its letter).
        with transaction.atomic():
            changed = (
                OutboxMessage.objects.filter(pk=message.pk, lease_owner=self.name)
                .filter(status__in=[Status.SENDING, Status.UNCERTAIN])
                .update(**update)
            )
            if not changed:
                log.warning("message #%s changed hands before its result was recorded", message.pk)
                return
            # Event webhooks (notice.sent, message.failed) commit or roll back with the outcome.
            error = update.get("last_error", "") if update.get("status") == Status.FAILED else ""
            event_webhooks.message_recorded(message, update.get("status", ""), now, attempts=attempt, error=error)
            line = {"finished_at": now, "outcome": outcome, "smtp_code": result.code, "reply": result.reply}
            if provisional is not None:
                DeliveryAttempt.objects.filter(pk=provisional).update(**line)
            else:
                DeliveryAttempt.objects.create(
                    message_id=message.pk, number=attempt, worker=self.name[:100], started_at=started, **line
                )
            for address in result.bounced:
                BlockedAddress.objects.get_or_create(
                    company_id=message.company_id,
                    address=address.lower(),
                    defaults={"reason": result.refused.get(address, result.reply), "message_id": message.pk},
                )
            if message.notice is not None and outcome in (
                DeliveryAttempt.Outcome.SENT,
                DeliveryAttempt.Outcome.FAILED,
                DeliveryAttempt.Outcome.SKIPPED,
                DeliveryAttempt.Outcome.UNCERTAIN,
            ):
                events.append(self._event(message, outcome, result, customer_id))
            if outcome == DeliveryAttempt.Outcome.FAILED and message.recipient.lower() in {
                b.lower() for b in result.bounced
            }:
                ensure_paper_fallback(message, f"e-mail to {message.recipient} bounced: {result.code} {result.reply}")
            write_events(events, self.actor, bulk.db_datetime(now))
        if outcome == DeliveryAttempt.Outcome.SENT:
            self.sent += 1

    @staticmethod
    def _event(
        message: OutboxMessage, outcome: DeliveryAttempt.Outcome, result: Result, customer_id: int | None
    ) -> EventDraft:
        words = {
            DeliveryAttempt.Outcome.SENT: f"e-mailed to {_where(message)}",
            DeliveryAttempt.Outcome.FAILED: f"e-mail to {message.recipient} failed: {result.code or ''} {result.reply}",
            DeliveryAttempt.Outcome.SKIPPED: f"e-mail to {message.recipient} skipped: {result.reply}",
            DeliveryAttempt.Outcome.UNCERTAIN: f"e-mail to {message.recipient} uncertain: {result.reply}",
        }
        return EventDraft(
            company_id=message.company_id,
            kind=f"message.{outcome.value}",
            customer_id=customer_id,
            summary=f"Notice #{message.notice_id} {words[outcome]}"[:500],
            data={"message": message.pk, "notice": message.notice_id, "message_id": message.message_id},
        )


def _where(message: OutboxMessage) -> str:
    went_to = message.envelope_to.split(",")[0].strip()
    if went_to and went_to.lower() != message.recipient.lower():
        return f"{went_to} (test mode, instead of {message.recipient})"
    return message.recipient
