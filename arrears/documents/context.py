"""The placeholders a notice's texts may use: plain data only (dicts, lists, strings, numbers), with
money and dates already formatted by Babel in the customer's locale. See docs/templates.md."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from arrears.companies.models import Company
from arrears.core.currencies import exponent
from arrears.customers.models import Customer

# The few words the composed pieces need, per language (the texts around them are templates).
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "date": "Date",
        "notice": "Notice no.",
        "customer": "Customer no.",
        "invoice": "Invoice",
        "issued": "Issued",
        "due": "Due",
        "overdue": "Days overdue",
        "amount": "Amount",
        "paid": "Paid",
        "outstanding": "Outstanding",
        "total": "Total",
        "credit": "your credit",
        "to_pay": "to pay",
        "account": "Bank account",
        "reference": "Please give the invoice number or variable symbol as the payment reference.",
        "pay_by": "Please pay by",
        "link": "Invoice",
    },
    "cs": {
        "date": "Datum",
        "notice": "Upomínka č.",
        "customer": "Číslo zákazníka",
        "invoice": "Faktura",
        "issued": "Vystaveno",
        "due": "Splatnost",
        "overdue": "Dní po splatnosti",
        "amount": "Částka",
        "paid": "Uhrazeno",
        "outstanding": "Zbývá uhradit",
        "total": "Celkem",
        "credit": "Váš přeplatek",
        "to_pay": "k úhradě",
        "account": "Bankovní účet",
        "reference": "Jako variabilní symbol uveďte prosím číslo faktury nebo její variabilní symbol.",
        "pay_by": "Uhraďte prosím do",
        "link": "Faktura",
    },
    "de": {
        "date": "Datum",
        "notice": "Mahnung Nr.",
        "customer": "Kundennummer",
        "invoice": "Rechnung",
        "issued": "Datum",
        "due": "Fällig",
        "overdue": "Tage überfällig",
        "amount": "Betrag",
        "paid": "Bezahlt",
        "outstanding": "Offen",
        "total": "Summe",
        "credit": "Ihr Guthaben",
        "to_pay": "zu zahlen",
        "account": "Bankverbindung",
        "reference": "Bitte geben Sie als Verwendungszweck die Rechnungsnummer an.",
        "pay_by": "Bitte zahlen Sie bis",
        "link": "Rechnung",
    },
    "pl": {
        "date": "Data",
        "notice": "Pismo nr",
        "customer": "Nr klienta",
        "invoice": "Faktura",
        "issued": "Data wystawienia",
        "due": "Termin płatności",
        "overdue": "Dni po terminie",
        "amount": "Kwota",
        "paid": "Zapłacono",
        "outstanding": "Do zapłaty",
        "total": "Razem",
        "credit": "Państwa nadpłata",
        "to_pay": "do zapłaty",
        "account": "Rachunek bankowy",
        "reference": "W tytule przelewu prosimy podać numer faktury.",
        "pay_by": "Prosimy o zapłatę do",
        "link": "Faktura",
    },
    "ru": {
        "date": "Дата",
        "notice": "Напоминание №",
        "customer": "Номер клиента",
        "invoice": "Счёт",
        "issued": "Дата",
        "due": "Срок оплаты",
        "overdue": "Дней просрочки",
        "amount": "Сумма",
        "paid": "Оплачено",
        "outstanding": "К оплате",
        "total": "Итого",
        "credit": "Ваша переплата",
        "to_pay": "к оплате",
        "account": "Банковский счёт",
        "reference": "В назначении платежа укажите, пожалуйста, номер счёта.",
        "pay_by": "Просим оплатить до",
        "link": "Счёт",
    },
}


def locale_for(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_") or "en")
    except (UnknownLocaleError, ValueError):
        return Locale("en")


def money(minor: int, currency: str, locale: Locale) -> str:
    """The amount as the customer's locale writes money, with exactly the ISO 4217 minor digits.

    Babel's own currency digits are CLDR display digits (RSD and IQD shown without decimals), which
    would round what is owed; the locale's pattern is used with the ISO precision instead."""
    digits = exponent(currency)
    pattern = copy.copy(locale.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    # Decimal from integer minor units: exact, never a float.
    return str(pattern.apply(Decimal(minor).scaleb(-digits), locale, currency=currency, currency_digits=False))


def day(value: date | None, locale: Locale) -> str:
    return format_date(value, format="medium", locale=locale) if value else ""


def _address(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def company_context(company: Company) -> dict[str, Any]:
    return {
        "name": company.name,
        "address": _address(
            company.address_line1, company.address_line2, " ".join(p for p in (company.postal_code, company.city) if p)
        ),
        "registration_no": company.registration_no,
        "vat_no": company.vat_no,
        "email": company.credit_controller_email,
    }


def customer_context(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name,
        "external_id": customer.external_id,
        "address": _address(
            customer.address_line1,
            customer.address_line2,
            " ".join(p for p in (customer.postal_code, customer.city) if p),
            customer.country,
        ),
        "registration_no": customer.registration_no,
        "vat_no": customer.vat_no,
    }


def contact_context(customer: Customer) -> dict[str, str]:
    contacts = list(customer.contacts.all())
    person = next((c for c in contacts if c.role_contact and c.name), None) or next(
        (c for c in contacts if c.role_dunning and c.name), None
    )
    return {"name": person.name if person else "", "email": person.email if person else ""}


def table_text(invoices: list[dict[str, Any]], words: dict[str, str]) -> str:
    """A plain-text table of the invoices, aligned for a monospaced e-mail reader."""
    header = [
        words["invoice"],
        words["issued"],
        words["due"],
        words["overdue"],
        words["amount"],
        words["paid"],
        words["outstanding"],
    ]
    rows = [
        [i["number"], i["issue_date"], i["due_date"], str(i["days_overdue"]), i["amount"], i["paid"], i["outstanding"]]
        for i in invoices
    ]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    right = {3, 4, 5, 6}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if n in right else c.ljust(w) for n, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def totals_lines(totals: list[dict[str, Any]], words: dict[str, str]) -> str:
    lines = []
    for t in totals:
        text = f"{words['total']} {t['currency']}: {t['reminded']}"
        if t["credit_minor"]:
            text += f" − {words['credit']} {t['credit']} = {words['to_pay']} {t['demanded']}"
        lines.append(text)
    return "\n".join(lines)


def payment_lines(
    accounts: list[dict[str, str]], totals: list[dict[str, Any]], deadline: str, words: dict[str, str]
) -> str:
    currencies = [t["currency"] for t in totals if t["demanded_minor"] > 0]
    lines = [f"{words['pay_by']} {deadline.rstrip('.')}."]  # "30 нояб. 2026 г." already ends with a dot
    for currency in currencies:
        for account in (a for a in accounts if a["currency"] == currency):
            local = f" ({account['account_number']})" if account["account_number"] else ""
            bic = f", BIC {account['bic']}" if account["bic"] else ""
            lines.append(f"{words['account']} {currency}: IBAN {account['iban']}{bic}{local}")
    lines.append(words["reference"])
    return "\n".join(lines)
