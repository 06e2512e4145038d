"""The payment QR code: the fast encoder draws exactly the symbol segno draws, for every size and
error level, and the SVG covers exactly its dark modules."""

from __future__ import annotations

import re

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from segno import consts

from arrears.documents.qr import PaymentQr, matrix_svg, qr_rows


def segno_rows(payload: str) -> tuple[str, ...]:
    """What the letters drew before: segno's symbol with medium error correction and mask 2."""
    return tuple("".join(str(v) for v in row) for row in segno.make(payload, error="m", micro=False, mask=2).matrix)


def longest(version: int, error: int) -> int:
    """The most bytes that fit a version at an error level (mode, count and data bits)."""
    count_bits = 8 if version < 10 else 16
    return (consts.SYMBOL_CAPACITY[version][error] - 4 - count_bits) // 8


@pytest.mark.parametrize("version", range(1, 41))
def test_every_size_is_segnos_symbol(version):
    # The longest payload of a size keeps medium error correction; the shortest is raised to a
    # better level where it still fits (segno's boost_error).
    shortest = longest(version - 1, consts.ERROR_LEVEL_M) + 1 if version > 1 else 0
    for length in (shortest, longest(version, consts.ERROR_LEVEL_M)):
        payload = "".join(chr(97 + i % 26) for i in range(length))
        assert segno.make(payload, error="m", micro=False, mask=2).version == version
        assert qr_rows(payload) == segno_rows(payload)


def test_every_error_level_is_segnos_symbol():
    levels = set()
    for length in range(longest(1, consts.ERROR_LEVEL_M) + 1):  # short payloads: raised to Q or H
        payload = "x" * length
        levels.add(segno.make(payload, error="m", micro=False, mask=2).error)
        assert qr_rows(payload) == segno_rows(payload)
    assert levels == {"M", "Q", "H"}


@pytest.mark.parametrize(
    "payload",
    [
        "SPD*1.0*ACC:CZ6508000000192000145399+GIBACZPX*AM:1210.00*CC:CZK*MSG:Upomínka č. 17 F1",
        "BCD\n002\n1\nSCT\nCOBADEFFXXX\nACME s.r.o.\nDE89370400440532013000\nEUR1500.00\n\n\nK1 Напоминание № 4",
        "SPC\r\n0200\r\n1\r\nCH4431999123000889012\r\nS\r\nACME AG\r\nBahnhofstrasse 1",  # QR-bill
        "12345678",  # numeric mode: segno draws it
        "ABC 123:$%*+-./",  # alphanumeric mode: segno draws it
        "\u3042\u3044",  # kanji mode: segno draws it
        "",
        "x",
        "€" * 40,  # neither ISO 8859-1 nor Shift JIS: UTF-8
        "¥" * 40,  # ISO 8859-1
        "Ж" * 40,  # Shift JIS
    ],
)
def test_payloads_of_every_kind_are_segnos_symbol(payload):
    assert qr_rows(payload) == segno_rows(payload)


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=400))
def test_any_text_is_segnos_symbol(payload):
    assert qr_rows(payload) == segno_rows(payload)


def test_too_much_data_is_refused_as_segno_refuses_it():
    with pytest.raises(segno.DataOverflowError):
        qr_rows("x" * 2400)


def modules_of(svg: str) -> set[tuple[int, int]]:
    covered = set()
    for x, y, width in re.findall(r"M(\d+) (\d+)\.5h(\d+)", svg):
        covered.update((int(x) + i, int(y)) for i in range(int(width)))
    return covered


@pytest.mark.parametrize("payload", ["SPD*1.0*ACC:CZ6508000000192000145399*AM:1.00*CC:CZK", "x" * 300])
def test_the_svg_covers_exactly_the_dark_modules_inside_a_quiet_zone(payload):
    rows = qr_rows(payload)
    svg = PaymentQr("SPAYD", "CZK", 100, payload).svg()

    size = len(rows) + 8
    assert f'viewBox="0 0 {size} {size}"' in svg
    assert f'<rect width="{size}" height="{size}" fill="#fff"/>' in svg
    assert 'stroke="#000" stroke-width="1"' in svg  # a line one module thick, flat ends (butt caps)
    assert "stroke-linecap" not in svg  # the default: butt, no cap past the run's end
    dark = {(x + 4, y + 4) for y, row in enumerate(rows) for x, v in enumerate(row) if v == "1"}
    assert modules_of(svg) == dark
    assert matrix_svg(segno.make(payload, error="m", micro=False, mask=2).matrix) == svg  # segno's rows too
