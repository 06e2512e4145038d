"""Pairing by hand, as an accountant does it on a customer card in an ERP.

The ledger of the stories below: Jana (C1) owes F1 1210.00 CZK and F2 500.00 CZK, and F3 100.00 EUR;
she has a credit note D1 of 100.00 CZK. Her payment P1 of 1500.00 CZK came without a usable reference
and no invoice has exactly that amount, so the import kept it as customer credit; so did her EUR payment
P2 of 40.00. Petr (C2) owes G1 800.00 CZK.
"""

from __future__ import annotations

from datetime import date

import pytest

from arrears.history.models import Event
from arrears.ledger.imports.runner import run_import
from arrears.ledger.models import Allocation, Invoice, Payment
from arrears.ledger.services.pairing import PairingError, pair, unpair
from tests.conftest import CUSTOMER_HEADER, INVOICE_HEADER, PAYMENT_HEADER


@pytest.fixture
def ledger(company, actor, write_csv, tmp_path):
    write_csv(
        "customers.csv",
        CUSTOMER_HEADER,
        ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", "retail"],
        ["C2", "Petr Svoboda", "petr@example.cz", "cs", "CZ", "retail"],
    )
    write_csv(
        "invoices.csv",
        INVOICE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"],
        ["F2", "C1", "2026-10-05", "2026-10-19", "CZK", "500.00"],
        ["F3", "C1", "2026-10-05", "2026-10-19", "EUR", "100.00"],
        ["D1", "C1", "2026-10-06", "2026-10-06", "CZK", "-100.00"],
        ["G1", "C2", "2026-10-01", "2026-10-15", "CZK", "800.00"],
    )
    write_csv(
        "payments.csv",
        PAYMENT_HEADER,
        ["P1", "C1", "2026-10-20", "CZK", "1500.00", ""],
        ["P2", "C1", "2026-10-21", "EUR", "40.00", ""],
    )
    run_import(company, [tmp_path / "in"], actor)


def invoice(number: str) -> Invoice:
    return Invoice.objects.get(number=number)


def payment(external_id: str) -> Payment:
    return Payment.objects.get(external_id=external_id)


def state(inv: Invoice, pay: Payment) -> tuple:
    inv.refresh_from_db()
    pay.refresh_from_db()
    return (inv.allocated_minor, inv.outstanding_minor, inv.settled_on, pay.allocated_minor, pay.unallocated_minor)


def assert_consistent(*numbers: str) -> None:
    """allocated + outstanding == |amount| on every document, and the allocations add up to it."""
    for number in numbers:
        inv = invoice(number)
        assert inv.allocated_minor + inv.outstanding_minor == abs(inv.amount_minor), number
        applied = Allocation.objects.filter(invoice=inv) if not inv.is_credit_note else inv.applications.all()
        assert sum(a.amount_minor for a in applied) == inv.allocated_minor, number
        assert (inv.settled_on is None) == (inv.outstanding_minor > 0), number
    for pay in Payment.objects.all():
        assert pay.allocated_minor + pay.unallocated_minor == pay.amount_minor, pay.external_id
        assert sum(a.amount_minor for a in pay.allocations.all()) == pay.allocated_minor, pay.external_id


def test_the_import_left_the_payments_as_credit(ledger):
    assert (payment("P1").unallocated_minor, payment("P2").unallocated_minor) == (150000, 4000)
    assert Allocation.objects.count() == 0


def test_pairing_without_an_amount_settles_the_invoice_with_what_fits(ledger, actor):
    # The accountant sees 1500.00 of credit and F1 open for 1210.00: "pair" takes all that fits.
    allocation = pair(payment("P1"), invoice("F1"), actor)

    assert (allocation.amount_minor, allocation.method, allocation.currency) == (121000, "manual", "CZK")
    f1, p1 = invoice("F1"), payment("P1")
    assert (f1.allocated_minor, f1.outstanding_minor, f1.settled_on) == (121000, 0, date(2026, 10, 20))
    assert (p1.allocated_minor, p1.unallocated_minor) == (121000, 29000)
    assert_consistent("F1", "F2")


def test_a_small_payment_pays_part_of_a_larger_invoice(ledger, actor):
    # 40.00 EUR of credit against F3 of 100.00 EUR: min(unallocated, outstanding) is the payment.
    allocation = pair(payment("P2"), invoice("F3"), actor)

    assert allocation.amount_minor == 4000
    f3 = invoice("F3")
    assert (f3.allocated_minor, f3.outstanding_minor, f3.settled_on) == (4000, 6000, None)
    assert payment("P2").unallocated_minor == 0
    assert_consistent("F3")


def test_an_explicit_amount_pays_part_of_an_invoice(ledger, actor):
    allocation = pair(payment("P1"), invoice("F2"), actor, amount=20000)

    assert allocation.amount_minor == 20000
    f2 = invoice("F2")
    assert (f2.allocated_minor, f2.outstanding_minor, f2.settled_on) == (20000, 30000, None)
    assert payment("P1").unallocated_minor == 130000
    # The rest of the credit is still there for F1, which it settles in full.
    assert pair(payment("P1"), invoice("F1"), actor).amount_minor == 121000
    assert payment("P1").unallocated_minor == 9000
    assert_consistent("F1", "F2")


def test_pairing_writes_a_manual_allocation_event(ledger, actor):
    allocation = pair(payment("P1"), invoice("F1"), actor)

    event = Event.objects.get(kind="allocation.created")
    assert event.invoice_id == invoice("F1").pk
    assert event.payment_id == payment("P1").pk
    assert event.customer_id == invoice("F1").customer_id
    assert event.actor_label == "test"
    assert event.data["method"] == "manual"
    assert event.data["amount_minor"] == allocation.amount_minor == 121000
    assert event.data["settled"] is True
    assert event.summary == "Payment P1 of 2026-10-20 applied 1210.00 CZK to F1 by hand; F1 is settled"


@pytest.mark.parametrize(
    ("pay", "inv", "amount", "message"),
    [
        ("P1", "G1", None, "payment P1 and invoice G1 belong to different customers"),
        ("P1", "F3", None, "payment P1 is in CZK, invoice F3 in EUR"),
        ("P1", "D1", None, "D1 is a credit note; payments pair with invoices"),
        (
            "P1",
            "F2",
            50001,
            "cannot pair 500.01 CZK: at most 500.00 CZK fits (unallocated 1500.00 CZK, outstanding 500.00 CZK)",
        ),
        ("P1", "F2", 0, "a pairing amount must be positive"),
        ("P1", "F2", -100, "a pairing amount must be positive"),
    ],
)
def test_pairings_that_make_no_sense_are_refused(ledger, actor, pay, inv, amount, message):
    events_before = Event.objects.count()

    with pytest.raises(PairingError) as excinfo:
        pair(payment(pay), invoice(inv), actor, amount)

    assert str(excinfo.value) == message
    assert Allocation.objects.count() == 0
    assert Event.objects.count() == events_before
    assert payment(pay).unallocated_minor == payment(pay).amount_minor
    assert invoice(inv).allocated_minor == 0


def test_nothing_to_pair_with_a_settled_invoice_or_a_spent_payment(ledger, actor):
    pair(payment("P1"), invoice("F1"), actor)
    with pytest.raises(PairingError, match=r"^nothing to pair: .*the invoice is settled$"):
        pair(payment("P1"), invoice("F1"), actor)

    pair(payment("P2"), invoice("F3"), actor)  # all 40.00 EUR used
    with pytest.raises(PairingError, match="nothing to pair: the payment has no unallocated money"):
        pair(payment("P2"), invoice("F3"), actor, amount=1)
    assert Allocation.objects.count() == 2
    assert_consistent("F1", "F3")


def test_unpairing_returns_the_money_and_reopens_the_invoice(ledger, actor):
    # A wrong pairing: P1 was meant for another customer's invoice. Undo it.
    allocation = pair(payment("P1"), invoice("F1"), actor)
    assert invoice("F1").settled_on == date(2026, 10, 20)

    unpair(allocation, actor)

    f1, p1 = invoice("F1"), payment("P1")
    assert (f1.allocated_minor, f1.outstanding_minor, f1.settled_on) == (0, 121000, None)
    assert (p1.allocated_minor, p1.unallocated_minor) == (0, 150000)
    assert not Allocation.objects.filter(pk=allocation.pk).exists()
    event = Event.objects.get(kind="allocation.removed")
    assert event.summary == "Un-paired 1210.00 CZK of payment P1 from F1; the invoice is open again"
    assert (event.invoice_id, event.payment_id, event.actor_label) == (f1.pk, p1.pk, "test")
    assert event.data == {"amount_minor": 121000, "currency": "CZK", "method": "manual", "source": "payment P1"}
    assert_consistent("F1")


def test_unpairing_a_partial_pairing_does_not_claim_the_invoice_reopened(ledger, actor):
    allocation = pair(payment("P1"), invoice("F2"), actor, amount=20000)

    unpair(allocation, actor)

    assert Event.objects.get(kind="allocation.removed").summary == "Un-paired 200.00 CZK of payment P1 from F2"
    assert (invoice("F2").outstanding_minor, payment("P1").unallocated_minor) == (50000, 150000)
    assert_consistent("F2")


def test_unpair_then_pair_again_restores_the_state(ledger, actor):
    f1, p1 = invoice("F1"), payment("P1")
    before = state(f1, p1)

    first = pair(p1, f1, actor)
    paired = state(f1, p1)
    assert_consistent("F1")
    unpair(first, actor)
    assert state(f1, p1) == before
    assert_consistent("F1")
    second = pair(p1, f1, actor)

    assert state(f1, p1) == paired == (121000, 0, date(2026, 10, 20), 121000, 29000)
    assert second.amount_minor == first.amount_minor
    assert Allocation.objects.count() == 1
    assert_consistent("F1")
    kinds = list(Event.objects.filter(invoice=f1).values_list("kind", flat=True))
    assert kinds == ["allocation.created", "allocation.removed", "allocation.created"]


def test_an_import_allocation_can_be_moved_to_another_invoice(company, actor, write_csv, tmp_path):
    # The bank reference said F1, but the customer meant F2: the accountant moves the money.
    write_csv("customers.csv", CUSTOMER_HEADER, ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", ""])
    write_csv(
        "invoices.csv",
        INVOICE_HEADER,
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "300.00"],
        ["F2", "C1", "2026-10-02", "2026-10-16", "CZK", "450.00"],
    )
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-10-20", "CZK", "300.00", "F1"])
    run_import(company, [tmp_path / "in"], actor)
    by_reference = Allocation.objects.get()
    assert (by_reference.method, invoice("F1").settled_on) == ("reference", date(2026, 10, 20))

    unpair(by_reference, actor)
    moved = pair(payment("P1"), invoice("F2"), actor)

    assert (moved.amount_minor, moved.method) == (30000, "manual")
    assert (invoice("F1").outstanding_minor, invoice("F1").settled_on) == (30000, None)
    assert (invoice("F2").outstanding_minor, invoice("F2").settled_on) == (15000, None)
    assert Event.objects.get(kind="allocation.removed").data["method"] == "reference"
    assert_consistent("F1", "F2")


def test_unpairing_a_credit_note_gives_its_credit_back(company, actor, write_csv, tmp_path):
    # A credit note correcting F1 was applied by its reference; un-pairing it makes F1 owed in full again.
    write_csv("customers.csv", CUSTOMER_HEADER, ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", ""])
    write_csv(
        "invoices.csv",
        [*INVOICE_HEADER, "reference"],
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00", ""],
        ["D1", "C1", "2026-10-10", "2026-10-10", "CZK", "-210.00", "F1"],
    )
    run_import(company, [tmp_path / "in"], actor)
    application = Allocation.objects.get()
    assert (application.credit_note_id, application.amount_minor) == (invoice("D1").pk, 21000)
    d1 = invoice("D1")
    assert (d1.allocated_minor, d1.outstanding_minor, d1.settled_on) == (21000, 0, date(2026, 10, 10))

    unpair(application, actor)

    f1, d1 = invoice("F1"), invoice("D1")
    assert (f1.allocated_minor, f1.outstanding_minor, f1.settled_on) == (0, 121000, None)
    assert (d1.allocated_minor, d1.outstanding_minor, d1.settled_on) == (0, 21000, None)
    event = Event.objects.get(kind="allocation.removed")
    assert event.summary == "Un-paired 210.00 CZK of credit note D1 from F1"
    assert event.payment_id is None
    assert_consistent("F1", "D1")


def test_unpairing_the_later_payment_brings_the_latest_receipt_date_back(company, actor, write_csv, tmp_path):
    # F1 was paid in two parts, on 10-20 and 11-02; the second part was paired with the wrong invoice.
    write_csv("customers.csv", CUSTOMER_HEADER, ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", ""])
    write_csv("invoices.csv", INVOICE_HEADER, ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"])
    write_csv(
        "payments.csv",
        PAYMENT_HEADER,
        ["P1", "C1", "2026-10-20", "CZK", "600.00", "F1"],
        ["P2", "C1", "2026-11-02", "CZK", "400.00", "F1"],
    )
    run_import(company, [tmp_path / "in"], actor)
    f1 = invoice("F1")
    assert (f1.settled_on, f1.last_receipt_on) == (date(2026, 11, 2), date(2026, 11, 2))

    unpair(Allocation.objects.get(payment__external_id="P2"), actor)

    f1.refresh_from_db()
    assert (f1.outstanding_minor, f1.settled_on, f1.last_receipt_on) == (40000, None, date(2026, 10, 20))
    unpair(Allocation.objects.get(payment__external_id="P1"), actor)
    f1.refresh_from_db()
    assert f1.last_receipt_on is None
