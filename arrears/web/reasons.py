"""A decision's reason in the reader's language.

The pure core words its decisions in English (`core.engine.explain`, used by the CLI and the run
report, which are files for machines and logs). The UI says the same things through gettext, with
amounts and dates formatted for the reader's language."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears.core.engine import Reason
from arrears.web.templatetags.arrears_ui import day, money


def _day_text(text: str) -> str:
    try:
        return day(date.fromisoformat(text))
    except ValueError:
        return text  # a detail that is not a date (e.g. a weekday name) is shown as it is


def decision_words(reason: str, level: int, repetition: int, detail: str, currency: str) -> str:
    """The words for a stored decision (RunDecision or a customer's dunning status)."""
    try:
        code = Reason(reason)
    except ValueError:
        return reason.replace("_", " ")
    if code is Reason.LEVEL:
        return _("due for level %(level)s") % {"level": level}
    if code is Reason.REPEAT:
        return _("due for level %(level)s again (repetition %(repetition)s)") % {
            "level": level,
            "repetition": repetition,
        }
    if code is Reason.BELOW_LEVEL_MINIMUM:
        amount = money(int(detail), currency) if currency and detail.lstrip("-").isdigit() else detail
        return _("below the minimum of level %(level)s (%(amount)s)") % {"level": level + 1, "amount": amount}
    when = _day_text(detail)
    words = {
        Reason.PRE_DUE: _("due for the reminder before the due date"),
        Reason.PAID: _("paid"),
        Reason.HANDED_OVER: _("handed over to external collection on %(day)s") % {"day": when},
        Reason.STOPPED: _("reminding stopped by hand on %(day)s") % {"day": when},
        Reason.EXCLUDED_CUSTOMER: _("excluded: dunning is off for the customer"),
        Reason.EXCLUDED_INVOICE: _("excluded: dunning is off for the invoice"),
        Reason.DISPUTED: _("disputed"),
        Reason.PAUSED: _("paused until %(day)s") % {"day": when},
        Reason.BELOW_MINIMUM: _("below the policy's minimum amount"),
        Reason.NOT_YET_DUE: _("not yet due"),
        Reason.TOO_SOON: _("too soon since the last notice, next possible on %(day)s") % {"day": when},
        Reason.ALL_LEVELS_SENT: _("all levels sent; no further automatic reminder"),
        Reason.CREDIT_COVERS: _("covered by the customer's unallocated credit in this currency"),
        Reason.NOT_SENDING_DAY: _("not a sending day: %(day)s") % {"day": when},
    }
    return words.get(code, reason.replace("_", " "))


# Reasons in short, as filters and counts show them; `decision_words` says a single decision in full.
REASON_LABELS = {
    Reason.LEVEL: gettext_lazy("due for the next level"),
    Reason.REPEAT: gettext_lazy("due for a repetition"),
    Reason.PRE_DUE: gettext_lazy("reminder before the due date"),
    Reason.PAID: gettext_lazy("paid"),
    Reason.HANDED_OVER: gettext_lazy("handed over"),
    Reason.STOPPED: gettext_lazy("reminding stopped"),
    Reason.EXCLUDED_CUSTOMER: gettext_lazy("customer excluded"),
    Reason.EXCLUDED_INVOICE: gettext_lazy("invoice excluded"),
    Reason.DISPUTED: gettext_lazy("disputed"),
    Reason.PAUSED: gettext_lazy("paused"),
    Reason.BELOW_MINIMUM: gettext_lazy("below the minimum amount"),
    Reason.BELOW_LEVEL_MINIMUM: gettext_lazy("below the next level's minimum"),
    Reason.NOT_YET_DUE: gettext_lazy("not yet due"),
    Reason.TOO_SOON: gettext_lazy("too soon since the last notice"),
    Reason.ALL_LEVELS_SENT: gettext_lazy("all levels sent"),
    Reason.CREDIT_COVERS: gettext_lazy("covered by credit"),
    Reason.NOT_SENDING_DAY: gettext_lazy("not a sending day"),
}
