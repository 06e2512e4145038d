from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.companies.commands import add_company_option, cli_actor, command_company
from arrears.delivery.models import OutboxMessage, PrintBatch
from arrears.delivery.printing import NothingToPrint, confirm_printed, make_batch
from arrears.documents.archive import archive_storage


class Command(BaseCommand):
    help = "Paper letters: collect those waiting into a print batch (one PDF and a list), confirm printing."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_company_option(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("batch", help="put every letter waiting for paper into a new print batch")
        sub.add_parser("list", help="print batches, newest first")
        c = sub.add_parser("confirm", help="mark a batch printed (its letters count as sent)")
        c.add_argument("batch", type=int)

    def handle(self, *args: Any, **opts: Any) -> None:
        company = command_company(opts["company"])
        actor = cli_actor()
        storage = archive_storage()
        try:
            if opts["action"] == "batch":
                batch = make_batch(company, actor)
                self.stdout.write(f"print batch #{batch.pk}: {batch.letters} letters, {batch.pages} pages")
                self.stdout.write(f"  PDF   {storage.path(batch.pdf_path)}")
                self.stdout.write(f"  list  {storage.path(batch.list_path)}")
                self.stdout.write(f"  after printing: arrears print confirm {batch.pk}")
            elif opts["action"] == "list":
                waiting = OutboxMessage.objects.filter(
                    company=company, status=OutboxMessage.Status.PAPER, print_batch__isnull=True
                ).count()
                self.stdout.write(f"{waiting} letters wait for the next batch")
                for b in PrintBatch.objects.filter(company=company)[:20]:
                    state = f"printed {b.printed_at:%Y-%m-%d %H:%M} by {b.printed_by}" if b.printed_at else "to print"
                    self.stdout.write(f"#{b.pk:<5} {b.created_at:%Y-%m-%d %H:%M} {b.letters:>5} letters {state}")
            else:
                found = PrintBatch.objects.filter(company=company, pk=opts["batch"]).first()
                if found is None:
                    raise CommandError(f"no print batch #{opts['batch']}")
                count = confirm_printed(found, actor)
                self.stdout.write(f"print batch #{found.pk}: {count} letters marked printed")
        except NothingToPrint as exc:
            raise CommandError(str(exc)) from None
