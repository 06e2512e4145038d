"""Payment QR codes for the amount still owed per currency, where a standard exists:
EPC/GiroCode for EUR, Czech SPAYD for CZK, the Swiss QR-bill for CHF (or EUR) to a Swiss IBAN."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import qrbill
import segno

from arrears.companies.models import BankAccount, Company
from arrears.core.currencies import exponent
from arrears.core.iban import normalize_iban
from arrears.core.payment_codes import PaymentCodeError, epc_payload, spayd_payload


@dataclass(frozen=True)
class PaymentQr:
    standard: str  # "EPC", "SPAYD", "QR-bill"
    currency: str
    amount_minor: int
    payload: str

    def svg(self) -> str:
        # Medium error correction, as EPC and SPAYD ask for. A fixed mask: every mask is valid and
        # readers decode any; choosing the "best" one costs four times as long.
        matrix = segno.make(self.payload, error="m", micro=False, mask=2).matrix
        return matrix_svg(matrix)


def matrix_svg(matrix: Any, border: int = 4) -> str:
    """The QR matrix as one SVG path, a rectangle per run of dark modules, with a quiet zone."""
    size = len(matrix) + 2 * border
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        width = len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                runs.append(f"M{start + border} {y + border}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def _account(company: Company, currency: str, swiss: bool = False) -> BankAccount | None:
    # bank_accounts is prefetched by the caller for a batch of letters; all() then reads no rows.
    for account in company.bank_accounts.all():
        iban = normalize_iban(account.iban)
        if account.currency == currency and (not swiss or iban[:2] in {"CH", "LI"}):
            return account
    return None


_MOD10 = (0, 9, 4, 6, 8, 2, 7, 1, 3, 5)


def qrr_reference(number: int) -> str:
    """A 27-digit Swiss QR reference: the number, zero-padded, and its mod-10-recursive check digit."""
    digits = f"{number:026d}"
    carry = 0
    for digit in digits:
        carry = _MOD10[(carry + int(digit)) % 10]
    return digits + str((10 - carry) % 10)


def payment_codes(
    company: Company, demanded: dict[str, int], invoices: list[dict[str, Any]], label: str, reference_number: int = 0
) -> list[PaymentQr]:
    """One code per currency with something to pay and an account and standard for it."""
    codes = []
    for currency, amount in sorted(demanded.items()):
        if amount <= 0:
            continue
        mine = [i for i in invoices if i["currency"] == currency]
        numbers = " ".join(i["number"] for i in mine)
        try:
            code = _code(company, currency, amount, mine, numbers, label, reference_number)
        except (PaymentCodeError, ValueError):
            code = None  # no code is better than a wrong one; the bank details are printed anyway
        if code is not None:
            codes.append(code)
    return codes


def _code(
    company: Company,
    currency: str,
    amount: int,
    mine: list[dict[str, Any]],
    numbers: str,
    label: str,
    reference_number: int,
) -> PaymentQr | None:
    swiss = _account(company, currency, swiss=True)
    if swiss is not None and currency in {"CHF", "EUR"}:
        iban = normalize_iban(swiss.iban)
        # A QR-IBAN (institution id 30000-31999) must carry a structured QRR reference.
        qrr = qrr_reference(reference_number) if 30000 <= int(iban[4:9]) <= 31999 else None
        bill = qrbill.QRBill(
            reference_number=qrr,
            account=normalize_iban(swiss.iban),
            currency=currency,
            amount=str(Decimal(amount).scaleb(-exponent(currency))),
            creditor={
                "name": company.name[:70],
                "street": company.address_line1,
                "pcode": company.postal_code,
                "city": company.city,
                "country": company.country,
            },
            additional_information=f"{label} {numbers}"[:140],
        )
        return PaymentQr("QR-bill", currency, amount, bill.qr_data())
    account = _account(company, currency)
    if account is None:
        return None
    if currency == "EUR":
        reference = mine[0]["number"] if len(mine) == 1 else ""
        return PaymentQr(
            "EPC",
            currency,
            amount,
            epc_payload(
                name=company.name,
                iban=account.iban,
                bic=account.bic,
                amount_minor=amount,
                reference=reference,
                text=f"{label} {numbers}" if len(mine) != 1 else label,
            ),
        )
    if currency == "CZK":
        symbols = {i["variable_symbol"] for i in mine}
        symbol = next(iter(symbols)) if len(mine) == 1 and symbols != {""} else ""
        return PaymentQr(
            "SPAYD",
            currency,
            amount,
            spayd_payload(
                iban=account.iban,
                bic=account.bic,
                amount_minor=amount,
                variable_symbol=symbol if symbol.isdigit() else "",
                message=f"{label} {numbers}",
            ),
        )
    return None
