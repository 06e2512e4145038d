from __future__ import annotations

import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.companies.commands import add_company_option, cli_actor, command_company
from arrears.ledger.imports.errors import ImportFailed
from arrears.ledger.imports.runner import run_import


class Command(BaseCommand):
    help = (
        "Import customers, invoices and payments from CSV, JSON or JSON Lines files (or folders holding "
        "customers.*, invoices.*, payments.*). All or nothing: on any error nothing is written."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="files or folders")
        add_company_option(parser)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **opts: Any) -> None:
        company = command_company(opts["company"])
        started = time.monotonic()
        try:
            report = run_import(
                company,
                opts["paths"],
                cli_actor(),
                progress=not opts["no_progress"] and sys.stderr.isatty(),
            )
        except ImportFailed as exc:
            raise CommandError(str(exc)) from None
        took = time.monotonic() - started
        self.stdout.write(f"import #{report.batch_id} into {company.code} finished in {took:.1f} s")
        for kind, counts in report.counts.items():
            parts = ", ".join(f"{counts.get(k, 0)} {k}" for k in ("created", "updated", "unchanged"))
            self.stdout.write(f"  {kind:<10} {parts}")
        a = report.allocation
        self.stdout.write(
            f"  allocated  {a.allocations} allocations, {a.settled_invoices} invoices settled, "
            f"{a.credit_receipts} receipts left (partly) as customer credit"
        )
