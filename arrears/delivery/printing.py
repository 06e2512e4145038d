"""Print batches: every message waiting on paper becomes one merged PDF to print, plus a list.

Each letter is archived on its own (PDF/A, by hash) as it is rendered; the merged PDF is only the
thing to put in the printer. Letters are ordered by country and postal code (for the post office)
and the list says which pages belong to whom. A batch is marked printed when someone confirms.
"""

from __future__ import annotations

import csv
import io

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from arrears.companies.models import Company
from arrears.core.spreadsheet import safe_cell
from arrears.delivery.models import OutboxMessage, PrintBatch
from arrears.documents.archive import archive_storage
from arrears.documents.batch import letter_batch
from arrears.documents.letters import print_letter
from arrears.history.services import Actor, EventDraft
from arrears.ledger import bulk
from arrears.ledger.allocation_io import write_events
from arrears.ledger.models import Invoice


class NothingToPrint(Exception):
    pass


PAID = "paid meanwhile: every invoice of the notice was settled before printing"


def make_batch(company: Company, actor: Actor) -> PrintBatch:
    batch: PrintBatch | None = None
    with transaction.atomic():
        waiting = list(
            # of=("self",): the notice is joined (nullable, an outer join), and PostgreSQL locks no outer join.
            OutboxMessage.objects.select_for_update(of=("self",))
            .filter(company=company, status=OutboxMessage.Status.PAPER, print_batch__isnull=True)
            .select_related("notice", "notice__customer")
            .order_by("notice__customer__country", "notice__customer__postal_code", "notice__customer__name", "pk")
        )
        # As the worker does for e-mail: a letter about invoices paid since is not printed.
        paid = _paid_meanwhile(waiting, actor)
        waiting = [m for m in waiting if m.pk not in paid]
        if waiting:
            batch = _print(company, waiting, actor)
    if batch is None:  # raised after the commit: the letters found paid stay skipped
        raise NothingToPrint(
            "no letters are waiting to be printed" + (f" ({len(paid)} paid meanwhile)" if paid else "")
        )
    return batch


def _print(company: Company, waiting: list[OutboxMessage], actor: Actor) -> PrintBatch:
    writer = PdfWriter()
    listing = io.StringIO()
    table = csv.writer(listing)
    table.writerow(["message", "notice", "customer", "name", "postal_code", "city", "country", "first_page",
                    "pages", "why_paper"])  # fmt: skip
    page = 1
    with letter_batch():
        for message in waiting:
            notice = message.notice
            assert notice is not None
            letter, _ = print_letter(notice, actor)
            reader = PdfReader(io.BytesIO(letter.pdf))
            writer.append(reader)
            c = notice.customer
            count = len(reader.pages)
            row = [message.pk, notice.pk, c.external_id, c.name, c.postal_code, c.city, c.country,
                   page, count, message.reason]  # fmt: skip
            table.writerow([safe_cell(cell) for cell in row])  # names and cities come from imported data
            page += count
    merged = io.BytesIO()
    writer.write(merged)
    batch = PrintBatch.objects.create(company=company, created_by=actor.label, letters=len(waiting), pages=page - 1)
    storage = archive_storage()
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    batch.pdf_path = storage.save(f"print/{company.code}/batch-{batch.pk}-{stamp}.pdf", ContentFile(merged.getvalue()))
    batch.list_path = storage.save(
        f"print/{company.code}/batch-{batch.pk}-{stamp}.csv", ContentFile(listing.getvalue().encode("utf-8"))
    )
    batch.save(update_fields=["pdf_path", "list_path"])
    OutboxMessage.objects.filter(pk__in=[m.pk for m in waiting]).update(print_batch=batch)
    return batch


def _paid_meanwhile(waiting: list[OutboxMessage], actor: Actor) -> set[int]:
    """Skip the letters whose notice has nothing left to ask for; returns their message ids."""
    notice_ids = {m.notice_id for m in waiting if m.notice_id is not None}
    owing = set(
        Invoice.objects.filter(
            notice_items__notice_id__in=notice_ids, notice_items__excluded=False, outstanding_minor__gt=0
        ).values_list("notice_items__notice_id", flat=True)
    )
    paid = [m for m in waiting if m.notice_id is not None and m.notice_id not in owing]
    if not paid:
        return set()
    now = timezone.now()
    OutboxMessage.objects.filter(pk__in=[m.pk for m in paid]).update(
        status=OutboxMessage.Status.SKIPPED, reason=PAID, updated_at=now
    )
    write_events(
        [
            EventDraft(
                company_id=m.company_id,
                kind="message.skipped",
                customer_id=m.notice.customer_id if m.notice is not None else None,
                summary=f"Notice #{m.notice_id} letter skipped: {PAID}",
                data={"message": m.pk, "notice": m.notice_id},
            )
            for m in paid
        ],
        actor,
        bulk.db_datetime(now),
    )
    return {m.pk for m in paid}


def confirm_printed(batch: PrintBatch, actor: Actor) -> int:
    with transaction.atomic():
        locked = PrintBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.printed_at is not None:
            raise NothingToPrint(f"print batch #{batch.pk} was confirmed on {locked.printed_at:%Y-%m-%d %H:%M}")
        now = timezone.now()
        messages = list(
            OutboxMessage.objects.filter(print_batch=locked, status=OutboxMessage.Status.PAPER).select_related("notice")
        )
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
            status=OutboxMessage.Status.PRINTED, sent_at=now
        )
        locked.printed_at, locked.printed_by = now, actor.label
        locked.save(update_fields=["printed_at", "printed_by"])
        write_events(
            [
                EventDraft(
                    company_id=m.company_id,
                    kind="message.printed",
                    customer_id=m.notice.customer_id if m.notice is not None else None,
                    summary=f"Notice #{m.notice_id} printed as a letter (print batch #{locked.pk})",
                    data={"message": m.pk, "notice": m.notice_id, "batch": locked.pk},
                )
                for m in messages
            ],
            actor,
            bulk.db_datetime(now),
        )
    return len(messages)
