"""Turning an outbox row into the exact bytes that will be sent, once: every retry sends the same.

A reminder e-mail carries the notice's text (plain and HTML) and its PDF letter with the payment
QR code. The MIME bytes are archived (sha256, immutable) before the first attempt, so the archive
holds what the customer received, not a re-rendering.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction

from arrears.delivery.mime import build_message
from arrears.delivery.models import OutboxMessage, SenderAccount
from arrears.documents.archive import archive, archive_storage
from arrears.documents.letters import render_letter
from arrears.history.services import Actor


class NotPrepared(Exception):
    """The message cannot be built (a broken template, a missing account): a permanent failure."""


def store_bytes(content: bytes, suffix: str) -> str:
    """Content-addressed storage for MIME bytes that belong to no notice (run reports)."""
    digest = hashlib.sha256(content).hexdigest()
    name = f"outbox/{digest[:2]}/{digest}.{suffix}"
    storage = archive_storage()
    if not storage.exists(name):
        storage.save(name, ContentFile(content))
    return name


def read_bytes(path: str) -> bytes:
    with archive_storage().open(path, "rb") as handle:
        data: bytes = handle.read()
    return data


def envelope_for(account: SenderAccount, recipient: str, customer_external_id: str | None) -> tuple[str, str]:
    """(the address the message goes to, the customer's address when test mode redirected it)."""
    if account.test_address:
        return account.test_address, recipient
    return recipient, ""


def test_mode_skips(account: SenderAccount, customer_external_id: str | None) -> bool:
    """Test mode limited to chosen customers: everyone else's e-mail is skipped."""
    return bool(account.test_customers) and customer_external_id not in account.test_customers


def prepare(message: OutboxMessage, account: SenderAccount, now: datetime, actor: Actor) -> OutboxMessage:
    """Render, build and archive the message; stores subject, envelope and MIME path on the row."""
    notice = message.notice
    if notice is None:
        raise NotPrepared("a message without a notice must be prepared when it is queued")
    try:
        letter = render_letter(notice)
    except Exception as exc:  # a template or layout problem: no attempt can cure it
        raise NotPrepared(f"the letter could not be rendered: {exc}") from exc
    to, original = envelope_for(account, message.recipient, notice.customer.external_id)
    data, envelope = build_message(
        account,
        to=to,
        subject=letter.message.subject,
        text=letter.message.text,
        html=letter.message.html,
        message_id=message.message_id,
        date=now,
        attachments=((f"reminder-{notice.pk}.pdf", letter.pdf),),
        original_to=original,
        extra_headers=(("Content-Language", letter.message.language), ("X-Arrears-Notice", str(notice.pk))),
    )
    with transaction.atomic():
        document = archive(notice, "eml", data, actor)
        message.mime = document
        message.mime_path = document.path
        message.subject = letter.message.subject[:300]
        message.envelope_to = ", ".join(envelope.recipients)
        message.account = account
        OutboxMessage.objects.filter(pk=message.pk).update(
            mime=document,
            mime_path=document.path,
            subject=message.subject,
            envelope_to=message.envelope_to,
            account=account,
        )
    return message
