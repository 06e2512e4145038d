"""The actions on the customer card: each works for a clerk, is refused to a viewer (nothing
changes), shows domain errors as messages, and never reaches another customer's or company's data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages

from arrears.companies.models import Company
from arrears.companies.services import create_company
from arrears.customers.models import Customer
from arrears.dunning.models import InvoiceDunning, Notice
from arrears.history.models import Event, Note
from arrears.ledger.models import Allocation, Invoice, Payment

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Company, "today", lambda self: TODAY)


def _customer(world, external_id: str) -> Customer:
    return Customer.objects.get(company=world.company, external_id=external_id)


def _invoice(number: str) -> Invoice:
    return Invoice.objects.get(number=number)


def _messages(response) -> list[tuple[str, str]]:
    return [(m.tags, str(m)) for m in get_messages(response.wsgi_request)]


def _post(client, url: str, data: dict) -> tuple[object, list[tuple[str, str]]]:
    response = client.post(url, data)
    assert response.status_code == 302, response.status_code
    return response, _messages(response)


# --- Who may -------------------------------------------------------------------------------------------

ACTIONS = [
    ("remind", lambda w: {"invoices": [_invoice("202600017").pk], "deadline": "2026-12-01", "note": ""}),
    ("pair", lambda w: {"payment": Payment.objects.get(external_id="P00098").pk, "invoice": _invoice("202600069").pk}),
    ("unpair", lambda w: {"allocation": Allocation.objects.filter(invoice__number="202600002").first().pk}),
    ("pause", lambda w: {"until": "2026-12-24"}),
    ("stop", lambda w: {}),
    ("hand-over", lambda w: {}),
    ("exclude", lambda w: {"enabled": "0"}),
    ("dispute", lambda w: {"reason": "wrong goods"}),
    ("note", lambda w: {"text": "called, no answer"}),
]


@pytest.mark.parametrize(("action", "data"), ACTIONS, ids=[a for a, _ in ACTIONS])
def test_a_viewer_is_refused_every_action_and_nothing_changes(world, client_for, action, data):
    key = {"pair": "C0012", "unpair": "C0001", "remind": "C0003"}.get(action, "C0003")
    payload = data(world)
    before = (
        Event.objects.count(),
        Notice.objects.count(),
        Allocation.objects.count(),
        InvoiceDunning.objects.count(),
        Note.objects.count(),
        list(Customer.objects.values_list("paused_until", "disputed", "dunning_enabled")),
    )
    assert client_for("viewer").post(f"/customers/{key}/{action}/", payload).status_code == 403
    after = (
        Event.objects.count(),
        Notice.objects.count(),
        Allocation.objects.count(),
        InvoiceDunning.objects.count(),
        Note.objects.count(),
        list(Customer.objects.values_list("paused_until", "disputed", "dunning_enabled")),
    )
    assert after == before
    # The same request by a clerk does change something: the refusal was the role, not the data.
    assert client_for("clerk").post(f"/customers/{key}/{action}/", payload).status_code == 302
    assert Event.objects.count() > before[0]


@pytest.mark.parametrize("action", [a for a, _ in ACTIONS])
def test_actions_need_a_post(world, client_for, action):
    assert client_for("clerk").get(f"/customers/C0003/{action}/").status_code == 405


def test_actions_on_another_companys_customer_are_not_found(world, client_for):
    other = create_company(code="other", name="Other Ltd", country="CZ", default_currency="CZK", time_zone="UTC")
    stranger = Customer.objects.create(company=other, external_id="Z1", name="Stranger")
    client = client_for("clerk")
    assert client.post("/customers/Z1/pause/", {"until": "2026-12-24"}).status_code == 404
    assert client.post(f"/customers/{stranger.pk}/note/", {"text": "x"}).status_code == 404
    stranger.refresh_from_db()
    assert stranger.paused_until is None
    assert not Note.objects.filter(customer=stranger).exists()


# --- Reminders by hand ---------------------------------------------------------------------------------


def test_a_clerk_creates_a_reminder_from_chosen_invoices(world, client_for, users):
    c = _customer(world, "C0003")
    chosen = [_invoice("202600017").pk, _invoice("202600019").pk]
    _, msgs = _post(
        client_for("clerk"),
        "/customers/C0003/remind/",
        {"invoices": chosen, "deadline": "2026-12-04", "note": "as agreed on the phone"},
    )
    notice = Notice.objects.get(customer=c, manual=True)
    assert notice.deadline == date(2026, 12, 4)
    assert notice.note == "as agreed on the phone"
    assert sorted(notice.items.values_list("invoice_id", flat=True)) == sorted(chosen)
    assert notice.created_by == users["clerk"]
    assert msgs[0][0] == "success"
    assert f"Reminder #{notice.pk}" in msgs[0][1]


def test_the_reminder_deadline_defaults_to_the_policys(world, client_for):
    from arrears.dunning.services import default_deadline

    page = client_for("clerk").get("/customers/C0003/")
    expected = default_deadline(_customer(world, "C0003"), TODAY)
    assert f'value="{expected.isoformat()}"' in page.content.decode()


def test_a_note_longer_than_50_characters_is_refused_on_the_server(world, client_for):
    _, msgs = _post(
        client_for("clerk"),
        "/customers/C0003/remind/",
        {"invoices": [_invoice("202600017").pk], "deadline": "2026-12-04", "note": "x" * 51},
    )
    assert not Notice.objects.filter(manual=True).exists()
    assert msgs[0][0] == "error"
    assert "50" in msgs[0][1]


@pytest.mark.parametrize(
    ("numbers", "deadline", "says"),
    [
        (["202600024"], "2026-12-04", "not overdue yet"),  # C0004's invoice due 2026-11-26
        (["202600022"], "2026-12-04", "waiting for review"),  # in the world's proposal
        ([], "2026-12-04", "Choose at least one invoice"),
        (["202600017"], "2026-11-01", "in the past"),
    ],
)
def test_a_reminder_that_cannot_be_made_says_why(world, client_for, numbers, deadline, says):
    key = "C0004" if set(numbers) & {"202600024", "202600022"} else "C0003"
    _, msgs = _post(
        client_for("clerk"),
        f"/customers/{key}/remind/",
        {"invoices": [_invoice(n).pk for n in numbers], "deadline": deadline},
    )
    assert not Notice.objects.filter(manual=True).exists()
    assert msgs[0][0] == "error", msgs
    assert says in msgs[0][1], msgs


def test_an_invoice_of_another_customer_cannot_be_reminded(world, client_for):
    _, msgs = _post(
        client_for("clerk"),
        "/customers/C0003/remind/",
        {"invoices": [_invoice("202600030").pk], "deadline": "2026-12-04"},  # C0005's
    )
    assert not Notice.objects.filter(manual=True).exists()
    assert msgs[0][0] == "error"


# --- Pairing -------------------------------------------------------------------------------------------


def test_a_clerk_pairs_part_of_a_payment_to_an_invoice(world, client_for):
    payment, invoice = Payment.objects.get(external_id="P00098"), _invoice("202600069")
    _, msgs = _post(
        client_for("clerk"), "/customers/C0012/pair/", {"payment": payment.pk, "invoice": invoice.pk, "amount": "50,00"}
    )
    allocation = Allocation.objects.get(payment=payment, invoice=invoice)
    assert allocation.amount_minor == 5000
    assert allocation.method == "manual"
    payment.refresh_from_db()
    assert payment.unallocated_minor == 7770 - 5000
    assert msgs[0][0] == "success"


def test_pairing_without_an_amount_moves_all_that_fits(world, client_for):
    payment, invoice = Payment.objects.get(external_id="P00098"), _invoice("202600069")
    _post(client_for("clerk"), "/customers/C0012/pair/", {"payment": payment.pk, "invoice": invoice.pk})
    assert Allocation.objects.get(payment=payment, invoice=invoice).amount_minor == 7770


@pytest.mark.parametrize(
    ("invoice", "amount", "says"),
    [
        ("202600067", "", "is in EUR"),  # a PLN invoice: PairingError
        ("202600069", "100.00", "at most"),  # more than the payment has left
        ("202600069", "1.2.3", "Amount"),  # not an amount: a form error
    ],
)
def test_a_pairing_that_cannot_be_made_says_why(world, client_for, invoice, amount, says):
    payment = Payment.objects.get(external_id="P00098")
    _, msgs = _post(
        client_for("clerk"),
        "/customers/C0012/pair/",
        {"payment": payment.pk, "invoice": _invoice(invoice).pk, "amount": amount},
    )
    assert not Allocation.objects.filter(payment=payment).exists()
    assert msgs[0][0] == "error", msgs
    assert says in msgs[0][1], msgs


def test_another_customers_payment_is_not_accepted(world, client_for):
    _, msgs = _post(
        client_for("clerk"),
        "/customers/C0012/pair/",
        {"payment": Payment.objects.get(external_id="P00097").pk, "invoice": _invoice("202600069").pk},
    )
    assert msgs[0][0] == "error"
    assert not Allocation.objects.filter(invoice__number="202600069").exists()


def test_a_clerk_unpairs_an_allocation(world, client_for):
    allocation = Allocation.objects.filter(invoice__number="202600002").get()
    _, msgs = _post(client_for("clerk"), "/customers/C0001/unpair/", {"allocation": allocation.pk})
    assert not Allocation.objects.filter(pk=allocation.pk).exists()
    assert _invoice("202600002").outstanding_minor == allocation.amount_minor
    assert msgs[0][0] == "success"
    assert Event.objects.filter(kind="allocation.removed", invoice__number="202600002").exists()


def test_another_customers_allocation_cannot_be_unpaired(world, client_for):
    allocation = Allocation.objects.filter(invoice__customer__external_id="C0002").first()
    _, msgs = _post(client_for("clerk"), "/customers/C0001/unpair/", {"allocation": allocation.pk})
    assert Allocation.objects.filter(pk=allocation.pk).exists()
    assert msgs[0][0] == "error"


# --- Pause, stop, hand over, exclude, dispute ----------------------------------------------------------


def test_a_clerk_pauses_and_resumes_the_customer(world, client_for):
    client = client_for("clerk")
    _, msgs = _post(client, "/customers/C0003/pause/", {"until": "2026-12-24"})
    assert _customer(world, "C0003").paused_until == date(2026, 12, 24)
    assert msgs[0][0] == "success"
    _post(client, "/customers/C0003/pause/", {"until": ""})
    assert _customer(world, "C0003").paused_until is None
    assert Event.objects.filter(kind="dunning.resumed", customer__external_id="C0003").exists()


def test_a_clerk_pauses_one_invoice(world, client_for):
    invoice = _invoice("202600019")
    _post(client_for("clerk"), "/customers/C0003/pause/", {"until": "2026-12-24", "invoice": invoice.pk})
    invoice.refresh_from_db()
    assert invoice.paused_until == date(2026, 12, 24)
    assert _customer(world, "C0003").paused_until is None


def test_a_pause_into_the_past_is_refused(world, client_for):
    _, msgs = _post(client_for("clerk"), "/customers/C0003/pause/", {"until": "2026-11-01"})
    assert _customer(world, "C0003").paused_until is None
    assert msgs[0][0] == "error"


def test_a_clerk_stops_reminding(world, client_for):
    _, msgs = _post(client_for("clerk"), "/customers/C0003/stop/", {})
    states = InvoiceDunning.objects.filter(invoice__customer__external_id="C0003")
    assert states.count() == 3
    assert all(s.stopped_on == TODAY for s in states)
    assert "3" in msgs[0][1]


def test_a_clerk_hands_over_one_invoice_and_a_second_time_is_refused(world, client_for):
    client = client_for("clerk")
    invoice = _invoice("202600017")
    _, msgs = _post(client, "/customers/C0003/hand-over/", {"invoice": invoice.pk})
    assert InvoiceDunning.objects.get(invoice=invoice).handed_over_on == TODAY
    assert InvoiceDunning.objects.filter(invoice__number="202600019", handed_over_on__isnull=False).count() == 0
    assert msgs[0][0] == "success"
    _, msgs = _post(client, "/customers/C0003/hand-over/", {"invoice": invoice.pk})
    assert msgs[-1][0] == "error"
    assert "already handed over" in msgs[-1][1]


def test_a_clerk_hands_over_all_open_invoices_but_those_handed_over_before(world, client_for):
    InvoiceDunning.objects.create(
        invoice=_invoice("202600019"), company=world.company, handed_over_on=TODAY - timedelta(days=5)
    )
    _, msgs = _post(client_for("clerk"), "/customers/C0003/hand-over/", {})
    assert msgs[0][0] == "success"
    assert InvoiceDunning.objects.get(invoice__number="202600019").handed_over_on == TODAY - timedelta(days=5)
    assert InvoiceDunning.objects.filter(invoice__customer__external_id="C0003", handed_over_on=TODAY).count() == 2
    _, msgs = _post(client_for("clerk"), "/customers/C0003/hand-over/", {})
    assert msgs[-1][0] == "error"


def test_a_clerk_excludes_and_includes_the_customer_and_an_invoice(world, client_for):
    client = client_for("clerk")
    _post(client, "/customers/C0003/exclude/", {"enabled": "0"})
    assert not _customer(world, "C0003").dunning_enabled
    _post(client, "/customers/C0003/exclude/", {"enabled": "1"})
    assert _customer(world, "C0003").dunning_enabled
    _post(client, "/customers/C0003/exclude/", {"enabled": "0", "invoice": _invoice("202600019").pk})
    assert not _invoice("202600019").dunning_enabled
    assert _customer(world, "C0003").dunning_enabled


def test_a_clerk_marks_disputed_and_settles(world, client_for):
    client = client_for("clerk")
    _post(client, "/customers/C0003/dispute/", {"reason": "goods returned", "invoice": _invoice("202600019").pk})
    invoice = _invoice("202600019")
    assert invoice.disputed
    assert invoice.dispute_reason == "goods returned"
    _post(client, "/customers/C0003/dispute/", {"reason": "", "invoice": invoice.pk})
    assert not _invoice("202600019").disputed
    _post(client, "/customers/C0003/dispute/", {"reason": "all of it"})
    assert _customer(world, "C0003").disputed


def test_an_invoice_of_another_customer_is_refused_by_every_invoice_action(world, client_for):
    foreign = _invoice("202600030").pk  # C0005's
    client = client_for("clerk")
    for action, data in (
        ("pause", {"until": "2026-12-24"}),
        ("dispute", {"reason": "x"}),
        ("exclude", {"enabled": "0"}),
        ("hand-over", {}),
    ):
        _, msgs = _post(client, f"/customers/C0003/{action}/", {**data, "invoice": foreign})
        assert msgs[-1][0] == "error", action
    invoice = _invoice("202600030")
    assert invoice.paused_until is None
    assert not invoice.disputed
    assert invoice.dunning_enabled
    assert not InvoiceDunning.objects.filter(invoice=invoice, handed_over_on__isnull=False).exists()


# --- Notes ---------------------------------------------------------------------------------------------


def test_a_clerk_adds_a_note_by_a_plain_post(world, client_for, users):
    response, msgs = _post(client_for("clerk"), "/customers/C0003/note/", {"text": "promised to pay Friday"})
    note = Note.objects.get(customer__external_id="C0003")
    assert note.text == "promised to pay Friday"
    assert note.author == users["clerk"]
    assert response["Location"].endswith("/customers/C0003/#history")
    assert msgs == [("success", "Note added.")]


def test_a_note_about_one_invoice(world, client_for):
    _post(client_for("clerk"), "/customers/C0003/note/", {"text": "copy sent", "invoice": _invoice("202600019").pk})
    assert Note.objects.get(customer__external_id="C0003").invoice == _invoice("202600019")


def test_htmx_adds_a_note_without_a_reload(world, client_for):
    response = client_for("clerk").post("/customers/C0003/note/", {"text": "left a voicemail"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "left a voicemail" in html
    assert '<li class="note">' in html
    assert "<html" not in html
    assert Note.objects.filter(text="left a voicemail").exists()


def test_an_empty_note_is_refused(world, client_for):
    _, msgs = _post(client_for("clerk"), "/customers/C0003/note/", {"text": "   "})
    assert not Note.objects.exists()
    assert msgs[0][0] == "error"
    htmx = client_for("clerk").post("/customers/C0003/note/", {"text": ""}, HTTP_HX_REQUEST="true")
    assert "The note was not saved" in htmx.content.decode()
    assert not Note.objects.exists()


def test_the_card_shows_the_flash_after_an_action(world, client_for):
    client = client_for("clerk")
    page = client.post("/customers/C0003/pause/", {"until": "2026-12-24"}, follow=True)
    html = page.content.decode()
    assert "flash-success" in html
    assert "paused until 2026-12-24" in html
    assert _customer(world, "C0003").paused_until == TODAY + timedelta(days=34)


def test_an_action_without_the_csrf_token_is_refused(world, users):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["clerk"])
    assert client.post("/customers/C0003/pause/", {"until": "2026-12-24"}).status_code == 403
    assert _customer(world, "C0003").paused_until is None
