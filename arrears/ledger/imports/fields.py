"""Parsers for the values of import files. Each returns a clean value or raises FieldError
with what was expected, so that the message shown to the user can name the fix."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from arrears.core.countries import is_country
from arrears.core.currencies import exponent, is_known_currency
from arrears.core.money import AmountError, parse_minor
from arrears.ledger.imports.errors import FieldError

_LIST_SPLIT = re.compile(r"\s*[;,|]\s*")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off"}


def text(value: object, max_length: int, required: bool = False) -> str:
    result = "" if value is None else str(value).strip()
    if required and not result:
        raise FieldError("is empty: a value is required")
    if len(result) > max_length:
        raise FieldError(f"is {len(result)} characters long: at most {max_length} are allowed")
    return result


# Amounts are 64-bit integers of minor units (up to 4 decimals): 14 digits before the point always
# fit, with room for sums. Dates stay where the dunning rules can add days to them.
MAX_WHOLE_DIGITS = 14
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


def iso_date(value: object, required: bool = True) -> date | None:
    raw = text(value, 40, required=required)
    if not raw:
        return None
    try:
        if not _ISO_DATE.match(raw):
            raise ValueError
        day = date.fromisoformat(raw)
    except ValueError:
        raise FieldError(f"{raw!r} is not a date: expected YYYY-MM-DD, for example 2026-11-20") from None
    if not EARLIEST <= day <= LATEST:
        raise FieldError(f"{raw!r} is out of range: expected a day from {EARLIEST} to {LATEST}")
    return day


def currency(value: object) -> str:
    raw = text(value, 10, required=True).upper()
    if not is_known_currency(raw):
        raise FieldError(f"{raw!r} is not a currency: expected an ISO 4217 code such as EUR, CZK or USD")
    return raw


def amount(value: object, currency_code: str) -> int:
    raw = text(value, 40, required=True)
    try:
        minor = parse_minor(raw, currency_code)
    except AmountError as exc:
        raise FieldError(str(exc)) from None
    if abs(minor) >= 10 ** (MAX_WHOLE_DIGITS + exponent(currency_code)):
        raise FieldError(f"{raw!r} is too large: at most {MAX_WHOLE_DIGITS} digits before the decimal point")
    return minor


@lru_cache(maxsize=512)
def _known_language(code: str) -> bool:
    try:
        Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


def language(value: object) -> str:
    raw = text(value, 10)
    if raw and not _known_language(raw):
        raise FieldError(f"{raw!r} is not a language: expected a code such as en, cs, de, pl or ru")
    language_part, _, region = raw.replace("_", "-").partition("-")
    return f"{language_part.lower()}-{region.upper()}" if region else language_part.lower()


def country(value: object) -> str:
    raw = text(value, 10).upper()
    if raw and not is_country(raw):
        raise FieldError(f"{raw!r} is not a country: expected an ISO 3166 code such as CZ, DE or PL")
    return raw


def _items(value: object) -> list[str]:
    """A list cell: "a; b" in CSV, or a JSON array ["a", "b"]."""
    if isinstance(value, list):
        return [text(v, 1000) for v in value if text(v, 1000)]
    raw = text(value, 1000)
    return [a for a in _LIST_SPLIT.split(raw) if a] if raw else []


def email_list(value: object) -> list[str]:
    addresses = _items(value)
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise FieldError(f"{address!r} is not an e-mail address") from None
    return addresses


def code_list(value: object, max_length: int = 64) -> list[str]:
    codes = sorted(set(_items(value)))
    for code in codes:
        if len(code) > max_length:
            raise FieldError(f"{code!r} is too long: at most {max_length} characters")
    return codes


def variable_symbol(value: object) -> str:
    """A payment reference for the invoice. A purely numeric one (the Czech/Slovak variable symbol)
    is kept without leading zeros: they carry no meaning and banks drop them, so payments match."""
    raw = text(value, 20)
    if raw.isascii() and raw.isdigit():
        return raw.lstrip("0") or "0"
    return raw


def boolean(value: object, default: bool = True) -> bool:
    """A yes/no value; an empty one (a blank cell, a JSON null) is the default."""
    if isinstance(value, bool):
        return value
    raw = text(value, 10).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise FieldError(f"{raw!r} is not a yes/no value: expected true or false")


_url = URLValidator(schemes=["http", "https"])


def url(value: object) -> str:
    raw = text(value, 500)
    if raw:
        try:
            _url(raw)
        except ValidationError:
            raise FieldError(f"{raw!r} is not a web address: expected http:// or https://") from None
    return raw
