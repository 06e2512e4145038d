"""ISO 4217 currency codes and their minor-unit exponents.

Kept here (not taken from Babel) because Babel reports CLDR *display* digits, which differ from
ISO 4217 minor units for some currencies (IQD has 3 minor digits in ISO 4217, 0 in CLDR), and
because the core may import only the standard library. Recently withdrawn codes (BGN, HRK, SLL,
ZWL, ...) stay accepted: old invoices in those currencies still exist.
"""

from __future__ import annotations

_EXPONENT_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_EXPONENT_3 = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENT_4 = "CLF UYW"
_EXPONENT_2 = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
GHS GIP GMD GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR
LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB
PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP
SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL
"""


def _table() -> dict[str, int]:
    table: dict[str, int] = {}
    for exponent, codes in ((0, _EXPONENT_0), (2, _EXPONENT_2), (3, _EXPONENT_3), (4, _EXPONENT_4)):
        for code in codes.split():
            table[code] = exponent
    return table


MINOR_UNIT_EXPONENT: dict[str, int] = _table()


def is_known_currency(code: str) -> bool:
    """True for an upper-case ISO 4217 code that arrears accepts."""
    return code in MINOR_UNIT_EXPONENT


def exponent(code: str) -> int:
    """Number of minor-unit digits of a currency (2 for EUR, 0 for JPY, 3 for KWD)."""
    try:
        return MINOR_UNIT_EXPONENT[code]
    except KeyError:
        raise UnknownCurrencyError(code) from None


class UnknownCurrencyError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(f"unknown currency {code!r}: expected an ISO 4217 code such as EUR, CZK or USD")
        self.code = code
