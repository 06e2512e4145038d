"""API tokens and failed logins."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A token for the REST API. Only its SHA-256 digest is stored: the token itself is shown once,
    when it is made. The prefix identifies a token in lists without revealing it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LoginFailure(models.Model):
    """One refused login, kept for the throttle (and for an operator to see who is guessing)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.CharField(max_length=64, blank=True, db_index=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.username} from {self.ip or '?'} at {self.at:%Y-%m-%d %H:%M}"


class AccountMail(models.Model):
    """An e-mail arrears sends to its own users (a password reset), recorded before it leaves the
    process and marked with the server's reply. The body is not kept: it carries a reset link."""

    class Status(models.TextChoices):
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"

    created_at = models.DateTimeField(auto_now_add=True)
    recipients = models.TextField(help_text="Envelope recipients, comma-separated.")
    subject = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    account = models.ForeignKey(
        "delivery.SenderAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    reply = models.TextField(blank=True, help_text="The server's reply, or why nothing was sent.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "account e-mail"

    def __str__(self) -> str:
        return f"{self.subject or '(no subject)'} to {self.recipients} ({self.status})"
