from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.delivery.liveness import AnotherWorker
from arrears.delivery.worker import Worker


class Command(BaseCommand):
    help = (
        "Deliver the outbox: send queued e-mail over SMTP, retry, record every attempt; start each company's "
        "scheduled dunning run and e-mail its report. Stop with SIGTERM or Ctrl-C (the message in hand finishes)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--poll", type=float, default=30.0, help="seconds between looks at an idle outbox")
        parser.add_argument("--batch", type=int, default=50, help="messages claimed at a time")
        parser.add_argument("--once", action="store_true", help="send what is due now, then stop")
        parser.add_argument("--no-schedule", action="store_true", help="do not start scheduled dunning runs")
        parser.add_argument("--max-seconds", type=float, help="stop after this long (for tests and cron)")

    def handle(self, *args: Any, **opts: Any) -> None:
        worker = Worker(
            batch=opts["batch"],
            poll_seconds=opts["poll"],
            schedules=not opts["no_schedule"],
            out=self._say,
        )
        try:
            worker.run(once=opts["once"], max_seconds=opts["max_seconds"])
        except AnotherWorker as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"worker {worker.name} stopped: {worker.sent} e-mails sent")

    def _say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()  # a supervisor reading a pipe sees each line as it happens
