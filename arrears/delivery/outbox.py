"""The transactional outbox: created notices become message rows in the same transaction.

E-mail goes to every dunning contact of the customer with an address that has not bounced hard;
a notice by letter, or by e-mail with no usable address, becomes a paper message for the next
print batch. The journal actions (send again now, cancel) live here too.
"""

from __future__ import annotations

import socket
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from arrears.customers.models import Contact
from arrears.delivery.models import BlockedAddress, OutboxMessage, SenderAccount
from arrears.dunning.models import Notice
from arrears.history.services import Actor, EventDraft, record
from arrears.ledger import bulk

CHUNK = 5000
_FIELDS = [
    "company",
    "kind",
    "notice",
    "channel",
    "recipient",
    "message_id",
    "account",
    "status",
    "phase",
    "reason",
    "attempts",
    "retry_base",
    "next_attempt_at",
    "lease_owner",
    "last_error",
    "subject",
    "envelope_to",
    "mime_path",
    "created_at",
    "updated_at",
]


def new_message_id(account: SenderAccount | None, notice_id: int | None) -> str:
    """A Message-ID fixed when the row is written: every attempt sends the same one."""
    domain = account.address.rsplit("@", 1)[-1] if account is not None else _host_domain()
    tag = f"n{notice_id}." if notice_id is not None else ""
    return f"<{tag}{uuid.uuid4().hex}@{domain}>"


@lru_cache(maxsize=1)
def _host_domain() -> str:
    return socket.getfqdn() or "localhost"


def on_notices_created(sender: Any, notice_ids: Sequence[int], **kwargs: Any) -> None:
    queue_notices(notice_ids)


def queue_notices(notice_ids: Sequence[int]) -> int:
    """Write the outbox rows of created notices; returns how many. Notices already queued are left alone."""
    written = 0
    for start in range(0, len(notice_ids), CHUNK):
        written += _queue_chunk(list(notice_ids[start : start + CHUNK]))
    return written


def usable_addresses(company_id: int, customer_ids: Iterable[int]) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Per customer: the dunning addresses e-mail may go to, and those blocked after a hard bounce."""
    found: dict[int, list[str]] = defaultdict(list)
    for customer_id, email in (
        Contact.objects.filter(customer_id__in=list(customer_ids), role_dunning=True)
        .exclude(email="")
        .order_by("customer_id", "id")
        .values_list("customer_id", "email")
    ):
        address = email.strip()
        if address.lower() not in (a.lower() for a in found[customer_id]):
            found[customer_id].append(address)
    everyone = {a.lower() for addresses in found.values() for a in addresses}
    blocked = set(
        BlockedAddress.objects.filter(company_id=company_id, address__in=everyone).values_list("address", flat=True)
    )
    usable: dict[int, list[str]] = {}
    refused: dict[int, list[str]] = {}
    for customer_id, addresses in found.items():
        usable[customer_id] = [a for a in addresses if a.lower() not in blocked]
        refused[customer_id] = [a for a in addresses if a.lower() in blocked]
    return usable, refused


def _queue_chunk(ids: list[int]) -> int:
    notices = list(
        Notice.objects.filter(pk__in=ids, status=Notice.Status.CREATED)
        .exclude(messages__isnull=False)
        .values_list("id", "company_id", "customer_id", "channel")
    )
    if not notices:
        return 0
    now = bulk.db_datetime(timezone.now())
    rows: list[tuple[Any, ...]] = []
    by_company: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for notice_id, company_id, customer_id, channel in notices:
        by_company[company_id].append((notice_id, customer_id, channel))
    for company_id, group in by_company.items():
        account = SenderAccount.objects.filter(company_id=company_id, is_default=True).first()
        usable, refused = usable_addresses(company_id, {c for _, c, _ in group})
        for notice_id, customer_id, channel in group:
            addresses = usable.get(customer_id, [])
            if channel in ("email", "both"):
                for address in addresses:
                    rows.append(_row(company_id, notice_id, "email", address, account, "queued", "", now))
            paper_reason = ""
            known = customer_id in usable  # any dunning address at all, blocked or not
            if channel == "letter" and not known:
                # The run chose paper because the customer has no address (it does for e-mail
                # levels too): saying the policy wanted a letter would send someone looking there.
                paper_reason = "no e-mail address for reminders"
            elif channel == "letter":
                paper_reason = "the policy sends this level by letter"
            elif channel == "both":
                paper_reason = "the policy sends this level by e-mail and letter"
            elif not addresses:
                blocked = refused.get(customer_id, [])
                paper_reason = (
                    f"e-mail address on the block list: {', '.join(blocked)}"
                    if blocked
                    else "no e-mail address for reminders"
                )
            if paper_reason:
                rows.append(_row(company_id, notice_id, "letter", "", None, "paper", paper_reason, now))
    bulk.insert_rows(OutboxMessage, _FIELDS, rows)
    return len(rows)


def _row(
    company_id: int,
    notice_id: int,
    channel: str,
    recipient: str,
    account: SenderAccount | None,
    status: str,
    reason: str,
    now: Any,
) -> tuple[Any, ...]:
    return (
        company_id,
        OutboxMessage.Kind.NOTICE.value,
        notice_id,
        channel,
        recipient,
        new_message_id(account, notice_id),
        account.pk if account is not None and channel == "email" else None,
        status,
        "",
        reason,
        0,
        0,
        now if status == "queued" else None,
        "",
        "",
        "",
        "",
        "",
        now,
        now,
    )


def ensure_paper_fallback(message: OutboxMessage, why: str) -> OutboxMessage | None:
    """After an e-mail of a notice cannot go out (hard bounce, blocked): when no other e-mail of the
    notice was sent or is still on its way, the reminder goes on paper instead of being lost."""
    if message.notice_id is None:
        return None
    siblings = OutboxMessage.objects.filter(notice_id=message.notice_id).exclude(pk=message.pk)
    if siblings.filter(status__in=["queued", "sending", "sent", "uncertain", "paper", "printed"]).exists():
        return None
    paper, _ = _letter_for(message, why)
    return paper


def _letter_for(message: OutboxMessage, why: str) -> tuple[OutboxMessage, bool]:
    """The notice's paper message (one per notice: the outbox key), created waiting for print."""
    assert message.notice_id is not None
    return OutboxMessage.objects.get_or_create(
        notice_id=message.notice_id,
        channel=OutboxMessage.Channel.LETTER,
        recipient="",
        defaults={
            "company_id": message.company_id,
            "message_id": new_message_id(None, message.notice_id),
            "status": OutboxMessage.Status.PAPER,
            "reason": why[:300],
        },
    )


# -- journal actions ---------------------------------------------------------------------------

RESENDABLE = {"queued", "failed", "uncertain", "skipped", "cancelled", "sent"}


class JournalRefused(Exception):
    pass


@transaction.atomic
def send_again(message: OutboxMessage, actor: Actor, now: datetime | None = None) -> OutboxMessage:
    """Queue a message to go out at the next poll (an e-mail; paper goes into the next print batch)."""
    locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if locked.channel != OutboxMessage.Channel.EMAIL:
        if locked.status in (
            OutboxMessage.Status.PRINTED,
            OutboxMessage.Status.CANCELLED,
            OutboxMessage.Status.SKIPPED,
        ):
            locked.status, locked.print_batch = OutboxMessage.Status.PAPER, None
            locked.save(update_fields=["status", "print_batch", "updated_at"])
            _journal_event(locked, actor, "put back for the next print batch")
            return locked
        raise JournalRefused(f"message #{locked.pk} is {locked.status}: it goes into the next print batch already")
    if locked.status not in RESENDABLE:
        raise JournalRefused(f"message #{locked.pk} is {locked.status}; wait until its attempt ends")
    if BlockedAddress.objects.filter(company_id=locked.company_id, address=locked.recipient.lower()).exists():
        raise JournalRefused(f"{locked.recipient} is on the block list: unblock it first")
    locked.status = OutboxMessage.Status.QUEUED
    locked.phase = OutboxMessage.Phase.NONE
    locked.next_attempt_at = now or timezone.now()
    locked.reason = f"sent again by {actor.label}"
    locked.retry_base = locked.attempts
    if locked.account_id is not None:  # a person wants it now: a paused account may try again
        SenderAccount.objects.filter(pk=locked.account_id).update(paused_until=None)
    locked.save(update_fields=["status", "phase", "next_attempt_at", "reason", "retry_base", "updated_at"])
    _journal_event(locked, actor, "queued to be sent again now")
    return locked


@transaction.atomic
def cancel(message: OutboxMessage, actor: Actor) -> OutboxMessage:
    locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if locked.status not in ("queued", "failed", "uncertain", "paper"):
        raise JournalRefused(f"message #{locked.pk} is {locked.status}: only queued, failed, uncertain or paper")
    locked.status = OutboxMessage.Status.CANCELLED
    locked.reason = f"cancelled by {actor.label}"
    locked.save(update_fields=["status", "reason", "updated_at"])
    _journal_event(locked, actor, "cancelled")
    return locked


def _journal_event(message: OutboxMessage, actor: Actor, what: str) -> None:
    customer_id = message.notice.customer_id if message.notice_id is not None and message.notice else None
    record(
        EventDraft(
            company_id=message.company_id,
            kind="message.action",
            customer_id=customer_id,
            summary=f"Message #{message.pk} to {message.recipient or 'paper'}: {what}",
            data={"message": message.pk, "notice": message.notice_id},
        ),
        actor,
    )


@transaction.atomic
def confirm_arrived(message: OutboxMessage, actor: Actor) -> OutboxMessage:
    """A person checked an uncertain message (the recipient's or the server's log): it did arrive."""
    locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if locked.status != OutboxMessage.Status.UNCERTAIN:
        raise JournalRefused(f"message #{locked.pk} is {locked.status}: only an uncertain message is confirmed")
    locked.status = OutboxMessage.Status.SENT
    locked.reason = f"confirmed as arrived by {actor.label}"
    # When it went out: the start of its last attempt (the moment the server was given it).
    last = locked.attempt_log.order_by("-number").first()
    locked.sent_at = last.started_at if last is not None else timezone.now()
    locked.save(update_fields=["status", "reason", "sent_at", "updated_at"])
    _journal_event(locked, actor, "confirmed as arrived")
    return locked


@transaction.atomic
def send_on_paper(message: OutboxMessage, actor: Actor) -> OutboxMessage:
    """The reminder of an e-mail that failed (or was skipped, or is uncertain) goes out as a letter."""
    locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if locked.notice_id is None or locked.channel != OutboxMessage.Channel.EMAIL:
        raise JournalRefused(f"message #{locked.pk} is not a reminder e-mail")
    if locked.status not in ("failed", "skipped", "uncertain", "cancelled"):
        raise JournalRefused(
            f"message #{locked.pk} is {locked.status}: only a failed, skipped, uncertain or cancelled one"
        )
    paper, created = _letter_for(locked, f"on paper by {actor.label}: e-mail #{locked.pk} {locked.status}")
    if not created and paper.status in ("paper", "printed"):
        raise JournalRefused(f"the reminder already has letter #{paper.pk} ({paper.status})")
    if not created:
        paper.status, paper.print_batch = OutboxMessage.Status.PAPER, None
        paper.save(update_fields=["status", "print_batch", "updated_at"])
    _journal_event(locked, actor, f"to go on paper as letter #{paper.pk}")
    return paper


@transaction.atomic
def block_address(company_id: int, address: str, reason: str, actor: Actor) -> BlockedAddress:
    """Block an address by hand (a customer said it is wrong): later reminders go on paper."""
    try:
        validate_email(address.strip())
    except ValidationError:
        raise JournalRefused(f"{address!r} is not an e-mail address") from None
    blocked, created = BlockedAddress.objects.get_or_create(
        company_id=company_id, address=address.strip().lower(), defaults={"reason": f"{reason} ({actor.label})"}
    )
    if not created:
        raise JournalRefused(f"{address} is blocked already since {blocked.blocked_at:%Y-%m-%d}")
    return blocked
