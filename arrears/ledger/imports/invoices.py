"""Upsert of invoices and credit notes (a negative amount makes a credit note)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from arrears.core.money import format_minor
from arrears.customers.models import Customer
from arrears.history.services import EventDraft
from arrears.ledger import bulk
from arrears.ledger.allocation_io import PendingReceipt, write_events
from arrears.ledger.imports import fields as f
from arrears.ledger.imports.context import ImportContext
from arrears.ledger.imports.errors import FieldError
from arrears.ledger.models import Invoice

COLUMNS = {
    "number": True,
    "customer_id": True,
    "issue_date": True,
    "due_date": True,
    "currency": True,
    "amount": True,
    "variable_symbol": False,
    "reference": False,
    "document_url": False,
    "dunning_enabled": False,
    "paused_until": False,
}
_OPTIONAL_TEXT = {"reference": 64}
_OPTIONAL_FIELDS = ("variable_symbol", "reference", "document_url", "dunning_enabled", "paused_until")
# Fields an import may not change on an invoice that already has payments allocated to it, each
# with the column of the file that carries it (the kind follows the sign of the amount).
_MONEY_FIELDS = {"customer_id": "customer_id", "currency": "currency", "kind": "amount"}


@dataclass(slots=True)
class InvoiceRecord:
    line: int
    number: str
    customer: str
    issue_date: date
    due_date: date
    currency: str
    amount: int
    optional: dict[str, Any]

    @property
    def kind(self) -> str:
        return Invoice.Kind.CREDIT_NOTE if self.amount < 0 else Invoice.Kind.INVOICE


def _field(name: str, parser: Any, raw: dict[str, Any], *args: Any) -> Any:
    try:
        return parser(raw.get(name, ""), *args)
    except FieldError as exc:
        exc.args = (name, str(exc))
        raise


class InvoiceHandler:
    kind = "invoices"
    columns = COLUMNS

    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self._seen_in_chunk: dict[str, int] = {}
        # Ids of invoices that existed before this import and were already met in it: a second
        # copy in a later chunk is a duplicate. Ints, not numbers: ~60 bytes each on a re-import.
        self._seen_existing: set[int] = set()
        self.credit_notes: list[PendingReceipt] = []

    def parse(self, raw: dict[str, Any]) -> InvoiceRecord:
        number = _field("number", f.text, raw, 64, True)
        customer = _field("customer_id", f.text, raw, 64, True)
        issue = _field("issue_date", f.iso_date, raw)
        due = _field("due_date", f.iso_date, raw)
        currency = _field("currency", f.currency, raw)
        amount = _field("amount", f.amount, raw, currency)
        if due < issue:
            raise FieldError("due_date", f"{due.isoformat()} is before the issue date {issue.isoformat()}")
        optional: dict[str, Any] = {}
        for name, length in _OPTIONAL_TEXT.items():
            if name in raw:
                optional[name] = _field(name, f.text, raw, length)
        if "variable_symbol" in raw:
            optional["variable_symbol"] = _field("variable_symbol", f.variable_symbol, raw)
        if "document_url" in raw:
            optional["document_url"] = _field("document_url", f.url, raw)
        if "dunning_enabled" in raw:
            optional["dunning_enabled"] = _field("dunning_enabled", f.boolean, raw)
        if "paused_until" in raw:
            optional["paused_until"] = _field("paused_until", f.iso_date, raw, False)
        return InvoiceRecord(0, number, customer, issue, due, currency, amount, optional)

    def accept(self, record: InvoiceRecord, file: str) -> bool:
        ok = True
        if not self.ctx.knows_customer(record.customer):
            self.ctx.error(
                file,
                record.line,
                "customer_id",
                f"unknown customer {record.customer!r}: import the customer first or add it to the customers file",
            )
            ok = False
        first = self._seen_in_chunk.get(record.number)
        if first is not None:
            where = f"line {first}" if first is not None else "an earlier line"
            self.ctx.error(file, record.line, "number", f"duplicate invoice number {record.number!r}: also on {where}")
            ok = False
        self._seen_in_chunk.setdefault(record.number, record.line)
        return ok

    def write(self, records: list[InvoiceRecord], file: str) -> None:
        self._seen_in_chunk.clear()
        ctx = self.ctx
        existing = {
            row["number"]: row
            for row in Invoice.objects.filter(company=ctx.company, number__in=[r.number for r in records]).values(
                "id",
                "number",
                "customer_id",
                "kind",
                "issue_date",
                "due_date",
                "currency",
                "amount_minor",
                "allocated_minor",
                "settled_on",
                "last_receipt_on",
                "import_batch_id",
                *_OPTIONAL_FIELDS,
            )
        }
        now = bulk.db_datetime(timezone.now())
        new_rows: list[tuple[Any, ...]] = []
        events: list[EventDraft] = []
        new_credit_notes: list[InvoiceRecord] = []
        for record in records:
            customer_id = ctx.customer_ids[record.customer]
            row = existing.get(record.number)
            if row is None:
                opt = record.optional
                outstanding = abs(record.amount)
                new_rows.append(
                    (
                        ctx.company.pk,
                        customer_id,
                        record.number,
                        record.kind,
                        record.issue_date,
                        record.due_date,
                        record.currency,
                        record.amount,
                        0,
                        outstanding,
                        None if outstanding else record.issue_date,
                        None,
                        opt.get("variable_symbol", ""),
                        opt.get("reference", ""),
                        opt.get("dunning_enabled", True),
                        opt.get("paused_until"),
                        False,
                        "",
                        opt.get("document_url", ""),
                        "",
                        ctx.batch.pk,
                        now,
                        now,
                    )
                )
                if record.kind == Invoice.Kind.CREDIT_NOTE:
                    new_credit_notes.append(record)
                continue
            if row["import_batch_id"] == ctx.batch.pk or row["id"] in self._seen_existing:
                ctx.error(
                    file,
                    record.line,
                    "number",
                    f"duplicate invoice number {record.number!r}: also on an earlier line",
                )
                continue
            self._seen_existing.add(row["id"])
            self._update(record, row, customer_id, file, events)
        bulk.insert_rows(
            Invoice,
            [
                "company",
                "customer",
                "number",
                "kind",
                "issue_date",
                "due_date",
                "currency",
                "amount_minor",
                "allocated_minor",
                "outstanding_minor",
                "settled_on",
                "last_receipt_on",
                "variable_symbol",
                "reference",
                "dunning_enabled",
                "paused_until",
                "disputed",
                "dispute_reason",
                "document_url",
                "document_file",
                "import_batch",
                "created_at",
                "updated_at",
            ],
            new_rows,
        )
        ctx.count(self.kind, "created", len(new_rows))
        write_events(events, ctx.actor, now)
        if new_credit_notes:
            ids = dict(
                Invoice.objects.filter(
                    company=ctx.company, number__in=[r.number for r in new_credit_notes]
                ).values_list("number", "id")
            )
            self.credit_notes.extend(
                PendingReceipt(
                    "credit_note",
                    ids[r.number],
                    r.number,
                    ctx.customer_ids[r.customer],
                    r.currency,
                    -r.amount,
                    r.optional.get("reference", ""),
                    r.issue_date,
                )
                for r in new_credit_notes
            )

    def _update(
        self,
        record: InvoiceRecord,
        row: dict[str, Any],
        customer_id: int,
        file: str,
        events: list[EventDraft],
    ) -> None:
        ctx = self.ctx
        wanted: dict[str, Any] = {
            "customer_id": customer_id,
            "kind": record.kind,
            "issue_date": record.issue_date,
            "due_date": record.due_date,
            "currency": record.currency,
            "amount_minor": record.amount,
            **record.optional,
        }
        diff = {k: (row[k], v) for k, v in wanted.items() if row[k] != v}
        if not diff:
            ctx.count(self.kind, "unchanged")
            return
        allocated = row["allocated_minor"]
        if allocated:
            locked = [k for k in _MONEY_FIELDS if k in diff]
            paid = f"{format_minor(allocated, row['currency'])} {row['currency']}"
            if locked:
                ctx.error(
                    file,
                    record.line,
                    _MONEY_FIELDS[locked[0]],
                    f"invoice {record.number} already has {paid} paid or credited: its "
                    f"{', '.join(k.removesuffix('_id') for k in locked)} cannot change; un-pair first",
                )
                return
            if abs(record.amount) < allocated:
                ctx.error(
                    file,
                    record.line,
                    "amount",
                    f"invoice {record.number} already has {paid} paid or "
                    "credited: the amount cannot go below that; un-pair first",
                )
                return
        if not ctx.writing:
            return
        outstanding = abs(record.amount) - allocated
        changes = {k: v for k, (_, v) in diff.items()}
        changes["outstanding_minor"] = outstanding
        if outstanding == 0 and row["settled_on"] is None:
            changes["settled_on"] = row["last_receipt_on"] if allocated else record.issue_date
        elif outstanding > 0:
            changes["settled_on"] = None
        Invoice.objects.filter(pk=row["id"]).update(**changes, updated_at=timezone.now())
        ctx.count(self.kind, "updated")
        described = ", ".join(
            f"{_label(k)}: {_shown(k, old, row['currency'])} -> {_shown(k, new, record.currency)}"
            for k, (old, new) in diff.items()
        )
        events.append(
            EventDraft(
                company_id=ctx.company.pk,
                kind="invoice.updated",
                customer_id=customer_id,
                invoice_id=row["id"],
                summary=f"Invoice {record.number} updated by import #{ctx.batch.pk}: {described}",
                data={
                    "import_batch": ctx.batch.pk,
                    "changes": {k: [str(o), str(n)] for k, (o, n) in diff.items()},
                },
            )
        )


def _label(field_name: str) -> str:
    return {"customer_id": "customer", "amount_minor": "amount"}.get(field_name, field_name)


def _shown(field_name: str, value: Any, currency: str) -> str:
    """A changed value as people read it: the customer's own id, money as a decimal amount."""
    if field_name == "amount_minor":
        return format_minor(value, currency)
    if field_name == "customer_id":
        return str(Customer.objects.filter(pk=value).values_list("external_id", flat=True).first() or value)
    return str(value)
