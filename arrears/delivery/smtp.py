"""SMTP over the standard library, with the one window that matters kept as narrow as it can be.

A message reaches the server only when the line "." after its body is answered with 250. So the
body goes out first, without that line; then `commit_point()` records in the database that the
message is being committed (and confirms the worker still owns it); only then does the final "."
go out. A crash before the record leaves a message the server discarded (the connection dropped
mid-DATA): it is sent again. A crash between the record and the reply's record is the window no
SMTP client can close: the message is marked uncertain for a person to check, never re-sent.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import logging
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings

from arrears.delivery.models import SenderAccount

log = logging.getLogger("arrears.delivery.smtp")

_BARE_EOL = re.compile(rb"\r\n|\r|\n")
# RCPT replies that say the mailbox does not exist or cannot be used: a hard bounce.
HARD_BOUNCE_CODES = frozenset({550, 551, 553})
_ENHANCED = re.compile(rb"^\s*([245])\.(\d{1,3})\.(\d{1,3})")
# Enhanced status codes (RFC 3463) that say the recipient's address itself is bad: 5.1.x except the
# sender's own (5.1.7, 5.1.8), 5.1.10 "null MX" included, and a disabled mailbox (5.2.1).
# "550 5.7.1 relaying denied" is not: that is the account's problem.


def is_hard_bounce(code: int, reply: bytes) -> bool:
    """A RCPT refusal that means the address will never work: the address is blocked for later."""
    if code not in HARD_BOUNCE_CODES:
        return False
    enhanced = _ENHANCED.match(reply)
    if enhanced is None:
        return True  # an old server: the basic code is all there is to go by
    subject, detail = int(enhanced.group(2)), int(enhanced.group(3))
    return enhanced.group(1) == b"5" and ((subject == 1 and detail not in (7, 8)) or (subject, detail) == (2, 1))


# A connection idle this long is checked with RSET before use (servers drop idle clients); a busy
# one goes straight to MAIL FROM, saving a round trip per message.
IDLE_CHECK_SECONDS = 5.0


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # 4xx, timeout, connection trouble before the server could accept the message
    FAILED = "failed"  # 5xx: permanent
    UNCERTAIN = "uncertain"  # cut off after the final "." went out: it may have arrived
    ABANDONED = "abandoned"  # the worker no longer owns the message: not sent, someone else has it


@dataclass
class Result:
    outcome: Outcome
    code: int | None = None
    reply: str = ""
    bounced: list[str] = field(default_factory=list)  # recipients refused for good (block them)
    refused: dict[str, str] = field(default_factory=dict)  # every refused recipient and why

    @property
    def login_refused(self) -> bool:
        """The server refused the account's user name or password: every message would fail alike."""
        return self.reply.startswith("authentication failed")


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    extra = getattr(settings, "SMTP_CA_FILE", "")
    if extra:  # an internal relay with its own certificate authority
        context.load_verify_locations(cafile=extra)
    return context


if TYPE_CHECKING:
    _SMTPBase = smtplib.SMTP
else:
    _SMTPBase = object


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class _Utf8Auth(_SMTPBase):
    """AUTH as RFC 4954 and RFC 4616 have it: credentials in UTF-8 (smtplib encodes them as ASCII and
    raises UnicodeEncodeError on a password like "Tajné-heslo"), and a wrong password tried once: smtplib
    tries every mechanism the server offers, so one wrong password counts as several failed logins."""

    def login(self, user: str, password: str, *, initial_response_ok: bool = True) -> tuple[int, bytes]:
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("auth"):
            raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
        offered = self.esmtp_features["auth"].upper().split()
        mechanisms = [m for m in ("CRAM-MD5", "PLAIN", "LOGIN") if m in offered]
        if not mechanisms:
            raise smtplib.SMTPException(f"no authentication mechanism arrears knows among: {' '.join(offered)}")
        self.user, self.password = user, password
        failure: smtplib.SMTPAuthenticationError | None = None
        for mechanism in mechanisms:
            method = getattr(self, "auth_" + mechanism.lower().replace("-", "_"))
            try:
                return self.auth(mechanism, method, initial_response_ok=initial_response_ok)
            except smtplib.SMTPAuthenticationError as exc:
                if exc.smtp_code == 535:  # the credentials are wrong: another mechanism will not help
                    raise
                failure = exc  # a mechanism offered but not really supported: try the next
        assert failure is not None
        raise failure

    def auth(self, mechanism: str, authobject: Any, *, initial_response_ok: bool = True) -> tuple[int, bytes]:
        mechanism = mechanism.upper()
        initial = authobject() if initial_response_ok else None
        if initial is not None:
            code, reply = self.docmd("AUTH", f"{mechanism} {_b64(initial)}")
            challenges = 1
        else:
            code, reply = self.docmd("AUTH", mechanism)
            challenges = 0
        while code == 334 and challenges < 5:
            challenges += 1
            self._auth_challenge_count = challenges
            code, reply = self.docmd(_b64(authobject(base64.decodebytes(reply))))
        if code in (235, 503):
            return code, reply
        raise smtplib.SMTPAuthenticationError(code, reply)

    def auth_cram_md5(self, challenge: bytes | None = None) -> str | None:  # type: ignore[override]
        if challenge is None:
            return None  # CRAM-MD5 has no initial response
        return f"{self.user} {hmac.HMAC(self.password.encode('utf-8'), challenge, 'md5').hexdigest()}"


class _SMTP(_Utf8Auth, smtplib.SMTP):
    pass


class _SMTPSSL(_Utf8Auth, smtplib.SMTP_SSL):
    pass


class _LoggingMixin:
    """The SMTP dialogue in the log (debug mode), with authentication and message bodies left out."""

    _redact = False

    def putcmd(self, cmd: str, args: str = "") -> None:
        shown = f"{cmd} {args}".strip()
        if self._redact or cmd.upper() == "AUTH":
            shown = f"{cmd.split()[0] if cmd.upper().startswith('AUTH') else ''} [credentials hidden]".strip()
        log.debug("C: %s", shown)
        super().putcmd(cmd, args)  # type: ignore[misc]

    def getreply(self) -> tuple[int, bytes]:
        code, text = super().getreply()  # type: ignore[misc]
        log.debug("S: %s %s", code, text.decode("utf-8", "replace").replace("\n", " | "))
        return code, text

    def login(self, user: str, password: str, *, initial_response_ok: bool = True) -> tuple[int, bytes]:
        self._redact = True
        try:
            return super().login(user, password, initial_response_ok=initial_response_ok)  # type: ignore[misc,no-any-return]
        finally:
            self._redact = False


class _LoggingSMTP(_LoggingMixin, _SMTP):
    pass


class _LoggingSMTPSSL(_LoggingMixin, _SMTPSSL):
    pass


def _reply_text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _classify(code: int, reply: bytes | str) -> Result:
    text = _reply_text(reply)
    if 400 <= code < 500:
        return Result(Outcome.RETRY, code, text)
    return Result(Outcome.FAILED, code, text)


def dot_stuffed(data: bytes) -> bytes:
    """The body as DATA carries it: CRLF line ends, leading dots doubled, ending in CRLF."""
    crlf = data.count(b"\r\n")
    if data.count(b"\r") != crlf or data.count(b"\n") != crlf:
        data = _BARE_EOL.sub(b"\r\n", data)  # rare: our MIME is built with CRLF already
    # Counting and replacing run in C: a 40 kB message costs microseconds, not a regex pass.
    body = data.replace(b"\r\n.", b"\r\n..")
    if body.startswith(b"."):
        body = b"." + body
    return body if body.endswith(b"\r\n") else body + b"\r\n"


class SmtpSession:
    """One connection to an account's server, reused for message after message."""

    def __init__(self, account: SenderAccount) -> None:
        self.account = account
        self.conn: smtplib.SMTP | None = None
        self.last_reply = 0.0  # when the server last answered (monotonic)

    def open(self) -> smtplib.SMTP:
        a = self.account
        debug = a.debug
        if debug:
            log.setLevel(logging.DEBUG)
        context = tls_context()
        conn: smtplib.SMTP
        if a.security == SenderAccount.Security.SSL:
            conn = (_LoggingSMTPSSL if debug else _SMTPSSL)(a.host, a.port, timeout=a.timeout_seconds, context=context)
        else:
            conn = (_LoggingSMTP if debug else _SMTP)(a.host, a.port, timeout=a.timeout_seconds)
        try:
            if conn.sock is not None:
                # Small commands back to back: no Nagle delay waiting for an ACK between them.
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.ehlo()
            if a.security == SenderAccount.Security.STARTTLS:
                conn.starttls(context=context)
                conn.ehlo()
                if conn.sock is not None:
                    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if a.username:
                conn.login(a.username, a.password)
        except BaseException:
            self._drop(conn)
            raise
        self.conn = conn
        self.last_reply = time.monotonic()
        return conn

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.conn.quit()
            self._drop(self.conn)
            self.conn = None

    @staticmethod
    def _drop(conn: smtplib.SMTP) -> None:
        with contextlib.suppress(OSError):
            conn.close()

    def abort(self) -> None:
        """Cut the connection without the final ".": the server discards what it received."""
        if self.conn is not None:
            self._drop(self.conn)
            self.conn = None

    def _ready(self) -> smtplib.SMTP:
        if self.conn is not None:
            if time.monotonic() - self.last_reply < IDLE_CHECK_SECONDS:
                return self.conn  # every transaction ends reset (250 or RSET): no round trip needed
            try:
                code, _ = self.conn.rset()
                if code == 250:
                    return self.conn
            except (smtplib.SMTPException, OSError):
                pass
            self.abort()
        return self.open()

    def send(self, sender: str, recipients: list[str], data: bytes, commit_point: Callable[[], bool]) -> Result:
        """Send one message. `commit_point` runs just before the final "."; False means: do not send."""
        committing = False
        try:
            try:
                conn = self._ready()
            except smtplib.SMTPAuthenticationError as exc:
                self.abort()
                # The account's problem, not the message's: it waits (with backoff) for the password
                # to be fixed rather than failing every reminder in the queue.
                return Result(Outcome.RETRY, exc.smtp_code, f"authentication failed: {_reply_text(exc.smtp_error)}")
            except smtplib.SMTPResponseException as exc:
                self.abort()
                return _classify(exc.smtp_code, exc.smtp_error)
            mail_options: list[str] = []
            rcpt_options: list[str] = []
            if conn.has_extn("size"):
                mail_options.append(f"SIZE={len(data)}")
            if self.account.request_delivery_receipt and conn.has_extn("dsn"):
                mail_options.append("RET=HDRS")
                rcpt_options.append("NOTIFY=FAILURE,DELAY")
            try:
                code, reply = conn.mail(sender, mail_options)
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                # A reused connection the server closed meanwhile: one fresh connection, no attempt lost.
                self.abort()
                conn = self.open()
                code, reply = conn.mail(sender, mail_options)
            if code != 250:
                self._reset(conn)
                return _classify(code, reply)
            refused: dict[str, tuple[int, bytes]] = {}
            for address in recipients:
                code, reply = conn.rcpt(address, rcpt_options)
                if code not in (250, 251):
                    refused[address] = (code, reply)
            primary = recipients[0]
            if primary in refused or len(refused) == len(recipients):
                self._reset(conn)
                code, reply = refused.get(primary) or next(iter(refused.values()))
                result = _classify(code, reply)
                result.refused = {a: f"{c} {_reply_text(r)}" for a, (c, r) in refused.items()}
                result.bounced = [a for a, (c, r) in refused.items() if is_hard_bounce(c, r)]
                return result
            code, reply = conn.docmd("data")
            if code != 354:
                self._reset(conn)
                return _classify(code, reply)
            conn.send(dot_stuffed(data))
            try:
                owned = commit_point()
            except BaseException:
                self.abort()  # mid-DATA without the final ".": the server discards the message
                raise
            if not owned:
                self.abort()
                return Result(Outcome.ABANDONED, reply="another worker took the message over")
            committing = True
            conn.send(b".\r\n")
            code, reply = conn.getreply()
            self.last_reply = time.monotonic()
            if code == 250:
                result = Result(Outcome.SENT, code, _reply_text(reply))
                result.refused = {a: f"{c} {_reply_text(r)}" for a, (c, r) in refused.items()}
                result.bounced = [a for a, (c, r) in refused.items() if is_hard_bounce(c, r)]
                return result
            # The server answered: it did not take the message, so nothing is uncertain.
            return _classify(code, reply)
        except (smtplib.SMTPException, OSError) as exc:
            self.abort()
            what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if committing:
                return Result(Outcome.UNCERTAIN, reply=f"connection lost waiting for the reply to the message: {what}")
            smtp_code = getattr(exc, "smtp_code", None)
            if isinstance(smtp_code, int) and 500 <= smtp_code < 600:
                return Result(Outcome.FAILED, smtp_code, what)
            return Result(Outcome.RETRY, smtp_code if isinstance(smtp_code, int) else None, what)

    def _reset(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
            self.last_reply = time.monotonic()
        except (smtplib.SMTPException, OSError):
            self.abort()


def check_account(account: SenderAccount) -> str:
    """Connect, secure and log in, as `arrears smtp test` does; returns what the server offers."""
    session = SmtpSession(account)
    conn: Any = session.open()
    try:
        features = sorted(conn.esmtp_features)
        return ", ".join(features) or "no ESMTP extensions"
    finally:
        session.close()
