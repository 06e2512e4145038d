"""The collection actions overview: automatic actions and people's notes across customers,
filterable, paginated, with a query count that does not grow with the rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears.companies.models import Company
from arrears.companies.services import create_company
from arrears.customers.models import Customer
from arrears.dunning.models import DunningAction, Notice
from arrears.dunning.runs import approve_run
from arrears.dunning.services import pause, set_disputed, stop_reminding
from arrears.history.models import Event
from arrears.history.services import Actor, EventDraft, add_note, record

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Company, "today", lambda self: TODAY)


def _customer(world, external_id: str) -> Customer:
    return Customer.objects.get(company=world.company, external_id=external_id)


@pytest.fixture
def acted(world, users):
    """A few actions by people and by the system."""
    clerk = Actor.of_user(users["clerk"])
    manager = Actor.of_user(users["manager"])
    pause(_customer(world, "C0003"), date(2026, 12, 24), clerk)
    stop_reminding(_customer(world, "C0006"), manager, today=TODAY)
    set_disputed(_customer(world, "C0005"), "wrong delivery", clerk)
    c = _customer(world, "C0007")
    add_note(company_id=c.company_id, customer_id=c.pk, text="Promised to pay on Monday.\nSecond line.", actor=clerk)
    approve_run(world.run, Actor.system())  # reminders, written by the system
    return world


def _rows(client, **params) -> list:
    response = client.get("/actions/", params)
    assert response.status_code == 200
    return [row[0] for row in response.context["rows"]]


def test_the_overview_lists_automatic_actions_and_notes_newest_first(acted, client_for):
    client = client_for("viewer")
    events = _rows(client)
    kinds = {e.kind for e in events}
    assert {"dunning.paused", "dunning.stopped", "dunning.disputed", "note.added", "notice.created"} <= kinds
    # Only collection actions: no import or pairing bookkeeping.
    assert not kinds & {"allocation.created", "import.completed"}
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
    html = client.get("/actions/").content.decode()
    assert "Promised to pay on Monday.\nSecond line." in html  # the whole note, not the summary
    assert "Novák stavby s.r.o." in html


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("pause", {"dunning.paused"}),
        ("stop", {"dunning.stopped"}),
        ("dispute", {"dunning.disputed"}),
        ("note", {"note.added"}),
        ("reminder", {"notice.created"}),
    ],
)
def test_filter_by_kind(acted, client_for, kind, expected):
    assert {e.kind for e in _rows(client_for("viewer"), kind=kind)} == expected


def test_filter_by_customer(acted, client_for):
    client = client_for("viewer")
    rows = _rows(client, customer="C0003")
    assert rows
    assert {e.customer.external_id for e in rows} == {"C0003"}
    assert _rows(client, customer="NOPE") == []
    assert "There is no customer with the id" in client.get("/actions/", {"customer": "NOPE"}).content.decode()


def test_filter_by_actor(acted, client_for, users):
    client = client_for("viewer")
    by_manager = _rows(client, actor=str(users["manager"].pk))
    assert {e.kind for e in by_manager} == {"dunning.stopped"}
    automatic = _rows(client, actor="auto")
    assert automatic
    assert all(e.actor_id is None for e in automatic)
    assert "notice.created" in {e.kind for e in automatic}
    people = _rows(client, actor="people")
    assert {e.kind for e in people} == {"dunning.paused", "dunning.stopped", "dunning.disputed", "note.added"}


def test_filter_by_date_range_in_the_companys_time_zone(world, client_for):
    c = _customer(world, "C0001")
    for day, hour in ((date(2026, 10, 1), 12), (date(2026, 10, 15), 12), (date(2026, 10, 31), 23)):
        record(
            EventDraft(
                company_id=c.company_id,
                kind="dunning.paused",
                summary=f"paused on {day}",
                customer_id=c.pk,
                at=datetime(day.year, day.month, day.day, hour, tzinfo=UTC),
            ),
            Actor("test"),
        )
    client = client_for("viewer")
    summaries = {e.summary for e in _rows(client, since="2026-10-10", until="2026-10-31")}
    # 2026-10-31 23:00 UTC is already 1 November in Prague.
    assert summaries == {"paused on 2026-10-15"}
    assert {e.summary for e in _rows(client, until="2026-10-01")} == {"paused on 2026-10-01"}
    # A date that is no date is ignored.
    assert len(_rows(client, since="yesterday")) == 3


def test_another_companys_actions_are_not_shown(acted, client_for):
    other = create_company(code="other", name="Other Ltd", country="CZ", default_currency="CZK", time_zone="UTC")
    stranger = Customer.objects.create(company=other, external_id="Z1", name="Stranger")
    add_note(company_id=other.pk, customer_id=stranger.pk, text="secret of another company", actor=Actor("x"))
    html = client_for("viewer").get("/actions/").content.decode()
    assert "secret of another company" not in html
    assert _rows(client_for("viewer"), customer="Z1") == []


def _level_actions(world, count: int) -> None:
    notice = Notice.objects.filter(company=world.company).first()
    items = list(notice.items.select_related("invoice")) or []
    invoice = items[0].invoice
    DunningAction.objects.bulk_create(
        DunningAction(
            company=world.company,
            notice=notice,
            invoice=invoice,
            action="webhook",
            url=f"https://hooks.example/{i}",
            status="failed" if i % 2 else "done",
        )
        for i in range(count)
    )


def test_the_level_actions_tab_lists_actions_filterable_by_status(acted, client_for):
    _level_actions(acted, 4)
    client = client_for("viewer")
    rows = _rows(client, tab="level")
    assert len(rows) == 4
    assert {a.status for a in _rows(client, tab="level", status="failed")} == {"failed"}
    html = client.get("/actions/", {"tab": "level"}).content.decode()
    assert "https://hooks.example/3" in html
    assert "badge-failed" in html


def test_the_overview_is_paginated(world, client_for):
    c = _customer(world, "C0001")
    for i in range(60):
        add_note(company_id=c.company_id, customer_id=c.pk, text=f"note {i:02d}", actor=Actor("anna"))
    client = client_for("viewer")
    assert len(_rows(client, kind="note")) == 50
    second = _rows(client, kind="note", page=2)
    assert len(second) == 10
    assert second[-1].note.text == "note 00"


def test_the_overview_needs_the_same_queries_for_3_and_for_60_rows(world, client_for, django_assert_max_num_queries):
    counts = []
    client = client_for("viewer")
    for external_id, n in (("C0001", 3), ("C0002", 60)):
        c = _customer(world, external_id)
        for i in range(n):
            add_note(company_id=c.company_id, customer_id=c.pk, text=f"note {i}", actor=Actor("anna"))
            record(
                EventDraft(company_id=c.company_id, kind="dunning.paused", summary="paused", customer_id=c.pk),
                Actor("system"),
            )
        with django_assert_max_num_queries(14), CaptureQueriesContext(connection) as queries:
            response = client.get("/actions/", {"customer": external_id})
        assert response.status_code == 200
        assert len(response.context["rows"]) == min(2 * n, 50)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_level_actions_need_the_same_queries_for_3_and_for_60_rows(
    acted, client_for, django_assert_max_num_queries
):
    client = client_for("viewer")
    counts = []
    for n in (3, 57):
        _level_actions(acted, n)
        with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as queries:
            response = client.get("/actions/", {"tab": "level"})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_every_listed_kind_is_one_the_system_writes():
    from arrears.web.selectors.actions import ALL_KINDS

    assert "note.added" in ALL_KINDS
    assert "invoice.handed_over" in ALL_KINDS
    assert "action.webhook" in ALL_KINDS
    assert Event.objects.model._meta.get_field("kind").max_length >= max(len(k) for k in ALL_KINDS)


def test_a_reminder_links_to_the_reminder_book(acted, client_for):
    notice = Notice.objects.filter(company=acted.company).first()
    html = client_for("viewer").get("/actions/", {"kind": "reminder"}).content.decode()
    assert f'href="/notices/{notice.pk}/"' in html
    card = client_for("viewer").get(f"/customers/{notice.customer.external_id}/").content.decode()
    assert f'href="/notices/{notice.pk}/"' in card
