"""The worker: claims what is due, checks it once more, sends it over SMTP and records what happened.

Each story starts with ACME's Friday run; the customer's address chooses what the server does.
The worker's clock starts an hour after the real time and moves only when a story says so.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import connection

from arrears.delivery.capture import free_port
from arrears.delivery.liveness import AnotherWorker, Liveness
from arrears.delivery.models import BlockedAddress, DeliveryAttempt, OutboxMessage
from arrears.delivery.outbox import JournalRefused, cancel, send_again
from arrears.delivery.smtp import Outcome
from arrears.delivery.worker import BACKOFF, SERVER_DOWN_PAUSE
from arrears.documents.archive import read
from arrears.documents.models import ArchivedDocument, MessageTemplate
from arrears.dunning.services import create_manual_notice
from arrears.history.models import Event
from tests.delivery.conftest import ACME_FROM, messages_of, only_message, sender, sqlite_only
from tests.dunning.conftest import cust, inv

JANA = ("C1", "Jana Nováková", "jana@example.cz")
PETR = ("C2", "Petr Svoboda", "petr@example.cz")


def attempts(message: OutboxMessage) -> list[tuple[int, str, int | None, str]]:
    return list(message.attempt_log.values_list("number", "outcome", "smtp_code", "reply"))


def events(kind: str) -> list[str]:
    return list(Event.objects.filter(kind=kind).order_by("id").values_list("summary", flat=True))


def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


def fresh(message: OutboxMessage) -> OutboxMessage:
    message.refresh_from_db()
    return message


# -- sent -----------------------------------------------------------------------------------------


def test_a_reminder_is_sent_archived_and_recorded(mailbox, account, remind, worker, clock):
    jana = remind(JANA)["C1"]
    queued_id = only_message(jana).message_id

    worker.run(once=True)

    message = only_message(jana)
    assert (message.status, message.attempts, message.sent_at, message.last_error) == ("sent", 1, clock.now, "")
    assert attempts(message) == [(1, "sent", 250, "OK: saved")]
    [mail] = mailbox.mails
    assert (mail.mail_from, mail.rcpt_tos) == (ACME_FROM, ["jana@example.cz"])
    # The archive holds exactly what the customer received: the same bytes, the same Message-ID.
    archived = ArchivedDocument.objects.get(notice=jana, kind="eml")
    assert message.mime == archived
    assert message.mime_path == archived.path
    assert read(archived) == mail.data
    email = mail.message
    assert email["Message-ID"] == queued_id
    assert email["To"] == "jana@example.cz"
    [origin] = email["From"].addresses
    assert (origin.display_name, origin.addr_spec) == ("ACME s.r.o. – účtárna", ACME_FROM)
    assert email["Subject"] == message.subject != ""
    assert email["X-Arrears-Notice"] == str(jana.pk)
    [pdf] = email.iter_attachments()
    assert pdf.get_filename() == f"reminder-{jana.pk}.pdf"
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content().startswith(b"%PDF-")
    assert "F-C1" in email.get_body(("plain",)).get_content()
    assert events("message.sent") == [f"Notice #{jana.pk} e-mailed to jana@example.cz"]
    assert Event.objects.get(kind="message.sent").customer_id == cust("C1").pk
    assert worker.sent == 1

    clock.advance(days=1)
    worker.run(once=True)
    assert len(mailbox.mails) == 1  # sent once, never again


def test_a_reminder_to_two_addresses_is_two_messages_with_their_own_ids(mailbox, account, remind, worker):
    jana = remind(("C1", "Jana Nováková", "jana@example.cz; ucetni@novakova.cz"))["C1"]

    worker.run(once=True)

    assert messages_of(jana) == [("email", "jana@example.cz", "sent"), ("email", "ucetni@novakova.cz", "sent")]
    assert sorted(m.rcpt_tos[0] for m in mailbox.mails) == ["jana@example.cz", "ucetni@novakova.cz"]
    ids = {m.message["Message-ID"] for m in mailbox.mails}
    assert ids == set(OutboxMessage.objects.filter(notice=jana).values_list("message_id", flat=True))
    assert len(ids) == 2


# -- temporary failures -------------------------------------------------------------------------


def test_a_temporary_failure_at_rcpt_is_retried_after_the_first_wait(mailbox, account, remind, worker, clock):
    notice = remind(("C1", "Tomáš Dočasný", "tempfail@example.cz"))["C1"]

    worker.cycle()

    message = only_message(notice)
    assert (message.status, message.attempts, message.phase, message.lease_owner) == ("queued", 1, "", "")
    assert message.next_attempt_at == clock.now + BACKOFF[0]
    assert message.last_error == "451 4.3.0 try again later"
    assert attempts(message) == [(1, "retry", 451, "4.3.0 try again later")]
    assert mailbox.mails == []
    assert Event.objects.filter(kind__startswith="message.").count() == 0  # a retry is no news yet

    worker.cycle()  # not due yet
    clock.advance(BACKOFF[0] - timedelta(seconds=1))
    worker.cycle()
    assert fresh(message).attempts == 1

    clock.advance(seconds=1)
    worker.cycle()
    assert (fresh(message).attempts, message.next_attempt_at) == (2, clock.now + BACKOFF[1])


def test_a_temporary_failure_after_the_message_is_retried(mailbox, account, remind, worker, clock):
    notice = remind(("C1", "Lukáš Později", "later@example.cz"))["C1"]

    worker.cycle()

    message = only_message(notice)
    assert (message.status, message.attempts, message.next_attempt_at) == ("queued", 1, clock.now + BACKOFF[0])
    assert attempts(message) == [(1, "retry", 451, "4.3.2 queue full, try later")]
    assert mailbox.mails == []


def test_after_the_last_wait_the_worker_gives_up(mailbox, account, remind, worker, clock):
    notice = remind(("C1", "Tomáš Dočasný", "tempfail@example.cz"))["C1"]
    message = only_message(notice)
    waits = []

    for _ in range(len(BACKOFF) + 2):
        worker.cycle()
        if fresh(message).status != "queued":
            break
        waits.append(message.next_attempt_at - clock.now)
        clock.to(message.next_attempt_at)

    # A wait after each of the first len(BACKOFF) temporary failures (1 min ... 12 h), then no more.
    assert waits == BACKOFF
    assert (message.status, message.attempts) == ("failed", len(BACKOFF) + 1)
    assert message.reason == f"gave up after {len(BACKOFF) + 1} attempts"
    assert message.last_error == "4.3.0 try again later"
    assert [a[1] for a in attempts(message)] == ["retry"] * len(BACKOFF) + ["failed"]
    assert events("message.failed") == [
        f"Notice #{notice.pk} e-mail to tempfail@example.cz failed: 451 4.3.0 try again later"
    ]
    clock.advance(days=2)
    worker.cycle()
    assert fresh(message).attempts == len(BACKOFF) + 1


def test_sending_again_after_giving_up_gets_the_whole_retry_schedule_again(
    mailbox, account, remind, worker, clock, actor
):
    notice = remind(("C1", "Tomáš Dočasný", "tempfail@example.cz"))["C1"]
    message = only_message(notice)
    for _ in range(len(BACKOFF) + 1):
        worker.cycle()
        clock.to(fresh(message).next_attempt_at or clock.now)
    assert fresh(message).status == "failed"

    send_again(message, actor, now=clock.now)
    worker.cycle()

    # One more temporary failure after a person's "send again" waits the first interval, not "give up".
    assert (fresh(message).status, message.attempts) == ("queued", len(BACKOFF) + 2)
    assert message.next_attempt_at == clock.now + BACKOFF[0]


def test_a_retry_sends_the_same_message_id_and_bytes(serve, company, remind, worker, clock):
    port = free_port()
    sender(company, port)
    notice = remind(JANA)["C1"]
    queued_id = only_message(notice).message_id

    worker.cycle()  # nothing listens yet: the mail server is being restarted

    message = only_message(notice)
    assert (message.status, message.attempts) == ("queued", 1)
    [(_, outcome, code, reply)] = attempts(message)
    assert (outcome, code) == ("retry", None)
    assert "Connection refused" in reply

    box = serve(port=port)
    clock.to(message.next_attempt_at)
    worker.cycle()

    [mail] = box.mails
    assert mail.message["Message-ID"] == queued_id == fresh(message).message_id
    assert mail.data == read(message.mime)  # built once, before the first attempt, sent unchanged
    assert ArchivedDocument.objects.filter(notice=notice, kind="eml").count() == 1
    assert (message.status, message.attempts) == ("sent", 2)


def test_when_the_server_is_down_the_rest_of_the_batch_waits_untried(serve, company, remind, worker, clock):
    port = free_port()
    sender(company, port)
    remind(*[(f"C{i}", f"Customer {i}", f"customer{i}@example.cz") for i in range(1, 5)])

    worker.cycle()

    rows = list(OutboxMessage.objects.order_by("id").values_list("status", "attempts", "next_attempt_at", "mime_path"))
    assert rows[0][:3] == ("queued", 1, clock.now + BACKOFF[0])
    assert rows[1:] == [("queued", 0, clock.now + SERVER_DOWN_PAUSE, "")] * 3
    assert DeliveryAttempt.objects.count() == 1
    assert not OutboxMessage.objects.filter(status="sending").exists()

    box = serve(port=port)
    clock.advance(minutes=1)
    worker.run(once=True)
    assert sorted(m.rcpt_tos[0] for m in box.mails) == [f"customer{i}@example.cz" for i in range(1, 5)]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


# -- permanent failures and bounces ---------------------------------------------------------------


def test_a_permanent_failure_fails_at_once_without_blocking_the_address(mailbox, account, remind, worker, clock):
    notice = remind(("C1", "Radek Odmítnutý", "reject@example.cz"))["C1"]

    worker.cycle()
    clock.advance(days=1)
    worker.cycle()

    message = only_message(notice)
    assert (message.status, message.attempts, message.last_error) == ("failed", 1, "554 5.7.1 message refused")
    assert attempts(message) == [(1, "failed", 554, "5.7.1 message refused")]
    assert not BlockedAddress.objects.exists()
    assert messages_of(notice) == [("email", "reject@example.cz", "failed")]  # no letter: not a bounce
    assert events("message.failed") == [
        f"Notice #{notice.pk} e-mail to reject@example.cz failed: 554 5.7.1 message refused"
    ]


def test_a_hard_bounce_blocks_the_address_and_the_reminder_goes_on_paper(mailbox, account, remind, worker, actor):
    notice = remind(("C1", "Jana Nováková", "Bounce@Example.CZ"))["C1"]

    worker.cycle()

    message = only_message(notice)
    assert (message.status, message.last_error) == ("failed", "550 5.1.1 no such mailbox here")
    blocked = BlockedAddress.objects.get()
    assert (blocked.address, blocked.reason, blocked.message_id) == (
        "bounce@example.cz",
        "550 5.1.1 no such mailbox here",
        message.pk,
    )
    paper = only_message(notice, "letter")
    assert (paper.status, paper.reason) == (
        "paper",
        "e-mail to Bounce@Example.CZ bounced: 550 5.1.1 no such mailbox here",
    )
    assert mailbox.mails == []

    # The credit controller reminds her by hand a few days later: straight to paper.
    later = create_manual_notice(cust("C1"), [inv("F-C1")], actor, deadline=date(2026, 12, 7), today=date(2026, 11, 25))
    assert messages_of(later) == [("letter", "", "paper")]
    assert only_message(later, "letter").reason == "e-mail address on the block list: Bounce@Example.CZ"


def test_a_bounce_of_one_of_two_addresses_needs_no_letter(mailbox, account, remind, worker):
    notice = remind(("C1", "Jana Nováková", "bounce@example.cz; jana@example.cz"))["C1"]

    worker.run(once=True)

    assert messages_of(notice) == [("email", "bounce@example.cz", "failed"), ("email", "jana@example.cz", "sent")]
    assert BlockedAddress.objects.filter(address="bounce@example.cz").exists()


def test_a_message_queued_to_an_address_that_bounced_meanwhile_is_skipped_for_paper(mailbox, account, remind, worker):
    # Two customers of one owner share the accountant's mailbox, which no longer exists.
    sent = remind(("C1", "Novák a syn", "bounce@example.cz"), ("C2", "Novák s.r.o.", "bounce@example.cz"))

    worker.run(once=True)

    first, second = sorted(sent.values(), key=lambda n: only_message(n).pk)
    assert messages_of(first) == [("email", "bounce@example.cz", "failed"), ("letter", "", "paper")]
    assert messages_of(second) == [("email", "bounce@example.cz", "skipped"), ("letter", "", "paper")]
    skipped = only_message(second)
    assert skipped.reason == "bounce@example.cz is on the block list"
    assert attempts(skipped) == [(1, "skipped", None, "bounce@example.cz is on the block list")]
    assert BlockedAddress.objects.count() == 1


def test_cut_off_after_the_end_of_the_message_is_uncertain_and_never_sent_again(
    mailbox, account, remind, workers, clock
):
    notice = remind(("C1", "Dana Ztracená", "drop@example.cz"))["C1"]

    workers().run(once=True)

    message = only_message(notice)
    assert (message.status, message.attempts) == ("uncertain", 1)
    assert message.reason.startswith("connection lost waiting for the reply to the message")
    assert [a[1:3] for a in attempts(message)] == [("uncertain", None)]
    assert len(mailbox.mails) == 1  # the server did keep it: sending again would be a duplicate
    assert events("message.uncertain") == [f"Notice #{notice.pk} e-mail to drop@example.cz uncertain: {message.reason}"]

    clock.advance(days=3)
    workers().run(once=True)
    assert (fresh(message).status, message.attempts, len(mailbox.mails)) == ("uncertain", 1, 1)


# -- checked once more before sending -------------------------------------------------------------


def test_a_reminder_paid_before_it_is_sent_is_skipped(mailbox, account, remind, ledger, worker):
    notice = remind(JANA)["C1"]
    ledger(payments=[["P1", "C1", "2026-11-20", "CZK", "1000.00", "F-C1"]])

    worker.cycle()

    message = only_message(notice)
    assert (message.status, message.attempts) == ("skipped", 1)
    assert message.reason == "paid meanwhile: every invoice of the notice was settled before sending"
    assert attempts(message) == [(1, "skipped", None, message.reason)]
    assert mailbox.mails == []
    assert not ArchivedDocument.objects.filter(kind="eml").exists()
    assert events("message.skipped") == [f"Notice #{notice.pk} e-mail to jana@example.cz skipped: {message.reason}"]


def test_a_reminder_partly_paid_before_it_is_sent_still_goes(mailbox, account, remind, ledger, worker):
    notice = remind(JANA)["C1"]
    ledger(payments=[["P1", "C1", "2026-11-20", "CZK", "400.00", "F-C1"]])

    worker.cycle()

    assert messages_of(notice) == [("email", "jana@example.cz", "sent")]


def test_test_mode_sends_everything_to_the_test_address(mailbox, account, remind, worker):
    account.test_address = "test@acme.cz"
    account.save()
    notice = remind(JANA)["C1"]

    worker.cycle()

    [mail] = mailbox.mails
    assert mail.rcpt_tos == ["test@acme.cz"]
    assert mail.message["To"] == "test@acme.cz"
    assert mail.message["X-Arrears-Original-To"] == "jana@example.cz"
    message = only_message(notice)
    assert (message.status, message.recipient, message.envelope_to) == ("sent", "jana@example.cz", "test@acme.cz")
    assert mailbox.to("jana@example.cz") == []
    assert events("message.sent") == [
        f"Notice #{notice.pk} e-mailed to test@acme.cz (test mode, instead of jana@example.cz)"
    ]


def test_a_reminder_built_in_test_mode_goes_to_the_customer_once_test_mode_ends(
    mailbox, account, remind, worker, clock, actor
):
    account.test_address = "test@acme.cz"
    account.save()
    notice = remind(JANA)["C1"]
    message = only_message(notice)
    worker.cycle()  # the trial: it reaches the test mailbox
    account.test_address = ""
    account.save()

    send_again(message, actor, now=clock.now)
    worker.cycle()

    assert [m.rcpt_tos for m in mailbox.mails] == [["test@acme.cz"], ["jana@example.cz"]]
    assert mailbox.mails[1].message["To"] == "jana@example.cz"
    assert mailbox.mails[1].message["X-Arrears-Original-To"] is None
    assert fresh(message).envelope_to == "jana@example.cz"


def test_a_reminder_built_before_test_mode_began_goes_to_the_test_address(mailbox, account, remind, worker, clock):
    notice = remind(("C1", "Tomáš Dočasný", "tempfail@example.cz"))["C1"]
    message = only_message(notice)
    worker.cycle()  # built for the customer, refused for now
    account.test_address = "test@acme.cz"
    account.save()
    clock.to(fresh(message).next_attempt_at)

    worker.cycle()

    assert [m.rcpt_tos for m in mailbox.mails] == [["test@acme.cz"]]
    assert fresh(message).status == "sent"


def test_test_mode_for_chosen_customers_skips_the_others(mailbox, account, remind, worker):
    account.test_customers = ["C1"]
    account.save()
    sent = remind(JANA, PETR)

    worker.run(once=True)

    assert messages_of(sent["C1"]) == [("email", "jana@example.cz", "sent")]
    assert messages_of(sent["C2"]) == [("email", "petr@example.cz", "skipped")]
    assert only_message(sent["C2"]).reason == "test mode: only customers C1 get e-mail"
    assert [m.rcpt_tos for m in mailbox.mails] == [["jana@example.cz"]]
    assert "X-Arrears-Original-To" not in mailbox.mails[0].message


def test_a_broken_text_fails_the_message_and_the_worker_goes_on(mailbox, account, remind, company, worker):
    sent = remind(JANA, ("C5", "John Smith", "john@example.co.uk", "en"))
    MessageTemplate.objects.create(company=company, key="level1", language="cs", subject="Upomínka {{ ")

    worker.run(once=True)

    broken = only_message(sent["C1"])
    assert broken.status == "failed"
    assert broken.last_error.startswith("the letter could not be rendered: ")
    assert only_message(sent["C5"]).status == "sent"


# -- pace and accounts ----------------------------------------------------------------------------


def test_the_send_interval_keeps_one_message_per_interval_for_all_workers(mailbox, company, remind, workers, clock):
    account = sender(company, mailbox.port, send_interval_seconds=60)
    remind(JANA, PETR)
    first, second = workers(), workers()

    first.cycle()
    second.cycle()  # another worker on the same account waits too
    first.cycle()
    assert len(mailbox.mails) == 1
    account.refresh_from_db()
    assert account.next_send_at == clock.now + timedelta(seconds=60)

    clock.advance(seconds=59)
    first.cycle()
    assert len(mailbox.mails) == 1

    clock.advance(seconds=1)
    second.cycle()
    assert len(mailbox.mails) == 2
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_without_a_sender_account_messages_wait_and_say_why(mailbox, company, remind, worker):
    notice = remind(JANA)["C1"]

    worker.cycle()

    message = only_message(notice)
    assert (message.status, message.attempts, message.account_id) == ("queued", 0, None)
    assert message.last_error == "no sender account: add one with 'arrears smtp add' (docs/operations.md)"
    assert mailbox.mails == []

    sender(company, mailbox.port)
    worker.cycle()

    assert (fresh(message).status, message.last_error) == ("sent", "")
    assert len(mailbox.mails) == 1


# -- the journal: send again, cancel --------------------------------------------------------------


def test_a_sent_reminder_can_be_sent_again_with_the_same_message_id(mailbox, account, remind, worker, actor, clock):
    notice = remind(JANA)["C1"]
    worker.cycle()
    message = only_message(notice)

    again = send_again(message, actor, now=clock.now)

    assert (again.status, again.reason, again.next_attempt_at) == ("queued", "sent again by test", clock.now)
    assert events("message.action") == [f"Message #{message.pk} to jana@example.cz: queued to be sent again now"]
    worker.cycle()
    first, second = mailbox.mails
    assert first.data == second.data  # the archived bytes, not a new rendering
    assert (fresh(message).status, message.attempts) == ("sent", 2)


def test_the_journal_refuses_what_makes_no_sense(mailbox, account, remind, worker, actor):
    sent = remind(JANA, ("C2", "Petr Svoboda", ""), ("C3", "Bohdan Král", "bounce@example.cz"))
    claimed = OutboxMessage.objects.get(notice=sent["C1"])
    OutboxMessage.objects.filter(pk=claimed.pk).update(status="sending", phase="claimed", lease_owner="w:1:1")

    with pytest.raises(JournalRefused, match=rf"message #{claimed.pk} is sending; wait until its attempt ends"):
        send_again(claimed, actor)
    paper = only_message(sent["C2"], "letter")
    with pytest.raises(JournalRefused, match="it goes into the next print batch already"):
        send_again(paper, actor)

    worker.cycle()  # Bohdan's address bounces
    bounced = only_message(sent["C3"])
    with pytest.raises(JournalRefused, match=r"bounce@example\.cz is on the block list: unblock it first"):
        send_again(bounced, actor)
    assert Event.objects.filter(kind="message.action").count() == 0


def test_a_cancelled_message_is_not_sent_and_a_sent_one_cannot_be_cancelled(mailbox, account, remind, worker, actor):
    sent = remind(JANA, PETR)
    jana, petr = only_message(sent["C1"]), only_message(sent["C2"])

    cancel(petr, actor)
    worker.run(once=True)

    assert (fresh(petr).status, petr.reason) == ("cancelled", "cancelled by test")
    assert [m.rcpt_tos for m in mailbox.mails] == [["jana@example.cz"]]
    assert events("message.action") == [f"Message #{petr.pk} to petr@example.cz: cancelled"]
    with pytest.raises(JournalRefused, match="is sent: only queued, failed, uncertain or paper"):
        cancel(jana, actor)


# -- workers that stop ----------------------------------------------------------------------------


def test_a_dead_workers_messages_are_recovered_by_the_next(mailbox, account, remind, workers, clock):
    sent = remind(JANA, PETR)
    dead = workers()
    jana, petr = only_message(sent["C1"]), only_message(sent["C2"])
    assert sorted(dead._claim(account, 2, clock.now)) == sorted([jana.pk, petr.pk])
    # It died with Jana's message claimed (its end never sent) and Petr's being committed.
    assert dead._commit_point(fresh(petr), clock.now)

    survivor = workers()
    survivor.run(once=True)

    assert (fresh(jana).status, jana.attempts) == ("sent", 2)
    assert [(a.outcome, a.worker) for a in jana.attempt_log.all()] == [
        ("interrupted", dead.name),
        ("sent", survivor.name),
    ]
    assert (fresh(petr).status, petr.attempts, petr.phase) == ("uncertain", 1, "")
    assert petr.reason.startswith(f"worker {dead.name} stopped after handing the message to the server")
    assert [a.outcome for a in petr.attempt_log.all()] == ["uncertain"]
    assert [m.rcpt_tos for m in mailbox.mails] == [["jana@example.cz"]]  # Petr's is never sent twice
    # Petr's history says a reminder may have reached him, as a person must check.
    (uncertain,) = events("message.uncertain")
    assert uncertain.startswith(f"Notice #{sent['C2'].pk} e-mail to petr@example.cz uncertain: worker {dead.name}")


def test_a_worker_that_lost_its_message_does_not_send_it(mailbox, account, remind, worker, clock):
    notice = remind(JANA)["C1"]
    [claimed] = worker._claim(account, 1, clock.now)
    # Meanwhile another worker took the message over (it thought this one dead).
    OutboxMessage.objects.filter(pk=claimed).update(lease_owner="other-host:4242:7")

    result = worker.deliver(OutboxMessage.objects.select_related("notice__customer").get(pk=claimed), account)

    assert result.outcome == Outcome.ABANDONED
    assert mailbox.mails == []
    message = only_message(notice)
    assert (message.status, message.phase, message.lease_owner, message.attempts) == (
        "sending",
        "claimed",
        "other-host:4242:7",
        0,
    )
    assert not DeliveryAttempt.objects.exists()


@sqlite_only
def test_on_sqlite_a_second_worker_is_refused(mailbox, account, remind, workers):
    remind(JANA)
    first, second = workers(), workers()
    handler = signal.getsignal(signal.SIGTERM)
    first.liveness.start()
    try:
        with pytest.raises(AnotherWorker, match=rf"a worker is already dispatching on this database \({first.name}\)"):
            second.run(once=True)
        assert signal.getsignal(signal.SIGTERM) == handler
        assert mailbox.mails == []
    finally:
        first.liveness.stop()

    second.run(once=True)
    assert len(mailbox.mails) == 1


@pytest.mark.pg_only
def test_on_postgresql_a_live_workers_messages_are_left_alone(mailbox, account, remind, workers, clock):
    remind(JANA)
    other, survivor = workers(), workers()
    [claimed] = other._claim(account, 1, clock.now)
    ready, release = threading.Event(), threading.Event()

    def alive() -> None:
        # The other worker, in its own process in real life: its own connection and advisory lock.
        other.liveness.start()
        ready.set()
        release.wait(10)
        connection.close()  # killed: the lock goes with the connection

    thread = threading.Thread(target=alive)
    thread.start()
    try:
        assert ready.wait(10)
        assert survivor.recover() == 0
        assert OutboxMessage.objects.get(pk=claimed).status == "sending"
    finally:
        release.set()
        thread.join(10)

    # The server lets go of a closed connection's locks a moment later, not at once.
    assert eventually(lambda: survivor.liveness.is_dead(other.name))
    assert survivor.recover() == 1
    assert OutboxMessage.objects.get(pk=claimed).status == "queued"


@pytest.mark.pg_only
def test_on_postgresql_liveness_is_an_advisory_lock_held_by_the_workers_connection(db):
    other, me = Liveness(), Liveness()
    ready, release = threading.Event(), threading.Event()

    def alive() -> None:
        other.start()
        ready.set()
        release.wait(10)
        connection.close()

    thread = threading.Thread(target=alive)
    thread.start()
    me.start()
    try:
        assert ready.wait(10)
        assert me.is_dead(other.name) is False
        assert me.is_dead(me.name) is False
        release.set()
        thread.join(10)
        assert eventually(lambda: me.is_dead(other.name))
        assert me.is_dead(other.name) is True
        assert me.is_dead("not a worker's name") is True
        with connection.cursor() as cursor:
            # Looking did not keep the dead worker's lock.
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s", [other.key])
            assert cursor.fetchone() == (0,)
    finally:
        release.set()
        me.stop()


def test_a_connection_the_server_closed_while_idle_is_replaced_without_losing_an_attempt(
    serve, company, remind, worker, actor
):
    box = serve()
    sender(company, box.port)
    remind(JANA)
    worker.cycle()
    # The mail server restarts; the worker still holds the old connection.
    box.stop()
    again = serve(port=box.port)
    later = create_manual_notice(cust("C1"), [inv("F-C1")], actor, deadline=date(2026, 12, 7), today=date(2026, 11, 25))

    worker.cycle()

    message = only_message(later)
    assert (message.status, message.attempts) == ("sent", 1)
    assert [m.message["Message-ID"] for m in again.mails] == [message.message_id]
