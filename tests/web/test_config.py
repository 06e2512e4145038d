"""Configuration screens: policies with a dry-run preview and a file upload, templates with a live
preview and editing checked by the sandbox, sender accounts with a test e-mail, API tokens."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from arrears.accounts.models import ApiToken
from arrears.accounts.tokens import issue_token, user_for_token
from arrears.companies.services import create_company
from arrears.delivery.models import OutboxMessage, SenderAccount
from arrears.documents.models import MessageTemplate
from arrears.dunning.models import Notice, Policy, Run
from tests.delivery.conftest import mailbox, sender, serve  # noqa: F401 (fixtures)
from tests.web.conftest import AS_OF


def _flash(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- policies ------------------------------------------------------------------------------------


def test_policies_show_as_cards_with_their_levels(world, client_for):
    response = client_for("viewer").get(reverse("web:policies"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Standard reminders" in html
    assert "First reminder" in html
    assert "Final notice (settlement attempt)" in html
    assert "from 7 days overdue" in html
    # A viewer gets no upload form.
    assert reverse("web:policy_upload") not in html
    assert reverse("web:policy_upload") in client_for("manager").get(reverse("web:policies")).content.decode()


def test_the_preview_is_a_dry_run_of_the_chosen_day(world, client_for):
    runs, notices = Run.objects.count(), Notice.objects.count()
    response = client_for("viewer").get(
        reverse("web:policy_preview"), {"as_of": AS_OF.isoformat()}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    preview = response.context["preview"]
    # The demo run of the same day, stopped for review, proposed the same notices.
    proposed = Notice.objects.filter(run=world.run).count()
    assert preview["notices_count"] == proposed > 0
    assert sum(n for _, n in preview["by_level"]) == proposed
    assert preview["notices"][0]["customer"] is not None
    html = response.content.decode()
    assert "dry run: nothing was changed" in html
    assert "<html" not in html  # a fragment for HTMX
    assert (Run.objects.count(), Notice.objects.count()) == (runs, notices)


def test_the_preview_without_htmx_is_a_whole_page_and_a_bad_date_is_an_error(world, client_for):
    client = client_for("viewer")
    page = client.get(reverse("web:policy_preview"), {"as_of": AS_OF.isoformat()})
    assert "<html" in page.content.decode()
    assert "Standard reminders" in page.content.decode()
    bad = client.get(reverse("web:policy_preview"), {"as_of": "not-a-date"})
    assert bad.status_code == 200
    assert "preview" not in bad.context


def test_the_preview_says_when_there_is_no_policy(company, client_for):
    response = client_for("viewer").get(reverse("web:policy_preview"), {"as_of": "2026-11-20"})
    assert "no dunning policy" in response.content.decode()


POLICY = b"""
[[policy]]
code = "soft"
name = "Soft reminders"
weekdays = ["mon", "tue", "wed", "thu", "fri"]
payment_days = 14

[[policy.level]]
name = "Gentle nudge"
days_after_due = 10
template = "level1"
"""


def test_a_manager_uploads_a_policy_file(world, client_for):
    upload = SimpleUploadedFile("soft.toml", POLICY, content_type="application/toml")
    response = client_for("manager").post(reverse("web:policy_upload"), {"file": upload})
    assert response.status_code == 302
    assert any("policy soft stored as version 1" in text for text in _flash(response))
    policy = Policy.objects.get(company=world.company, code="soft")
    assert [lv.name for lv in policy.levels.all()] == ["Gentle nudge"]


def test_a_broken_policy_file_shows_its_errors_and_changes_nothing(world, client_for):
    broken = POLICY.replace(b"days_after_due = 10", b'days_after_due = "ten"')
    response = client_for("manager").post(
        reverse("web:policy_upload"), {"file": SimpleUploadedFile("soft.toml", broken)}
    )
    assert response.status_code == 400
    problems = response.context["upload_problems"]
    assert problems
    assert all("soft.toml" in p for p in problems)
    assert "The file was not loaded" in response.content.decode()
    assert not Policy.objects.filter(code="soft").exists()
    junk = client_for("manager").post(reverse("web:policy_upload"), {"file": SimpleUploadedFile("x.toml", b"[[[")})
    assert "not a valid TOML file" in junk.content.decode()


def test_a_clerk_may_not_upload_a_policy_file(world, client_for):
    response = client_for("clerk").post(reverse("web:policy_upload"), {"file": SimpleUploadedFile("s.toml", POLICY)})
    assert response.status_code == 403
    assert not Policy.objects.filter(code="soft").exists()


# -- templates -----------------------------------------------------------------------------------


def test_the_templates_page_shows_every_key_and_language_with_a_preview(world, client_for):
    response = client_for("viewer").get(reverse("web:templates"))
    assert response.status_code == 200
    keys = [row["key"] for row in response.context["matrix"]]
    assert {"level1", "level2", "final"} <= set(keys)
    preview = response.context["preview"]
    assert preview["subject"]
    assert "Jana Nováková" in preview["body"]


def test_the_live_preview_renders_a_template_in_a_language_for_a_customer(world, client_for):
    notice = Notice.objects.filter(run=world.run).select_related("customer").first()
    client = client_for("viewer")
    response = client.get(
        reverse("web:template_preview"),
        {"key": "level1", "language": "de", "customer": notice.customer.external_id},
        headers={"HX-Request": "true"},
    )
    preview = response.context["preview"]
    assert preview["notice"].pk == notice.pk
    assert notice.customer.name in preview["body"]
    assert reverse("web:template_letter", args=[notice.pk]) in response.content.decode()
    sample = client.get(reverse("web:template_preview"), {"key": "level1", "language": "cs"}).context["preview"]
    assert "Jana Nováková" in sample["body"]
    assert sample["subject"] != preview["subject"]  # Czech, not German
    unknown = client.get(reverse("web:template_preview"), {"key": "level1", "language": "en", "customer": "NOPE"})
    assert "No customer NOPE" in unknown.content.decode()


def test_the_letter_preview_is_a_pdf_or_a_png_of_a_notice_of_this_company(world, client_for):
    notice = Notice.objects.filter(run=world.run).first()
    client = client_for("viewer")
    pdf = client.get(reverse("web:template_letter", args=[notice.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    png = client.get(reverse("web:template_letter", args=[notice.pk]), {"format": "png"})
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    other = create_company(code="other", name="Other a.s.", country="CZ", default_currency="CZK")
    Notice.objects.filter(pk=notice.pk).update(company=other)
    assert client.get(reverse("web:template_letter", args=[notice.pk])).status_code == 404


def test_a_manager_edits_a_text_and_the_sandbox_checks_it(world, client_for):
    url = reverse("web:template_edit", args=["level1", "en"])
    client = client_for("manager")
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["may_edit"]
    broken = client.post(url, {"subject": "Reminder {% if %}", "opening": "", "closing": "", "body": ""})
    assert broken.status_code == 400
    assert "subject, line 1" in broken.content.decode()
    unknown = client.post(url, {"subject": "Hello {{ customer.nmae }}", "opening": "", "closing": "", "body": ""})
    assert "unknown placeholder" in unknown.content.decode()
    assert not MessageTemplate.objects.filter(company=world.company).exists()
    good = client.post(
        url, {"subject": "Payment reminder for {{ customer.name }}", "opening": "", "closing": "", "body": ""}
    )
    assert good.status_code == 302
    saved = MessageTemplate.objects.get(company=world.company, key="level1", language="en")
    assert saved.subject == "Payment reminder for {{ customer.name }}"
    assert saved.body == ""
    preview = client.get(reverse("web:template_preview"), {"key": "level1", "language": "en"}).context["preview"]
    assert preview["subject"] == "Payment reminder for Jana Nováková"
    # Emptying every field goes back to the shipped texts.
    client.post(url, {"subject": "", "opening": "", "closing": "", "body": ""})
    assert not MessageTemplate.objects.filter(company=world.company).exists()


def test_the_draft_preview_renders_unsaved_text_and_saves_nothing(world, client_for):
    url = reverse("web:template_draft", args=["level1", "en"])
    response = client_for("viewer").post(url, {"subject": "Hi {{ customer.name }}", "body": "{{ oops"})
    assert response.context["draft"]["subject"] == "Hi Jana Nováková"
    assert "body, line 1" in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_a_clerk_may_read_but_not_change_a_text(world, client_for):
    url = reverse("web:template_edit", args=["level1", "en"])
    client = client_for("clerk")
    page = client.get(url)
    assert page.status_code == 200
    assert not page.context["may_edit"]
    assert client.post(url, {"subject": "Changed", "opening": "", "closing": "", "body": ""}).status_code == 403
    assert not MessageTemplate.objects.exists()
    assert client.get(reverse("web:template_edit", args=["nokey", "en"])).status_code == 404


# -- sender accounts -----------------------------------------------------------------------------


def test_the_senders_page_never_shows_the_password(company, client_for, mailbox):  # noqa: F811
    sender(company, mailbox.port, username="credit", password="Tajné-heslo-42")
    html = client_for("manager").get(reverse("web:senders")).content.decode()
    assert "mail" in html
    assert "upominky@acme.cz" in html
    assert "password set" in html
    assert "Tajné-heslo-42" not in html


def test_a_manager_sends_a_test_e_mail_and_sees_the_smtp_outcome(company, client_for, mailbox):  # noqa: F811
    account = sender(company, mailbox.port)
    response = client_for("manager").post(
        reverse("web:sender_test", args=[account.pk]),
        {f"a{account.pk}-to": "me@acme.example"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "Test e-mail sent to me@acme.example: 250 OK: saved" in html
    [mail] = mailbox.mails
    assert mail.rcpt_tos == ["me@acme.example"]
    assert mail.message["Subject"] == "arrears: test message from account mail"
    assert not OutboxMessage.objects.exists()  # not through the outbox


def test_a_refused_test_e_mail_shows_the_reply(company, client_for, mailbox):  # noqa: F811
    account = sender(company, mailbox.port)
    response = client_for("manager").post(
        reverse("web:sender_test", args=[account.pk]), {f"a{account.pk}-to": "reject@acme.example"}
    )
    assert response.status_code == 302
    assert any("Not sent" in text and "554" in text for text in _flash(response))


def test_an_unreachable_server_is_reported(company, client_for):
    from arrears.delivery.capture import free_port

    account = sender(company, free_port())
    response = client_for("manager").post(
        reverse("web:sender_test", args=[account.pk]),
        {f"a{account.pk}-to": "me@acme.example"},
        headers={"HX-Request": "true"},
    )
    assert "Not sent" in response.content.decode()
    assert "127.0.0.1" in response.content.decode()


def test_only_a_manager_sends_a_test_e_mail_and_only_over_this_company_s_account(company, client_for, mailbox):  # noqa: F811
    account = sender(company, mailbox.port)
    data = {f"a{account.pk}-to": "me@acme.example"}
    assert client_for("clerk").post(reverse("web:sender_test", args=[account.pk]), data).status_code == 403
    assert mailbox.mails == []
    other = create_company(code="other", name="Other a.s.", country="CZ", default_currency="CZK")
    foreign = SenderAccount.objects.create(
        company=other, code="x", display_name="X", address="x@other.example", host="127.0.0.1", port=mailbox.port
    )
    assert client_for("manager").post(reverse("web:sender_test", args=[foreign.pk]), data).status_code == 404
    assert mailbox.mails == []


# -- API tokens ----------------------------------------------------------------------------------


def test_a_user_makes_a_token_that_is_shown_once(users, client_for):
    client = client_for("viewer")
    response = client.post(reverse("web:token_create"), {"name": "billing export"})
    key = response.context["new_key"]
    assert key.startswith("arr_")
    assert key in response.content.decode()
    assert user_for_token(key) == users["viewer"]
    again = client.get(reverse("web:tokens"))
    assert key not in again.content.decode()
    assert "billing export" in again.content.decode()
    assert client.post(reverse("web:token_create"), {"name": ""}).status_code == 400


def test_a_user_revokes_their_own_token_but_not_another_s(users, client_for):
    mine, key = issue_token(users["viewer"], "mine")
    theirs, their_key = issue_token(users["clerk"], "theirs")
    client = client_for("viewer")
    page = client.get(reverse("web:tokens")).content.decode()
    assert "mine" in page
    assert "theirs" not in page
    assert client.post(reverse("web:token_revoke", args=[theirs.pk])).status_code == 404
    assert user_for_token(their_key) == users["clerk"]
    client.post(reverse("web:token_revoke", args=[mine.pk]))
    assert user_for_token(key) is None
    assert ApiToken.objects.get(pk=mine.pk).revoked_at is not None


def test_a_manager_sees_and_revokes_everyone_s_tokens(users, client_for):
    theirs, their_key = issue_token(users["clerk"], "theirs")
    client = client_for("manager")
    assert "theirs" in client.get(reverse("web:tokens")).content.decode()
    client.post(reverse("web:token_revoke", args=[theirs.pk]))
    assert user_for_token(their_key) is None


@pytest.mark.parametrize("name", ["policies", "templates", "senders", "tokens"])
def test_every_configuration_page_answers_a_viewer(world, client_for, name):
    assert client_for("viewer").get(reverse(f"web:{name}")).status_code == 200
