"""What the REST API stores of its own: the answers to requests that carried an Idempotency-Key."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """A write that succeeded, kept for a day under the key its client sent: a retry with the same
    key and the same request gets this answer again instead of writing a second time.

    The row is written in the transaction of the write itself, so there is never a write without
    its key, nor a key without its write. Keys belong to the user of the token: two users may use
    the same key for different requests."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    # sha256 of method, path and the request body as parsed (so that white space does not count).
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_once_per_user")]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"
