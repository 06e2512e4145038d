"""Payloads of payment QR codes: what a banking app reads to pre-fill a transfer.

- EPC069-12 "GiroCode" (SEPA credit transfer, EUR only): version 002, UTF-8, BIC optional.
- SPAYD "QR Platba" (Czech banks, CZK): SPD*1.0 with ACC, AM, CC, X-VS, MSG.
The Swiss QR-bill is built by the qrbill package outside the core.
"""

from __future__ import annotations

import re

from arrears.core.iban import iban_problem, normalize_iban
from arrears.core.money import format_minor

EPC_MAX_MINOR = 99_999_999_999  # 999,999,999.99 EUR


class PaymentCodeError(ValueError):
    pass


def epc_payload(*, name: str, iban: str, amount_minor: int, bic: str = "", reference: str = "", text: str = "") -> str:
    """The text of an EPC QR code for a SEPA transfer of `amount_minor` euro cents."""
    problem = iban_problem(iban)
    if problem:
        raise PaymentCodeError(problem)
    if not 1 <= amount_minor <= EPC_MAX_MINOR:
        raise PaymentCodeError("an EPC QR code needs an amount from 0.01 to 999999999.99 EUR")
    name = " ".join(name.split())[:70]
    if not name:
        raise PaymentCodeError("an EPC QR code needs the beneficiary's name")
    remittance = " ".join(text.split())[:140]
    lines = [
        "BCD",
        "002",
        "1",
        "SCT",
        bic.replace(" ", "").upper(),
        name,
        normalize_iban(iban),
        f"EUR{format_minor(amount_minor, 'EUR')}",
        "",
        "",
        remittance or reference[:35],
    ]
    if reference and remittance:
        # An unstructured reference travels in the remittance text: the standard allows one of the two.
        lines[10] = f"{reference} {remittance}"[:140]
    return "\n".join(lines).rstrip("\n")


_SPAYD_TEXT = re.compile(r"[^0-9A-Za-z ,.\-/+:()ÁČĎÉĚÍŇÓŘŠŤÚŮÝŽáčďéěíňóřšťúůýž]")


def spayd_payload(*, iban: str, amount_minor: int, variable_symbol: str = "", message: str = "", bic: str = "") -> str:
    """The text of a Czech "QR Platba" (SPAYD 1.0) code for `amount_minor` haléře."""
    problem = iban_problem(iban)
    if problem:
        raise PaymentCodeError(problem)
    if amount_minor <= 0 or amount_minor > 999_999_999:  # AM has at most 10 characters: 9999999.99
        raise PaymentCodeError("a QR Platba needs a positive amount below 10 million CZK")
    account = normalize_iban(iban) + (f"+{bic.replace(' ', '').upper()}" if bic else "")
    parts = ["SPD", "1.0", f"ACC:{account}", f"AM:{format_minor(amount_minor, 'CZK')}", "CC:CZK"]
    symbol = variable_symbol.strip()
    if symbol:
        if not (symbol.isascii() and symbol.isdigit() and len(symbol) <= 10):
            raise PaymentCodeError(f"variable symbol {symbol!r}: at most 10 digits")
        parts.append(f"X-VS:{symbol}")
    clean = _SPAYD_TEXT.sub(" ", message).replace("*", " ")
    if clean.strip():
        parts.append(f"MSG:{' '.join(clean.split())[:60]}")
    return "*".join(parts)
