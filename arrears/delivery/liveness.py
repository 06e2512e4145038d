"""Which workers are alive: a message a dead worker held is recovered at once, never by guessing a timeout.

On SQLite one worker dispatches: it holds an exclusive lock on a file next to the database, so any
other owner found in the outbox is dead. On PostgreSQL each worker holds a session advisory lock on
its own key; the lock vanishes with its connection (a killed process, a lost host), so another
worker that can take the lock knows the owner is gone.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import socket
import tempfile
from pathlib import Path
from typing import IO

from django.db import connection

# Advisory locks have a two-integer form; the first number marks arrears' delivery workers.
ADVISORY_NAMESPACE = 0x4152_5245  # "ARRE"


class AnotherWorker(Exception):
    """A second worker on SQLite, where one dispatches."""


def lock_path() -> Path:
    """The dispatcher lock of a SQLite database: a file next to it. An in-memory database (the tests)
    belongs to this process alone, so its lock is a file of this process in the temporary folder,
    never a file named after the database URI in the working directory."""
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"arrears-{os.getpid()}-{digest}.worker.lock"
    return Path(name + ".worker.lock")


class Liveness:
    def __init__(self) -> None:
        self.key = secrets.randbelow(2**31 - 1) + 1
        self.name = f"{socket.gethostname()}:{os.getpid()}:{self.key}"
        self._file: IO[str] | None = None

    def start(self) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, self.key])
            return
        handle = lock_path().open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            other = handle.read().strip() or "another process"
            handle.close()
            raise AnotherWorker(
                f"a worker is already dispatching on this database ({other}); on SQLite one worker "
                "sends. To run several, use PostgreSQL (see docs/operations.md)."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(self.name)
        handle.flush()
        self._file = handle

    def stop(self) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, self.key])
        elif self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def is_dead(self, owner: str) -> bool:
        if owner == self.name:
            return False
        if connection.vendor != "postgresql":
            return True  # this worker holds the dispatcher lock: nobody else can be sending
        try:
            key = int(owner.rsplit(":", 1)[1])
        except (IndexError, ValueError):
            return True  # not a worker's name: nobody can hold it
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, key])
            (taken,) = cursor.fetchone()
            if taken:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, key])
        return bool(taken)
