from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.companies.commands import add_company_option, cli_actor, command_company
from arrears.dunning.policies import PolicyFileError, file_policies, read_policy_file, stored_policies
from arrears.dunning.report import as_csv, as_json
from arrears.dunning.runs import RunRefused, start_run


class Command(BaseCommand):
    help = (
        "Run dunning for a day: decide for every open invoice, create one notice per customer. "
        "--dry-run changes nothing; --review stops at a proposal (see 'arrears review')."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_company_option(parser)
        parser.add_argument("--as-of", type=date.fromisoformat, help="the run's day (default: today, company time)")
        parser.add_argument("--policy-file", type=Path, help="use the policies of this file for this run")
        parser.add_argument("--customer", action="append", help="limit the run to this customer (repeatable)")
        parser.add_argument("--dry-run", action="store_true", help="a proposal that changes nothing")
        parser.add_argument("--review", action="store_true", help="stop at a proposal for review")
        parser.add_argument("--json", action="store_true", help="print the run report as JSON")
        parser.add_argument("--csv", type=Path, help="write the run report as CSV to this file ('-': stdout)")

    def handle(self, *args: Any, **opts: Any) -> None:
        company = command_company(opts["company"])
        if opts["policy_file"]:
            try:
                policies = file_policies(company, read_policy_file(opts["policy_file"]))
            except (PolicyFileError, FileNotFoundError) as exc:
                raise CommandError(str(exc)) from None
        else:
            policies = stored_policies(company)
        as_of = opts["as_of"] or company.today()
        want_report = bool(opts["json"] or opts["csv"])
        try:
            result = start_run(
                company,
                as_of,
                policies,
                cli_actor(),
                customers=opts["customer"],
                dry_run=opts["dry_run"],
                review=opts["review"],
                keep_plans=want_report,
            )
        except RunRefused as exc:
            raise CommandError(str(exc)) from None
        report = as_json(company, result, {"source": policies.source, **policies.versions()}) if want_report else None
        if opts["csv"] and report is not None:
            text = as_csv(report)
            if str(opts["csv"]) == "-":
                sys.stdout.write(text)
            else:
                opts["csv"].write_text(text, encoding="utf-8")
        if opts["json"] and report is not None:
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
            return
        label = "dry run (nothing was changed)" if result.run is None else f"run #{result.run.pk}"
        self.stdout.write(f"{label} for {company.code} on {as_of}: {result.status}")
        if result.message:
            self.stdout.write(f"  {result.message}")
        self.stdout.write(
            f"  looked at {result.decisions} open invoices; {result.notices} notices covering {result.items} invoices"
        )
        if result.status == "proposal" and result.run is not None:
            self.stdout.write(
                f"  review it: arrears review show {result.run.pk}; then arrears review approve {result.run.pk}"
            )
