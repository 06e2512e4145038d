"""Money as integer minor units with an ISO 4217 currency. Never float.

Amounts enter the system as decimal strings (CSV, JSON, forms) and are parsed here exactly,
by string arithmetic, so that "0.10" is ten cents and not 0.1000000000000000055.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from arrears.core.currencies import exponent

# [0-9], not \d: \d also matches Arabic-Indic and fullwidth digits, which are no amount in a CSV.
_AMOUNT = re.compile(r"^([+-]?)([0-9]+)(?:\.([0-9]+))?$")


class AmountError(ValueError):
    """A decimal amount that cannot be represented exactly in the currency's minor units."""


def parse_minor(text: str, currency: str) -> int:
    """Parse a decimal string like "1234.50" into minor units of `currency` (123450 for EUR).

    Accepts an optional sign and a dot as the decimal separator; digits beyond the currency's
    exponent are accepted only when they are zeros ("100.00" JPY is 100 yen, "100.50" JPY is an
    error), because silently rounding money is never right.
    """
    digits = exponent(currency)
    match = _AMOUNT.match(text.strip())
    if match is None:
        raise AmountError(f"{text!r} is not a decimal amount: expected digits with an optional '.' such as 1234.50")
    sign: str = match.group(1)
    whole: str = match.group(2)
    fraction: str = match.group(3) or ""
    if len(fraction) > digits:
        if fraction[digits:].strip("0"):
            raise AmountError(
                f"{text!r} has more decimal places than {currency} allows ({digits}): amounts are never rounded"
            )
        fraction = fraction[:digits]
    scale: int = 10**digits
    minor = int(whole) * scale + (int(fraction.ljust(digits, "0")) if digits else 0)
    return -minor if sign == "-" else minor


def format_minor(minor: int, currency: str) -> str:
    """Plain machine format, the inverse of `parse_minor`: 123450 EUR -> "1234.50"."""
    digits = exponent(currency)
    sign = "-" if minor < 0 else ""
    scale: int = 10**digits
    whole, fraction = divmod(abs(minor), scale)
    if digits == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:0{digits}d}"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency; arithmetic and comparison refuse to mix currencies."""

    currency: str
    minor: int

    def __post_init__(self) -> None:
        exponent(self.currency)  # raises UnknownCurrencyError for a code that is no ISO 4217 currency
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError(f"minor units must be an int, got {type(self.minor).__name__}")

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        return cls(currency, parse_minor(text, currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(currency, 0)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.currency, self.minor + other.minor)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.currency, self.minor - other.minor)

    def __neg__(self) -> Money:
        return Money(self.currency, -self.minor)

    def __str__(self) -> str:
        return f"{format_minor(self.minor, self.currency)} {self.currency}"
