"""Login throttling: after too many refused passwords for one user name, or from one address,
logins are refused for a while, even with the right password, so guessing does not pay."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from arrears.accounts.models import LoginFailure

WINDOW = timedelta(minutes=15)
PER_USERNAME = 5
PER_ADDRESS = 20


def _recent(**where: str) -> int:
    return LoginFailure.objects.filter(at__gte=timezone.now() - WINDOW, **where).count()


def login_blocked(username: str, ip: str) -> bool:
    username = username.strip().lower()
    return _recent(username=username) >= PER_USERNAME or (bool(ip) and _recent(ip=ip) >= PER_ADDRESS)


def record_failure(username: str, ip: str) -> None:
    LoginFailure.objects.create(username=username.strip().lower(), ip=ip, at=timezone.now())
    # Keep the table small: what is older than the window no longer counts.
    LoginFailure.objects.filter(at__lt=timezone.now() - 4 * WINDOW).delete()


def record_success(username: str) -> None:
    LoginFailure.objects.filter(username=username.strip().lower()).delete()
