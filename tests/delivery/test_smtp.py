"""SMTP against a real server on 127.0.0.1: plain, STARTTLS and SSL/TLS with AUTH, the options a
message carries (DSN, read receipt, CC, BCC, Reply-To), and the debug log that never shows a password."""

from __future__ import annotations

import base64
import logging
import socket
from datetime import UTC, datetime, timedelta

import pytest

from arrears.delivery.mime import build_message
from arrears.delivery.models import DeliveryAttempt, OutboxMessage, SenderAccount
from arrears.delivery.smtp import Outcome, SmtpSession, dot_stuffed
from arrears.delivery.worker import BACKOFF
from tests.delivery.conftest import ACME_FROM, only_message, sender

PASSWORD = "Tajné-heslo 42"
WHEN = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)


def account_for(port: int, **fields) -> SenderAccount:
    """An account as `arrears smtp add` makes it (not saved: a session needs no database)."""
    values = {
        "code": "mail",
        "display_name": "ACME s.r.o.",
        "address": ACME_FROM,
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "timeout_seconds": 5,
    }
    values.update(fields)
    return SenderAccount(**values)


def send(account: SenderAccount, to: str = "jana@example.cz", text: str = "Dobrý den,\nprosíme o úhradu.\n"):
    data, envelope = build_message(
        account, to=to, subject="Upomínka č. 1", text=text, message_id="<n1.test@acme.cz>", date=WHEN
    )
    session = SmtpSession(account)
    try:
        return session.send(envelope.sender, list(envelope.recipients), data, commit_point=lambda: True), data
    finally:
        session.close()


def nodelay(session: SmtpSession) -> int:
    assert session.conn is not None
    assert session.conn.sock is not None
    return session.conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_plain_smtp_delivers_the_exact_bytes(mailbox):
    # Lines starting with a dot must survive SMTP's dot-stuffing unchanged.
    result, data = send(account_for(mailbox.port), text=".\n..two dots\nthe end\n")

    assert (result.outcome, result.code, result.reply) == (Outcome.SENT, 250, "OK: saved")
    [mail] = mailbox.mails
    assert mail.data == data
    assert (mail.mail_from, mail.rcpt_tos) == (ACME_FROM, ["jana@example.cz"])
    assert mail.message.get_body().get_content().splitlines() == [".", "..two dots", "the end"]


def test_dot_stuffing_doubles_leading_dots_and_ends_each_line_with_crlf():
    assert dot_stuffed(b".a\n.\r\nb\rc") == b"..a\r\n..\r\nb\r\nc\r\n"


def test_starttls_with_auth(serve, trust_test_ca):
    box = serve("starttls", tls=trust_test_ca, users={"acme": PASSWORD})
    account = account_for(box.port, security="starttls", username="acme", password=PASSWORD)

    result, data = send(account)

    assert result.outcome == Outcome.SENT
    assert [m.data for m in box.mails] == [data]
    assert box.authenticator.tries == [("PLAIN", "acme")]


def test_ssl_tls_from_the_start_with_auth(serve, trust_test_ca):
    box = serve("ssl", tls=trust_test_ca, users={"acme": PASSWORD})
    account = account_for(box.port, security="ssl", username="acme", password=PASSWORD)

    result, data = send(account)

    assert result.outcome == Outcome.SENT
    assert [m.data for m in box.mails] == [data]
    assert box.authenticator.tries == [("PLAIN", "acme")]


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_a_server_whose_certificate_is_not_trusted_gets_nothing(serve, certificates, settings, security):
    settings.SMTP_CA_FILE = ""  # the relay's private CA is not configured
    box = serve(security, tls=certificates, users={"acme": PASSWORD})

    result, _ = send(account_for(box.port, security=security, username="acme", password=PASSWORD))

    assert result.outcome == Outcome.RETRY
    assert "CERTIFICATE_VERIFY_FAILED" in result.reply
    assert box.mails == []
    assert box.authenticator.tries == []  # the password never went to the unverified server


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_the_socket_sends_small_commands_without_delay(serve, trust_test_ca, security):
    box = serve(security, tls=trust_test_ca)
    session = SmtpSession(account_for(box.port, security=security))
    try:
        session.open()
        assert nodelay(session) != 0
    finally:
        session.close()


def test_a_wrong_password_keeps_the_message_waiting_with_the_servers_reply(
    serve, trust_test_ca, company, remind, worker, clock
):
    box = serve("starttls", tls=trust_test_ca, users={"acme": PASSWORD})
    sender(company, box.port, security="starttls", username="acme", password="wrong")
    jana = remind(("C1", "Jana Nováková", "jana@example.cz"))["C1"]

    worker.cycle()
    clock.advance(seconds=30)
    worker.cycle()

    # The account's problem, not the reminder's: it waits for the password to be fixed, tried
    # again after the first backoff interval, not at every poll.
    message = only_message(jana)
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.next_attempt_at == clock.now - timedelta(seconds=30) + BACKOFF[0]
    assert message.last_error.startswith("535 authentication failed: 5.7.8 Authentication credentials invalid")
    assert list(message.attempt_log.values_list("outcome", "smtp_code")) == [("retry", 535)]
    assert "wrong" not in message.last_error
    assert box.authenticator.tries == [("PLAIN", "acme")]
    assert box.mails == []


def test_a_wrong_password_is_tried_once_per_batch_not_once_per_message(
    serve, trust_test_ca, company, remind, worker, clock
):
    box = serve("starttls", tls=trust_test_ca, users={"acme": PASSWORD})
    sender(company, box.port, security="starttls", username="acme", password="wrong")
    remind(*[(f"C{i}", f"Customer {i}", f"customer{i}@example.cz") for i in range(1, 6)])

    worker.cycle()

    # A server locks an account after a few wrong passwords: one try, the rest wait untried.
    assert len(box.authenticator.tries) == 1
    statuses = sorted(OutboxMessage.objects.values_list("status", "attempts"))
    assert statuses == [("queued", 0)] * 4 + [("queued", 1)]

    # The account waits a quarter of an hour before its next login, whatever is queued.
    clock.advance(minutes=2)
    worker.cycle()
    assert len(box.authenticator.tries) == 1
    clock.advance(minutes=14)
    worker.cycle()
    assert len(box.authenticator.tries) == 2


def secrets_of(user: str, password: str) -> list[str]:
    """Everything that would give the password away: itself and its base64 forms in AUTH PLAIN and LOGIN."""
    plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    return [password, plain, base64.b64encode(password.encode()).decode()]


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_debug_mode_logs_the_dialogue_but_never_the_password(serve, trust_test_ca, caplog, mechanism):
    excluded = [m for m in ("PLAIN", "LOGIN") if m != mechanism]
    box = serve("starttls", tls=trust_test_ca, users={"acme": PASSWORD}, auth_exclude_mechanism=excluded)
    account = account_for(box.port, security="starttls", username="acme", password=PASSWORD, debug=True)
    caplog.set_level(logging.DEBUG, logger="arrears.delivery.smtp")

    result, _ = send(account)

    assert result.outcome == Outcome.SENT
    assert box.authenticator.tries == [(mechanism, "acme")]
    log = "\n".join(r.getMessage() for r in caplog.records if r.name == "arrears.delivery.smtp")
    assert "C: STARTTLS" in log
    assert f"C: mail FROM:<{ACME_FROM}>" in log
    assert "C: rcpt TO:<jana@example.cz>" in log
    assert "S: 250 OK: saved" in log
    assert "C: AUTH [credentials hidden]" in log
    assert "S: 235 2.7.0 Authentication successful" in log
    for secret in secrets_of("acme", PASSWORD):
        assert secret not in log
    assert "prosíme o úhradu" not in log  # nor the message itself


def test_without_debug_mode_the_dialogue_is_not_logged(mailbox, caplog):
    caplog.set_level(logging.DEBUG, logger="arrears.delivery.smtp")

    result, _ = send(account_for(mailbox.port))

    assert result.outcome == Outcome.SENT
    assert [r.getMessage() for r in caplog.records if r.name == "arrears.delivery.smtp"] == []


def test_delivery_receipts_are_asked_for_only_when_the_server_offers_dsn(serve):
    plain, with_dsn = serve(), serve(dsn=True)

    for box in (plain, with_dsn):
        result, data = send(account_for(box.port, request_delivery_receipt=True))
        assert result.outcome == Outcome.SENT

    [without] = plain.mails
    assert (without.mail_options, without.rcpt_options) == ([f"SIZE={len(dot_stuffed(data))}"], [])
    [asked] = with_dsn.mails
    assert asked.mail_options == [f"SIZE={len(dot_stuffed(data))}", "RET=HDRS"]
    assert asked.rcpt_options == ["NOTIFY=FAILURE,DELAY"]


def test_no_delivery_receipt_unless_the_account_asks(serve):
    box = serve(dsn=True)

    result, _ = send(account_for(box.port))

    assert result.outcome == Outcome.SENT
    [mail] = box.mails
    assert "RET=HDRS" not in mail.mail_options
    assert mail.rcpt_options == []


def test_a_read_receipt_is_asked_for_with_disposition_notification_to(mailbox):
    send(account_for(mailbox.port, request_read_receipt=True))
    send(account_for(mailbox.port))

    asked, not_asked = mailbox.mails
    assert asked.message["Disposition-Notification-To"] == ACME_FROM
    assert "Disposition-Notification-To" not in not_asked.message


def test_cc_and_reply_to_are_headers_and_bcc_only_the_envelope(mailbox):
    account = account_for(
        mailbox.port,
        cc="Jiří Vedoucí <vedouci@acme.cz>",
        bcc="archiv@acme.cz",
        reply_to="ucetni@acme.cz, Pavla <pavla@acme.cz>",
    )

    result, _ = send(account)

    assert result.outcome == Outcome.SENT
    [mail] = mailbox.mails
    assert mail.rcpt_tos == ["jana@example.cz", "vedouci@acme.cz", "archiv@acme.cz"]
    assert mail.message["To"] == "jana@example.cz"
    assert mail.message["Cc"] == "vedouci@acme.cz"
    assert mail.message["Reply-To"] == "ucetni@acme.cz, pavla@acme.cz"
    assert "Bcc" not in mail.message
    assert b"archiv@acme.cz" not in mail.data


def test_a_recipient_in_both_to_and_bcc_gets_one_copy(mailbox):
    result, _ = send(account_for(mailbox.port, bcc="Jana@Example.cz, archiv@acme.cz"))

    assert result.outcome == Outcome.SENT
    assert mailbox.mails[0].rcpt_tos == ["jana@example.cz", "archiv@acme.cz"]


def test_a_refused_copy_does_not_stop_the_message(mailbox):
    # The BCC address no longer exists: the customer still gets the reminder, and the refusal is kept.
    result, _ = send(account_for(mailbox.port, bcc="bounce@acme.cz"))

    assert result.outcome == Outcome.SENT
    assert mailbox.mails[0].rcpt_tos == ["jana@example.cz"]
    assert result.refused == {"bounce@acme.cz": "550 5.1.1 no such mailbox here"}


def test_one_connection_carries_message_after_message(mailbox, account, remind, worker):
    remind(*[(f"C{i}", f"Customer {i}", f"customer{i}@example.cz") for i in range(1, 4)])

    worker.cycle()

    assert sorted(m.rcpt_tos[0] for m in mailbox.mails) == [f"customer{i}@example.cz" for i in range(1, 4)]
    assert DeliveryAttempt.objects.filter(outcome="sent").count() == 3
    assert mailbox.handler.greetings == 1  # connected once, RSET between messages
