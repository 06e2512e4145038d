"""One import: all files, one transaction, all or nothing.

Rows are validated and written a chunk at a time so that memory stays flat on a million rows.
After the first error nothing more is written, but the files are read to the end so that the
user gets every error at once (up to a cap); then the transaction is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from arrears.companies.models import Company
from arrears.history.services import Actor, EventDraft, record
from arrears.ledger.allocation_io import AllocationSummary, allocate_receipts
from arrears.ledger.imports.context import ImportContext
from arrears.ledger.imports.customers import CustomerHandler
from arrears.ledger.imports.errors import FieldError, ImportFailed
from arrears.ledger.imports.invoices import InvoiceHandler
from arrears.ledger.imports.payments import PaymentHandler
from arrears.ledger.imports.readers import (
    Source,
    SourceError,
    count_records,
    discover,
    read_csv,
    read_json,
    read_jsonl,
    sha256_of,
)
from arrears.ledger.models import ImportBatch


class Handler(Protocol):
    kind: str
    columns: dict[str, bool]

    def parse(self, raw: dict[str, Any]) -> Any: ...
    def accept(self, record: Any, file: str) -> bool: ...
    def write(self, records: list[Any], file: str) -> None: ...


@dataclass
class ImportReport:
    batch_id: int
    counts: dict[str, dict[str, int]]
    allocation: AllocationSummary
    files: list[dict[str, str]] = field(default_factory=list)


def run_import(
    company: Company,
    paths: list[Path],
    actor: Actor,
    *,
    progress: bool = False,
    chunk_size: int | None = None,
    on_progress: Callable[[str, int], None] | None = None,
) -> ImportReport:
    """Import customers, invoices and payments from files or folders; raises ImportFailed on any error."""
    try:
        sources = discover(paths)
    except SourceError as exc:
        raise ImportFailed([exc.error], 1) from None
    with transaction.atomic():
        batch = ImportBatch.objects.create(company=company, actor_label=actor.label)
        ctx = ImportContext(company, actor, batch, chunk_size or settings.ARREARS_CHUNK_SIZE)
        handlers: dict[str, Handler] = {
            "customers": CustomerHandler(ctx),
            "invoices": InvoiceHandler(ctx),
            "payments": PaymentHandler(ctx),
        }
        files = []
        for source in sources:
            files.append({"name": source.name, "sha256": sha256_of(source.path)})
            _import_source(ctx, source, handlers, progress, on_progress)
        invoices = handlers["invoices"]
        assert isinstance(invoices, InvoiceHandler)
        payments = handlers["payments"]
        assert isinstance(payments, PaymentHandler)
        allocation = payments.allocation
        if ctx.writing and invoices.credit_notes:
            allocation.add(allocate_receipts(company.pk, invoices.credit_notes, actor, batch.pk))
        if not ctx.writing:
            raise ImportFailed(ctx.errors, ctx.error_total)
        counts = {kind: dict(c) for kind, c in ctx.counts.items()}
        batch.files, batch.counts = files, counts
        batch.status, batch.finished_at = ImportBatch.Status.DONE, timezone.now()
        batch.save()
        record(
            EventDraft(
                company_id=company.pk,
                kind="import.completed",
                summary=f"Import #{batch.pk} of {', '.join(f['name'] for f in files)}: "
                + "; ".join(
                    f"{kind} " + ", ".join(f"{n} {what}" for what, n in sorted(c.items())) for kind, c in counts.items()
                ),
                data={"import_batch": batch.pk, "counts": counts, "files": files},
            ),
            actor,
        )
    return ImportReport(batch.pk, counts, allocation, files)


def _records(source: Source, handlers: dict[str, Handler]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    if source.format == "csv":
        for line, raw in read_csv(source, handlers[source.kind].columns):
            yield source.kind, line, raw
    elif source.format == "jsonl":
        for line, raw in read_jsonl(source, handlers[source.kind].columns):
            yield source.kind, line, raw
    else:
        yield from read_json(source, {kind: h.columns for kind, h in handlers.items()})


def _import_source(
    ctx: ImportContext,
    source: Source,
    handlers: dict[str, Handler],
    progress: bool,
    on_progress: Callable[[str, int], None] | None,
) -> None:
    bar = tqdm(
        total=count_records(source),
        desc=source.name,
        unit=" rows",
        disable=not progress,
        unit_scale=True,
        dynamic_ncols=True,
        leave=True,
    )
    pending: list[Any] = []
    pending_kind = ""

    def flush() -> None:
        if pending and ctx.writing:
            handlers[pending_kind].write(pending, source.name)
        if on_progress is not None and pending:
            on_progress(source.name, len(pending))
        bar.update(len(pending))
        pending.clear()

    try:
        for kind, line, raw in _records(source, handlers):
            if kind != pending_kind:
                flush()
                pending_kind = kind
            handler = handlers[kind]
            try:
                parsed = handler.parse(raw)
            except FieldError as exc:
                name, message = exc.args if len(exc.args) == 2 else ("", str(exc))
                ctx.error(source.name, line, name, message)
                continue
            parsed.line = line
            if handler.accept(parsed, source.name):
                pending.append(parsed)
            if len(pending) >= ctx.chunk_size:
                flush()
        flush()
    except SourceError as exc:
        ctx.error(exc.error.file, exc.error.line, exc.error.field, exc.error.message)
    finally:
        bar.close()
