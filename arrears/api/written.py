"""The answer to a bulk write: what the import did."""

from __future__ import annotations

from typing import Any

from ninja import Schema

from arrears.ledger.imports.runner import ImportReport


class Counts(Schema):
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class AllocationOut(Schema):
    """The automatic matching of the new payments and credit notes (docs/payments.md)."""

    allocations: int
    settled_invoices: int
    credit_receipts: int


class BulkWritten(Schema):
    import_batch: int
    counts: Counts
    allocation: AllocationOut


def allocation_out(report: ImportReport) -> AllocationOut:
    a = report.allocation
    return AllocationOut(
        allocations=a.allocations, settled_invoices=a.settled_invoices, credit_receipts=a.credit_receipts
    )


def bulk_written(report: ImportReport, kind: str) -> dict[str, Any]:
    return BulkWritten(
        import_batch=report.batch_id, counts=Counts(**report.counts.get(kind, {})), allocation=allocation_out(report)
    ).model_dump(mode="json")
