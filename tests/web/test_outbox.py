"""The outbox screen: the journal with filters and counts, one message with its attempts, and the
clerk's actions (send again, cancel, confirm arrived, send on paper) with refusals as flash errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from arrears.companies.services import create_company
from arrears.delivery.models import DeliveryAttempt, OutboxMessage
from arrears.documents.archive import archive_storage
from arrears.dunning.runs import approve_run
from arrears.history.models import Event


@pytest.fixture
def sent_world(world, actor):
    """The demo run approved: its notices became e-mails (queued) and letters (paper)."""
    approve_run(world.run, actor)
    assert OutboxMessage.objects.filter(company=world.company, channel="email").exists()
    assert OutboxMessage.objects.filter(company=world.company, channel="letter").exists()
    return world


def _email(world, status="queued"):
    m = OutboxMessage.objects.filter(company=world.company, channel="email").order_by("pk").first()
    OutboxMessage.objects.filter(pk=m.pk).update(status=status)
    m.refresh_from_db()
    return m


def _flash(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _other_company_message():
    other = create_company(code="other", name="Other a.s.", country="CZ", default_currency="CZK")
    return OutboxMessage.objects.create(
        company=other, kind="notice", channel="email", recipient="x@other.example", message_id="<x@other>"
    )


def test_the_list_shows_messages_with_counts_per_status(sent_world, client_for):
    m = _email(sent_world, "failed")
    OutboxMessage.objects.filter(pk=m.pk).update(last_error="550 5.1.1 no such mailbox here")
    response = client_for("viewer").get(reverse("web:outbox"))
    assert response.status_code == 200
    html = response.content.decode()
    counts = response.context["counts"]
    assert counts["failed"] == 1
    assert counts["paper"] == OutboxMessage.objects.filter(company=sent_world.company, status="paper").count()
    assert sum(counts.values()) == OutboxMessage.objects.filter(company=sent_world.company).count()
    assert m.recipient in html
    assert "550 5.1.1 no such mailbox here" in html
    assert reverse("web:outbox_detail", args=[m.pk]) in html


def test_the_status_tab_and_the_filters_narrow_the_list(sent_world, client_for):
    failed = _email(sent_world, "failed")
    client = client_for("viewer")
    rows = client.get(reverse("web:outbox"), {"status": "failed"}).context["rows"]
    assert [r["m"].pk for r in rows] == [failed.pk]
    letters = client.get(reverse("web:outbox"), {"channel": "letter"}).context["rows"]
    assert letters
    assert all(r["m"].channel == "letter" for r in letters)
    found = client.get(reverse("web:outbox"), {"q": failed.recipient.upper()}).context["rows"]
    assert failed.pk in [r["m"].pk for r in found]
    assert all(failed.recipient.lower() in r["m"].recipient.lower() or r["customer"] for r in found)
    customer = failed.notice.customer
    by_customer = client.get(reverse("web:outbox"), {"q": customer.external_id}).context["rows"]
    assert by_customer
    assert all(r["m"].notice.customer_id == customer.pk for r in by_customer)
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    assert list(client.get(reverse("web:outbox"), {"since": tomorrow}).context["rows"]) == []
    # Junk in the filters is ignored, not a 500.
    assert client.get(reverse("web:outbox"), {"status": "nope", "since": "yesterday"}).status_code == 200


def test_the_list_pages_and_its_queries_do_not_grow_with_the_rows(
    sent_world, client_for, django_assert_max_num_queries
):
    company = sent_world.company
    notice = OutboxMessage.objects.filter(company=company, notice__isnull=False).first().notice
    OutboxMessage.objects.filter(company=company).delete()

    def fill(n):
        OutboxMessage.objects.bulk_create(
            OutboxMessage(
                company=company,
                notice=notice,
                channel="email",
                recipient=f"r{i}-{n}@example.cz",
                message_id=f"<m{i}-{n}@test>",
                status="failed",
            )
            for i in range(n)
        )

    client = client_for("clerk")
    fill(3)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("web:outbox")).status_code == 200
    fill(57)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("web:outbox"))
    assert len(response.context["rows"]) == 50
    assert response.context["page"].paginator.num_pages == 2
    assert len(client.get(reverse("web:outbox"), {"page": 2}).context["rows"]) == 10


def test_the_detail_shows_every_attempt_with_the_smtp_reply(sent_world, client_for):
    m = _email(sent_world, "queued")
    now = timezone.now()
    DeliveryAttempt.objects.create(
        message=m, number=1, worker="vm:1:a", started_at=now, finished_at=now, outcome="retry", smtp_code=451,
        reply="4.3.0 try again later",
    )  # fmt: skip
    DeliveryAttempt.objects.create(
        message=m, number=2, worker="vm:1:a", started_at=now, finished_at=now, outcome="sent", smtp_code=250,
        reply="OK: saved",
    )  # fmt: skip
    response = client_for("viewer").get(reverse("web:outbox_detail", args=[m.pk]))
    html = response.content.decode()
    assert "4.3.0 try again later" in html
    assert "OK: saved" in html
    assert "451" in html
    assert "vm:1:a" in html
    assert m.notice.customer.name in html
    # A viewer sees no action buttons.
    assert reverse("web:outbox_send_again", args=[m.pk]) not in html


def test_a_message_of_another_company_is_not_found(sent_world, client_for):
    foreign = _other_company_message()
    client = client_for("manager")
    assert client.get(reverse("web:outbox_detail", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("web:outbox_cancel", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "queued"


def test_a_clerk_sends_a_failed_message_again(sent_world, client_for):
    m = _email(sent_world, "failed")
    client = client_for("clerk")
    page = client.get(reverse("web:outbox_detail", args=[m.pk])).content.decode()
    assert reverse("web:outbox_send_again", args=[m.pk]) in page
    response = client.post(reverse("web:outbox_send_again", args=[m.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:outbox_detail", args=[m.pk])
    m.refresh_from_db()
    assert m.status == "queued"
    assert m.reason == "sent again by clerk"
    assert Event.objects.filter(kind="message.action", data__message=m.pk).exists()


def test_a_viewer_may_not_act_on_a_message(sent_world, client_for):
    m = _email(sent_world, "failed")
    client = client_for("viewer")
    for name in ("outbox_send_again", "outbox_cancel", "outbox_confirm", "outbox_paper"):
        assert client.post(reverse(f"web:{name}", args=[m.pk])).status_code == 403, name
    m.refresh_from_db()
    assert m.status == "failed"
    assert not OutboxMessage.objects.filter(notice=m.notice, channel="letter", reason__startswith="on paper").exists()


def test_actions_need_a_post(sent_world, client_for):
    m = _email(sent_world, "failed")
    assert client_for("clerk").get(reverse("web:outbox_cancel", args=[m.pk])).status_code == 405
    m.refresh_from_db()
    assert m.status == "failed"


def test_a_refused_transition_is_a_flash_error_not_a_500(sent_world, client_for):
    m = _email(sent_world, "sent")
    client = client_for("clerk")
    response = client.post(reverse("web:outbox_cancel", args=[m.pk]))
    assert response.status_code == 302
    assert any("only queued, failed, uncertain or paper" in text for text in _flash(response))
    m.refresh_from_db()
    assert m.status == "sent"
    response = client.post(reverse("web:outbox_confirm", args=[m.pk]), follow=True)
    assert "only an uncertain message is confirmed" in response.content.decode()


def test_a_clerk_cancels_a_queued_message(sent_world, client_for):
    m = _email(sent_world, "queued")
    client_for("clerk").post(reverse("web:outbox_cancel", args=[m.pk]))
    m.refresh_from_db()
    assert m.status == "cancelled"
    assert m.reason == "cancelled by clerk"


def test_an_uncertain_message_is_confirmed_as_arrived(sent_world, client_for):
    m = _email(sent_world, "uncertain")
    html = client_for("clerk").get(reverse("web:outbox_detail", args=[m.pk])).content.decode()
    assert reverse("web:outbox_confirm", args=[m.pk]) in html
    client_for("clerk").post(reverse("web:outbox_confirm", args=[m.pk]))
    m.refresh_from_db()
    assert m.status == "sent"
    assert m.sent_at is not None


def test_a_failed_e_mail_goes_on_paper(sent_world, client_for):
    m = _email(sent_world, "failed")
    OutboxMessage.objects.filter(notice=m.notice, channel="letter").delete()
    response = client_for("clerk").post(reverse("web:outbox_paper", args=[m.pk]))
    letter = OutboxMessage.objects.get(notice=m.notice, channel="letter")
    assert letter.status == "paper"
    assert any(f"letter #{letter.pk}" in text for text in _flash(response))
    # Twice is refused: the reminder already has its letter.
    response = client_for("clerk").post(reverse("web:outbox_paper", args=[m.pk]))
    assert any("already has letter" in text for text in _flash(response))


def test_the_archived_e_mail_can_be_downloaded(sent_world, client_for):
    m = _email(sent_world, "sent")
    name = archive_storage().save("mail/test-message.eml", ContentFile(b"Subject: hello\r\n\r\nbody\r\n"))
    OutboxMessage.objects.filter(pk=m.pk).update(mime_path=name)
    client = client_for("viewer")
    assert (
        reverse("web:outbox_mime", args=[m.pk])
        in client.get(reverse("web:outbox_detail", args=[m.pk])).content.decode()
    )
    response = client.get(reverse("web:outbox_mime", args=[m.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert b"".join(response.streaming_content) == b"Subject: hello\r\n\r\nbody\r\n"
    letter = OutboxMessage.objects.filter(company=sent_world.company, channel="letter").first()
    assert client.get(reverse("web:outbox_mime", args=[letter.pk])).status_code == 404


def test_a_run_report_is_listed_and_the_kind_filter_finds_it(sent_world, client_for):
    report = OutboxMessage.objects.create(
        company=sent_world.company,
        kind="report",
        run=sent_world.run,
        channel="email",
        recipient="controller@acme.example",
        message_id="<report-1@test>",
        subject="Run of 2026-11-20",
    )
    client = client_for("viewer")
    rows = client.get(reverse("web:outbox"), {"kind": "report"}).context["rows"]
    assert [r["m"].pk for r in rows] == [report.pk]
    assert "Run report" in client.get(reverse("web:outbox")).content.decode()
    detail = client.get(reverse("web:outbox_detail", args=[report.pk]))
    assert detail.status_code == 200
    assert "controller@acme.example" in detail.content.decode()
