"""The history is append-only: what happened stays as it was written; notes are part of it."""

from __future__ import annotations

import contextlib

import pytest
from django.db import IntegrityError, transaction

from arrears.customers.models import Customer
from arrears.history.models import AppendOnlyError, Event, Note
from arrears.history.services import Actor, EventDraft, add_note, record
from arrears.ledger.models import Invoice


@pytest.fixture
def customer(company) -> Customer:
    return Customer.objects.create(company=company, external_id="C1", name="Jana Nováková")


@pytest.fixture
def event(company, customer, actor) -> Event:
    return record(
        EventDraft(
            company_id=company.pk,
            kind="reminder.sent",
            summary="First reminder sent to jana@example.cz",
            customer_id=customer.pk,
            data={"level": 1},
        ),
        actor,
    )


def stored(event: Event) -> tuple:
    return Event.objects.filter(pk=event.pk).values_list("kind", "summary", "data").get()


def test_record_writes_the_draft_with_the_actor(event, customer):
    assert stored(event) == ("reminder.sent", "First reminder sent to jana@example.cz", {"level": 1})
    assert (event.customer_id, event.actor_label, event.actor) == (customer.pk, "test", None)


def test_an_event_cannot_be_changed_by_saving_it(event):
    event.summary = "No reminder was ever sent"
    with pytest.raises(AppendOnlyError, match="append-only and cannot be updated"):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.save(update_fields=["summary"])
    assert stored(event)[1] == "First reminder sent to jana@example.cz"


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(AppendOnlyError, match="append-only and cannot be deleted"):
        event.delete()
    assert Event.objects.filter(pk=event.pk).exists()


def test_events_cannot_be_updated_in_bulk(event):
    with pytest.raises(AppendOnlyError, match="cannot be updated"):
        Event.objects.update(summary="rewritten")
    with pytest.raises(AppendOnlyError, match="cannot be updated"):
        Event.objects.filter(pk=event.pk).update(kind="x")
    assert stored(event)[:2] == ("reminder.sent", "First reminder sent to jana@example.cz")


def test_bulk_update_is_refused_too(event):
    event.summary = "rewritten"
    with pytest.raises(AppendOnlyError, match="cannot be updated"), transaction.atomic():
        Event.objects.bulk_update([event], ["summary"])
    assert stored(event)[1] == "First reminder sent to jana@example.cz"


def test_events_cannot_be_deleted_in_bulk(event, customer):
    with pytest.raises(AppendOnlyError, match="cannot be deleted"):
        Event.objects.all().delete()
    with pytest.raises(AppendOnlyError, match="cannot be deleted"):
        customer.events.all().delete()
    assert Event.objects.count() == 1


def test_an_event_cannot_be_overwritten_through_a_new_instance_with_its_id(event, company):
    forged = Event(pk=event.pk, company=company, kind="reminder.sent", summary="Nothing was sent")
    # Refusing (AppendOnlyError) or failing on the duplicate key (IntegrityError) both keep the history intact.
    with contextlib.suppress(AppendOnlyError, IntegrityError), transaction.atomic():
        forged.save()
    assert stored(event)[1] == "First reminder sent to jana@example.cz"


def test_an_event_cannot_be_overwritten_by_an_upsert(event, company):
    forged = Event(pk=event.pk, company=company, kind="reminder.sent", summary="Nothing was sent")
    with contextlib.suppress(AppendOnlyError, IntegrityError), transaction.atomic():
        Event.objects.bulk_create([forged], update_conflicts=True, unique_fields=["id"], update_fields=["summary"])
    assert stored(event)[1] == "First reminder sent to jana@example.cz"


def test_a_note_on_a_customer_is_recorded_in_the_history(company, customer):
    # After a phone call the credit controller writes down what Jana promised.
    note = add_note(
        company_id=company.pk,
        customer_id=customer.pk,
        text="  Promised to pay F1 by Friday.  ",
        actor=Actor("cli:eva"),
    )

    assert (note.text, note.author_label, note.invoice_id) == ("Promised to pay F1 by Friday.", "cli:eva", None)
    assert Note.objects.get().pk == note.pk
    event = Event.objects.get(kind="note.added")
    assert event.summary == "Note: Promised to pay F1 by Friday."
    assert (event.customer_id, event.invoice_id, event.actor_label) == (customer.pk, None, "cli:eva")
    assert event.data == {"note_id": note.pk}


def test_a_note_about_one_invoice(company, customer):
    invoice = Invoice.objects.create(
        company=company,
        customer=customer,
        number="F1",
        issue_date="2026-10-01",
        due_date="2026-10-15",
        currency="CZK",
        amount_minor=121000,
        outstanding_minor=121000,
    )

    note = add_note(
        company_id=company.pk,
        customer_id=customer.pk,
        invoice_id=invoice.pk,
        text="Disputes the price",
        actor=Actor("eva"),
    )

    assert note.invoice_id == invoice.pk
    assert list(invoice.events.values_list("kind", "actor_label")) == [("note.added", "eva")]
    assert list(invoice.user_notes.values_list("text", flat=True)) == ["Disputes the price"]


def test_a_long_note_is_kept_whole_but_summarised_in_the_history(company, customer, actor):
    text = "x" * 300
    note = add_note(company_id=company.pk, customer_id=customer.pk, text=text, actor=actor)

    assert len(Note.objects.get(pk=note.pk).text) == 300
    assert Event.objects.get(kind="note.added").summary == "Note: " + "x" * 200


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_note_is_refused(company, customer, actor, text):
    with pytest.raises(ValueError, match="a note needs some text"):
        add_note(company_id=company.pk, customer_id=customer.pk, text=text, actor=actor)
    assert Note.objects.count() == 0
    assert Event.objects.filter(kind="note.added").count() == 0
