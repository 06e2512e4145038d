"""Pairing and un-pairing by hand, as on an ERP's customer card."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import F, Max

from arrears.core.allocation import Candidate, Method, Outcome, Share, manual_pairing_amount
from arrears.core.money import format_minor
from arrears.history.services import Actor, EventDraft, record
from arrears.ledger.allocation_io import AllocationPlan, AllocationSummary, PendingReceipt
from arrears.ledger.models import Allocation, Invoice, Payment


class PairingError(ValueError):
    pass


def pair(payment: Payment, invoice: Invoice, actor: Actor, amount: int | None = None) -> Allocation:
    """Apply (part of) a payment's unallocated money to an invoice of the same customer and currency."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if payment.customer_id != invoice.customer_id:
            raise PairingError(
                f"payment {payment.external_id} and invoice {invoice.number} belong to different customers"
            )
        if payment.currency != invoice.currency:
            raise PairingError(
                f"payment {payment.external_id} is in {payment.currency}, invoice "
                f"{invoice.number} in {invoice.currency}"
            )
        if invoice.kind != Invoice.Kind.INVOICE:
            raise PairingError(f"{invoice.number} is a credit note; payments pair with invoices")
        try:
            share = manual_pairing_amount(
                payment.unallocated_minor, invoice.outstanding_minor, amount, payment.currency
            )
        except ValueError as exc:
            raise PairingError(str(exc)) from None
        receipt = PendingReceipt(
            "payment",
            payment.pk,
            payment.external_id,
            payment.customer_id,
            payment.currency,
            share,
            payment.reference,
            payment.received_on,
        )
        candidate = Candidate(
            invoice.pk,
            invoice.number,
            invoice.variable_symbol,
            invoice.currency,
            invoice.issue_date,
            invoice.due_date,
            invoice.outstanding_minor,
        )
        plan = AllocationPlan(payment.company_id, None)
        plan.add(receipt, Outcome((Share(invoice.pk, share, Method.MANUAL),), 0, "manual"), {invoice.pk: candidate})
        plan.write(actor, AllocationSummary())
        return Allocation.objects.filter(payment=payment, invoice=invoice).latest("id")


def unpair(allocation: Allocation, actor: Actor) -> None:
    """Undo an allocation: the money returns to the payment (or credit note) as unallocated credit."""
    with transaction.atomic():
        # No select_related: payment and credit_note are nullable, and PostgreSQL refuses FOR UPDATE
        # on the nullable side of an outer join. The rows used are read and locked one by one below.
        allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
        invoice = Invoice.objects.select_for_update().get(pk=allocation.invoice_id)
        amount = allocation.amount_minor
        Invoice.objects.filter(pk=invoice.pk).update(
            allocated_minor=invoice.allocated_minor - amount,
            outstanding_minor=invoice.outstanding_minor + amount,
            settled_on=None,
        )
        if allocation.payment_id is not None:
            payment = Payment.objects.select_for_update().get(pk=allocation.payment_id)
            Payment.objects.filter(pk=payment.pk).update(
                allocated_minor=payment.allocated_minor - amount,
                unallocated_minor=payment.unallocated_minor + amount,
            )
            source = f"payment {payment.external_id}"
        else:
            assert allocation.credit_note_id is not None  # the check constraint guarantees one source
            note = Invoice.objects.select_for_update().get(pk=allocation.credit_note_id)
            Invoice.objects.filter(pk=note.pk).update(
                allocated_minor=note.allocated_minor - amount,
                outstanding_minor=note.outstanding_minor + amount,
                settled_on=None,
            )
            source = f"credit note {note.number}"
        was_settled = invoice.outstanding_minor == 0
        allocation.delete()
        Invoice.objects.filter(pk=invoice.pk).update(last_receipt_on=latest_receipt_on(invoice.pk))
        if allocation.credit_note_id is not None:
            still_applied = Allocation.objects.filter(credit_note_id=allocation.credit_note_id).exists()
            Invoice.objects.filter(pk=allocation.credit_note_id).update(
                last_receipt_on=F("issue_date") if still_applied else None
            )
        money = f"{format_minor(amount, allocation.currency)} {allocation.currency}"
        record(
            EventDraft(
                company_id=invoice.company_id,
                kind="allocation.removed",
                summary=f"Un-paired {money} of {source} from {invoice.number}"
                + ("; the invoice is open again" if was_settled else ""),
                customer_id=invoice.customer_id,
                invoice_id=invoice.pk,
                payment_id=allocation.payment_id,
                data={
                    "amount_minor": amount,
                    "currency": allocation.currency,
                    "method": allocation.method,
                    "source": source,
                },
            ),
            actor,
        )


def latest_receipt_on(invoice_id: int) -> date | None:
    """The day of the latest payment or credit note still applied to an invoice."""
    days = Allocation.objects.filter(invoice_id=invoice_id).aggregate(
        paid=Max("payment__received_on"), credited=Max("credit_note__issue_date")
    )
    known = [day for day in days.values() if day is not None]
    return max(known) if known else None
