"""Value types shared by the API's inputs.

Values are checked as the file import checks them (arrears/ledger/imports/fields.py): the API
passes text on as it came and the import decides. Only what no file can carry is refused here:
text with a NUL character or an unpaired surrogate (a database cannot store either), amounts of
more than 14 digits before the decimal point (they would overflow the 64-bit column), and dates
outside 1900-2999 (the dunning rules add days to dates; year 9999 would overflow).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

# The same bounds as the file import's (one rule for both ways in).
from arrears.ledger.imports.fields import EARLIEST, LATEST, MAX_WHOLE_DIGITS

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WHOLE = re.compile(r"\s*[+-]?([0-9]+)")


def _refuse(message: str) -> PydanticCustomError:
    return PydanticCustomError("value", message)


def _storable(value: str) -> str:
    if "\x00" in value:
        raise _refuse("contains a NUL character, which cannot be stored")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _refuse("is not valid Unicode text (an unpaired surrogate)") from None
    return value


def _iso_text(value: object) -> object:
    """A day must be written YYYY-MM-DD: no Unix timestamp (0 would be 1970-01-01), no time."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise _refuse("is not a day: expected YYYY-MM-DD, for example 2026-11-20")


def _in_range(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise _refuse(f"must be between {EARLIEST} and {LATEST}")
    return value


Text = Annotated[str, AfterValidator(_storable)]
Day = Annotated[date, BeforeValidator(_iso_text), AfterValidator(_in_range)]


# A day as the import reads it: YYYY-MM-DD. Kept as text so that the import's own check and message
# apply; only a real day outside the range is refused here.
def _iso_day(value: str) -> str:
    value = _storable(value)
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return value  # the import says what is wrong with it
    _in_range(day)
    return value


DayText = Annotated[str, AfterValidator(_iso_day), WithJsonSchema({"type": "string", "format": "date"})]


def _amount(value: object) -> str:
    # bool is an int to Python: true is not an amount.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _refuse('is not an amount: expected a decimal string such as "1250.50" or a number')
    whole = _WHOLE.match(value)
    if whole is not None and len(whole[1].lstrip("0")) > MAX_WHOLE_DIGITS:
        raise _refuse(f"is too large: at most {MAX_WHOLE_DIGITS} digits before the decimal point")
    return _storable(value)


def _yes_no(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _storable(value)
    raise _refuse("is not a yes/no value: expected true or false")


def _text_list(value: object) -> object:
    if isinstance(value, str):
        return _storable(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [_storable(v) for v in value]
    raise _refuse("expected a list of texts, or one text separated by ; , or |")


# An amount: a decimal string such as "1250.50" (exact), or a JSON number, which the API reads as
# the digits it was written with (never through a float). The import refuses what it would refuse
# in a file: thousands separators, exponents, more decimals than the currency has.
Amount = Annotated[
    str,
    BeforeValidator(_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^[+-]?[0-9]{1,14}(\.[0-9]+)?$"},
                {"type": "number", "exclusiveMinimum": -1e14, "exclusiveMaximum": 1e14},
            ],
            "examples": ["1250.50"],
        }
    ),
]

# A yes/no value as the import reads it: a JSON boolean or one of its words (true, no, 1, ...).
YesNo = Annotated[Any, BeforeValidator(_yes_no), WithJsonSchema({"anyOf": [{"type": "boolean"}, {"type": "string"}]})]

# A list of e-mail addresses or group codes: a JSON array, or one string separated by ; , or |.
TextList = Annotated[
    Any,
    BeforeValidator(_text_list),
    WithJsonSchema({"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]}),
]

# Identifiers in paths and query strings (a database id is a positive 64-bit integer).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
