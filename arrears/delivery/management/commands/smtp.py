from __future__ import annotations

import os
import sys
from argparse import ArgumentParser, BooleanOptionalAction
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from arrears.companies.commands import add_company_option, command_company
from arrears.delivery.models import SPAM_SAFE_INTERVAL, SenderAccount
from arrears.delivery.smtp import check_account

EDITABLE = {
    "name": "display_name",
    "address": "address",
    "host": "host",
    "port": "port",
    "security": "security",
    "user": "username",
    "timeout": "timeout_seconds",
    "interval": "send_interval_seconds",
    "reply_to": "reply_to",
    "cc": "cc",
    "bcc": "bcc",
    "test_address": "test_address",
}


class Command(BaseCommand):
    help = "SMTP sender accounts: add, change, list, test, remove. Passwords are never shown."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_company_option(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (("add", "add an account"), ("set", "change an account")):
            p = sub.add_parser(name, help=text)
            p.add_argument("code")
            new = name == "add"
            p.add_argument("--address", required=new, help="the From address")
            p.add_argument("--name", help="the sender's display name (default: the company's name)")
            p.add_argument("--host", required=new)
            p.add_argument("--port", type=int, help="default: 587 for starttls, 465 for ssl, 25 for none")
            p.add_argument("--security", choices=[s.value for s in SenderAccount.Security])
            p.add_argument("--user", help="user name for AUTH")
            p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
            p.add_argument("--password-env", metavar="VAR", help="take the password from this environment variable")
            p.add_argument("--timeout", type=int, help="seconds to wait for the server (default 30)")
            p.add_argument(
                "--interval", type=int, help=f"at most one e-mail every N seconds (default {SPAM_SAFE_INTERVAL})"
            )
            p.add_argument("--reply-to")
            p.add_argument("--cc")
            p.add_argument("--bcc")
            p.add_argument("--default", action="store_true", help="make it the company's default account")
            for flag, what in (
                ("delivery-receipt", "ask for a DSN (failure and delay) when the server offers it"),
                ("read-receipt", "add Disposition-Notification-To"),
                ("debug", "log the SMTP dialogue (without passwords)"),
            ):
                p.add_argument(f"--{flag}", action=BooleanOptionalAction, help=what)
            p.add_argument("--test-address", help="test mode: all e-mail goes here ('' to end test mode)")
            p.add_argument("--test-customers", help="test mode: only these customers (comma-separated ids; '' = all)")
        sub.add_parser("list", help="the accounts")
        t = sub.add_parser("test", help="connect, secure and log in; with --to, send a test e-mail")
        t.add_argument("code")
        t.add_argument("--to", help="send a short test message to this address")
        r = sub.add_parser("remove", help="remove an account no message uses")
        r.add_argument("code")

    def handle(self, *args: Any, **opts: Any) -> None:
        company = command_company(opts["company"])
        action = opts["action"]
        if action == "list":
            for a in SenderAccount.objects.filter(company=company):
                flags = [f for f, on in (("default", a.is_default), ("debug", a.debug)) if on]
                if a.in_test_mode:
                    flags.append(f"TEST MODE -> {a.test_address or 'only ' + ', '.join(a.test_customers)}")
                self.stdout.write(
                    f"{a.code:<12} {a.display_name} <{a.address}> {a.host}:{a.port} {a.security} "
                    f"user={a.username or '-'} password={'set' if a.password else 'none'} "
                    f"every {a.send_interval_seconds}s {' '.join(flags)}"
                )
            return
        account = SenderAccount.objects.filter(company=company, code=opts["code"]).first()
        if action == "add":
            if account is not None:
                raise CommandError(f"account {opts['code']!r} exists: change it with 'arrears smtp set'")
            account = SenderAccount(company=company, code=opts["code"], display_name=company.name)
            self._apply(account, opts, new=True)
        elif account is None:
            raise CommandError(f"no account {opts['code']!r}; see 'arrears smtp list'")
        elif action == "set":
            self._apply(account, opts, new=False)
        elif action == "test":
            self._test(account, opts["to"])
        elif action == "remove":
            from django.db.models import ProtectedError

            try:
                account.delete()
            except ProtectedError:
                raise CommandError("messages were sent through this account; it stays for the journal") from None
            self.stdout.write(f"removed {opts['code']}")

    def _apply(self, account: SenderAccount, opts: dict[str, Any], *, new: bool) -> None:
        for option, field in EDITABLE.items():
            if opts.get(option) is not None:
                setattr(account, field, opts[option])
        if opts.get("test_customers") is not None:
            account.test_customers = [c.strip() for c in opts["test_customers"].split(",") if c.strip()]
        for option, field in (
            ("delivery_receipt", "request_delivery_receipt"),
            ("read_receipt", "request_read_receipt"),
            ("debug", "debug"),
        ):
            if opts.get(option) is not None:
                setattr(account, field, opts[option])
        if new and opts.get("port") is None:
            account.port = {"starttls": 587, "ssl": 465, "none": 25}[account.security]
        if opts["password_stdin"]:
            account.password = sys.stdin.readline().rstrip("\r\n")
        elif opts["password_env"]:
            if opts["password_env"] not in os.environ:
                raise CommandError(f"the environment variable {opts['password_env']} is not set")
            account.password = os.environ[opts["password_env"]]
        try:
            account.full_clean(exclude=["company"])
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        account.paused_until = None  # a changed account is tried again at once
        with transaction.atomic():
            if opts["default"] or not SenderAccount.objects.filter(company=account.company, is_default=True).exists():
                SenderAccount.objects.filter(company=account.company, is_default=True).exclude(pk=account.pk).update(
                    is_default=False
                )
                account.is_default = True
            account.save()
        self.stdout.write(f"{'added' if new else 'changed'} {account}{' (default)' if account.is_default else ''}")
        if account.send_interval_seconds < SPAM_SAFE_INTERVAL:
            self.stderr.write(
                f"warning: one e-mail every {account.send_interval_seconds} s: below {SPAM_SAFE_INTERVAL} s, "
                "receiving servers may take the mail for spam; use your provider's limits (docs/operations.md)"
            )
        if account.security == SenderAccount.Security.NONE and account.username:
            self.stderr.write("warning: the password goes over the network unencrypted (security 'none')")
        if account.in_test_mode:
            self.stderr.write("note: TEST MODE: customers do not receive these e-mails as addressed")

    def _test(self, account: SenderAccount, to: str | None) -> None:
        try:
            features = check_account(account)
        except Exception as exc:
            raise CommandError(
                f"{account.host}:{account.port} ({account.security}): {type(exc).__name__}: {exc}"
            ) from None
        steps = [f"connected to {account.host}:{account.port}"]
        if account.security != SenderAccount.Security.NONE:
            steps.append(f"secured with {account.get_security_display()}")
        if account.username:
            steps.append(f"logged in as {account.username}")
        self.stdout.write(f"{', '.join(steps)}; the server offers: {features}")
        if to:
            from arrears.delivery.probe import send_probe
            from arrears.delivery.smtp import Outcome

            result = send_probe(account, to)
            if result.outcome != Outcome.SENT:
                raise CommandError(f"not sent: {result.outcome} {result.code or ''} {result.reply}")
            self.stdout.write(f"test message sent to {to}: {result.code} {result.reply}")
