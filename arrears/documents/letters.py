"""PDF letters (PDF/A-2b) and PNG previews of notices, laid out by Typst from JSON data."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import typst

from arrears.documents.archive import archive
from arrears.documents.batch import one_letter
from arrears.documents.compose import (
    Message,
    compose,
    notice_company,
    notice_context,
    template_key,
    written_language,
)
from arrears.documents.context import PHRASES, locale_for, money
from arrears.documents.models import ArchivedDocument
from arrears.documents.qr import PaymentQr, payment_codes
from arrears.documents.texts import base_language
from arrears.dunning.models import Notice
from arrears.history.services import Actor, EventDraft, record

DEFAULT_LAYOUT = Path(__file__).resolve().parent / "layouts" / "letter.typ"
QR_LABELS = {"EPC": "GiroCode (EPC)", "SPAYD": "QR Platba", "QR-bill": "QR-bill"}


def layout_path() -> Path:
    """The Typst layout: ARREARS_LETTER_LAYOUT names a replacement file."""
    return Path(os.environ.get("ARREARS_LETTER_LAYOUT") or DEFAULT_LAYOUT)


@dataclass(frozen=True)
class Letter:
    pdf: bytes
    message: Message
    codes: tuple[PaymentQr, ...]


def _paragraphs(text: str) -> list[list[str]]:
    return [p.strip("\n").split("\n") for p in text.split("\n\n") if p.strip()]


def letter_data(notice: Notice) -> tuple[dict[str, Any], Message, list[PaymentQr]]:
    with one_letter():
        return _letter_data(notice)


def _letter_data(notice: Notice) -> tuple[dict[str, Any], Message, list[PaymentQr]]:
    company = notice_company(notice)
    wanted = notice.customer.language or company.default_language
    key = template_key(notice)
    language = written_language(company, key, wanted)
    ctx = notice_context(notice, language)
    message = compose(company, key, wanted, ctx)  # with the wanted language: a fallback is noted
    words = PHRASES.get(base_language(language), PHRASES["en"])
    locale = locale_for(language)
    demanded = {t["currency"]: t["demanded"] for t in notice.totals}
    codes = payment_codes(company, demanded, ctx["invoices"], f"{words['notice']} {notice.pk}", notice.pk)
    # The sender's own identifiers, with the labels of the sender's country.
    reg_label, vat_label = {
        "CZ": ("IČO", "DIČ"),
        "SK": ("IČO", "IČ DPH"),
        "DE": ("HRB", "USt-IdNr."),
        "PL": ("KRS", "NIP"),
    }.get(company.country, ("Reg. no.", "VAT no."))
    ids = [
        f"{label} {value}"
        for label, value in ((reg_label, company.registration_no), (vat_label, company.vat_no))
        if value
    ]
    data = {
        # Typst wants a two- or three-letter code; anything else prints with English hyphenation.
        "lang": base_language(language)
        if base_language(language).isalpha() and len(base_language(language)) in (2, 3)
        else "en",
        "subject": message.subject,
        "title": message.subject.split(" – ")[0],
        "number": str(notice.pk),
        "date": ctx["notice"]["date"],
        "date_label": words["date"],
        "reference_label": words["notice"],
        "customer_label": words["customer"],
        "company": {
            "name": company.name,
            "address_lines": ctx["company"]["address"].split("\n"),
            "ids": ids,
            "email": company.credit_controller_email,
        },
        "customer": {
            "name": notice.customer.name,
            "external_id": notice.customer.external_id,
            "address_lines": [line for line in ctx["customer"]["address"].split("\n") if line],
        },
        "opening": _paragraphs(message.opening),
        "closing": _paragraphs(message.closing),
        "headers": [words[k] for k in ("invoice", "issued", "due", "overdue", "amount", "paid", "outstanding")],
        "invoices": ctx["invoices"],
        "totals": [line for line in ctx["totals_text"].split("\n") if line],
        "payment": _paragraphs(ctx["payment_instructions"]),
        "qr_codes": [
            {
                "label": QR_LABELS[c.standard],
                "amount": money(c.amount_minor, c.currency, locale),
                "svg": c.svg(),
                # The Swiss QR-bill standard: 46 x 46 mm with the Swiss cross in the middle.
                "swiss": c.standard == "QR-bill",
            }
            for c in codes
        ],
    }
    return data, message, codes


@lru_cache(maxsize=4)
def compiler(path: str) -> typst.Compiler:
    # One compiler per layout keeps the fonts and the parsed layout between letters (7x faster
    # than compiling from scratch each time).
    return typst.Compiler(path)


_COMPILE = threading.Lock()  # a typst.Compiler may not be used by two threads at once


def render_letter(notice: Notice) -> Letter:
    data, message, codes = letter_data(notice)
    with _COMPILE:
        pdf = compiler(str(layout_path())).compile(
            sys_inputs={"data": json.dumps(data, ensure_ascii=False)}, pdf_standards="a-2b"
        )
    assert isinstance(pdf, bytes)
    return Letter(pdf, message, tuple(codes))


def render_preview(notice: Notice, ppi: int = 96) -> list[bytes]:
    """PNG images of the letter's pages, for the web UI and `arrears notice preview`."""
    data, _, _ = letter_data(notice)
    with _COMPILE:
        pages = compiler(str(layout_path())).compile(
            sys_inputs={"data": json.dumps(data, ensure_ascii=False)}, format="png", ppi=ppi
        )
    if isinstance(pages, bytes):
        return [pages]
    return list(pages or [])


def print_letter(notice: Notice, actor: Actor) -> tuple[Letter, ArchivedDocument]:
    """The letter of a notice, archived; the history notes when a text came from another language."""
    letter = render_letter(notice)
    document = archive(notice, "pdf", letter.pdf, actor)
    if letter.message.fallback_note:
        record(
            EventDraft(
                company_id=notice.company_id,
                kind="text.fallback",
                customer_id=notice.customer_id,
                summary=f"Notice #{notice.pk}: {letter.message.fallback_note}",
                data={"notice": notice.pk, "languages": letter.message.texts.languages},
            ),
            actor,
        )
    return letter, document
