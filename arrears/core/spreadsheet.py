"""Cells of CSV files that people open in a spreadsheet.

A cell starting with "=", "+", "-" or "@" is a formula to Excel and LibreOffice, and a customer's
name or city comes from imported data: "=HYPERLINK(...)" in a city must stay text. Such a cell gets
a leading apostrophe (the spreadsheets' own mark for "text"); numbers such as "-12.50" stay numbers.
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value
