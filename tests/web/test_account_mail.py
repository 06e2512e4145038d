"""Password reset e-mail through the company's SMTP sender account: a row first, then the server."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from arrears.accounts.models import AccountMail
from arrears.delivery import smtp
from tests.delivery.conftest import mailbox, sender, serve  # noqa: F401 (fixtures)
from tests.web.conftest import PASSWORD

BACKEND = "arrears.accounts.mail.SenderAccountBackend"


@pytest.fixture
def backend(settings):
    settings.EMAIL_BACKEND = BACKEND
    settings.ARREARS_ACCOUNT_MAIL_SENDER = ""


def _reset(client, address):
    return client.post(reverse("web:password_reset"), {"email": address})


def test_the_reset_e_mail_leaves_through_the_sender_account(backend, users, company, mailbox, client):  # noqa: F811
    sender(company, mailbox.port)
    response = _reset(client, "viewer@acme.example")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:password_reset_done")
    row = AccountMail.objects.get()
    assert row.status == "sent"
    assert row.reply.startswith("250")
    assert row.recipients == "viewer@acme.example"
    assert row.account.code == "mail"
    [mail] = mailbox.mails
    assert mail.rcpt_tos == ["viewer@acme.example"]
    assert mail.mail_from == "upominky@acme.cz"
    assert "upominky@acme.cz" in mail.message["From"]
    assert mail.message["Message-ID"] == row.message_id
    body = mail.message.get_body(("plain",)).get_content()
    assert "/password-reset/" in body


def test_the_row_is_written_before_anything_leaves(backend, users, company, mailbox, monkeypatch, client):  # noqa: F811
    sender(company, mailbox.port)
    seen = []
    original = smtp.SmtpSession.send

    def spy(self, *args, **kwargs):
        seen.append(list(AccountMail.objects.values_list("status", "recipients")))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(smtp.SmtpSession, "send", spy)
    _reset(client, "clerk@acme.example")
    assert seen == [[("sending", "clerk@acme.example")]]
    assert AccountMail.objects.get().status == "sent"


def test_without_an_account_the_row_fails_and_the_page_answers_the_same(backend, users, company, client):
    known = _reset(client, "viewer@acme.example")
    unknown = _reset(client, "nobody@acme.example")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    row = AccountMail.objects.get()
    assert row.status == "failed"
    assert "no sender account" in row.reply
    assert row.finished_at is not None


def test_a_refusing_server_is_recorded_and_the_page_answers_the_same(backend, users, company, mailbox, client):  # noqa: F811
    sender(company, mailbox.port)
    User.objects.create_user("rejected", "reject@acme.example", PASSWORD)
    response = _reset(client, "reject@acme.example")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:password_reset_done")
    row = AccountMail.objects.get()
    assert row.status == "failed"
    assert "554" in row.reply
    assert mailbox.mails == []


def test_an_unreachable_server_is_recorded(backend, users, company, client):
    from arrears.delivery.capture import free_port

    sender(company, free_port())  # nothing listens there
    response = _reset(client, "viewer@acme.example")
    assert response.status_code == 302
    row = AccountMail.objects.get()
    assert row.status == "failed"
    assert row.reply


def test_a_setting_names_the_account(backend, settings, users, company, serve, client):  # noqa: F811
    default_box, chosen_box = serve(), serve()
    sender(company, default_box.port)
    sender(company, chosen_box.port, code="office", is_default=False, address="office@acme.cz")
    settings.ARREARS_ACCOUNT_MAIL_SENDER = "acme/office"
    _reset(client, "viewer@acme.example")
    assert default_box.mails == []
    assert [m.mail_from for m in chosen_box.mails] == ["office@acme.cz"]
    settings.ARREARS_ACCOUNT_MAIL_SENDER = "acme/missing"
    _reset(client, "viewer@acme.example")
    assert "does not exist" in AccountMail.objects.order_by("-id").first().reply


def test_the_settings_use_this_backend():
    from arrears import settings as project_settings

    assert project_settings.EMAIL_BACKEND == BACKEND
