"""Import of payments: new payments are allocated by the core rules as they are written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from arrears.core.money import format_minor
from arrears.ledger import bulk
from arrears.ledger.allocation_io import AllocationSummary, PendingReceipt, allocate_receipts
from arrears.ledger.imports import fields as f
from arrears.ledger.imports.context import ImportContext
from arrears.ledger.imports.errors import FieldError
from arrears.ledger.models import Payment

COLUMNS = {
    "id": True,
    "customer_id": True,
    "date": True,
    "currency": True,
    "amount": True,
    "invoice_number": False,
    "reference": False,
    "payer_name": False,
    "payer_account": False,
}
# What may differ on a re-import: descriptive fields. Money facts of a payment never change.
_DESCRIPTIVE = ("reference", "payer_name", "payer_account")


@dataclass(slots=True)
class PaymentRecord:
    line: int
    external_id: str
    customer: str
    received_on: date
    currency: str
    amount: int
    reference: str
    payer_name: str
    payer_account: str
    present: frozenset[str] = frozenset(_DESCRIPTIVE)  # descriptive fields the file gives


def _field(name: str, parser: Any, raw: dict[str, Any], *args: Any) -> Any:
    try:
        return parser(raw.get(name, ""), *args)
    except FieldError as exc:
        exc.args = (name, str(exc))
        raise


class PaymentHandler:
    kind = "payments"
    columns = COLUMNS

    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self._seen_in_chunk: dict[str, int] = {}
        self.allocation = AllocationSummary()
        # Ids of payments that existed before this import and were already met in it (see invoices).
        self._seen_existing: set[int] = set()
        self._corrected: list[PendingReceipt] = []  # unpaired payments whose facts a re-import corrected

    def parse(self, raw: dict[str, Any]) -> PaymentRecord:
        external_id = _field("id", f.text, raw, 64, True)
        customer = _field("customer_id", f.text, raw, 64, True)
        received = _field("date", f.iso_date, raw)
        currency = _field("currency", f.currency, raw)
        amount = _field("amount", f.amount, raw, currency)
        if amount <= 0:
            raise FieldError(
                "amount",
                f"{raw.get('amount')!r} is not positive: a payment brings money in (refunds are not payments)",
            )
        # The invoice number column is the structured reference; free text may add more.
        reference = " ".join(
            part for part in (_field("invoice_number", f.text, raw, 64), _field("reference", f.text, raw, 140)) if part
        )[:140]
        # A column the file does not have leaves the stored value alone on a re-import.
        present: set[str] = {name for name in ("payer_name", "payer_account") if name in raw}
        if "invoice_number" in raw or "reference" in raw:
            present.add("reference")
        return PaymentRecord(
            0,
            external_id,
            customer,
            received,
            currency,
            amount,
            reference,
            _field("payer_name", f.text, raw, 200),
            _field("payer_account", f.text, raw, 64),
            frozenset(present),
        )

    def accept(self, record: PaymentRecord, file: str) -> bool:
        ok = True
        if not self.ctx.knows_customer(record.customer):
            self.ctx.error(
                file,
                record.line,
                "customer_id",
                f"unknown customer {record.customer!r}: import the customer first or add it to the customers file",
            )
            ok = False
        first = self._seen_in_chunk.get(record.external_id)
        if first is not None:
            self.ctx.error(
                file, record.line, "id", f"duplicate payment id {record.external_id!r}: also on line {first}"
            )
            ok = False
        self._seen_in_chunk.setdefault(record.external_id, record.line)
        return ok

    def write(self, records: list[PaymentRecord], file: str) -> None:
        self._seen_in_chunk.clear()
        ctx = self.ctx
        existing = {
            row["external_id"]: row
            for row in Payment.objects.filter(
                company=ctx.company, external_id__in=[r.external_id for r in records]
            ).values(
                "id",
                "external_id",
                "customer_id",
                "customer__external_id",
                "received_on",
                "currency",
                "amount_minor",
                "allocated_minor",
                "import_batch_id",
                *_DESCRIPTIVE,
            )
        }
        now = bulk.db_datetime(timezone.now())
        new: list[PaymentRecord] = []
        for record in records:
            customer_id = ctx.customer_ids[record.customer]
            row = existing.get(record.external_id)
            if row is None:
                new.append(record)
                continue
            if row["import_batch_id"] == ctx.batch.pk or row["id"] in self._seen_existing:
                ctx.error(
                    file,
                    record.line,
                    "id",
                    f"duplicate payment id {record.external_id!r}: also on an earlier line",
                )
                continue
            self._seen_existing.add(row["id"])
            self._compare(record, row, customer_id, file)
        if not ctx.writing:
            return
        bulk.insert_rows(
            Payment,
            [
                "company",
                "external_id",
                "customer",
                "received_on",
                "currency",
                "amount_minor",
                "allocated_minor",
                "unallocated_minor",
                "reference",
                "payer_name",
                "payer_account",
                "import_batch",
                "created_at",
            ],
            [
                (
                    ctx.company.pk,
                    r.external_id,
                    ctx.customer_ids[r.customer],
                    r.received_on,
                    r.currency,
                    r.amount,
                    0,
                    r.amount,
                    r.reference,
                    r.payer_name,
                    r.payer_account,
                    ctx.batch.pk,
                    now,
                )
                for r in new
            ],
        )
        ctx.count(self.kind, "created", len(new))
        corrected, self._corrected = self._corrected, []
        if not new and not corrected:
            return
        ids = dict(
            Payment.objects.filter(company=ctx.company, external_id__in=[r.external_id for r in new]).values_list(
                "external_id", "id"
            )
        )
        receipts = [
            PendingReceipt(
                "payment",
                ids[r.external_id],
                r.external_id,
                ctx.customer_ids[r.customer],
                r.currency,
                r.amount,
                r.reference,
                r.received_on,
            )
            for r in new
        ]
        receipts.extend(corrected)
        self.allocation.add(allocate_receipts(ctx.company.pk, receipts, ctx.actor, ctx.batch.pk))

    def _compare(self, record: PaymentRecord, row: dict[str, Any], customer_id: int, file: str) -> None:
        ctx = self.ctx
        # Each fact: the column of the file that carries it, its value in the file, and as shown to people.
        facts = {
            "customer_id": ("customer_id", customer_id, row["customer__external_id"]),
            "received_on": ("date", record.received_on, row["received_on"]),
            "currency": ("currency", record.currency, row["currency"]),
            "amount_minor": ("amount", record.amount, format_minor(row["amount_minor"], row["currency"])),
        }
        changed_facts = [(name, column, shown) for name, (column, value, shown) in facts.items() if row[name] != value]
        if changed_facts and row["allocated_minor"]:
            _, column, shown = changed_facts[0]
            ctx.error(
                file,
                record.line,
                column,
                f"payment {record.external_id} was imported before with {shown} and is paired with invoices: "
                "its customer, date, currency and amount cannot change; un-pair it first "
                f"(arrears payment unpair {record.external_id} INVOICE)",
            )
            return
        wanted = {
            "reference": record.reference,
            "payer_name": record.payer_name,
            "payer_account": record.payer_account,
        }
        diff: dict[str, Any] = {k: v for k, v in wanted.items() if k in record.present and row[k] != v}
        if changed_facts:
            # Nothing of it is paired yet: the corrected payment is placed again by the rules.
            diff.update(
                customer_id=customer_id,
                received_on=record.received_on,
                currency=record.currency,
                amount_minor=record.amount,
                unallocated_minor=record.amount,
            )
        if not diff:
            ctx.count(self.kind, "unchanged")
            return
        if not ctx.writing:
            return
        # Descriptive fields only change what people read: allocations made earlier stay as they are.
        Payment.objects.filter(pk=row["id"]).update(**diff)
        ctx.count(self.kind, "updated")
        if changed_facts:
            self._corrected.append(
                PendingReceipt(
                    "payment",
                    row["id"],
                    record.external_id,
                    customer_id,
                    record.currency,
                    record.amount,
                    diff.get("reference", row["reference"]),
                    record.received_on,
                )
            )
