"""A local SMTP server that keeps what it receives as .eml files: for the demo, for trying a set-up
(`arrears capture-smtp`), and for the tests. Loopback only; it accepts every message."""

from __future__ import annotations

import re
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def message_id_of(data: bytes) -> str:
    head = data.split(b"\r\n\r\n", 1)[0]
    found = _MESSAGE_ID.search(head)
    return found.group(1).decode("ascii", "replace") if found else ""


class SavingHandler:
    """Writes each accepted message to `folder` as NNNNN-<message id>.eml."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.count = len(list(folder.glob("*.eml")))

    def save(self, envelope: Envelope) -> Path:
        data = envelope.original_content or b""
        if isinstance(data, str):
            data = data.encode("utf-8")
        with self.lock:
            self.count += 1
            name = f"{self.count:05d}-{_UNSAFE.sub('_', message_id_of(data).strip('<>'))[:80]}.eml"
        path = self.folder / name
        envelope_lines = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        path.write_bytes(envelope_lines.encode("utf-8") + data)
        return path

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.save(envelope)
        return "250 OK: saved"


class CaptureServer:
    def __init__(
        self,
        folder: Path,
        *,
        port: int | None = None,
        tls: ssl.SSLContext | None = None,
        users: dict[str, str] | None = None,
        handler: Any = None,
    ) -> None:
        self.port = port or free_port()
        self.handler = handler or SavingHandler(folder)
        kwargs: dict[str, Any] = {}
        if tls is not None:
            kwargs["tls_context"] = tls
        if users:
            kwargs["authenticator"] = _Authenticator(users)
            kwargs["auth_required"] = True
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def start(self) -> CaptureServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> CaptureServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Authenticator:
    def __init__(self, users: dict[str, str]) -> None:
        self.users = users

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        # handled=False: aiosmtpd answers a wrong password with 535 (handled=True would leave the
        # client waiting for a reply that never comes, until its timeout).
        return AuthResult(success=self.users.get(user) == password, handled=False)
