from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.documents.compose import render_notice
from arrears.documents.sandbox import TemplateProblem
from arrears.documents.texts import MissingText
from arrears.dunning.models import Notice


class Command(BaseCommand):
    help = "Show what a notice says: the e-mail as the customer would receive it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="subject and text of a notice's e-mail")
        show.add_argument("notice", type=int)
        show.add_argument("--html", action="store_true", help="print the HTML body instead of the text")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            notice = Notice.objects.select_related("customer", "company").get(pk=opts["notice"])
        except Notice.DoesNotExist:
            raise CommandError(f"no notice #{opts['notice']}") from None
        try:
            message = render_notice(notice)
        except (TemplateProblem, MissingText) as exc:
            raise CommandError(f"notice #{notice.pk} cannot be rendered: {exc}") from None
        if message.fallback_note:
            self.stderr.write(f"note: {message.fallback_note}")
        self.stdout.write(f"Subject: {message.subject}\n")
        self.stdout.write(message.html if opts["html"] else message.text)
