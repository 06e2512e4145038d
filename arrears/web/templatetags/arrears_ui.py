"""Formatting for the UI: money in the reader's language with the currency's exact minor digits,
dates, and status badges."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from arrears.documents.context import locale_for
from arrears.documents.context import money as format_money

register = template.Library()


def _locale() -> Any:
    return locale_for((get_language() or "en").split("-")[0])


@register.filter
def money(minor: int | None, currency: str) -> str:
    """{{ amount|money:"CZK" }} -> "1 210,00 Kč" in Czech, "CZK 1,210.00" in English."""
    if minor is None:
        return ""
    return format_money(int(minor), currency, _locale())


def _unbroken(text: str) -> str:
    # A date is one thing to read: "Nov 30, 2026" never wraps into "Nov / 30, / 2026" in a column.
    return text.replace(" ", "\u00a0").replace("\u202f", "\u00a0")


@register.filter
def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    from babel.dates import format_date

    return _unbroken(format_date(value, format="medium", locale=_locale()))


@register.filter
def moment(value: datetime | None) -> str:
    if value is None:
        return ""
    from babel.dates import format_datetime

    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return _unbroken(format_datetime(local, format="short", locale=_locale()))


@register.simple_tag
def badge(status: str, label: str = "") -> SafeString:
    """A coloured label for a status (sent, failed, paper, queued, proposal, ...)."""
    return format_html('<span class="badge badge-{}">{}</span>', status or "none", label or status)


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters changed: links of pagination and filters."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
