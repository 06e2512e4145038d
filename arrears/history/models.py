"""The append-only event log and user notes.

Every feature that changes something a person may later ask about ("why did this customer get
a reminder?", "who paired this payment?") writes an Event. Events are never updated or deleted:
the ORM refuses both, and the admin shows them read-only.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(RuntimeError):
    pass


class AppendOnlyQuerySet(models.QuerySet["Event"]):
    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Event]:
        if kwargs.get("update_conflicts") or kwargs.get("ignore_conflicts"):
            raise AppendOnlyError("history events are append-only: no upserts")
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("history events are append-only and cannot be updated")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("history events are append-only and cannot be deleted")


class Event(models.Model):
    # No single-column indexes where the composite indexes in Meta start with the column.
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+", db_index=False)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    invoice = models.ForeignKey(
        "ledger.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    payment = models.ForeignKey(
        "ledger.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Who acted when no user did: "import", "system", "cli:root", "api:token-name".
    actor_label = models.CharField(max_length=150, blank=True)
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["customer", "at"]),
            models.Index(fields=["invoice", "at"]),
            models.Index(fields=["company", "kind", "at"]),
            models.Index(fields=["company", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}: {self.summary}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("history events are append-only and cannot be updated")
        # Always INSERT: an instance built with the id of an existing event must not overwrite it.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("history events are append-only and cannot be deleted")


class Note(models.Model):
    """A person's note on a customer, optionally about one invoice."""

    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="user_notes")
    invoice = models.ForeignKey(
        "ledger.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="user_notes"
    )
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]
