"""Importing again: nothing new for the same files, updates where allowed, refusal where money is at stake."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.customers.models import Contact, Customer, CustomerGroup
from arrears.history.models import Event
from arrears.ledger.imports.errors import ImportFailed
from arrears.ledger.imports.runner import run_import
from arrears.ledger.models import Allocation, ImportBatch, Invoice, Payment
from tests.conftest import CUSTOMER_HEADER, INVOICE_HEADER, PAYMENT_HEADER

JANA = ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", "retail"]
PETR = ["C2", "Petr Svoboda", "petr@example.cz; ucetni@svoboda.cz", "cs", "CZ", "b2b|vip"]
F1 = ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"]
F2 = ["F2", "C1", "2026-10-05", "2026-10-19", "CZK", "300.00"]
F3 = ["F3", "C2", "2026-10-02", "2026-10-16", "EUR", "99.90"]
P1 = ["P1", "C1", "2026-10-20", "CZK", "1000.00", "F1"]
P2 = ["P2", "C2", "2026-10-21", "EUR", "99.90", ""]


def snapshot() -> dict[str, int]:
    models = (Customer, Contact, CustomerGroup, Invoice, Payment, Allocation, ImportBatch, Event)
    return {model.__name__: model.objects.count() for model in models}


def new_event_kinds(since: int) -> list[str]:
    return list(Event.objects.filter(pk__gt=since).order_by("pk").values_list("kind", flat=True))


def last_event_id() -> int:
    return Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def imported(company, actor, write_csv, tmp_path):
    """Monday's import: two customers, three invoices, two payments (F1 partly paid, F3 paid)."""
    write_csv("customers.csv", CUSTOMER_HEADER, JANA, PETR)
    write_csv("invoices.csv", INVOICE_HEADER, F1, F2, F3)
    write_csv("payments.csv", PAYMENT_HEADER, P1, P2)
    run_import(company, [tmp_path / "in"], actor)
    return tmp_path / "in"


def refused(company, actor, folder) -> ImportFailed:
    before = snapshot()
    with pytest.raises(ImportFailed) as info:
        run_import(company, [folder], actor)
    assert snapshot() == before
    return info.value


def test_importing_the_same_files_twice_changes_nothing(company, actor, imported):
    before = snapshot()
    since = last_event_id()
    assert before["Allocation"] == 2

    report = run_import(company, [imported], actor)

    assert report.counts == {
        "customers": {"created": 0, "updated": 0, "unchanged": 2},
        "invoices": {"created": 0, "unchanged": 3},
        "payments": {"created": 0, "unchanged": 2},
    }
    assert (report.allocation.allocations, report.allocation.credit_receipts) == (0, 0)
    # Only the record that the import ran (and its batch) is new.
    assert new_event_kinds(since) == ["import.completed"]
    assert snapshot() == {**before, "ImportBatch": before["ImportBatch"] + 1, "Event": before["Event"] + 1}
    f1 = Invoice.objects.get(number="F1")
    assert (f1.allocated_minor, f1.outstanding_minor) == (100000, 21000)
    assert ImportBatch.objects.order_by("-pk").first().counts == report.counts


def test_a_customer_renamed_with_new_email_and_group_is_updated(company, actor, imported, write_csv):
    # Jana married, changed her mailbox and moved from retail to the VIP group.
    jana = Customer.objects.get(external_id="C1")
    Contact.objects.create(customer=jana, email="jana.private@example.cz", role_dunning=True)  # entered by hand
    was_updated_at = jana.updated_at
    since = last_event_id()
    write_csv("customers.csv", CUSTOMER_HEADER, ["C1", "Jana Dvořáková", "jana@dvorak.cz", "cs", "CZ", "vip"], PETR)

    report = run_import(company, [imported / "customers.csv"], actor)

    assert report.counts["customers"] == {"created": 0, "updated": 1, "unchanged": 1}
    jana.refresh_from_db()
    assert jana.name == "Jana Dvořáková"
    assert jana.updated_at > was_updated_at
    assert sorted(jana.contacts.values_list("email", "source")) == [
        ("jana.private@example.cz", "manual"),
        ("jana@dvorak.cz", "import"),
    ]
    assert list(jana.groups.values_list("code", flat=True)) == ["vip"]
    assert set(CustomerGroup.objects.values_list("code", flat=True)) == {"retail", "b2b", "vip"}
    assert new_event_kinds(since) == ["customer.updated", "import.completed"]
    event = Event.objects.get(kind="customer.updated")
    assert event.customer_id == jana.pk
    assert event.data["changes"] == {"name": ["Jana Nováková", "Jana Dvořáková"]}
    assert "name: Jana Nováková -> Jana Dvořáková" in event.summary


def test_a_customer_whose_only_change_is_a_contact_gets_an_event(company, actor, imported, write_csv):
    since = last_event_id()
    write_csv("customers.csv", CUSTOMER_HEADER, JANA, ["C2", "Petr Svoboda", "petr@example.cz", "cs", "CZ", "vip;b2b"])

    report = run_import(company, [imported / "customers.csv"], actor)

    assert report.counts["customers"] == {"created": 0, "updated": 1, "unchanged": 1}
    petr = Customer.objects.get(external_id="C2")
    assert list(petr.contacts.values_list("email", flat=True)) == ["petr@example.cz"]
    assert sorted(petr.groups.values_list("code", flat=True)) == ["b2b", "vip"]
    assert new_event_kinds(since) == ["customer.updated", "import.completed"]
    event = Event.objects.get(kind="customer.updated")
    assert (event.customer_id, event.data["changes"]) == (petr.pk, {})
    assert event.summary.endswith("groups or contacts changed")


def test_a_file_without_email_and_group_columns_leaves_contacts_and_groups_alone(company, actor, imported, write_csv):
    write_csv("customers.csv", ["id", "name"], ["C1", "Jana Nováková"], ["C2", "Petr Svoboda"])

    report = run_import(company, [imported / "customers.csv"], actor)

    assert report.counts["customers"] == {"created": 0, "updated": 0, "unchanged": 2}
    petr = Customer.objects.get(external_id="C2")
    assert sorted(petr.contacts.values_list("email", flat=True)) == ["petr@example.cz", "ucetni@svoboda.cz"]
    assert sorted(petr.groups.values_list("code", flat=True)) == ["b2b", "vip"]


def test_a_later_due_date_updates_the_invoice(company, actor, imported, write_csv):
    # The customer negotiated two more weeks for F1.
    since = last_event_id()
    write_csv("invoices.csv", INVOICE_HEADER, ["F1", "C1", "2026-10-01", "2026-10-29", "CZK", "1210.00"], F2, F3)

    report = run_import(company, [imported / "invoices.csv"], actor)

    assert report.counts["invoices"] == {"created": 0, "updated": 1, "unchanged": 2}
    f1 = Invoice.objects.get(number="F1")
    assert f1.due_date == date(2026, 10, 29)
    assert (f1.allocated_minor, f1.outstanding_minor) == (100000, 21000)
    assert new_event_kinds(since) == ["invoice.updated", "import.completed"]
    event = Event.objects.get(kind="invoice.updated")
    assert event.invoice_id == f1.pk
    assert event.data["changes"] == {"due_date": ["2026-10-15", "2026-10-29"]}


def test_an_unpaid_invoice_may_change_currency_and_amount(company, actor, imported, write_csv):
    write_csv("invoices.csv", INVOICE_HEADER, F1, ["F2", "C1", "2026-10-05", "2026-10-19", "EUR", "12.00"], F3)

    run_import(company, [imported / "invoices.csv"], actor)

    f2 = Invoice.objects.get(number="F2")
    assert (f2.currency, f2.amount_minor, f2.allocated_minor, f2.outstanding_minor) == ("EUR", 1200, 0, 1200)


@pytest.mark.parametrize(
    ("row", "field", "changed"),
    [
        (["F1", "C1", "2026-10-01", "2026-10-15", "EUR", "1210.00"], "currency", "currency"),
        (["F1", "C2", "2026-10-01", "2026-10-15", "CZK", "1210.00"], "customer_id", "customer"),
    ],
    ids=["currency", "customer"],
)
def test_a_paid_invoice_cannot_change_currency_or_customer(company, actor, imported, write_csv, row, field, changed):
    write_csv("invoices.csv", INVOICE_HEADER, row, F2, F3)

    exc = refused(company, actor, imported / "invoices.csv")

    assert exc.total == 1
    error = exc.errors[0]
    assert (error.file, error.line, error.field) == ("invoices.csv", 2, field)
    assert error.message == (
        f"invoice F1 already has 1000.00 CZK paid or credited: its {changed} cannot change; un-pair first"
    )
    f1 = Invoice.objects.get(number="F1")
    assert (f1.currency, f1.customer.external_id, f1.allocated_minor) == ("CZK", "C1", 100000)


def test_a_paid_invoice_cannot_become_a_credit_note(company, actor, imported, write_csv):
    write_csv("invoices.csv", INVOICE_HEADER, ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "-1210.00"], F2, F3)

    exc = refused(company, actor, imported / "invoices.csv")

    assert (exc.errors[0].line, exc.errors[0].field) == (2, "amount")
    assert "its kind cannot change" in exc.errors[0].message
    assert Invoice.objects.get(number="F1").kind == Invoice.Kind.INVOICE


def test_an_invoice_amount_cannot_go_below_what_was_paid(company, actor, imported, write_csv):
    write_csv("invoices.csv", INVOICE_HEADER, ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "999.99"], F2, F3)

    exc = refused(company, actor, imported / "invoices.csv")

    assert [(e.file, e.line, e.field) for e in exc.errors] == [("invoices.csv", 2, "amount")]
    assert exc.errors[0].message == (
        "invoice F1 already has 1000.00 CZK paid or credited: the amount cannot go below that; un-pair first"
    )
    assert Invoice.objects.get(number="F1").amount_minor == 121000


def test_an_invoice_lowered_to_exactly_what_was_paid_is_settled(company, actor, imported, write_csv):
    # A discount of 210 CZK was agreed after Jana paid 1000 CZK.
    write_csv("invoices.csv", INVOICE_HEADER, ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"], F2, F3)

    run_import(company, [imported / "invoices.csv"], actor)

    f1 = Invoice.objects.get(number="F1")
    assert (f1.amount_minor, f1.allocated_minor, f1.outstanding_minor) == (100000, 100000, 0)
    # Settled by the payment of 20 October, not on the day the invoice was issued.
    assert f1.settled_on == date(2026, 10, 20)


def test_an_unpaid_invoice_lowered_to_zero_is_settled_on_its_issue_date(company, actor, imported, write_csv):
    write_csv("invoices.csv", INVOICE_HEADER, F1, ["F2", "C1", "2026-10-05", "2026-10-19", "CZK", "0"], F3)

    run_import(company, [imported / "invoices.csv"], actor)

    f2 = Invoice.objects.get(number="F2")
    assert (f2.amount_minor, f2.outstanding_minor, f2.settled_on) == (0, 0, date(2026, 10, 5))


def test_a_settled_invoice_raised_in_amount_is_open_again(company, actor, imported, write_csv):
    write_csv("invoices.csv", INVOICE_HEADER, F1, F2, ["F3", "C2", "2026-10-02", "2026-10-16", "EUR", "120.00"])
    assert Invoice.objects.get(number="F3").settled_on == date(2026, 10, 21)

    run_import(company, [imported / "invoices.csv"], actor)

    f3 = Invoice.objects.get(number="F3")
    assert (f3.amount_minor, f3.allocated_minor, f3.outstanding_minor, f3.settled_on) == (12000, 9990, 2010, None)


@pytest.mark.parametrize(
    ("row", "field", "shown"),
    [
        (["P1", "C1", "2026-10-20", "CZK", "1100.00", "F1"], "amount", "1000.00"),
        (["P1", "C1", "2026-10-22", "CZK", "1000.00", "F1"], "date", "2026-10-20"),
        (["P1", "C1", "2026-10-20", "EUR", "1000.00", "F1"], "currency", "CZK"),
        (["P1", "C2", "2026-10-20", "CZK", "1000.00", "F1"], "customer_id", "C1"),
    ],
    ids=["amount", "date", "currency", "customer"],
)
def test_the_money_facts_of_a_paired_payment_never_change(company, actor, imported, write_csv, row, field, shown):
    write_csv("payments.csv", PAYMENT_HEADER, row, P2)

    exc = refused(company, actor, imported / "payments.csv")

    assert exc.total == 1
    error = exc.errors[0]
    assert (error.file, error.line, error.field) == ("payments.csv", 2, field)
    assert error.message == (
        f"payment P1 was imported before with {shown} and is paired with invoices: its customer, date, "
        "currency and amount cannot change; un-pair it first (arrears payment unpair P1 INVOICE)"
    )
    p1 = Payment.objects.get(external_id="P1")
    assert (p1.amount_minor, p1.allocated_minor, p1.received_on) == (100000, 100000, date(2026, 10, 20))


def test_a_payment_with_a_corrected_payer_name_is_updated(company, actor, imported, write_csv):
    since = last_event_id()
    allocations = list(Allocation.objects.values_list("pk", "amount_minor"))
    header = [*PAYMENT_HEADER, "payer_name"]
    write_csv("payments.csv", header, [*P1, "NOVAKOVA JANA"], [*P2, ""])

    report = run_import(company, [imported / "payments.csv"], actor)

    assert report.counts["payments"] == {"created": 0, "updated": 1, "unchanged": 1}
    p1 = Payment.objects.get(external_id="P1")
    assert (p1.payer_name, p1.allocated_minor, p1.unallocated_minor) == ("NOVAKOVA JANA", 100000, 0)
    assert list(Allocation.objects.values_list("pk", "amount_minor")) == allocations
    assert new_event_kinds(since) == ["import.completed"]


def test_a_new_payment_in_a_later_import_pays_the_rest(company, actor, imported, write_csv):
    write_csv("payments.csv", PAYMENT_HEADER, P1, P2, ["P3", "C1", "2026-10-25", "CZK", "210.00", ""])

    report = run_import(company, [imported / "payments.csv"], actor)

    assert report.counts["payments"] == {"created": 1, "unchanged": 2}
    f1 = Invoice.objects.get(number="F1")
    assert (f1.outstanding_minor, f1.settled_on) == (0, date(2026, 10, 25))
    assert Allocation.objects.filter(payment__external_id="P3").get().method == "exact_amount"


def test_an_existing_invoice_twice_in_different_chunks_is_refused(company, actor, imported, write_csv):
    changed_f1 = ["F1", "C1", "2026-10-01", "2026-11-30", "CZK", "1210.00"]
    write_csv("invoices.csv", INVOICE_HEADER, F1, F2, F3, changed_f1)

    with pytest.raises(ImportFailed) as info:
        run_import(company, [imported / "invoices.csv"], actor, chunk_size=2)

    assert (info.value.errors[0].line, info.value.errors[0].field) == (5, "number")
    assert Invoice.objects.get(number="F1").due_date == date(2026, 10, 15)


def test_an_existing_payment_twice_in_different_chunks_is_refused(company, actor, imported, write_csv):
    header = [*PAYMENT_HEADER, "payer_name"]
    write_csv("payments.csv", header, [*P1, ""], [*P2, ""], [*P1, "SOMEONE ELSE"])

    with pytest.raises(ImportFailed) as info:
        run_import(company, [imported / "payments.csv"], actor, chunk_size=2)

    assert (info.value.errors[0].line, info.value.errors[0].field) == (4, "id")
    assert Payment.objects.get(external_id="P1").payer_name == ""


def test_a_finished_import_is_recorded_with_its_files_and_counts(company, actor, imported):
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.DONE
    assert batch.finished_at is not None
    assert batch.actor_label == "test"
    assert [f["name"] for f in batch.files] == ["customers.csv", "invoices.csv", "payments.csv"]
    assert all(len(f["sha256"]) == 64 for f in batch.files)
    assert batch.counts == {
        "customers": {"created": 2, "updated": 0, "unchanged": 0},
        "invoices": {"created": 3},
        "payments": {"created": 2},
    }
    assert Invoice.objects.filter(import_batch=batch).count() == 3
    assert Allocation.objects.filter(import_batch=batch).count() == 2
    event = Event.objects.get(kind="import.completed")
    assert (event.actor_label, event.data["import_batch"]) == ("test", batch.pk)
    assert event.summary == (
        f"Import #{batch.pk} of customers.csv, invoices.csv, payments.csv: "
        "customers 2 created, 0 unchanged, 0 updated; invoices 3 created; payments 2 created"
    )


def test_an_unpaired_payment_corrected_by_a_re_import_is_placed_again(company, actor, imported, write_csv):
    # The bank file had P1 with a typo in the amount; the accountant un-pairs it and imports the fix.
    from arrears.ledger.services.pairing import unpair

    unpair(Allocation.objects.get(payment__external_id="P1"), actor)
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-10-20", "CZK", "1210.00", "F1"], P2)

    report = run_import(company, [imported / "payments.csv"], actor)

    assert report.counts["payments"] == {"created": 0, "updated": 1, "unchanged": 1}
    p1 = Payment.objects.get(external_id="P1")
    assert (p1.amount_minor, p1.allocated_minor, p1.unallocated_minor) == (121000, 121000, 0)
    assert Invoice.objects.get(number="F1").outstanding_minor == 0


def test_a_re_import_without_the_reference_column_keeps_the_stored_reference(company, actor, imported, write_csv):
    header = [h for h in PAYMENT_HEADER if h != "invoice_number"]
    write_csv("payments.csv", header, P1[:5], P2[:5])

    report = run_import(company, [imported / "payments.csv"], actor)

    assert report.counts["payments"] == {"created": 0, "unchanged": 2}
    assert Payment.objects.get(external_id="P1").reference == "F1"
