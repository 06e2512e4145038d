"""The reminder book: every notice with its delivery, filters, detail, the PDF and the e-mail as sent."""

from __future__ import annotations

from datetime import date, timedelta
from email.message import EmailMessage

import pytest

from arrears.companies.services import create_company
from arrears.delivery.models import OutboxMessage
from arrears.documents.archive import archive
from arrears.documents.models import ArchivedDocument
from arrears.dunning.models import Notice, NoticeItem, RunDecision
from arrears.dunning.runs import approve_run
from arrears.history.services import Actor
from arrears.web.selectors.notices import next_reminders

ACTOR = Actor("test")
FAKE_PDF = b"%PDF-1.7\n% a letter\n%%EOF\n"


def _created(world) -> list[Notice]:
    approve_run(world.run, ACTOR)
    return list(Notice.objects.filter(run=world.run, status="created").select_related("customer").order_by("pk"))


def _sent_email(notice: Notice, text: str = "Dear customer, please pay.") -> OutboxMessage:
    """An e-mail as delivery archives it: MIME bytes with the text and the PDF letter."""
    msg = EmailMessage()
    msg["From"] = "credit@acme.example"
    msg["To"] = "buyer@example.com"
    msg["Subject"] = f"Reminder {notice.pk}"
    msg.set_content(text)
    msg.add_attachment(FAKE_PDF, maintype="application", subtype="pdf", filename=f"reminder-{notice.pk}.pdf")
    document = archive(notice, "eml", bytes(msg), ACTOR)
    message, _ = OutboxMessage.objects.update_or_create(
        notice=notice,
        channel="email",
        recipient="buyer@example.com",
        defaults={
            "company": notice.company,
            "message_id": f"<n{notice.pk}@test>",
            "status": "sent",
            "mime": document,
            "mime_path": document.path,
            "attempts": 1,
        },
    )
    return message


def _rows(html: str) -> str:
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


# --- The list ------------------------------------------------------------------------------------------------


def test_the_book_lists_every_notice_with_customer_level_and_status(client_for, world):
    notices = list(Notice.objects.filter(company=world.company).select_related("customer")[:50])
    html = client_for("viewer").get("/notices/").content.decode()
    for n in notices:
        assert f'href="/notices/{n.pk}/"' in html
        assert n.customer.external_id in html
    assert "badge-proposed" in html


def test_the_book_shows_the_delivery_status_and_its_last_error(client_for, world):
    notice = _created(world)[0]
    OutboxMessage.objects.filter(notice=notice).delete()
    OutboxMessage.objects.create(
        company=world.company, notice=notice, channel="email", recipient="x@example.com",
        message_id="<f@test>", status="failed", last_error="550 mailbox unavailable",
    )  # fmt: skip
    html = client_for("viewer").get("/notices/?delivery=failed").content.decode()
    rows = _rows(html)
    assert f'href="/notices/{notice.pk}/"' in rows
    assert "550 mailbox unavailable" in rows
    assert rows.count('href="/notices/') == 1


def test_the_book_filters_by_status_level_customer_and_date(client_for, world):
    client = client_for("viewer")
    notices = list(Notice.objects.filter(company=world.company).select_related("customer"))
    one = notices[0]
    rows = _rows(client.get(f"/notices/?customer={one.customer.external_id}").content.decode())
    assert f'href="/notices/{one.pk}/"' in rows
    assert all(f'href="/notices/{n.pk}/"' not in rows for n in notices if n.customer_id != one.customer_id)
    name_part = one.customer.name[1:6].lower()
    assert f'href="/notices/{one.pk}/"' in _rows(client.get(f"/notices/?customer={name_part}").content.decode())
    Notice.objects.filter(pk=one.pk).update(level=3, notice_date=date(2026, 10, 1))
    rows = _rows(client.get("/notices/?level=3").content.decode())
    assert rows.count('href="/notices/') == Notice.objects.filter(company=world.company, level=3).count()
    rows = _rows(client.get("/notices/?from=2026-09-01&to=2026-10-15").content.decode())
    assert rows.count('href="/notices/') == 1
    assert f'href="/notices/{one.pk}/"' in rows
    assert "No reminder matches" in client.get("/notices/?status=excluded").content.decode()
    assert client.get("/notices/?level=x&from=junk&status=nope").status_code == 200  # junk is ignored


def test_filtering_with_htmx_returns_only_the_rows(client_for, world):
    response = client_for("viewer").get("/notices/?status=proposed", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert "<tbody>" in html


def test_the_book_shows_the_next_reminder_date_from_the_run(client_for, world):
    notice = Notice.objects.filter(run=world.run).first()
    item = notice.items.filter(excluded=False).first()
    RunDecision.objects.filter(run=world.run, invoice=item.invoice).update(next_possible_on=date(2026, 12, 24))
    NoticeItem.objects.filter(notice=notice).exclude(pk=item.pk).update(excluded=True)
    assert next_reminders([notice.pk]) == {notice.pk: date(2026, 12, 24)}
    RunDecision.objects.filter(run=world.run, invoice=item.invoice).update(next_possible_on=None)
    assert next_reminders([notice.pk]) == {notice.pk: None}
    html = client_for("viewer").get(f"/notices/{notice.pk}/").content.decode()
    assert "no further automatic reminder" in html


def test_the_earliest_next_date_of_a_notices_invoices_wins(world):
    notice = next(n for n in Notice.objects.filter(run=world.run) if n.items.count() >= 2)
    a, b = list(notice.items.all()[:2])
    NoticeItem.objects.filter(notice=notice).exclude(pk__in=[a.pk, b.pk]).update(excluded=True)
    RunDecision.objects.filter(run=world.run, invoice=a.invoice).update(next_possible_on=date(2027, 1, 5))
    RunDecision.objects.filter(run=world.run, invoice=b.invoice).update(next_possible_on=date(2026, 12, 10))
    assert next_reminders([notice.pk]) == {notice.pk: date(2026, 12, 10)}


def _copies(world, n: int) -> None:
    """n more notices (with an item and an outbox message each) for the list to page through."""
    template = Notice.objects.filter(run=world.run).first()
    item = template.items.first()
    for i in range(n):
        copy = Notice.objects.create(
            company=world.company, run=world.run, customer=template.customer, level=template.level,
            channel="email", status="created", notice_date=date(2026, 11, 1) - timedelta(days=i),
            deadline=date(2026, 11, 15), totals=template.totals,
        )  # fmt: skip
        NoticeItem.objects.create(
            notice=copy, invoice=item.invoice, level=item.level, repetition=100 + i, reason="repeat",
            currency=item.currency, outstanding_minor=item.outstanding_minor, days_overdue=item.days_overdue,
        )  # fmt: skip
        OutboxMessage.objects.create(
            company=world.company, notice=copy, channel="email", recipient="a@example.com",
            message_id=f"<c{i}@test>", status="sent",
        )  # fmt: skip


@pytest.mark.parametrize("more", [0, 60])
def test_a_page_of_the_book_takes_a_fixed_number_of_queries(client_for, world, more, django_assert_max_num_queries):
    _copies(world, more)
    client = client_for("viewer")
    with django_assert_max_num_queries(16):
        assert client.get("/notices/").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get("/notices/?delivery=sent&page=2").status_code == 200


def test_the_book_is_paginated(client_for, world):
    _copies(world, 60)
    html = client_for("viewer").get("/notices/").content.decode()
    assert _rows(html).count('href="/notices/') == 50
    assert "page=2" in html


# --- One notice -------------------------------------------------------------------------------------------------


def test_a_proposed_notice_shows_the_e_mail_as_it_will_read(client_for, world):
    notice = Notice.objects.filter(run=world.run).first()
    html = client_for("viewer").get(f"/notices/{notice.pk}/").content.decode()
    assert "The e-mail as the customer will read it" in html
    assert "not sent yet" in html
    for item in notice.items.select_related("invoice"):
        assert item.invoice.number in html


def test_a_sent_notice_shows_the_archived_e_mail_and_offers_its_bytes(client_for, world):
    notice = _created(world)[0]
    message = _sent_email(notice, "Dear customer, this is exactly what was sent.")
    client = client_for("viewer")
    html = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "The e-mail as sent" in html
    assert "this is exactly what was sent." in html
    assert f"Reminder {notice.pk}" in html
    response = client.get(f"/notices/{notice.pk}/email.eml")
    assert response["Content-Type"] == "message/rfc822"
    assert "attachment" in response["Content-Disposition"]
    assert ArchivedDocument.objects.get(pk=message.mime_id).kind == "eml"


def test_the_e_mail_download_is_the_exact_archived_bytes(client_for, world):
    notice = _created(world)[0]
    message = _sent_email(notice)
    from arrears.documents.archive import read

    body = client_for("viewer").get(f"/notices/{notice.pk}/email.eml?message={message.pk}").content
    assert body == read(message.mime)


def test_a_notice_without_an_archived_e_mail_has_no_download(client_for, world):
    notice = Notice.objects.filter(run=world.run).first()
    assert client_for("viewer").get(f"/notices/{notice.pk}/email.eml").status_code == 404


def test_the_letter_of_an_e_mailed_notice_is_the_pdf_attached_to_it(client_for, world):
    notice = _created(world)[0]
    _sent_email(notice)
    response = client_for("viewer").get(f"/notices/{notice.pk}/letter.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content == FAKE_PDF


def test_an_archived_letter_is_served_as_archived(client_for, world):
    notice = _created(world)[0]
    archive(notice, "pdf", FAKE_PDF + b"paper", ACTOR)
    assert client_for("viewer").get(f"/notices/{notice.pk}/letter.pdf").content == FAKE_PDF + b"paper"


def test_a_created_letter_not_yet_sent_is_rendered_and_nothing_is_written(client_for, world):
    from arrears.history.models import Event

    notice = _created(world)[0]
    events = Event.objects.count()
    response = client_for("viewer").get(f"/notices/{notice.pk}/letter.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert not ArchivedDocument.objects.filter(notice=notice, kind="pdf").exists()
    assert Event.objects.count() == events


def test_an_excluded_notice_has_no_letter(client_for, world):
    notice = Notice.objects.filter(run=world.run).first()
    Notice.objects.filter(pk=notice.pk).update(status="excluded")
    assert client_for("viewer").get(f"/notices/{notice.pk}/letter.pdf").status_code == 404


def test_the_detail_shows_delivery_and_attempts(client_for, world):
    notice = _created(world)[0]
    message = _sent_email(notice)
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", last_error="421 try later")
    html = client_for("viewer").get(f"/notices/{notice.pk}/").content.decode()
    assert "421 try later" in html
    assert "badge-failed" in html
    assert f"email.eml?message={message.pk}" in html


def test_another_companys_notice_is_not_found(client_for, world):
    other = create_company(
        code="beta", name="Beta a.s.", country="CZ", default_currency="EUR", default_language="en",
        time_zone="Europe/Prague",
    )  # fmt: skip
    notice = Notice.objects.filter(run=world.run).first()
    Notice.objects.filter(pk=notice.pk).update(company=other)
    client = client_for("viewer")
    for url in ("/", "letter.pdf", "email.eml"):
        target = f"/notices/{notice.pk}/" + ("" if url == "/" else url)
        assert client.get(target).status_code == 404, target
    assert f'href="/notices/{notice.pk}/"' not in client.get("/notices/").content.decode()


def test_the_book_needs_a_login(client, world):
    assert client.get("/notices/").status_code == 302
