"""PDF letters: every language renders, the payment QR code in the PDF says exactly what it should,
the PDF declares PDF/A-2b, and the archive keeps one immutable copy."""

from __future__ import annotations

import io
from datetime import date

import pypdfium2
import pytest
import zxingcpp
from django.core.management import call_command
from django.db import IntegrityError

from arrears.companies.models import BankAccount
from arrears.documents.archive import archive, archive_storage, read
from arrears.documents.letters import render_letter, render_preview
from arrears.documents.models import ArchivedDocument
from arrears.history.models import Event
from tests.dunning.conftest import notices, run

AS_OF = date(2026, 11, 20)


def qr_texts(pdf: bytes) -> list[str]:
    """Decode every QR code on the first page of a PDF, as a phone would from the printed letter."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=3).to_pil()
    return sorted(code.text for code in zxingcpp.read_barcodes(image))


@pytest.fixture
def letters(ledger, standard, company, actor):
    BankAccount.objects.create(company=company, iban="DE89370400440532013000", bic="COBADEFFXXX", currency="EUR")
    ledger(
        customers=[
            ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", ""],
            ["C2", "Klaus Weber", "klaus@example.de", "de", "DE", ""],
            ["C3", "Anna Kowalska", "anna@example.pl", "pl", "PL", ""],
            ["C4", "Иван Петров", "ivan@example.ru", "ru", "RU", ""],
            ["C5", "John Smith", "john@example.co.uk", "en", "GB", ""],
        ],
        invoices=[
            ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"],
            ["G1", "C2", "2026-10-01", "2026-10-15", "EUR", "450.00"],
            ["H1", "C3", "2026-10-01", "2026-10-15", "EUR", "99.90"],
            ["K1", "C4", "2026-10-01", "2026-10-15", "EUR", "1500.00"],
            ["L1", "C5", "2026-10-01", "2026-10-15", "EUR", "12.34"],
            ["L2", "C5", "2026-10-03", "2026-10-17", "CZK", "500.00"],
        ],
        invoice_header=None,
    )
    return notices(run(company, AS_OF, actor))


@pytest.mark.parametrize(
    ("customer", "title", "expected"),
    [
        ("C1", "Upomínka", ["SPD*1.0*ACC:CZ6508000000192000145399+GIBACZPX*AM:1210.00*CC:CZK*MSG:Upomínka č. {n} F1"]),
        (
            "C2",
            "Zahlungserinnerung",
            ["BCD\n002\n1\nSCT\nCOBADEFFXXX\nACME s.r.o.\nDE89370400440532013000\nEUR450.00\n\n\nG1 Mahnung Nr. {n}"],
        ),
        (
            "C3",
            "Przypomnienie",
            ["BCD\n002\n1\nSCT\nCOBADEFFXXX\nACME s.r.o.\nDE89370400440532013000\nEUR99.90\n\n\nH1 Pismo nr {n}"],
        ),
        (
            "C4",
            "Напоминание",
            [
                "BCD\n002\n1\nSCT\nCOBADEFFXXX\nACME s.r.o.\nDE89370400440532013000\n"
                "EUR1500.00\n\n\nK1 Напоминание № {n}"
            ],
        ),
        (
            "C5",
            "Payment reminder",
            [
                "BCD\n002\n1\nSCT\nCOBADEFFXXX\nACME s.r.o.\nDE89370400440532013000\nEUR12.34\n\n\nL1 Notice no. {n}",
                "SPD*1.0*ACC:CZ6508000000192000145399+GIBACZPX*AM:500.00*CC:CZK*MSG:Notice no. {n} L2",
            ],
        ),
    ],
)
def test_each_language_renders_with_the_right_payment_code(letters, customer, title, expected):
    notice = letters[customer]

    letter = render_letter(notice)

    assert letter.pdf.startswith(b"%PDF-")
    assert letter.message.subject.startswith(title)
    assert qr_texts(letter.pdf) == sorted(e.format(n=notice.pk) for e in expected)
    assert [c.payload for c in sorted(letter.codes, key=lambda c: c.payload)] == qr_texts(letter.pdf)


def test_the_letter_declares_pdf_a_2b(letters):
    pdf = render_letter(letters["C1"]).pdf
    assert b"<pdfaid:part>2</pdfaid:part>" in pdf
    assert b"<pdfaid:conformance>B</pdfaid:conformance>" in pdf


@pytest.mark.parametrize(
    ("iban", "reference"), [("CH9300762011623852957", "NON"), ("CH4431999123000889012", "QRR")], ids=["IBAN", "QR-IBAN"]
)
def test_a_swiss_account_gets_a_swiss_qr_bill(ledger, standard, company, actor, iban, reference):
    BankAccount.objects.create(company=company, iban=iban, currency="CHF")
    company.address_line1, company.postal_code, company.city, company.country = (
        "Bahnhofstrasse 1",
        "8001",
        "Zürich",
        "CH",
    )
    company.save()
    ledger(
        customers=[["S1", "Heidi Muster", "heidi@example.ch", "de", "CH", ""]],
        invoices=[["Z1", "S1", "2026-10-01", "2026-10-15", "CHF", "250.00"]],
    )
    notice = notices(run(company, AS_OF, actor))["S1"]

    letter = render_letter(notice)

    [code] = letter.codes
    assert code.standard == "QR-bill"
    [decoded] = qr_texts(letter.pdf)
    lines = decoded.splitlines()  # the QR-bill separates its elements with CR LF
    assert lines[:4] == ["SPC", "0200", "1", iban]
    assert reference in lines
    assert "250.00" in lines
    assert "CHF" in lines


def test_no_code_without_an_account_in_that_currency(letters, company):
    BankAccount.objects.filter(company=company, currency="EUR").delete()
    letter = render_letter(letters["C2"])
    assert letter.codes == ()
    assert qr_texts(letter.pdf) == []


def test_a_preview_is_a_png_per_page(letters):
    pages = render_preview(letters["C1"], ppi=50)
    assert len(pages) == 1
    assert pages[0].startswith(b"\x89PNG\r\n\x1a\n")


def test_the_archive_keeps_one_copy_per_content_and_notices_tampering(letters, actor, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    notice = letters["C1"]
    pdf = render_letter(notice).pdf

    first = archive(notice, "pdf", pdf, actor)
    again = archive(notice, "pdf", pdf, actor)

    assert again.pk == first.pk
    assert ArchivedDocument.objects.count() == 1
    assert read(first) == pdf
    assert Event.objects.filter(kind="document.archived", customer=notice.customer).count() == 1
    with archive_storage().open(first.path, "wb") as handle:
        handle.write(pdf[:-10] + b"tampered!!")
    with pytest.raises(IntegrityError, match="does not match its sha256"):
        read(first)


def test_notice_pdf_command_writes_the_file(letters, tmp_path):
    out = io.StringIO()
    target = tmp_path / "letter.pdf"
    call_command("notice", "pdf", str(letters["C5"].pk), "--out", str(target), stdout=out)
    assert target.read_bytes().startswith(b"%PDF-")
    assert " bytes, SPAYD CZK, EPC EUR; archived as " in out.getvalue()
    assert ArchivedDocument.objects.filter(notice=letters["C5"], kind="pdf").count() == 1


def test_a_qrr_reference_has_the_swiss_check_digit():
    from arrears.documents.qr import qrr_reference

    # The example of the Swiss implementation guidelines: 21 00000 00003 13947 14300 0901 7.
    assert qrr_reference(int("21000000000313947143000901")) == "210000000003139471430009017"
    assert len(qrr_reference(42)) == 27


def test_printing_a_letter_archives_it_and_notes_a_language_fallback(ledger, standard, company, actor):
    import hashlib

    from arrears.documents.letters import print_letter

    ledger(
        customers=[["S1", "Ján Kováč", "jan@example.sk", "sk", "SK", ""]],
        invoices=[["Z1", "S1", "2026-10-01", "2026-10-15", "CZK", "250.00"]],
    )
    notice = notices(run(company, AS_OF, actor))["S1"]

    letter, document = print_letter(notice, actor)

    assert document.sha256 == hashlib.sha256(letter.pdf).hexdigest()
    event = Event.objects.get(kind="text.fallback", customer=notice.customer)
    assert event.summary == f"Notice #{notice.pk}: no level1 text in 'sk'; used cs"


def test_manual_reminder_refuses_an_invoice_waiting_in_a_proposal(ledger, standard, company, actor):
    # Found in review: this crashed with a database error instead of saying why.
    from arrears.dunning.services import DunningActionError, create_manual_notice
    from tests.dunning.conftest import cust, inv

    ledger(
        customers=[["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", ""]],
        invoices=[["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"]],
    )
    proposal = run(company, AS_OF, actor, review=True)
    notice_id = notices(proposal)["C1"].pk

    with pytest.raises(DunningActionError, match=rf"F1 \(notice #{notice_id}\); approve or discard it first"):
        create_manual_notice(cust("C1"), [inv("F1"), inv("F1")], actor, deadline=date(2026, 12, 1), today=AS_OF)
