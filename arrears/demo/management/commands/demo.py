"""The demo: one company, sample customers, invoices and payments, and what arrears makes of them."""

from __future__ import annotations

import secrets
import sys
import time
from argparse import ArgumentParser
from collections import Counter
from datetime import date
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand

from arrears.accounts.roles import Role, set_role
from arrears.companies.models import Company
from arrears.companies.services import create_company
from arrears.core.money import format_minor
from arrears.delivery.capture import CaptureServer
from arrears.delivery.models import OutboxMessage, SenderAccount
from arrears.delivery.printing import NothingToPrint, make_batch
from arrears.delivery.worker import Worker
from arrears.documents.archive import archive_storage
from arrears.documents.batch import letter_batch
from arrears.documents.letters import print_letter
from arrears.dunning.models import Run
from arrears.dunning.policies import load_policy_file, read_policy_file, stored_policies
from arrears.dunning.runs import approve_run, start_run
from arrears.history.services import Actor
from arrears.ledger.imports.runner import run_import
from arrears.ledger.selectors.overview import AGING_BUCKETS, largest_debtors, receivables_overview

DATA = Path(__file__).resolve().parents[2] / "data"
# The sample data describes the ledger as it stood on this day; the demo looks at it from there.
SAMPLE_DAY = date(2026, 11, 20)
# The user the demo sets up for the web UI (`arrears web`), with the role manager.
DEMO_USER = "demo"


class Command(BaseCommand):
    help = "Run the demo: set up a sample company, import sample data and show what arrears does with it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--data", type=Path, default=DATA, help="folder with customers/invoices/payments CSV")
        parser.add_argument("--as-of", type=date.fromisoformat, default=SAMPLE_DAY)

    def handle(self, *args: Any, **opts: Any) -> None:
        w = self.stdout.write
        as_of: date = opts["as_of"]
        w(self.style.MIGRATE_HEADING("1. Database"))
        call_command("migrate", verbosity=0)
        from django.conf import settings

        w(f"   {settings.DATABASES['default']['NAME']} is ready")

        w(self.style.MIGRATE_HEADING("2. Company"))
        company = Company.objects.filter(code="demo").first() or create_company(
            code="demo",
            name="Demo Company s.r.o.",
            country="CZ",
            default_currency="CZK",
            default_language="cs",
            time_zone="Europe/Prague",
            address_line1="Karlovo náměstí 10",
            postal_code="120 00",
            city="Praha",
            registration_no="12345678",
            vat_no="CZ12345678",
            credit_controller_email="credit@demo-company.example",
            bank_accounts=[
                {
                    "iban": "CZ6508000000192000145399",
                    "currency": "CZK",
                    "bic": "GIBACZPX",
                    "local_account_number": "19-2000145399/0800",
                },
                {"iban": "DE89370400440532013000", "currency": "EUR", "bic": "COBADEFFXXX"},
                {"iban": "PL61109010140000071219812874", "currency": "PLN", "bic": "WBKPPLPP"},
            ],
        )
        w(f"   {company.name} ({company.country}, {company.default_currency}, {company.time_zone})")

        w(self.style.MIGRATE_HEADING(f"3. Import of {opts['data']}"))
        started = time.monotonic()
        report = run_import(company, [opts["data"]], Actor("demo"), progress=sys.stderr.isatty())
        for kind, counts in report.counts.items():
            w(f"   {kind:<10} " + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("created", "updated", "unchanged")))
        a = report.allocation
        w(
            f"   payments and credit notes: {a.allocations} allocations, {a.settled_invoices} invoices settled, "
            f"{a.credit_receipts} left as customer credit ({time.monotonic() - started:.2f} s)"
        )

        w(self.style.MIGRATE_HEADING(f"4. Receivables as of {as_of}"))
        labels = [label for label, _, _ in AGING_BUCKETS]
        w(
            f"   {'currency':<9}{'open':>6}{'outstanding':>15}{'overdue':>14}{'credit':>12}   aging: "
            + " | ".join(labels)
        )
        for cur, o in receivables_overview(company.pk, as_of).items():
            aging = " | ".join(format_minor(o.aging[label], cur) for label in labels)
            outstanding, overdue = format_minor(o.outstanding, cur), format_minor(o.overdue, cur)
            w(
                f"   {cur:<9}{o.open_invoices:>6}{outstanding:>15}{overdue:>14}"
                f"{format_minor(o.unallocated_credit, cur):>12}   {aging}"
            )
        w("   largest overdue debts:")
        for d in largest_debtors(company.pk, as_of, limit=5):
            w(
                f"     {d.external_id} {d.name:<32} {format_minor(d.overdue, d.currency):>12} {d.currency} "
                f"({d.invoices} invoices)"
            )

        w(self.style.MIGRATE_HEADING(f"5. Dunning policies ({DATA / 'policy.toml'})"))
        for change in load_policy_file(company, read_policy_file(DATA / "policy.toml")):
            w(f"   {change}")
        call_command("policy", "show", stdout=self.stdout)

        w(self.style.MIGRATE_HEADING(f"6. Dunning run for {as_of}, stopped at a proposal for review"))
        run = Run.objects.filter(company=company, as_of=as_of).exclude(status=Run.Status.FAILED).first()
        if run is None:
            result = start_run(company, as_of, stored_policies(company), Actor("demo"), review=True)
            run = result.run
        assert run is not None
        call_command("review", "show", str(run.pk), stdout=self.stdout)
        if run.status == Run.Status.PROPOSAL:
            approve_run(run, Actor("demo"))
            w(f"   approved run #{run.pk}: {run.notices.filter(status='created').count()} notices created")
        w(
            f"   a second run for {as_of} creates nothing new: "
            f"{start_run(company, as_of, stored_policies(company), Actor('demo')).message}"
        )

        w(self.style.MIGRATE_HEADING("7. Delivery: the worker sends the outbox to a local SMTP server"))
        self._deliver(company, w)

        w(self.style.MIGRATE_HEADING("8. The letters of the run, in each customer's language"))
        self._write_letters(run, w)

        w(self.style.MIGRATE_HEADING("9. One customer's card (arrears customer show C0002)"))
        call_command("customer", "show", "C0002", "--as-of", as_of.isoformat(), stdout=self.stdout)

        w(self.style.MIGRATE_HEADING("Done"))
        w(f"   The journal of what was sent: ARREARS_HOME={settings.WORK_DIR} .venv/bin/arrears outbox list")
        w(f"   Explore: ARREARS_HOME={settings.WORK_DIR} .venv/bin/arrears customer show C0010 --as-of {as_of}")
        password = self._demo_user()
        w(
            f"   Web UI: run `ARREARS_HOME={settings.WORK_DIR} .venv/bin/arrears web` and open http://127.0.0.1:8000/"
            f" — log in as {DEMO_USER} / {password}"
        )
        w("   (a manager; the password is new on every demo run; more users: arrears user add NAME --role clerk)")

    def _demo_user(self) -> str:
        """The user "demo" with the role manager, and a fresh random password for this run (returned, to be
        shown once). Random, not fixed: a demo run against a real database must not leave a known login."""
        user, _ = User.objects.get_or_create(
            username=DEMO_USER, defaults={"first_name": "Demo", "last_name": "Accountant", "email": "demo@example.com"}
        )
        alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # nothing to mistake or mistype
        password = "".join(secrets.choice(alphabet) for _ in range(12))
        user.set_password(password)
        user.is_active = True
        user.save()
        set_role(user, Role.MANAGER)
        return password

    def _write_letters(self, run: Run, w: Any) -> None:
        from django.conf import settings

        letters = Path(settings.WORK_DIR) / "letters"
        letters.mkdir(parents=True, exist_ok=True)
        notices = run.notices.filter(status="created").select_related("customer", "company").order_by("id")
        with letter_batch():
            for notice in notices:
                letter, _ = print_letter(notice, Actor("demo"))
                stem = f"notice-{notice.pk:05d}-{notice.customer.external_id}-{letter.message.language}"
                (letters / f"{stem}.pdf").write_bytes(letter.pdf)
        w(f"   {notices.count()} PDF letters (PDF/A-2b, with payment QR codes) written to {letters}, and archived")

    def _deliver(self, company: Company, w: Any) -> None:
        """A capture SMTP server on 127.0.0.1, a sender account pointing at it, one worker pass."""
        from django.conf import settings

        folder = Path(settings.WORK_DIR) / "messages"
        with CaptureServer(folder) as server:
            SenderAccount.objects.update_or_create(
                company=company,
                code="demo",
                defaults={
                    "is_default": True,
                    "display_name": company.name,
                    "address": "credit@demo-company.example",
                    "host": "127.0.0.1",
                    "port": server.port,
                    "security": SenderAccount.Security.NONE,
                    "send_interval_seconds": 0,
                    "reply_to": company.credit_controller_email,
                },
            )
            w(f"   capture SMTP server listening on 127.0.0.1:{server.port}, saving into {folder}")
            started = time.monotonic()
            worker = Worker(schedules=False)
            worker.run(once=True)
            w(f"   worker: {worker.sent} e-mails sent over SMTP in {time.monotonic() - started:.2f} s")
        counts = Counter(OutboxMessage.objects.filter(company=company).values_list("status", flat=True))
        w("   outbox: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
        saved = sorted(folder.glob("*.eml"))
        w(f"   {len(saved)} messages received by the server, saved as .eml files in {folder}")
        czech = next((p for p in saved if b"Content-Language: cs" in p.read_bytes()), None)
        sample = czech or (saved[0] if saved else None)
        if sample is not None:
            mail = message_from_bytes(sample.read_bytes(), policy=default_policy)
            attached = [part.get_filename() for part in mail.iter_attachments()]
            w(f"   {sample.name}:")
            for header in ("From", "To", "Subject", "Message-ID"):
                w(f"   {header}: {mail[header]}")
            w(f"   attached: {', '.join(name or '?' for name in attached)}")
            body = mail.get_body(preferencelist=("plain",))
            if body is not None:
                for line in body.get_content().splitlines()[:12]:
                    w(f"   | {line}")
        try:
            batch = make_batch(company, Actor("demo"))
        except NothingToPrint as exc:
            w(f"   print batch: {exc}")
            return
        storage = archive_storage()
        w(f"   print batch #{batch.pk}: {batch.letters} paper letters ({batch.pages} pages) for customers without")
        w("   a usable e-mail address or with a level sent by post:")
        w(f"     PDF  {storage.path(batch.pdf_path)}")
        w(f"     list {storage.path(batch.list_path)}")
