"""Turning a notice into the customer's message: subject, plain text and HTML, in the customer's
language (or the company's, when a text is missing; the result says so)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from arrears.companies.models import Company
from arrears.core.iban import normalize_iban
from arrears.documents.batch import one_letter, shared
from arrears.documents.context import (
    PHRASES,
    NarrowQuery,
    company_accounts,
    company_context,
    contact_context,
    customer_context,
    day,
    locale_for,
    money,
    payment_lines,
    table_text,
    totals_lines,
)
from arrears.documents.sandbox import render
from arrears.documents.texts import Texts, base_language, texts_for
from arrears.dunning.models import Notice, NoticeItem

_TABLE = "\x00INVOICE-TABLE\x00"  # where the table goes; replaced by text or an HTML table


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    language: str
    texts: Texts
    opening: str = ""
    closing: str = ""

    @property
    def fallback_note(self) -> str:
        if not self.texts.fell_back:
            return ""
        used = sorted({lang for lang in self.texts.languages.values() if lang != self.texts.wanted_language})
        return f"no {self.texts.key} text in {self.texts.wanted_language!r}; used {', '.join(used)}"


def template_key(notice: Notice) -> str:
    if notice.template:
        return notice.template
    if notice.level == 0:
        return "pre_due"
    return f"level{notice.level}" if notice.level <= 3 else "final"


def notice_company(notice: Notice) -> Company:
    """The notice's company, read once per batch of letters (a run's notices share it)."""
    return shared(("company", notice.company_id), lambda: notice.company)


# What the texts and the letter show of a notice's items: narrow rows, no model instances.
_ITEMS = NarrowQuery(
    NoticeItem,
    lambda notice_id: (
        NoticeItem.objects.filter(notice_id=notice_id, excluded=False)
        .order_by("currency", "invoice__due_date")
        .values_list(
            "invoice__number",
            "invoice__issue_date",
            "invoice__due_date",
            "days_overdue",
            "invoice__amount_minor",
            "outstanding_minor",
            "invoice__currency",
            "invoice__variable_symbol",
            "invoice__document_url",
            "level",
        )
    ),
)


def notice_context(notice: Notice, language: str) -> dict[str, Any]:
    locale = locale_for(language)
    words = PHRASES.get(base_language(language), PHRASES["en"])
    customer = notice.customer
    invoices = []
    for number, issued, due, overdue, amount, outstanding, currency, symbol, url, level in _ITEMS.rows(notice.pk):
        invoices.append(
            {
                "number": number,
                "issue_date": day(issued, locale),
                "due_date": day(due, locale),
                "days_overdue": overdue,
                "amount": money(amount, currency, locale),
                "paid": money(amount - outstanding, currency, locale),
                "outstanding": money(outstanding, currency, locale),
                "currency": currency,
                "variable_symbol": symbol,
                "document_url": url,
                "level": level,
            }
        )
    return _context(
        notice_company(notice),
        customer_context(customer),
        contact_context(customer),
        {
            "number": notice.pk,
            "date": day(notice.notice_date, locale),
            "deadline": day(notice.deadline, locale),
            "level": notice.level,
            "level_name": _level_name(notice),
            "note": notice.note,
            "channel": notice.channel,
        },
        invoices,
        notice.totals,
        locale,
        words,
    )


def _context(
    company: Company,
    customer: dict[str, Any],
    contact: dict[str, str],
    notice: dict[str, Any],
    invoices: list[dict[str, Any]],
    raw_totals: list[dict[str, Any]],
    locale: Any,
    words: dict[str, str],
) -> dict[str, Any]:
    totals = [
        {
            "currency": t["currency"],
            "reminded": money(t["reminded"], t["currency"], locale),
            "credit": money(t["credit"], t["currency"], locale),
            "demanded": money(t["demanded"], t["currency"], locale),
            "credit_minor": t["credit"],
            "demanded_minor": t["demanded"],
        }
        for t in raw_totals
    ]
    accounts = [
        {
            "iban": " ".join(normalize_iban(a.iban)[i : i + 4] for i in range(0, len(normalize_iban(a.iban)), 4)),
            "bic": a.bic,
            "bank_name": a.bank_name,
            "currency": a.currency,
            "account_number": a.local_account_number,
        }
        for a in company_accounts(company)
    ]
    demanded = [t["demanded"] for t in totals if t["demanded_minor"] > 0]
    return {
        "customer": customer,
        "company": company_context(company),
        "contact": contact,
        "notice": notice,
        "invoices": invoices,
        "invoice_count": len(invoices),
        "totals": totals,
        "bank_accounts": accounts,
        "total_demanded": " + ".join(demanded) or money(0, raw_totals[0]["currency"], locale) if raw_totals else "",
        "invoice_table": table_text(invoices, words),
        "totals_text": totals_lines(totals, words),
        "payment_instructions": payment_lines(accounts, totals, notice["deadline"], words),
    }


def _level_name(notice: Notice) -> str:
    from arrears.dunning.models import Level

    def read() -> str:
        return (
            Level.objects.filter(
                policy__company_id=notice.company_id, policy__code=notice.policy_code, number=notice.level
            )
            .values_list("name", flat=True)
            .first()
        ) or ""

    return shared(("level_name", notice.company_id, notice.policy_code, notice.level), read)


def compose(company: Company, key: str, language: str, context: dict[str, Any]) -> Message:
    """Render subject, opening and closing, then the body around them; TemplateProblem on failure."""
    texts = texts_for(company, key, language)
    ctx = dict(context)
    ctx["opening"] = render(texts.fields["opening"], ctx, name=f"{key}.opening")
    ctx["closing"] = render(texts.fields["closing"], ctx, name=f"{key}.closing")
    subject = " ".join(render(texts.fields["subject"], ctx, name=f"{key}.subject").split())
    table = ctx.get("invoice_table", "")
    body = render(texts.fields["body"], {**ctx, "invoice_table": _TABLE}, name=f"{key}.body").strip() + "\n"
    text = body.replace(_TABLE, table)
    return Message(
        subject,
        text,
        _as_html(body, ctx.get("invoices", [])),
        base_language(language),
        texts,
        ctx["opening"],
        ctx["closing"],
    )


def written_language(company: Company, key: str, language: str) -> str:
    """The language the texts will actually be in: the customer's, or the fallback's. Table headings,
    dates and amounts follow it, so a letter never mixes two languages."""
    texts = texts_for(company, key, language)
    return texts.languages.get("opening", texts.wanted_language)


def render_notice(notice: Notice) -> Message:
    with one_letter():
        company = notice_company(notice)
        language = notice.customer.language or company.default_language
        key = template_key(notice)
        context = notice_context(notice, written_language(company, key, language))
        return compose(company, key, language, context)


def _as_html(body: str, invoices: list[dict[str, Any]]) -> str:
    """The text turned into simple, mail-client-safe HTML, the invoice table as a real table."""
    words_table = _html_table(invoices)
    parts = []
    for paragraph in body.split("\n\n"):
        if _TABLE in paragraph:
            before, _, after = paragraph.partition(_TABLE)
            if before.strip():
                parts.append(f"<p>{_lines(before)}</p>")
            parts.append(words_table)
            if after.strip():
                parts.append(f"<p>{_lines(after)}</p>")
        elif paragraph.strip():
            parts.append(f"<p>{_lines(paragraph)}</p>")
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        '<body style="font-family: sans-serif; font-size: 14px;">' + "\n".join(parts) + "</body></html>\n"
    )


def _lines(text: str) -> str:
    return "<br>\n".join(html.escape(line) for line in text.strip("\n").split("\n"))


def _html_table(invoices: list[dict[str, Any]]) -> str:
    cells = ("number", "issue_date", "due_date", "days_overdue", "amount", "paid", "outstanding")
    numeric = set(cells[3:])

    def cell(name: str, value: Any) -> str:
        align = " text-align:right;" if name in numeric else ""
        return f'<td style="padding:2px 8px;{align}">{html.escape(str(value))}</td>'

    rows = "".join("<tr>" + "".join(cell(c, i[c]) for c in cells) + "</tr>" for i in invoices)
    return f'<table style="border-collapse: collapse;">{rows}</table>'


def sample_context(company: Company, language: str) -> dict[str, Any]:
    """A realistic notice for checking templates without data: two invoices in two currencies."""
    locale = locale_for(language)
    words = PHRASES.get(base_language(language), PHRASES["en"])
    today = date(2026, 11, 20)
    invoices = [
        {
            "number": "2026-0042",
            "issue_date": day(today - timedelta(days=44), locale),
            "due_date": day(today - timedelta(days=30), locale),
            "days_overdue": 30,
            "amount": money(121000, "CZK", locale),
            "paid": money(21000, "CZK", locale),
            "outstanding": money(100000, "CZK", locale),
            "currency": "CZK",
            "variable_symbol": "20260042",
            "document_url": "https://billing.example/invoices/2026-0042.pdf",
            "level": 1,
        },
        {
            "number": "2026-0057",
            "issue_date": day(today - timedelta(days=30), locale),
            "due_date": day(today - timedelta(days=16), locale),
            "days_overdue": 16,
            "amount": money(25000, "EUR", locale),
            "paid": money(0, "EUR", locale),
            "outstanding": money(25000, "EUR", locale),
            "currency": "EUR",
            "variable_symbol": "20260057",
            "document_url": "",
            "level": 1,
        },
    ]
    totals = [
        {"currency": "CZK", "reminded": 100000, "credit": 15000, "demanded": 85000},
        {"currency": "EUR", "reminded": 25000, "credit": 0, "demanded": 25000},
    ]
    ctx = _context(
        company,
        {
            "name": "Jana Nováková",
            "external_id": "C0042",
            "address": "Vinohradská 12\n120 00 Praha\nCZ",
            "registration_no": "",
            "vat_no": "",
        },
        {"name": "Jana Nováková", "email": "jana@example.cz"},
        {
            "number": 4711,
            "date": day(today, locale),
            "deadline": day(today + timedelta(days=10), locale),
            "level": 2,
            "level_name": "Second reminder",
            "note": "",
            "channel": "email",
        },
        invoices,
        totals,
        locale,
        words,
    )
    ctx["run"] = {
        "date": day(today, locale),
        "notices": 18,
        "sent": 15,
        "failed": 1,
        "paper": 2,
        "review": 0,
        "url": "https://arrears.example/runs/12",
    }
    return ctx
