from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.companies.commands import add_company_option, command_company
from arrears.core.calendar import WEEKDAY_NAMES
from arrears.core.money import format_minor
from arrears.dunning.policies import PolicyFileError, load_policy_file, read_policy_file, stored_policies


class Command(BaseCommand):
    help = "Load dunning policies from a policy file (TOML, kept in version control) or show them."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_company_option(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="store the policies and assignments of a policy file")
        load.add_argument("file", type=Path)
        check = sub.add_parser("check", help="validate a policy file without storing it")
        check.add_argument("file", type=Path)
        sub.add_parser("show", help="the stored policies, level by level")

    def handle(self, *args: Any, **opts: Any) -> None:
        company = command_company(opts["company"])
        if opts["action"] in ("load", "check"):
            try:
                parsed = read_policy_file(opts["file"])
            except (PolicyFileError, FileNotFoundError) as exc:
                raise CommandError(str(exc)) from None
            if opts["action"] == "check":
                self.stdout.write(f"{opts['file']}: {len(parsed.policies)} policies, all valid")
                return
            try:
                changes = load_policy_file(company, parsed)
            except PolicyFileError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write("\n".join(changes) if changes else "nothing changed")
            return
        policies = stored_policies(company)
        if not policies.policies:
            self.stdout.write("no policies yet: arrears policy load FILE")
        for code, p in policies.policies.items():
            star = " (default)" if code == policies.default else ""
            days = ", ".join(WEEKDAY_NAMES[d][:3] for d in sorted(p.weekdays))
            self.stdout.write(
                f"{code} v{p.version}{star}: {p.name}; sends on {days}"
                + ("; business days only" if p.business_days_only else "")
                + f"; pay within {p.payment_days} days"
            )
            if p.pre_due:
                self.stdout.write(f"  pre-due: {p.pre_due.days_before} days before the due date")
            for lv in p.levels:
                repeat = f", repeat every {lv.repeat_every_days} d at most {lv.repeat_max}x" if lv.repeat_max else ""
                minimum = ", ".join(f"{format_minor(v, c)} {c}" for c, v in lv.min_amounts.items())
                self.stdout.write(
                    f"  {lv.number}. {lv.name}: {lv.days_after_due} d after due, {lv.min_days_since_previous} d "
                    f"after the previous notice{repeat}; {lv.channel.value}; template {lv.template}"
                    + (f"; min {minimum}" if minimum else "")
                    + (f"; then {lv.action.value}" if lv.action != "none" else "")
                )
