"""The server-drawn SVG charts: scales, proportions, escaping, accessibility."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from arrears.web.charts import Bar, bar_chart, nice_step, share_bar, ticks

SVG = "{http://www.w3.org/2000/svg}"


def test_the_gridline_step_is_a_round_number_that_reaches_the_maximum():
    assert nice_step(0) == 1
    assert nice_step(4) == 1
    assert nice_step(10) == 5  # 2.5 is no whole step of minor units: int(2.5) = 2 would not reach 10
    assert nice_step(1000) == 250
    assert nice_step(123_456) == 50_000
    assert nice_step(999_999) == 250_000
    for maximum in (1, 7, 99, 101, 12_345, 10**9 + 1):
        step = nice_step(maximum)
        assert step * 4 >= maximum
        assert str(step).rstrip("0") in {"1", "2", "25", "5"}


def test_ticks_start_at_zero_and_end_at_or_above_the_maximum():
    assert ticks(1000) == [0, 250, 500, 750, 1000]
    assert ticks(1001) == [0, 500, 1000, 1500]
    assert ticks(0) == [0, 1]


def _rects(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter(f"{SVG}rect"))


def test_bars_are_proportional_to_their_values_and_labelled():
    bars = [Bar("not due", 0, "0.00"), Bar("1-30", 500, "5.00"), Bar("90+", 1000, "10.00", "#b42318")]
    svg = str(bar_chart(bars, ident="t", title="Aging in EUR", desc="not due 0; 1-30 5.00; 90+ 10.00"))
    rects = _rects(svg)
    heights = [float(r.get("height") or 0) for r in rects]
    assert heights[0] == 0
    assert heights[2] == 2 * heights[1] > 0
    assert rects[2].get("fill") == "#b42318"
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "t-title t-desc"
    assert root.find(f"{SVG}title").text == "Aging in EUR"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text.startswith("not due 0")  # type: ignore[union-attr]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "10.00" in texts
    assert "90+" in texts
    assert rects[1].find(f"{SVG}title").text == "1-30: 5.00"  # type: ignore[union-attr]


def test_every_word_in_a_chart_is_escaped():
    svg = str(bar_chart([Bar("<b>", 1, '"&"')], ident='x"y', title="<script>", desc="a&b"))
    assert "<script>" not in svg
    assert "<b>" not in svg
    ET.fromstring(svg)  # still well-formed XML


def test_gridline_labels_use_the_given_formatter():
    svg = str(bar_chart([Bar("a", 400_00, "400")], ident="g", title="t", desc="d", tick_text=lambda v: f"{v // 100} €"))
    labels = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert "0 €" in labels
    assert "400 €" in labels


def test_an_empty_chart_is_still_a_valid_svg():
    svg = str(bar_chart([], ident="e", title="nothing", desc="no data"))
    assert _rects(svg) == []
    assert ET.fromstring(svg).find(f"{SVG}title") is not None


def test_a_share_bar_splits_its_width_by_value_and_skips_empty_parts():
    svg = str(share_bar([("a", 1, "#111"), ("b", 0, "#222"), ("c", 3, "#333")], ident="s", title="shares", width=400))
    widths = [float(r.get("width") or 0) for r in _rects(svg)]
    assert widths == [100, 300]
    assert re.search(r"<title>c: 75 %</title>", svg)
    empty = str(share_bar([("a", 0, "#111")], ident="z", title="none"))
    assert len(_rects(empty)) == 1
