from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.companies.services import CompanyNotFound, resolve_company
from arrears.documents.checks import check_templates


class Command(BaseCommand):
    help = "Check every message template in every language with a sample notice."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--company", help="company code (not needed when there is only one)")
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="render every template x language; report problems and fallbacks")
        check.add_argument("--language", action="append", help="only these languages (repeatable)")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            company = resolve_company(opts["company"])
        except CompanyNotFound as exc:
            raise CommandError(str(exc)) from None
        report = check_templates(company, opts["language"])
        for line in report.lines:
            self.stdout.write(line)
        self.stdout.write(
            f"{report.checked} template(s) checked: {len(report.errors)} error(s), {len(report.fallbacks)} fallback(s)"
        )
        if report.errors:
            raise CommandError(f"{len(report.errors)} template(s) cannot be rendered")
