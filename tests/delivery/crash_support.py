"""Helpers for tests and benchmarks that run real worker processes against a database of their own.

The worker under test must be killable (SIGKILL) and restartable, so it runs as a separate
process, and so does the SMTP server (a kill must not take the server's count with it). The
database is a file (SQLite) or a fresh database (PostgreSQL) that every process opens by URL.

Run as a script to fill such a database with prepared messages:
    python tests/delivery/crash_support.py seed COUNT PORT [SECURITY] [ATTACHMENT_BYTES]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def arrears_env(url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    env.update(
        DATABASE_URL=url, ARREARS_HOME=str(home), PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="arrears.settings"
    )
    return env


def arrears(url: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arrears.cli", *args],
        env=arrears_env(url, home),
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


@contextmanager
def own_database(kind: str, home: Path) -> Iterator[str]:
    """A migrated, empty database only this test uses; dropped afterwards on PostgreSQL."""
    if kind == "sqlite":
        url = f"sqlite:///{home / 'own.sqlite3'}"
        arrears(url, home, "migrate", "-v0")
        yield url
        return
    import psycopg

    name = f"arrears_own_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    try:
        arrears(url, home, "migrate", "-v0")
        yield url
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def smtp_server_process(folder: Path, port: int, *options: str) -> Iterator[subprocess.Popen[str]]:
    """The test SMTP server in its own process; options: CERT KEY for STARTTLS, "discard"."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "delivery" / "smtp_server.py"), str(folder), str(port), *options],
        env=dict(os.environ, PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="arrears.settings"),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", f"the SMTP server did not start: {line!r}"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def received(folder: Path) -> Counter[str]:
    """How many times the server accepted each Message-ID."""
    counts: Counter[str] = Counter()
    for path in folder.glob("*.eml"):
        head = path.read_bytes().split(b"\r\n\r\n", 1)[0]
        found = _MESSAGE_ID.search(head)
        assert found, f"{path.name} has no Message-ID"
        counts[found.group(1).decode()] += 1
    return counts


def statuses(url: str) -> dict[str, str]:
    """Message-ID -> status, read straight from the database."""
    sql = "SELECT message_id, status FROM delivery_outboxmessage"
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return dict(conn.execute(sql).fetchall())
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        return dict(conn.execute(sql).fetchall())


def start_worker(url: str, home: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "arrears.cli", "worker", "--once", "--no-schedule", "--poll", "0.1", *extra],
        env=arrears_env(url, home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def wait_started(proc: subprocess.Popen[str], timeout: float = 60) -> None:
    """Until the worker says it started (Django loaded, liveness lock held)."""
    assert proc.stdout is not None
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if "started" in line:
            return
        if not line and proc.poll() is not None:
            raise AssertionError(f"the worker ended before it started: {proc.stderr.read() if proc.stderr else ''}")
    raise AssertionError("the worker did not start")


def seed(count: int, port: int, security: str = "none", attachment: int = 0) -> None:
    """A company, an SMTP account without send interval, and `count` prepared messages."""
    import django

    django.setup()
    from django.utils import timezone

    from arrears.companies.services import create_company
    from arrears.delivery.mime import build_message
    from arrears.delivery.models import OutboxMessage, SenderAccount
    from arrears.delivery.outbox import new_message_id
    from arrears.delivery.prepare import store_bytes

    company = create_company(code="crash", name="Crash s.r.o.", country="CZ", default_currency="CZK")
    account = SenderAccount.objects.create(
        company=company,
        code="main",
        is_default=True,
        display_name="Crash",
        address="credit@crash.example",
        host="127.0.0.1",
        port=port,
        security=security,
        send_interval_seconds=0,
        timeout_seconds=10,
    )
    now = timezone.now()
    pdf = os.urandom(attachment) if attachment else b""
    rows = []
    for n in range(count):
        message_id = new_message_id(account, None)
        to = f"customer{n}@example.com"
        data, envelope = build_message(
            account,
            to=to,
            subject=f"Reminder {n}",
            text=f"Dear customer {n},\nplease pay.\n",
            message_id=message_id,
            date=now,
            attachments=((f"reminder-{n}.pdf", pdf),) if pdf else (),
        )
        rows.append(
            OutboxMessage(
                company=company,
                kind=OutboxMessage.Kind.REPORT,
                channel=OutboxMessage.Channel.EMAIL,
                recipient=to,
                message_id=message_id,
                account=account,
                status=OutboxMessage.Status.QUEUED,
                next_attempt_at=now,
                subject=f"Reminder {n}",
                envelope_to=", ".join(envelope.recipients),
                mime_path=store_bytes(data, "eml"),
            )
        )
    OutboxMessage.objects.bulk_create(rows, batch_size=2000)


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed(int(sys.argv[2]), int(sys.argv[3]), *(sys.argv[4:5] or ["none"]), *map(int, sys.argv[5:6]))
