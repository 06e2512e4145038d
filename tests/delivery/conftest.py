"""Fixtures for the delivery stories: a real SMTP server on 127.0.0.1, ACME's sender account, a worker
with a clock the test moves, and reminders to customers whose addresses choose the server's answer.

The stories play at ACME s.r.o. (tests/conftest.py) with the standard policy of tests/dunning: the
run of Friday 2026-11-20 sends a first reminder about every invoice overdue by a week or more.
The recipient's local part decides what the server does (tests/delivery/smtp_server.py):
tempfail@ (451 at RCPT), bounce@ (550 at RCPT), reject@ (554 after the end), later@ (451 after the
end), drop@ (connection cut after the end, before the reply); anyone else gets the message.
"""

from __future__ import annotations

import email
import itertools
import ssl
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from django.conf import settings as django_settings
from django.utils import timezone

from arrears.companies.models import Company
from arrears.delivery.capture import CaptureServer, free_port
from arrears.delivery.capture import _Authenticator as UserCheck
from arrears.delivery.models import OutboxMessage, SenderAccount
from arrears.delivery.worker import Worker
from arrears.dunning.models import Notice
from tests.delivery.smtp_server import FaultyHandler
from tests.dunning import conftest as dunning
from tests.dunning.conftest import FRIDAY, customer_row, notices, run

# The dunning stories' fixtures, for the delivery stories too.
ledger = dunning.ledger
load_policy = dunning.load_policy
standard = dunning.standard

ACME_FROM = "upominky@acme.cz"


def on_postgres() -> bool:
    return "postgresql" in django_settings.DATABASES["default"]["ENGINE"]


sqlite_only = pytest.mark.skipif(on_postgres(), reason="SQLite: one worker dispatches")


@pytest.fixture(autouse=True)
def _pg_only(request: pytest.FixtureRequest) -> None:
    """Tests marked pg_only need PostgreSQL; on SQLite they are skipped, saying so."""
    if request.node.get_closest_marker("pg_only") is not None and not on_postgres():
        pytest.skip("needs PostgreSQL (ARREARS_TEST_DB=postgres with DATABASE_URL)")


# -- the SMTP server ----------------------------------------------------------------------------


@dataclass
class Mail:
    """One message the server accepted, as it stored it."""

    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    rcpt_options: list[str]
    path: Path

    @property
    def raw(self) -> bytes:
        """The stored file: the X-Envelope lines the capture server prepends, then the message."""
        return self.path.read_bytes()

    @property
    def data(self) -> bytes:
        """The message bytes exactly as the server received them."""
        lines = self.raw.split(b"\r\n", 2)
        assert lines[0].startswith(b"X-Envelope-From: ")
        assert lines[1].startswith(b"X-Envelope-To: ")
        return lines[2]

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        return parsed


class RecordingHandler(FaultyHandler):
    """The faulty server's behaviour, plus a note of the SMTP options of every message it keeps."""

    def __init__(self, folder: Path, *, dsn: bool = False) -> None:
        super().__init__(folder)
        self.mails: list[Mail] = []
        self.dsn = dsn
        self.greetings = 0  # EHLO commands: one per connection (and one more after STARTTLS)

    def save(self, envelope: Envelope) -> Path:
        path = super().save(envelope)
        self.mails.append(
            Mail(
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
                list(envelope.mail_options),
                list(envelope.rcpt_options),
                path,
            )
        )
        return path

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        self.greetings += 1
        if self.dsn:
            responses.insert(-1, "250-DSN")
        return responses


class DsnSMTP(SMTP):
    """aiosmtpd refuses MAIL and RCPT parameters it does not know; this one takes the DSN ones (RFC 3461)."""

    def _getparams(self, params: Any) -> Any:
        found = super()._getparams(params)
        if found is not None:
            for key in ("RET", "ENVID", "NOTIFY", "ORCPT"):
                found.pop(key, None)
        return found


class Authenticator:
    """The capture server's user check (arrears.delivery.capture), counting every try: a wrong
    password must not be tried again and again."""

    def __init__(self, check: Any) -> None:
        self.check = check
        self.tries: list[tuple[str, str]] = []

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            self.tries.append((mechanism, data.login.decode()))
        return self.check(server, session, envelope, mechanism, data)


class ServerController(Controller):
    """For what CaptureServer does not offer: SSL/TLS from the first byte, DSN."""

    def __init__(self, handler: RecordingHandler, *, dsn: bool = False, **kwargs: Any) -> None:
        self.dsn = dsn
        super().__init__(handler, hostname="127.0.0.1", **kwargs)

    def factory(self) -> SMTP:
        with warnings.catch_warnings():
            # "Requiring AUTH while not requiring TLS": over SSL/TLS from the start it is TLS all along.
            warnings.simplefilter("ignore", UserWarning)
            return (DsnSMTP if self.dsn else SMTP)(self.handler, **self.SMTP_kwargs)


@dataclass
class Mailbox:
    """A running SMTP server on 127.0.0.1 and what it received."""

    port: int
    handler: RecordingHandler
    server: Any
    authenticator: Authenticator | None = None
    stopped: bool = field(default=False)

    @property
    def mails(self) -> list[Mail]:
        return list(self.handler.mails)

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.handler.mails if address in m.rcpt_tos]

    def stop(self) -> None:
        if not self.stopped:
            self.server.stop()
            self.stopped = True


@dataclass(frozen=True)
class Tls:
    ca_file: Path
    server_context: ssl.SSLContext


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A private certificate authority and a certificate for 127.0.0.1, as an internal relay has."""
    ca = trustme.CA(organization_name="ACME test CA")
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return Tls(folder / "ca.pem", context)


@pytest.fixture
def trust_test_ca(settings: Any, certificates: Tls) -> Tls:
    settings.SMTP_CA_FILE = str(certificates.ca_file)
    return certificates


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Mailbox]]:
    """serve(security="none"|"starttls"|"ssl", users=..., dsn=..., port=..., **aiosmtpd options) -> Mailbox."""
    started: list[Mailbox] = []
    numbers = itertools.count(1)

    def start(
        security: str = "none",
        *,
        users: dict[str, str] | None = None,
        tls: Tls | None = None,
        dsn: bool = False,
        port: int | None = None,
        **options: Any,
    ) -> Mailbox:
        folder = tmp_path / f"mailbox{next(numbers)}"
        handler = RecordingHandler(folder, dsn=dsn)
        authenticator = Authenticator(UserCheck(users)) if users else None
        if security == "starttls" and not dsn and not options:
            # The product's own capture server, with STARTTLS and AUTH (aiosmtpd offers AUTH only after TLS).
            assert tls is not None
            capture = CaptureServer(folder, port=port, tls=tls.server_context, users=users, handler=handler)
            if authenticator is not None:
                capture.controller.SMTP_kwargs["authenticator"] = authenticator
            box = Mailbox(capture.port, handler, capture.start(), authenticator)
        else:
            port = port or free_port()
            kwargs: dict[str, Any] = dict(options)
            if security == "ssl":
                assert tls is not None
                kwargs["ssl_context"] = tls.server_context
                # aiosmtpd counts only STARTTLS as TLS: over SSL/TLS from the start, AUTH must be allowed as is.
                kwargs["auth_require_tls"] = False
            elif security == "starttls":
                assert tls is not None
                kwargs["tls_context"] = tls.server_context
            if authenticator is not None:
                kwargs.update(authenticator=authenticator, auth_required=True)
            controller = ServerController(handler, dsn=dsn, port=port, **kwargs)
            controller.start()
            box = Mailbox(port, handler, controller, authenticator)
        started.append(box)
        return box

    yield start
    for box in started:
        box.stop()


@pytest.fixture
def mailbox(serve: Callable[..., Mailbox]) -> Mailbox:
    """A plain SMTP server (no TLS, no AUTH), as a relay inside the company network."""
    return serve()


# -- ACME's sender account ----------------------------------------------------------------------


def sender(company: Company, port: int, **fields: Any) -> SenderAccount:
    values: dict[str, Any] = {
        "code": "mail",
        "is_default": True,
        "display_name": "ACME s.r.o. – účtárna",
        "address": ACME_FROM,
        "host": "127.0.0.1",
        "port": port,
        "security": SenderAccount.Security.NONE,
        "timeout_seconds": 5,
        "send_interval_seconds": 0,
    }
    values.update(fields)
    return SenderAccount.objects.create(company=company, **values)


@pytest.fixture
def account(company: Company, mailbox: Mailbox) -> SenderAccount:
    """ACME's default account on the plain server, sending as fast as the server takes it."""
    return sender(company, mailbox.port)


# -- the worker and its clock -------------------------------------------------------------------


class Clock:
    """The worker's clock: starts an hour after the real time (every queued row is due) and moves
    only when the test says so."""

    def __init__(self) -> None:
        self.now = timezone.now() + timedelta(hours=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self.now += delta if delta is not None else timedelta(**kwargs)
        return self.now

    def to(self, moment: datetime) -> datetime:
        self.now = max(self.now, moment)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def workers(clock: Clock) -> Iterator[Callable[..., Worker]]:
    """workers(**options) -> a Worker on the test's clock, without scheduled runs unless asked."""
    made: list[Worker] = []

    def make(**options: Any) -> Worker:
        options.setdefault("clock", clock)
        options.setdefault("schedules", False)
        worker = Worker(**options)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        for _, session in worker.sessions.values():
            session.close()


@pytest.fixture
def worker(workers: Callable[..., Worker]) -> Worker:
    return workers()


# -- reminders ----------------------------------------------------------------------------------


@pytest.fixture
def remind(ledger: Callable[..., Any], standard: Any, company: Company, actor: Any) -> Callable[..., dict[str, Notice]]:
    """remind(("C1", "Jana Nováková", "jana@example.cz"), ...) imports the customers (Czech unless a
    fourth item names the language), each owing one invoice F-<id> (1 000.00 CZK, due 2026-10-15),
    and runs Friday's dunning run: customer id -> notice."""

    def make(*customers: tuple[str, ...], **options: Any) -> dict[str, Notice]:
        rows = []
        for ext, name, address, *language in customers:
            row = customer_row(ext, name, address)
            if language:
                row[3] = language[0]
            rows.append(row)
        ledger(
            customers=rows,
            invoices=[[f"F-{c[0]}", c[0], "2026-10-01", "2026-10-15", "CZK", "1000.00"] for c in customers],
        )
        return notices(run(company, FRIDAY, actor, **options))

    return make


def messages_of(notice: Notice) -> list[tuple[str, str, str]]:
    """(channel, recipient, status) of a notice's messages, e-mail first, then by address."""
    return sorted(
        OutboxMessage.objects.filter(notice=notice).values_list("channel", "recipient", "status"),
        key=lambda m: (m[0] != "email", m[1]),
    )


def only_message(notice: Notice, channel: str = "email") -> OutboxMessage:
    return OutboxMessage.objects.get(notice=notice, channel=channel)
