"""What a notice says: the customer's language, the company's own texts, fallbacks, and the
template check on the shipped texts."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from arrears.documents.compose import render_notice
from arrears.documents.models import MessageTemplate
from arrears.documents.sandbox import TemplateProblem
from arrears.documents.texts import SHIPPED_LANGUAGES
from tests.dunning.conftest import customer_row, notices, run

AS_OF = date(2026, 11, 20)


def plain(text: str) -> str:
    """Babel separates thousands and symbols with no-break spaces (correct typography); compare plainly."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def cli(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def reminded(ledger, standard, company, actor):
    ledger(
        customers=[
            customer_row("C1", "Jana Nováková", "jana@example.cz"),
            ["C2", "Klaus Weber", "klaus@example.de", "de", "DE", ""],
            ["C3", "Ján Kováč", "jan@example.sk", "sk", "SK", ""],
        ],
        invoices=[
            ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"],
            ["F2", "C1", "2026-10-05", "2026-10-19", "EUR", "99.90"],
            ["G1", "C2", "2026-10-01", "2026-10-15", "EUR", "450.00"],
            ["H1", "C3", "2026-10-01", "2026-10-15", "EUR", "75.00"],
        ],
        payments=[["P1", "C1", "2026-10-20", "CZK", "210.00", "F1"]],
    )
    return notices(run(company, AS_OF, actor))


def test_a_czech_customer_gets_a_czech_reminder_with_her_invoices_and_czech_money(reminded):
    message = render_notice(reminded["C1"])

    assert message.language == "cs"
    assert message.fallback_note == ""
    assert "Upomínka" in message.subject
    assert "F1" in plain(message.text)
    assert "F2" in plain(message.text)
    assert "1 000,00 Kč" in plain(message.text)  # 1,210.00 less the partial payment of 210.00, Czech format
    assert "99,90 €" in plain(message.text)
    assert "CZ65 0800 0000 1920 0014 5399" in plain(message.text)  # the company's CZK account, grouped
    assert "<table" in message.html
    assert "<td" in message.html
    assert "F1</td>" in message.html


def test_a_german_customer_gets_german_text(reminded):
    message = render_notice(reminded["C2"])
    assert message.language == "de"
    assert "450,00 €" in plain(message.text)
    assert "Rechnung" in plain(message.text)


def test_a_language_without_texts_falls_back_to_the_company_language(reminded):
    message = render_notice(reminded["C3"])  # Slovak: not shipped, the company writes Czech

    assert message.texts.wanted_language == "sk"
    assert set(message.texts.languages.values()) == {"cs"}
    assert message.fallback_note == "no level1 text in 'sk'; used cs"


def test_the_companys_own_subject_replaces_the_shipped_one_and_the_rest_stays(reminded, company):
    MessageTemplate.objects.create(
        company=company, key="level1", language="cs", subject="Připomínka č. {{ notice.number }} od {{ company.name }}"
    )

    message = render_notice(reminded["C1"])

    assert message.subject == f"Připomínka č. {reminded['C1'].pk} od ACME s.r.o."
    assert message.texts.languages == {"subject": "cs", "opening": "cs", "closing": "cs", "body": "cs"}
    assert "1 000,00 Kč" in plain(message.text)  # opening, table and closing still come from the shipped text


def test_a_broken_own_text_is_reported_and_never_rendered(reminded, company):
    MessageTemplate.objects.create(company=company, key="level1", language="cs", opening="Dobrý den {{ zakaznik }}")

    with pytest.raises(TemplateProblem, match=r"level1\.opening: unknown placeholder"):
        render_notice(reminded["C1"])
    with pytest.raises(CommandError, match="cannot be rendered"):
        cli("templates", "check", "--language", "cs")


@pytest.mark.django_db
def test_the_shipped_texts_pass_the_check_in_every_language(company):
    out = cli("templates", "check")

    keys = ["final", "invoice_resend", "level1", "level2", "level3", "pre_due", "run_report"]
    assert (
        out.splitlines()[-1] == f"{len(keys) * len(SHIPPED_LANGUAGES)} template(s) checked: 0 error(s), 0 fallback(s)"
    )
    for key in keys:
        for language in SHIPPED_LANGUAGES:
            assert any(line.startswith(f"ok       {key:<16} {language}: ") for line in out.splitlines())


@pytest.mark.django_db
def test_the_check_names_languages_that_fall_back(company):
    out = cli("templates", "check", "--language", "sk")
    assert "FALLBACK level1           sk: no level1 text in 'sk'; used cs" in out


def test_notice_show_prints_the_email(reminded):
    out = cli("notice", "show", str(reminded["C2"].pk))
    assert out.startswith("Subject: ")
    assert "450,00 €" in plain(out)
    assert "Sehr geehrte Damen und Herren" in out


def test_a_fallback_letter_is_all_in_one_language(reminded):
    # Found in review: a Slovak customer got Czech texts around English table headings and totals.
    message = render_notice(reminded["C3"])
    text = plain(message.text)
    assert "Faktura" in text  # the Czech table heading
    assert "Celkem EUR" in text
    assert "Invoice" not in text
    assert "Total EUR" not in text
