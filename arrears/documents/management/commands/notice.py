from __future__ import annotations

import getpass
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import typst
from django.core.management.base import BaseCommand, CommandError

from arrears.documents.compose import render_notice
from arrears.documents.letters import print_letter, render_preview
from arrears.documents.sandbox import TemplateProblem
from arrears.documents.texts import MissingText
from arrears.dunning.models import Notice
from arrears.history.services import Actor


class Command(BaseCommand):
    help = "Show what a notice says: the e-mail, the PDF letter, or a PNG preview of the letter."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="subject and text of a notice's e-mail")
        show.add_argument("notice", type=int)
        show.add_argument("--html", action="store_true", help="print the HTML body instead of the text")
        pdf = sub.add_parser("pdf", help="the letter as PDF/A-2b")
        pdf.add_argument("notice", type=int)
        pdf.add_argument("--out", type=Path, help="file to write (default: notice-ID.pdf)")
        preview = sub.add_parser("preview", help="PNG images of the letter's pages")
        preview.add_argument("notice", type=int)
        preview.add_argument("--out", type=Path, help="file name of page 1 (default: notice-ID.png)")
        preview.add_argument("--ppi", type=int, default=96)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            notice = Notice.objects.select_related("customer", "company").get(pk=opts["notice"])
        except Notice.DoesNotExist:
            raise CommandError(f"no notice #{opts['notice']}") from None
        try:
            if opts["action"] in ("pdf", "preview") and notice.status == Notice.Status.EXCLUDED:
                raise CommandError(f"notice #{notice.pk} was excluded in review: nothing to print")
            if opts["action"] == "pdf":
                letter, document = print_letter(notice, Actor(f"cli:{getpass.getuser()}"))
                out = opts["out"] or Path(f"notice-{notice.pk}.pdf")
                out.write_bytes(letter.pdf)
                codes = ", ".join(f"{c.standard} {c.currency}" for c in letter.codes) or "no payment QR code"
                self.stdout.write(f"{out} ({len(letter.pdf)} bytes, {codes}; archived as {document.sha256[:12]})")
                return
            if opts["action"] == "preview":
                pages = render_preview(notice, opts["ppi"])
                first = opts["out"] or Path(f"notice-{notice.pk}.png")
                for number, png in enumerate(pages, 1):
                    target = first if number == 1 else first.with_name(f"{first.stem}-{number}{first.suffix}")
                    target.write_bytes(png)
                    self.stdout.write(str(target))
                return
            message = render_notice(notice)
        except (TemplateProblem, MissingText, typst.TypstError, OSError) as exc:
            raise CommandError(f"notice #{notice.pk} cannot be rendered: {exc}") from None
        if message.fallback_note:
            self.stderr.write(f"note: {message.fallback_note}")
        self.stdout.write(f"Subject: {message.subject}\n")
        self.stdout.write(message.html if opts["html"] else message.text)
