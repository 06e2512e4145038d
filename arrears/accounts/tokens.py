"""Issuing, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import User
from django.utils import timezone

from arrears.accounts.models import ApiToken

PREFIX = "arr_"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the token, which is never stored or shown again."""
    prefix = secrets.token_hex(4)
    key = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=_digest(key))
    return token, key


def user_for_token(key: str) -> User | None:
    """The active user a live token belongs to, or None. Marks the token used (at most once a minute)."""
    if not key.startswith(PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(key), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
