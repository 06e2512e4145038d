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
