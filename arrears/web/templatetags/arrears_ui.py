"""Formatting for the UI: money in the reader's language with the currency's exact minor digits,
dates, and status badges."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, gettext_lazy

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


# --- Who did something, for people to read ------------------------------------------------------------

_PROCESSES = {
    "system": gettext_lazy("system"),
    "import": gettext_lazy("data import"),
    "demo": gettext_lazy("demo data"),
    "scheduler": gettext_lazy("scheduler"),
}


def _actor_words(label: str) -> str:
    """Words for an automatic actor's label ("worker:vm:27841:…" -> "delivery worker")."""
    kind, _sep, rest = label.partition(":")
    if kind == "worker":
        return gettext("delivery worker")
    if kind == "cli":
        return gettext("command line (%(user)s)") % {"user": rest} if rest else gettext("command line")
    if kind == "api":
        return gettext("API (%(user)s)") % {"user": rest} if rest else gettext("API")
    if label in _PROCESSES:
        return str(_PROCESSES[label])
    return label


@register.filter
def actor(value: Any) -> SafeString:
    """{{ event|actor }} or {{ run.actor_label|actor }}: a user by the full name, a process in words;
    the stored label stays in the title attribute."""
    if isinstance(value, str) or value is None:
        user, label = None, value or ""
    else:
        user, label = getattr(value, "actor", None), getattr(value, "actor_label", "") or ""
    if user is not None:
        name = user.get_full_name() or user.get_username()
        return format_html('<span title="{}">{}</span>', user.get_username(), name)
    if not label:
        return format_html('<span class="muted">{}</span>', gettext("system"))
    words = _actor_words(label)
    if words == label:
        return format_html("<span>{}</span>", label)
    return format_html('<span class="muted" title="{}">{}</span>', label, words)


@register.filter
def language_name(code: str | None) -> str:
    """{{ "cs"|language_name }} -> "Czech" for an English reader, "čeština" for a Czech one."""
    if not code:
        return ""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(_locale())
    except (ValueError, UnknownLocaleError):
        return code
    return name or code
