from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.companies.commands import add_company_option, command_company
from arrears.documents.checks import check_templates


class Command(BaseCommand):
    help = "Check every message template in every language with a sample notice."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_company_option(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="render every template x language; report problems and fallbacks")
        check.add_argument("--language", action="append", help="only these languages (repeatable)")

    def handle(self, *args: Any, **opts: Any) -> None:
        company = command_company(opts["company"])
        report = check_templates(company, opts["language"])
        for line in report.lines:
            self.stdout.write(line)
        self.stdout.write(
            f"{report.checked} template(s) checked: {len(report.errors)} error(s), {len(report.fallbacks)} fallback(s)"
        )
        if report.errors:
            raise CommandError(f"{len(report.errors)} template(s) cannot be rendered")
