"""Charts drawn on the server as inline SVG: no JavaScript library, readable without scripts,
printable, and described for screen readers (<title> and <desc>).

Pure functions: numbers in, SVG markup out. Amounts are integer minor units; the caller passes the
words (labels, formatted amounts) so that the chart itself knows no language and no currency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The aging colours: calm for "not due", warmer the longer an amount is overdue.
AGING_TONES = ("#94a3b8", "#f2b33d", "#ec8a2f", "#dd5b2b", "#b42318")


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar ("1-30")
    value: int  # minor units, >= 0
    text: str  # the value as the reader reads it ("CZK 1,210.00"), above the bar and in its tooltip
    colour: str = "#2456d6"


def nice_step(maximum: int, steps: int = 4) -> int:
    """The gridline step for values up to `maximum`: 1, 2, 2.5 or 5 times a power of ten, so that
    `steps` steps reach at least the maximum."""
    if maximum <= 0:
        return 1
    raw = maximum / steps
    power = 1
    while power * 10 <= raw:
        power *= 10
    for factor in (1, 2, 2.5, 5, 10):
        step = int(factor * power)
        if step * steps >= maximum and step > 0:
            return step
    return 10 * power  # pragma: no cover - the loop always returns


def ticks(maximum: int, steps: int = 4) -> list[int]:
    """The gridline values from 0 up to the first one at or above the maximum."""
    step = nice_step(maximum, steps)
    values = [0]
    while values[-1] < maximum:
        values.append(values[-1] + step)
    if len(values) == 1:
        values.append(step)
    return values


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    bars: Sequence[Bar],
    *,
    ident: str,
    title: str,
    desc: str,
    tick_text: Callable[[int], str] = str,
    width: int = 560,
    height: int = 260,
) -> SafeString:
    """A vertical bar chart: one bar per entry, value above it, label below, gridlines with
    `tick_text(value)` on the left. `ident` makes the ids of <title>/<desc> unique on the page."""
    left, right, top, bottom = 72, 12, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    grid = ticks(max((b.value for b in bars), default=0))
    ceiling = grid[-1]
    ident = escape(ident)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" class="bar-chart">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
    ]
    for value in grid:
        y = top + plot_h - plot_h * value / ceiling
        stroke = "#c9ced6" if value == 0 else "#e8ebf0"
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_num(y)}" y2="{_num(y)}" stroke="{stroke}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 8}" y="{_num(y + 4)}" text-anchor="end" font-size="11" fill="#6b7280">'
            f"{escape(tick_text(value))}</text>"
        )
    if bars:
        slot = plot_w / len(bars)
        bar_w = min(slot * 0.62, 72)
        for i, bar in enumerate(bars):
            x = left + slot * i + (slot - bar_w) / 2
            h = plot_h * max(bar.value, 0) / ceiling
            y = top + plot_h - h
            centre = x + bar_w / 2
            label = f"{bar.label}: {bar.text}"
            parts.append("<g>")
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(bar_w)}" height="{_num(max(h, 0))}" rx="3" '
                f'fill="{escape(bar.colour)}"><title>{escape(label)}</title></rect>'
            )
            parts.append(
                f'<text x="{_num(centre)}" y="{_num(y - 6)}" text-anchor="middle" font-size="11" '
                f'font-weight="600" fill="#1d2330">{escape(bar.text)}</text>'
            )
            parts.append(
                f'<text x="{_num(centre)}" y="{height - bottom + 18}" text-anchor="middle" font-size="12" '
                f'fill="#374151">{escape(bar.label)}</text>'
            )
            parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()


def share_bar(parts: Sequence[tuple[str, int, str]], *, ident: str, title: str, width: int = 560) -> SafeString:
    """One horizontal bar split into shares (label, value, colour): the aging of a currency at a
    glance. Parts of value 0 are left out."""
    total = sum(max(v, 0) for _, v, _ in parts)
    ident = escape(ident)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 14" role="img" '
        f'aria-labelledby="{ident}-title" class="share-bar" preserveAspectRatio="none">',
        f'<title id="{ident}-title">{escape(title)}</title>',
    ]
    if total <= 0:
        out.append(f'<rect x="0" y="0" width="{width}" height="14" rx="4" fill="#eef0f3"/>')
    else:
        x = 0.0
        for label, value, colour in parts:
            if value <= 0:
                continue
            w = width * value / total
            share = 100 * value / total
            out.append(
                f'<rect x="{_num(x)}" y="0" width="{_num(w)}" height="14" fill="{escape(colour)}">'
                f"<title>{escape(label)}: {_num(share)} %</title></rect>"
            )
            x += w
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above went through escape()
