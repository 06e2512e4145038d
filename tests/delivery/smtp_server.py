"""A real SMTP server on 127.0.0.1 for the delivery tests (aiosmtpd), in this process or its own.

Recipients choose the server's behaviour by their local part, so one server serves every story:
  tempfail@...  451 at RCPT (a temporary failure: retried)
  bounce@...    550 at RCPT (a hard bounce: the address is blocked)
  reject@...    554 after the message's end (permanent, not a bounce)
  later@...     451 after the message's end (temporary)
  drop@...      the connection closes after the message's end, before any reply (uncertain)
anything else is accepted and saved as an .eml file. Run as a script, it serves until killed
(with a certificate and key, it offers STARTTLS; with "discard", it keeps nothing, so that a
benchmark measures the sender rather than the disk):
    python tests/delivery/smtp_server.py FOLDER PORT [CERT KEY] [discard]
"""

from __future__ import annotations

import ssl
import sys
import time
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from arrears.delivery.capture import CaptureServer, SavingHandler


class FaultyHandler(SavingHandler):
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        local = address.split("@", 1)[0].lower()
        if local == "tempfail":
            return "451 4.3.0 try again later"
        if local == "bounce":
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        local = envelope.rcpt_tos[0].split("@", 1)[0].lower()
        if local == "reject":
            return "554 5.7.1 message refused"
        if local == "later":
            return "451 4.3.2 queue full, try later"
        if local == "drop":
            self.save(envelope)  # the server took it, but the client never hears so
            assert server.transport is not None
            server.transport.abort()
            return "250 never seen"
        self.save(envelope)
        return "250 OK: saved"


def faulty_server(folder: Path, **kwargs: Any) -> CaptureServer:
    return CaptureServer(folder, handler=FaultyHandler(folder), **kwargs)


class DiscardingHandler:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 OK"


if __name__ == "__main__":
    args = sys.argv[3:]
    tls = None
    if len(args) >= 2 and args[0] != "discard":
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args[0], args[1])
        args = args[2:]
    folder, port = Path(sys.argv[1]), int(sys.argv[2])
    server = (
        CaptureServer(folder, handler=DiscardingHandler(), tls=tls, port=port)
        if args == ["discard"]
        else faulty_server(folder, tls=tls, port=port)
    )
    with server:
        print("ready", flush=True)
        while True:
            time.sleep(3600)
