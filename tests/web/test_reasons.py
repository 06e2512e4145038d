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
        core = core.replace(detail, date.fromisoformat(detail).strftime("%b %-d, %Y"))
    if reason is Reason.BELOW_LEVEL_MINIMUM:
        assert ui == f"below the minimum of level 3 ({money(50000, 'CZK')})"
        assert "500.00" in ui
    else:
        assert ui == core


def test_an_unknown_code_is_shown_readably():
    assert decision_words("something_new", 1, 0, "", "EUR") == "something new"
