"""Reasons in the UI say what the core's English words say, in the reader's language."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from arrears.core.engine import Decision, Reason, explain
from arrears.web.reasons import decision_words
from arrears.web.templatetags.arrears_ui import money


@pytest.mark.parametrize("reason", list(Reason))
def test_in_english_every_reason_reads_like_the_core_explains_it(reason):
    detail = {
        Reason.BELOW_LEVEL_MINIMUM: "50000",
        Reason.HANDED_OVER: "2026-11-02",
        Reason.STOPPED: "2026-11-02",
        Reason.PAUSED: "2026-12-01",
        Reason.TOO_SOON: "2026-11-27",
        Reason.NOT_SENDING_DAY: "Saturday",
    }.get(reason, "")
    core = explain(Decision(reason, 2, 1, None, detail), "CZK")
    with translation.override("en"):
        ui = decision_words(reason.value, 2, 1, detail, "CZK")
    if detail[:4] == "2026":  # the UI writes dates for people, the core as ISO
        core = core.replace(detail, date.fromisoformat(detail).strftime("%b %-d, %Y").replace(" ", "\u00a0"))
    if reason is Reason.BELOW_LEVEL_MINIMUM:
        assert ui == f"below the minimum of level 3 ({money(50000, 'CZK')})"
        assert "500.00" in ui
    else:
        assert ui == core


def test_an_unknown_code_is_shown_readably():
    assert decision_words("something_new", 1, 0, "", "EUR") == "something new"


def test_dates_in_the_ui_do_not_wrap_inside():
    from datetime import datetime

    from django.utils import timezone

    from arrears.web.templatetags.arrears_ui import day, moment

    with translation.override("en"):
        assert day(date(2026, 11, 30)) == "Nov\u00a030,\u00a02026"
        shown = moment(timezone.make_aware(datetime(2026, 11, 30, 9, 5)))
    assert " " not in shown
    assert "\u00a0" in shown
