"""The customers list and the customer card: what they show, filters, paging, query counts, and
that another company's customers stay out of reach."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears.companies.models import Company
from arrears.companies.services import create_company
from arrears.customers.models import Contact, Customer, CustomerGroup
from arrears.dunning.models import InvoiceDunning
from arrears.dunning.services import hand_over, pause, set_disputed, set_dunning_enabled, stop_reminding
from arrears.history.services import Actor, add_note
from arrears.ledger.models import Invoice, Payment
from arrears.web.templatetags.arrears_ui import money

TODAY = date(2026, 11, 20)  # the day of the world's run (a Friday, a sending day)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Company, "today", lambda self: TODAY)


def _customer(world, external_id: str) -> Customer:
    return Customer.objects.get(company=world.company, external_id=external_id)


def _other_company() -> Company:
    return create_company(code="other", name="Other Ltd", country="CZ", default_currency="CZK", time_zone="UTC")


def make_customers(company: Company, count: int, prefix: str = "Q") -> list[Customer]:
    """Customers with a group, a contact, an overdue invoice, a payment with credit and a dunning state."""
    group, _ = CustomerGroup.objects.get_or_create(company=company, code="bulk", defaults={"name": "Bulk"})
    made = Customer.objects.bulk_create(
        Customer(company=company, external_id=f"{prefix}{i:04d}", name=f"Bulk customer {i}") for i in range(count)
    )
    for c in made:
        c.groups.add(group)
    Contact.objects.bulk_create(
        Contact(customer=c, email=f"{c.external_id.lower()}@bulk.example", role_dunning=True) for c in made
    )
    invoices = Invoice.objects.bulk_create(
        Invoice(
            company=company,
            customer=c,
            number=f"{c.external_id}-1",
            issue_date=date(2026, 9, 1),
            due_date=date(2026, 9, 15),
            currency="EUR",
            amount_minor=10000,
            outstanding_minor=10000,
        )
        for c in made
    )
    InvoiceDunning.objects.bulk_create(
        InvoiceDunning(invoice=inv, company=company, level=2, last_notice_on=date(2026, 10, 20)) for inv in invoices
    )
    Payment.objects.bulk_create(
        Payment(
            company=company,
            customer=c,
            external_id=f"{c.external_id}-P",
            received_on=date(2026, 10, 1),
            currency="EUR",
            amount_minor=500,
            unallocated_minor=500,
        )
        for c in made
    )
    return made


# --- The list ------------------------------------------------------------------------------------------


def test_the_list_shows_open_and_overdue_balance_per_currency(world, client_for):
    page = client_for("viewer").get("/customers/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Kavárna Modrý slon" in html
    assert "C0004" in html
    # C0004 owes in two currencies; the EUR invoice is due 2026-11-22, so not overdue yet.
    assert money(620817 + 1166188 + 1445150, "CZK") in html
    assert money(161650, "EUR") in html
    assert money(620817, "CZK") in html
    # C0010 has a payment nobody could pair: its credit is shown.
    assert money(207505, "EUR") in html
    assert "26 customers" in html


def test_search_finds_by_external_id_name_and_e_mail(world, client_for):
    client = client_for("viewer")
    by_id = client.get("/customers/", {"q": "C0013"}).content.decode()
    assert "Müller Maschinenbau" in by_id
    assert "Bäckerei" not in by_id
    by_name = client.get("/customers/", {"q": "bäckerei"}).content.decode()
    assert "Bäckerei Schmidt" in by_name
    assert "Müller" not in by_name
    by_mail = client.get("/customers/", {"q": "novakstavby"}).content.decode()
    assert "Novák stavby" in by_mail
    assert "Pekárna" not in by_mail
    nothing = client.get("/customers/", {"q": "no-such-customer"}).content.decode()
    assert "No customer matches these filters." in nothing


def _listed(client, **params) -> set[str]:
    html = client.get("/customers/", params).content.decode()
    return {f"C{i:04d}" for i in range(1, 27) if f">C{i:04d}<" in html}


def test_state_filters_pick_the_customers_in_that_state(world, client_for, actor):
    client = client_for("viewer")
    pause(_customer(world, "C0001"), TODAY + timedelta(days=5), actor)
    c2 = _customer(world, "C0002")
    pause(c2, TODAY + timedelta(days=3), actor, invoice=c2.invoices.get(number="202600010"))
    stop_reminding(_customer(world, "C0003"), actor, today=TODAY)
    c4 = _customer(world, "C0004")
    hand_over(c4, actor, today=TODAY, invoices=[c4.invoices.get(number="202600022")])
    set_disputed(_customer(world, "C0005"), "wrong delivery", actor)
    c6 = _customer(world, "C0006")
    set_disputed(c6, "price", actor, invoice=c6.invoices.get(number="202600033"))
    set_dunning_enabled(_customer(world, "C0008"), False, actor)
    assert _listed(client, state="paused") == {"C0001", "C0002"}
    assert _listed(client, state="stopped") == {"C0003"}
    assert _listed(client, state="handed_over") == {"C0004"}
    assert _listed(client, state="disputed") == {"C0005", "C0006"}
    assert _listed(client, state="excluded") == {"C0008"}
    overdue = _listed(client, state="overdue")
    assert {"C0001", "C0011"} <= overdue
    assert not overdue & {"C0007", "C0015", "C0021", "C0026"}
    html = client.get("/customers/", {"state": "stopped"}).content.decode()
    assert "badge-stopped" in html
    # A value that is no choice is ignored, not an error.
    assert len(_listed(client, state="bogus")) == 26


def test_group_filter(world, client_for):
    vip = set(Customer.objects.filter(company=world.company, groups__code="vip").values_list("external_id", flat=True))
    assert vip
    assert _listed(client_for("viewer"), group="vip") == vip


def test_the_list_shows_the_highest_dunning_level(world, client_for):
    c = _customer(world, "C0009")
    InvoiceDunning.objects.create(invoice=c.invoices.get(number="202600047"), company=world.company, level=3)
    InvoiceDunning.objects.create(invoice=c.invoices.get(number="202600046"), company=world.company, level=1)
    html = client_for("viewer").get("/customers/", {"q": "C0009"}).content.decode()
    assert '<span class="badge badge-level">3</span>' in html


def test_another_companys_customers_are_not_listed(world, client_for):
    make_customers(_other_company(), 2, prefix="X")
    html = client_for("viewer").get("/customers/", {"q": "X"}).content.decode()
    assert "X0000" not in html
    assert "Bulk customer" not in html


def test_the_list_is_paginated(company, client_for):
    make_customers(company, 60)
    client = client_for("viewer")
    first = client.get("/customers/").content.decode()
    assert "Q0000" in first
    assert "Q0049" in first
    assert "Q0050" not in first
    second = client.get("/customers/", {"page": 2}).content.decode()
    assert "Q0050" in second
    assert "Q0059" in second
    assert "Q0000" not in second


def test_the_list_needs_the_same_queries_for_3_and_for_60_customers(company, client_for, django_assert_max_num_queries):
    make_customers(company, 3, prefix="A")
    make_customers(company, 60, prefix="B")
    client = client_for("viewer")
    counts = []
    for prefix in ("A", "B"):
        with django_assert_max_num_queries(16), CaptureQueriesContext(connection) as queries:
            page = client.get("/customers/", {"q": prefix, "state": "overdue"})
        assert page.status_code == 200
        assert f"{prefix}0002" in page.content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- The card ------------------------------------------------------------------------------------------


def test_the_card_shows_details_contacts_and_the_balance_per_currency(world, client_for):
    page = client_for("viewer").get("/customers/C0001/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Novák stavby s.r.o." in html
    assert "Palackého 88" in html
    assert "billing@novakstavbysro.example" in html
    card = page.context["card"]
    czk = next(b for b in card.currencies if b.currency == "CZK")
    assert czk.difference == czk.billed - czk.credited - czk.paid == czk.total_due - 0
    assert money(czk.billed, "CZK") in html
    assert money(czk.paid, "CZK") in html
    assert money(czk.difference, "CZK") in html
    assert {b.currency for b in card.currencies} == {"CZK", "EUR"}
    # Payments with what they were paired to, and a credit note customer's unallocated credit.
    assert "P00004" in html
    assert "202600005" in html


def test_the_card_shows_each_open_invoices_dunning_state(world, client_for):
    c = _customer(world, "C0003")
    InvoiceDunning.objects.create(
        invoice=c.invoices.get(number="202600017"), company=world.company, level=2, last_notice_on=date(2026, 11, 1)
    )
    pause(c, TODAY + timedelta(days=10), Actor("test"), invoice=c.invoices.get(number="202600019"))
    page = client_for("viewer").get("/customers/C0003/")
    rows = {r.invoice.number: r for r in page.context["card"].open_invoices}
    assert set(rows) == {"202600017", "202600019", "202600016"}
    assert rows["202600017"].level == 2
    assert rows["202600017"].last_notice_on == date(2026, 11, 1)
    assert rows["202600019"].reason == "paused"
    html = page.content.decode()
    assert '<span class="badge badge-level">2</span>' in html
    assert "badge-paused" in html
    assert "paused" in html
    # Every open invoice has a next possible reminder day, or is due now.
    # The next possible reminder day, and why there is none now.
    assert rows["202600016"].reason == "too_soon"
    assert rows["202600016"].next_possible_on == date(2026, 11, 30)
    assert rows["202600017"].reason == "all_levels_sent"
    assert rows["202600017"].next_possible_on is None
    assert "too soon since the last notice, next possible on Nov\u00a030,\u00a02026" in html
    assert "all levels sent; no further automatic reminder" in html


def test_the_card_shows_an_invoice_waiting_in_a_proposal(world, client_for):
    page = client_for("clerk").get("/customers/C0001/")
    rows = page.context["card"].open_invoices
    assert rows
    assert all(r.waiting_notice for r in rows)
    assert "in proposal #" in page.content.decode()


def test_the_card_is_found_by_external_id_or_pk_within_the_company(world, client_for):
    client = client_for("viewer")
    c = _customer(world, "C0002")
    assert client.get(f"/customers/{c.pk}/").context["c"] == c
    other = make_customers(_other_company(), 1, prefix="X")[0]
    assert client.get("/customers/X0000/").status_code == 404
    assert client.get(f"/customers/{other.pk}/").status_code == 404
    assert client.get("/customers/NOPE/").status_code == 404


def test_a_viewer_sees_no_action_forms_a_clerk_does(world, client_for):
    # C0012 has a payment with money left to pair and open invoices in its currency.
    viewer = client_for("viewer").get("/customers/C0012/").content.decode()
    clerk = client_for("clerk").get("/customers/C0012/").content.decode()
    for action in ("remind", "pair", "unpair", "pause", "stop", "hand-over", "exclude", "dispute", "note"):
        assert f"/customers/C0012/{action}/" not in viewer, action
        assert f"/customers/C0012/{action}/" in clerk, action


def test_the_history_is_newest_first_paginated_with_notes_highlighted(world, client_for):
    c = _customer(world, "C0007")
    for i in range(25):
        add_note(company_id=c.company_id, customer_id=c.pk, text=f"call number {i:02d}", actor=Actor("anna"))
    client = client_for("viewer")
    html = client.get("/customers/C0007/").content.decode()
    assert html.index("call number 24") < html.index("call number 23")
    assert "call number 04" not in html
    assert '<li class="note">' in html
    older = client.get("/customers/C0007/", {"page": 2}).content.decode()
    assert "call number 04" in older
    assert "call number 24" not in older


def test_the_history_pages_answer_htmx_with_the_timeline_only(world, client_for, django_assert_max_num_queries):
    c = _customer(world, "C0007")
    add_note(company_id=c.company_id, customer_id=c.pk, text="promised to pay on Monday", actor=Actor("anna"))
    client = client_for("viewer")
    with django_assert_max_num_queries(13):  # the history only: no balance, no dunning state
        part = client.get("/customers/C0007/", {"part": "history"}, HTTP_HX_REQUEST="true")
    html = part.content.decode()
    assert "promised to pay on Monday" in html
    assert "<html" not in html
    assert "Balance" not in html


def test_a_customer_whose_id_holds_a_slash_is_linked_by_pk(world, client_for):
    c = Customer.objects.create(company=world.company, external_id="AB/12", name="Slash & Co")
    html = client_for("viewer").get("/customers/", {"q": "Slash"}).content.decode()
    assert f'href="/customers/{c.pk}/"' in html
    assert client_for("viewer").get(f"/customers/{c.pk}/").status_code == 200


def test_the_card_works_without_any_dunning_policy(company, client_for):
    make_customers(company, 1)
    page = client_for("clerk").get("/customers/Q0000/")
    assert page.status_code == 200
    rows = page.context["card"].open_invoices
    assert [r.invoice.number for r in rows] == ["Q0000-1"]
    assert rows[0].level == 2


def _customer_with(company: Company, external_id: str, invoices: int) -> Customer:
    from arrears.ledger.services.pairing import pair

    c = Customer.objects.create(company=company, external_id=external_id, name=f"Customer {external_id}")
    Contact.objects.create(customer=c, email=f"{external_id.lower()}@example.com", role_dunning=True)
    for i in range(invoices):
        inv = Invoice.objects.create(
            company=company,
            customer=c,
            number=f"{external_id}-{i}",
            issue_date=date(2026, 9, 1),
            due_date=date(2026, 9, 15),
            currency="EUR",
            amount_minor=10000,
            outstanding_minor=10000,
        )
        InvoiceDunning.objects.create(invoice=inv, company=company, level=1, last_notice_on=date(2026, 10, 1))
        payment = Payment.objects.create(
            company=company,
            customer=c,
            external_id=f"{external_id}-P{i}",
            received_on=date(2026, 10, 1),
            currency="EUR",
            amount_minor=4000,
            unallocated_minor=4000,
        )
        pair(payment, inv, Actor("test"), 3000)
        add_note(company_id=company.pk, customer_id=c.pk, invoice_id=inv.pk, text=f"note {i}", actor=Actor("anna"))
    return c


def test_the_card_needs_the_same_queries_for_3_and_for_30_invoices(world, client_for, django_assert_max_num_queries):
    client = client_for("clerk")
    counts = []
    for external_id, n in (("SMALL", 3), ("LARGE", 30)):
        _customer_with(world.company, external_id, n)
        with django_assert_max_num_queries(40), CaptureQueriesContext(connection) as queries:
            page = client.get(f"/customers/{external_id}/")
        assert page.status_code == 200
        assert len(page.context["card"].open_invoices) == n
        counts.append(len(queries))
    assert counts[0] == counts[1]
