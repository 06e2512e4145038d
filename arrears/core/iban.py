"""IBAN normalisation and the ISO 13616 mod-97 check."""

from __future__ import annotations

import re

_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def normalize_iban(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def iban_problem(text: str) -> str | None:
    """None for a valid IBAN, else a sentence saying what is wrong with it."""
    iban = normalize_iban(text)
    if not _SHAPE.match(iban):
        return f"{text!r} is not an IBAN: expected a country code, two check digits and 11-30 letters or digits"
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    if int(number) % 97 != 1:
        return f"{text!r} is not a valid IBAN: its check digits do not match"
    return None
