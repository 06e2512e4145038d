"""Writing to the history: one function per way of recording, used by every feature."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from arrears.history.models import Event, Note


@dataclass(frozen=True)
class Actor:
    """Who did something: a user, or a named process ("import", "system", "cli:alice")."""

    label: str
    user: User | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls("system")

    @classmethod
    def of_user(cls, user: User) -> Actor:
        return cls(user.get_username(), user)


@dataclass
class EventDraft:
    """An event not yet written; drafts are collected and written in bulk by hot paths."""

    company_id: int
    kind: str
    summary: str
    customer_id: int | None = None
    invoice_id: int | None = None
    payment_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None


def record(draft: EventDraft, actor: Actor) -> Event:
    return Event.objects.create(**_fields(draft, actor))


def record_many(drafts: Iterable[EventDraft], actor: Actor, batch_size: int = 5000) -> int:
    now = timezone.now()
    events = [Event(**_fields(d, actor, now)) for d in drafts]
    Event.objects.bulk_create(events, batch_size=batch_size)
    return len(events)


def _fields(draft: EventDraft, actor: Actor, now: datetime | None = None) -> dict[str, Any]:
    return {
        "company_id": draft.company_id,
        "kind": draft.kind,
        "summary": draft.summary[:500],
        "customer_id": draft.customer_id,
        "invoice_id": draft.invoice_id,
        "payment_id": draft.payment_id,
        "data": draft.data,
        "at": draft.at or now or timezone.now(),
        "actor": actor.user,
        "actor_label": actor.label,
    }


def add_note(*, company_id: int, customer_id: int, text: str, actor: Actor, invoice_id: int | None = None) -> Note:
    text = text.strip()
    if not text:
        raise ValueError("a note needs some text")
    note = Note.objects.create(
        company_id=company_id,
        customer_id=customer_id,
        invoice_id=invoice_id,
        text=text,
        author=actor.user,
        author_label=actor.label,
    )
    record(
        EventDraft(
            company_id=company_id,
            kind="note.added",
            summary=f"Note: {text[:200]}",
            customer_id=customer_id,
            invoice_id=invoice_id,
            data={"note_id": note.pk},
        ),
        actor,
    )
    return note
