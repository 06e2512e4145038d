from __future__ import annotations

from argparse import ArgumentParser, ArgumentTypeError
from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand

from arrears.companies.commands import add_company_option, command_company
from arrears.delivery.models import RunSchedule


class Command(BaseCommand):
    help = "The company's automatic dunning run, started by `arrears worker` at a time of day."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_company_option(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        s = sub.add_parser("set", help="run every day at a time (local time of the company)")
        s.add_argument("--at", required=True, type=_time_of_day, help="H:MM or HH:MM in the company's time zone")
        s.add_argument("--review", action="store_true", help="stop at a proposal for review instead of sending")
        s.add_argument("--no-report", action="store_true", help="do not e-mail the credit controller a report")
        sub.add_parser("show", help="the schedule")
        sub.add_parser("off", help="no automatic runs")

    def handle(self, *args: Any, **opts: Any) -> None:
        company = command_company(opts["company"])
        schedule = RunSchedule.objects.filter(company=company).first()
        if opts["action"] == "set":
            schedule, _ = RunSchedule.objects.update_or_create(
                company=company,
                defaults={
                    "enabled": True,
                    "time_of_day": opts["at"],
                    "review_first": opts["review"],
                    "send_report": not opts["no_report"],
                },
            )
            if schedule.send_report and not company.credit_controller_email:
                self.stderr.write("note: the company has no credit controller e-mail; reports cannot be sent")
        elif opts["action"] == "off" and schedule is not None:
            schedule.enabled = False
            schedule.save(update_fields=["enabled"])
        if schedule is None:
            self.stdout.write("no automatic runs")
            return
        if not schedule.enabled:
            self.stdout.write("automatic runs are off")
            return
        self.stdout.write(
            f"every day at {schedule.time_of_day:%H:%M} {company.time_zone} (on the policies' sending days); "
            f"{'stops at a proposal for review' if schedule.review_first else 'sends at once'}; "
            f"report to {company.credit_controller_email or 'nobody'}; "
            f"last started {schedule.last_started_on or 'never'}"
        )


def _time_of_day(text: str) -> time:
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a time of day such as 7:30 or 18:00") from None
