"""The e-mail as exact MIME bytes: built once, archived, and sent unchanged by every attempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses

from arrears.delivery.models import SenderAccount

SMTP_POLICY = policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipients: tuple[str, ...]  # To, CC and BCC: what RCPT TO names


def addresses(field: str) -> list[str]:
    return [address for _, address in getaddresses([field]) if address]


def build_message(
    account: SenderAccount,
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    message_id: str,
    date: datetime,
    attachments: tuple[tuple[str, bytes], ...] = (),
    original_to: str = "",
    extra_headers: tuple[tuple[str, str], ...] = (),
) -> tuple[bytes, Envelope]:
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = formataddr((account.display_name, account.address))
    msg["To"] = to
    if account.cc:
        msg["Cc"] = ", ".join(addresses(account.cc))
    if account.reply_to:
        msg["Reply-To"] = ", ".join(addresses(account.reply_to))
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    if account.request_read_receipt:
        msg["Disposition-Notification-To"] = account.address
    if original_to:
        # Test mode: the customer's own address, for whoever checks the test mailbox.
        msg["X-Arrears-Original-To"] = original_to
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, content in attachments:
        msg.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
    for name, value in extra_headers:  # after the content: setting it clears every Content-* header
        msg[name] = value
    data = msg.as_bytes(policy=SMTP_POLICY)
    recipients = [to, *addresses(account.cc), *addresses(account.bcc)]
    seen: list[str] = []
    for r in recipients:
        if r.lower() not in (s.lower() for s in seen):
            seen.append(r)
    return data, Envelope(account.address, tuple(seen))
