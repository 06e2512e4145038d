"""The configuration admin: every ledger list renders, and what only arrears writes stays read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from arrears.history.models import Event
from arrears.ledger.imports.runner import run_import
from arrears.ledger.models import Allocation
from tests.conftest import CUSTOMER_HEADER, INVOICE_HEADER, PAYMENT_HEADER


@pytest.fixture
def admin_client_with_data(client, company, actor, write_csv, tmp_path):
    write_csv("customers.csv", CUSTOMER_HEADER, ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", "retail"])
    write_csv("invoices.csv", INVOICE_HEADER, ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"])
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-10-20", "CZK", "1210.00", "F1"])
    run_import(company, [tmp_path / "in"], actor)
    client.force_login(User.objects.create_superuser("boss", "boss@example.cz", "correct horse battery"))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/companies/company/",
        "/admin/customers/customer/",
        "/admin/customers/customergroup/",
        "/admin/ledger/invoice/",
        "/admin/ledger/payment/",
        "/admin/ledger/allocation/",
        "/admin/ledger/importbatch/",
        "/admin/history/event/",
        "/admin/history/note/",
    ],
)
def test_every_list_renders(admin_client_with_data, url):
    response = admin_client_with_data.get(url)
    assert response.status_code == 200


def test_allocations_and_events_cannot_be_added_or_deleted_by_hand(admin_client_with_data):
    allocation = Allocation.objects.get()
    event = Event.objects.filter(kind="allocation.created").get()
    assert admin_client_with_data.get("/admin/ledger/allocation/add/").status_code == 403
    assert admin_client_with_data.get("/admin/history/event/add/").status_code == 403
    assert (
        admin_client_with_data.post(f"/admin/ledger/allocation/{allocation.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert admin_client_with_data.post(f"/admin/history/event/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Allocation.objects.filter(pk=allocation.pk).exists()
    assert Event.objects.filter(pk=event.pk).exists()


def test_an_anonymous_visitor_is_sent_to_the_login(client, db):
    response = client.get("/admin/ledger/invoice/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_policy_with_its_levels_is_edited_in_the_admin(admin_client_with_data, company):
    from arrears.dunning.models import Level, Policy

    form = {
        "company": company.pk,
        "code": "standard",
        "name": "Standard",
        "is_default": "on",
        "min_amounts": "{}",
        "weekdays": "[0, 1, 2, 3, 4]",
        "business_days_only": "on",
        "payment_days": "10",
        "pre_due_days": "",
        "pre_due_min_amounts": "{}",
        "pre_due_channel": "email",
        "pre_due_template": "pre_due",
        "levels-TOTAL_FORMS": "2",
        "levels-INITIAL_FORMS": "0",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "1000",
    }
    for i, (number, days) in enumerate([(1, 7), (2, 21)]):
        form.update(
            {
                f"levels-{i}-number": str(number),
                f"levels-{i}-name": f"Level {number}",
                f"levels-{i}-days_after_due": str(days),
                f"levels-{i}-min_days_since_previous": "7",
                f"levels-{i}-repeat_max": "0",
                f"levels-{i}-min_amounts": "{}",
                f"levels-{i}-channel": "email",
                f"levels-{i}-template": f"level{number}",
                f"levels-{i}-action": "none",
            }
        )
    response = admin_client_with_data.post("/admin/dunning/policy/add/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    policy = Policy.objects.get(code="standard")
    assert list(Level.objects.filter(policy=policy).values_list("number", "days_after_due")) == [(1, 7), (2, 21)]

    form["levels-1-number"] = "3"  # a gap: 1, 3
    form["code"] = "gappy"
    form["is_default"] = ""
    response = admin_client_with_data.post("/admin/dunning/policy/add/", form)
    assert response.status_code == 200
    assert "levels must be numbered 1, 2, 3" in response.content.decode()
    assert not Policy.objects.filter(code="gappy").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/dunning/policy/",
        "/admin/dunning/notice/",
        "/admin/dunning/run/",
        "/admin/dunning/policyassignment/",
        "/admin/dunning/dunningaction/",
    ],
)
def test_dunning_lists_render(admin_client_with_data, url):
    assert admin_client_with_data.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/admin/delivery/senderaccount/",
        "/admin/delivery/senderaccount/add/",
        "/admin/delivery/outboxmessage/",
        "/admin/delivery/blockedaddress/",
        "/admin/delivery/printbatch/",
        "/admin/delivery/runschedule/",
        "/admin/delivery/webhookcall/",
    ],
)
def test_delivery_lists_render(admin_client_with_data, url):
    assert admin_client_with_data.get(url).status_code == 200


def test_the_smtp_password_is_write_only_in_the_admin(admin_client_with_data, company):
    from arrears.delivery.models import SenderAccount

    account = SenderAccount.objects.create(
        company=company, code="main", display_name="ACME", address="credit@acme.example", host="smtp.example.com",
        port=587, username="credit", password="s3cret-Passw0rd", is_default=True,
    )  # fmt: skip
    url = f"/admin/delivery/senderaccount/{account.pk}/change/"
    page = admin_client_with_data.get(url).content.decode()
    assert "s3cret-Passw0rd" not in page, "the stored password is never shown back"

    form = {
        "company": company.pk, "code": "main", "is_default": "on", "display_name": "ACME",
        "address": "credit@acme.example", "host": "smtp.example.com", "port": 587, "security": "starttls",
        "username": "credit", "password": "", "timeout_seconds": 30, "send_interval_seconds": 10,
        "reply_to": "", "cc": "", "bcc": "", "test_address": "", "test_customers": "[]",
    }  # fmt: skip
    response = admin_client_with_data.post(url, form, follow=True)
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.password == "s3cret-Passw0rd", "an empty password field keeps the stored one"
    assert account.send_interval_seconds == 10
    assert "may take the mail for spam" in response.content.decode()

    admin_client_with_data.post(url, {**form, "password": "n3w-one"})
    account.refresh_from_db()
    assert account.password == "n3w-one"


def test_the_journal_action_sends_a_failed_message_again(admin_client_with_data, company):
    from arrears.delivery.models import OutboxMessage

    message = OutboxMessage.objects.create(
        company=company, channel="email", recipient="jana@example.cz", message_id="<m1@acme.example>",
        status="failed", last_error="554 refused",
    )  # fmt: skip
    response = admin_client_with_data.post(
        "/admin/delivery/outboxmessage/",
        {"action": "send_again_now", "_selected_action": [message.pk]},
        follow=True,
    )
    assert "1 message(s) queued to be sent again" in response.content.decode()
    message.refresh_from_db()
    assert message.status == "queued"
