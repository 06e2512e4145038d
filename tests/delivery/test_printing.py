"""Paper: the letters waiting to be printed become one PDF for the printer and a list of who is on
which page; someone confirms once the envelopes are out.

After ACME's Friday run, Petr (Brno) and Bohdan (Praha) have no e-mail address, Klaus (Berlin)
neither, Jana gets e-mail, and Dana's address bounces, so her reminder goes on paper too.
"""

from __future__ import annotations

import csv
import io

import pytest
from pypdf import PdfReader

from arrears.delivery.models import OutboxMessage, PrintBatch
from arrears.delivery.outbox import JournalRefused, cancel, send_again
from arrears.delivery.printing import NothingToPrint, confirm_printed, make_batch
from arrears.documents.archive import archive_storage, read
from arrears.documents.models import ArchivedDocument
from arrears.history.models import Event
from tests.delivery.conftest import messages_of, only_message
from tests.dunning.conftest import FRIDAY, notices, run

HEADER = ["id", "name", "email", "language", "country", "group", "address_line1", "postal_code", "city"]


@pytest.fixture
def letters(ledger, standard, company, actor, account, worker):
    ledger(
        customer_header=HEADER,
        customers=[
            ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", "", "Dlouhá 1", "110 00", "Praha"],
            ["C2", "Petr Svoboda", "", "cs", "CZ", "", "Nádražní 5", "602 00", "Brno"],
            ["C3", "Bohdan Král", "", "cs", "CZ", "", "Krátká 3", "110 00", "Praha"],
            ["C4", "Klaus Weber", "", "de", "DE", "", "Unter den Linden 1", "10115", "Berlin"],
            ["C5", "Dana Ztracená", "bounce@example.cz", "cs", "CZ", "", "Polní 7", "370 01", "České Budějovice"],
        ],
        invoices=[[f"F-C{i}", f"C{i}", "2026-10-01", "2026-10-15", "CZK", "1000.00"] for i in range(1, 6)],
    )
    queued = notices(run(company, FRIDAY, actor))
    worker.run(once=True)  # Jana's e-mail goes; Dana's bounces and her reminder goes on paper
    return queued


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def stored(path: str) -> bytes:
    with archive_storage().open(path, "rb") as handle:
        return handle.read()


def test_a_print_batch_is_one_pdf_with_every_letter_and_a_list(letters, company, actor):
    batch = make_batch(company, actor)

    assert (batch.letters, batch.created_by, batch.printed_at) == (4, "test", None)
    archived = {d.notice.customer.external_id: d for d in ArchivedDocument.objects.filter(kind="pdf")}
    assert sorted(archived) == ["C2", "C3", "C4", "C5"]  # each letter archived on its own
    each = {c: pages(read(d)) for c, d in archived.items()}
    assert pages(stored(batch.pdf_path)) == batch.pages == sum(each.values())

    rows = list(csv.DictReader(io.StringIO(stored(batch.list_path).decode("utf-8"))))
    # In the post office's order: country, then postal code.
    assert [(r["customer"], r["country"], r["postal_code"], r["city"]) for r in rows] == [
        ("C3", "CZ", "110 00", "Praha"),
        ("C5", "CZ", "370 01", "České Budějovice"),
        ("C2", "CZ", "602 00", "Brno"),
        ("C4", "DE", "10115", "Berlin"),
    ]
    first_pages = [int(r["first_page"]) for r in rows]
    assert first_pages == [1, *[1 + sum(each[r["customer"]] for r in rows[:i]) for i in range(1, 4)]]
    why = {r["customer"]: r["why_paper"] for r in rows}
    assert why["C2"] == "no e-mail address for reminders"
    assert why["C5"] == "e-mail to bounce@example.cz bounced: 550 5.1.1 no such mailbox here"
    assert {r["message"] for r in rows} == {str(m.pk) for m in OutboxMessage.objects.filter(print_batch=batch)}
    # Until someone confirms, they are letters to print, not sent ones.
    assert set(OutboxMessage.objects.filter(print_batch=batch).values_list("status", flat=True)) == {"paper"}
    assert messages_of(letters["C1"]) == [("email", "jana@example.cz", "sent")]

    with pytest.raises(NothingToPrint, match="no letters are waiting to be printed"):
        make_batch(company, actor)
    assert PrintBatch.objects.count() == 1


def test_nothing_to_print_is_refused(ledger, standard, company, actor):
    ledger(
        customers=[["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", ""]],
        invoices=[["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"]],
    )
    run(company, FRIDAY, actor)  # e-mail only

    with pytest.raises(NothingToPrint, match="no letters are waiting to be printed"):
        make_batch(company, actor)
    assert not PrintBatch.objects.exists()
    assert not ArchivedDocument.objects.exists()


def test_confirming_a_batch_marks_its_letters_printed_once(letters, company, actor):
    batch = make_batch(company, actor)

    assert confirm_printed(batch, actor) == 4

    batch.refresh_from_db()
    assert (batch.printed_by, batch.printed_at is not None) == ("test", True)
    printed = OutboxMessage.objects.filter(print_batch=batch)
    assert set(printed.values_list("status", flat=True)) == {"printed"}
    assert all(m.sent_at == batch.printed_at for m in printed)
    summaries = sorted(Event.objects.filter(kind="message.printed").values_list("summary", flat=True))
    assert summaries == sorted(
        f"Notice #{letters[c].pk} printed as a letter (print batch #{batch.pk})" for c in ("C2", "C3", "C4", "C5")
    )
    assert set(Event.objects.filter(kind="message.printed").values_list("actor_label", flat=True)) == {"test"}

    with pytest.raises(NothingToPrint, match=rf"print batch #{batch.pk} was confirmed on "):
        confirm_printed(batch, actor)
    assert Event.objects.filter(kind="message.printed").count() == 4


def test_a_cancelled_letter_stays_out_and_a_printed_one_can_be_printed_again(letters, company, actor):
    with pytest.raises(JournalRefused, match="is paper: it goes into the next print batch already"):
        send_again(only_message(letters["C4"], "letter"), actor)
    cancel(only_message(letters["C4"], "letter"), actor)

    first = make_batch(company, actor)
    confirm_printed(first, actor)
    assert first.letters == 3
    assert only_message(letters["C4"], "letter").print_batch_id is None

    # Petr says the letter never came: it goes into the next batch.
    petr = send_again(only_message(letters["C2"], "letter"), actor)
    assert (petr.status, petr.print_batch_id) == ("paper", None)
    second = make_batch(company, actor)
    assert second.letters == 1
    assert list(OutboxMessage.objects.filter(print_batch=second).values_list("notice_id", flat=True)) == [
        letters["C2"].pk
    ]


def test_a_letter_about_invoices_paid_since_is_not_printed(letters, ledger, company, actor):
    # Bohdan paid on Monday, before the letters were printed.
    ledger(payments=[["P1", "C3", "2026-11-23", "CZK", "1000.00", "F-C3"]])

    batch = make_batch(company, actor)

    assert batch.letters == 3
    bohdan = only_message(letters["C3"], "letter")
    assert (bohdan.status, bohdan.print_batch_id) == ("skipped", None)
    assert bohdan.reason == "paid meanwhile: every invoice of the notice was settled before printing"
    assert not ArchivedDocument.objects.filter(notice=letters["C3"], kind="pdf").exists()
    assert list(Event.objects.filter(kind="message.skipped").values_list("summary", flat=True)) == [
        f"Notice #{letters['C3'].pk} letter skipped: {bohdan.reason}"
    ]

    # A skipped letter can be put back for the next batch; while the invoice stays paid, it is skipped again.
    again = send_again(bohdan, actor)
    assert (again.status, again.print_batch_id) == ("paper", None)
    with pytest.raises(NothingToPrint, match=r"no letters are waiting to be printed \(1 paid meanwhile\)"):
        make_batch(company, actor)
