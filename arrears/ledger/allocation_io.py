"""Applying received money to invoices, in bulk, using the pure rules of arrears.core.allocation.

Used by imports (thousands of payments a chunk), by single payments and credit notes, and by
hand-made pairings. Reads the candidate invoices of the paying customers once per chunk, lets the
core decide, then writes allocations, balances and history with a handful of statements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.utils import timezone

from arrears.core.allocation import (
    Candidate,
    Method,
    Outcome,
    Receipt,
    allocate_in_sequence,
    lookup_keys,
    named_invoices,
)
from arrears.core.money import format_minor
from arrears.history.models import Event
from arrears.history.services import Actor, EventDraft
from arrears.ledger import bulk
from arrears.ledger.models import Allocation, Invoice, Payment


@dataclass(frozen=True, slots=True)
class PendingReceipt:
    """Money to place: the unallocated part of a payment, or the unapplied part of a credit note."""

    source: str  # "payment" or "credit_note"
    source_id: int
    label: str  # payment external id or credit note number, for people
    customer_id: int
    currency: str
    amount: int
    reference: str
    received_on: date


@dataclass
class AllocationSummary:
    allocations: int = 0
    settled_invoices: int = 0
    credit_receipts: int = 0

    def add(self, other: AllocationSummary) -> None:
        self.allocations += other.allocations
        self.settled_invoices += other.settled_invoices
        self.credit_receipts += other.credit_receipts


def _candidates(company_id: int, receipts: Sequence[PendingReceipt]) -> dict[int, list[Candidate]]:
    """What the core needs to decide these receipts, and no more.

    First the invoices the references name (whatever their state: naming a settled invoice still
    decides by rule a). Then, only for customers with a receipt that names nothing, their open
    invoices (rule b). Loading every open invoice of every paying customer would read most of the
    ledger once per chunk. Each query is narrow and uses its own index.
    """
    customer_ids = {r.customer_id for r in receipts}
    numbers, symbols = lookup_keys(r.reference for r in receipts if r.reference)
    invoices = Invoice.objects.filter(company_id=company_id, kind=Invoice.Kind.INVOICE).select_for_update()
    by_customer: dict[int, dict[int, Candidate]] = defaultdict(dict)

    def load(selection: Any) -> None:
        for inv_id, customer_id, number, symbol, currency, issued, due, outstanding in selection.values_list(
            "id", "customer_id", "number", "variable_symbol", "currency", "issue_date", "due_date", "outstanding_minor"
        ):
            if customer_id in customer_ids:
                by_customer[customer_id][inv_id] = Candidate(inv_id, number, symbol, currency, issued, due, outstanding)

    if numbers:
        load(invoices.filter(number__in=numbers))
    if symbols:
        # The explicit "not empty" matches the partial index's condition, so the planner uses it.
        load(invoices.filter(variable_symbol__in=symbols).exclude(variable_symbol=""))
    unnamed = {
        r.customer_id
        for r in receipts
        if not r.reference or not named_invoices(r.reference, by_customer[r.customer_id].values(), r.currency)
    }
    if unnamed:
        # By customer alone (the customer implies the company): with company_id in the WHERE,
        # SQLite without statistics walks every open invoice of the company instead.
        load(
            Invoice.objects.filter(
                customer_id__in=unnamed, kind=Invoice.Kind.INVOICE, outstanding_minor__gt=0
            ).select_for_update()
        )
    return {customer_id: list(found.values()) for customer_id, found in by_customer.items()}


def allocate_receipts(
    company_id: int,
    receipts: Sequence[PendingReceipt],
    actor: Actor,
    import_batch_id: int | None = None,
) -> AllocationSummary:
    """Place every receipt by the core rules and write the result. Call inside a transaction."""
    summary = AllocationSummary()
    if not receipts:
        return summary
    candidates = _candidates(company_id, receipts)
    numbers = {c.invoice_id: c for group in candidates.values() for c in group}
    by_customer: dict[int, list[PendingReceipt]] = defaultdict(list)
    for receipt in receipts:
        by_customer[receipt.customer_id].append(receipt)

    plan = AllocationPlan(company_id, import_batch_id)
    for customer_id, own in by_customer.items():
        outcomes = allocate_in_sequence(
            [Receipt(r.currency, r.amount, r.reference) for r in own], candidates.get(customer_id, [])
        )
        for receipt, outcome in zip(own, outcomes, strict=True):
            plan.add(receipt, outcome, numbers)
    plan.write(actor, summary)
    return summary


# Apply money to an invoice (or apply a credit note): move `delta` from outstanding to allocated,
# keep the latest receipt date, and when the outstanding amount reaches zero the document is
# settled on the latest of all its receipt dates, not on the date of whichever receipt happened
# to be applied last (an import applies credit notes after payments). All right-hand sides see
# the row as it was before the UPDATE, in SQLite and PostgreSQL alike.
_LATER = "CASE WHEN last_receipt_on IS NULL OR last_receipt_on < %s THEN %s ELSE last_receipt_on END"
_APPLY_TO_DOCUMENT = (
    f"UPDATE {Invoice._meta.db_table} SET allocated_minor = allocated_minor + %s, "
    f"outstanding_minor = outstanding_minor - %s, last_receipt_on = {_LATER}, "
    f"settled_on = CASE WHEN outstanding_minor = %s THEN {_LATER} ELSE settled_on END WHERE id = %s"
)


class AllocationPlan:
    """What one chunk of allocations will write, gathered first so that it is written in bulk."""

    def __init__(self, company_id: int, import_batch_id: int | None) -> None:
        self.company_id = company_id
        self.import_batch_id = import_batch_id
        self.allocation_rows: list[tuple[Any, ...]] = []
        self.invoice_delta: dict[int, int] = defaultdict(int)
        self.invoice_settled: set[int] = set()
        self.invoice_latest: dict[int, date] = {}
        self.invoice_left: dict[int, int] = {}
        self.source_delta: dict[tuple[str, int], int] = defaultdict(int)
        self.source_dated: dict[tuple[str, int], date] = {}
        self.events: list[EventDraft] = []

    def add(self, receipt: PendingReceipt, outcome: Outcome, invoices: dict[int, Candidate]) -> None:
        money = format_minor
        for share in outcome.shares:
            invoice = invoices[share.invoice_id]
            left = self.invoice_left.get(share.invoice_id, invoice.outstanding) - share.amount
            self.invoice_left[share.invoice_id] = left
            self.invoice_delta[share.invoice_id] += share.amount
            if left == 0:
                self.invoice_settled.add(share.invoice_id)
            latest = self.invoice_latest.get(share.invoice_id)
            if latest is None or receipt.received_on > latest:
                self.invoice_latest[share.invoice_id] = receipt.received_on
            self.source_delta[(receipt.source, receipt.source_id)] += share.amount
            self.source_dated[(receipt.source, receipt.source_id)] = receipt.received_on
            self.allocation_rows.append(
                (
                    receipt.source,
                    receipt.source_id,
                    share.invoice_id,
                    receipt.currency,
                    share.amount,
                    share.method,
                )
            )
            how = {Method.REFERENCE: "by reference", Method.EXACT_AMOUNT: "by exact amount"}.get(
                share.method, "by hand"
            )
            what = "Payment" if receipt.source == "payment" else "Credit note"
            settled = f"; {invoice.number} is settled" if left == 0 else ""
            self.events.append(
                EventDraft(
                    company_id=self.company_id,
                    kind="allocation.created",
                    summary=(
                        f"{what} {receipt.label} of {receipt.received_on.isoformat()} applied "
                        f"{money(share.amount, receipt.currency)} {receipt.currency} to {invoice.number} {how}{settled}"
                    ),
                    customer_id=receipt.customer_id,
                    invoice_id=share.invoice_id,
                    payment_id=receipt.source_id if receipt.source == "payment" else None,
                    data={
                        "source": receipt.source,
                        "source_id": receipt.source_id,
                        "amount_minor": share.amount,
                        "currency": receipt.currency,
                        "method": str(share.method),
                        "settled": left == 0,
                    },
                )
            )
        if outcome.credit:
            why = {
                "reference": "more than the invoices named in its reference still owed",
                "credit": "no reference named an open invoice and no open invoice has exactly this amount",
            }.get(outcome.rule, outcome.rule)
            self.events.append(
                EventDraft(
                    company_id=self.company_id,
                    kind="receipt.credit",
                    summary=(
                        f"{money(outcome.credit, receipt.currency)} {receipt.currency} of "
                        f"{'payment' if receipt.source == 'payment' else 'credit note'} {receipt.label} "
                        f"kept as customer credit: {why}"
                    ),
                    customer_id=receipt.customer_id,
                    payment_id=receipt.source_id if receipt.source == "payment" else None,
                    invoice_id=receipt.source_id if receipt.source == "credit_note" else None,
                    data={"credit_minor": outcome.credit, "currency": receipt.currency, "rule": outcome.rule},
                )
            )

    def write(self, actor: Actor, summary: AllocationSummary) -> None:
        now = bulk.db_datetime(timezone.now())
        user_id = actor.user.pk if actor.user is not None else None
        rows = [
            (
                self.company_id,
                invoice_id,
                source_id if source == "payment" else None,
                source_id if source == "credit_note" else None,
                currency,
                amount,
                str(method),
                now,
                user_id,
                self.import_batch_id,
            )
            for source, source_id, invoice_id, currency, amount, method in self.allocation_rows
        ]
        bulk.insert_rows(
            Allocation,
            [
                "company",
                "invoice",
                "payment",
                "credit_note",
                "currency",
                "amount_minor",
                "method",
                "created_at",
                "created_by",
                "import_batch",
            ],
            rows,
        )
        _apply_to_documents(
            [(invoice_id, delta, self.invoice_latest[invoice_id]) for invoice_id, delta in self.invoice_delta.items()]
        )
        _apply_to_payments([(sid, d) for (src, sid), d in self.source_delta.items() if src == "payment"])
        # A credit note is "settled" once fully applied; its day is the credit note's own date.
        _apply_to_documents(
            [
                (sid, d, self.source_dated[(src, sid)])
                for (src, sid), d in self.source_delta.items()
                if src == "credit_note"
            ]
        )
        write_events(self.events, actor, now)
        summary.allocations += len(rows)
        summary.settled_invoices += len(self.invoice_settled)
        summary.credit_receipts += sum(1 for e in self.events if e.kind == "receipt.credit")


_LATER_PG = "CASE WHEN t.last_receipt_on IS NULL OR t.last_receipt_on < v.day THEN v.day ELSE t.last_receipt_on END"


def _apply_to_documents(rows: list[tuple[int, int, date]]) -> None:
    """(document id, delta, receipt day) for each invoice or credit note that money was applied to."""
    if connection.vendor == "postgresql":
        bulk.update_from_values(
            Invoice,
            "id",
            [("delta", "bigint"), ("day", "date")],
            "allocated_minor = t.allocated_minor + v.delta, outstanding_minor = t.outstanding_minor - v.delta, "
            f"last_receipt_on = {_LATER_PG}, "
            f"settled_on = CASE WHEN t.outstanding_minor = v.delta THEN {_LATER_PG} ELSE t.settled_on END",
            rows,
        )
        return
    bulk.execute_many(_APPLY_TO_DOCUMENT, [(d, d, day, day, d, day, day, doc) for doc, d, day in rows])


def _apply_to_payments(rows: list[tuple[int, int]]) -> None:
    """(payment id, delta) for each payment whose money was applied."""
    if connection.vendor == "postgresql":
        bulk.update_from_values(
            Payment,
            "id",
            [("delta", "bigint")],
            "allocated_minor = t.allocated_minor + v.delta, unallocated_minor = t.unallocated_minor - v.delta",
            rows,
        )
        return
    bulk.execute_many(
        f"UPDATE {bulk.table(Payment)} SET allocated_minor = allocated_minor + %s, "
        "unallocated_minor = unallocated_minor - %s WHERE id = %s",
        [(d, d, pid) for pid, d in rows],
    )


def write_events(drafts: Sequence[EventDraft], actor: Actor, now: Any) -> None:
    """Bulk-insert history events (the hot-path twin of history.services.record_many)."""
    user_id = actor.user.pk if actor.user is not None else None
    bulk.insert_rows(
        Event,
        [
            "company",
            "customer",
            "invoice",
            "payment",
            "kind",
            "at",
            "actor",
            "actor_label",
            "summary",
            "data",
        ],
        [
            (
                d.company_id,
                d.customer_id,
                d.invoice_id,
                d.payment_id,
                d.kind,
                bulk.db_datetime(d.at) if d.at else now,
                user_id,
                actor.label,
                d.summary[:500],
                bulk.db_json(d.data),
            )
            for d in drafts
        ],
    )
