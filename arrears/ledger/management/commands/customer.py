from __future__ import annotations

import json
import zoneinfo
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.timezone import localtime

from arrears.companies.commands import add_company_option, cli_actor
from arrears.companies.services import CompanyNotFound, resolve_company
from arrears.core.money import format_minor
from arrears.customers.models import Customer
from arrears.history.models import Event, Note
from arrears.history.services import add_note
from arrears.ledger.selectors.balance import CustomerBalance, customer_balance


class Command(BaseCommand):
    help = "Show a customer's balance and history, or add a note."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_company_option(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="balance per currency, invoices, payments, history")
        show.add_argument("customer_id", help="the customer's external id")
        show.add_argument(
            "--as-of",
            type=date.fromisoformat,
            help=(
                "the day overdue days are counted to (YYYY-MM-DD; default: today in the company's time zone); "
                "the balance itself is the current one"
            ),
        )
        show.add_argument("--open-only", action="store_true", help="leave settled invoices out")
        show.add_argument("--json", action="store_true", help="machine-readable output")
        note = sub.add_parser("note", help="add a note to a customer (or one of its invoices)")
        note.add_argument("customer_id")
        note.add_argument("text")
        note.add_argument("--invoice", help="invoice number the note is about")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            company = resolve_company(opts["company"])
            customer = Customer.objects.get(company=company, external_id=opts["customer_id"])
        except CompanyNotFound as exc:
            raise CommandError(str(exc)) from None
        except Customer.DoesNotExist:
            raise CommandError(f"no customer {opts['customer_id']!r} in company {company.code}") from None
        if opts["action"] == "note":
            invoice_id = None
            if opts["invoice"]:
                invoice = customer.invoices.filter(number=opts["invoice"]).first()
                if invoice is None:
                    raise CommandError(f"customer {customer.external_id} has no invoice {opts['invoice']!r}")
                invoice_id = invoice.pk
            try:
                add_note(
                    company_id=company.pk,
                    customer_id=customer.pk,
                    invoice_id=invoice_id,
                    text=opts["text"],
                    actor=cli_actor(),
                )
            except ValueError as exc:  # an empty note: a usage error, not a traceback
                raise CommandError(str(exc)) from None
            self.stdout.write("note added")
            return
        balance = customer_balance(customer, opts["as_of"] or company.today(), include_settled=not opts["open_only"])
        if opts["json"]:
            self.stdout.write(json.dumps(_as_json(balance), indent=2, ensure_ascii=False))
        else:
            self._print(balance)

    def _print(self, balance: CustomerBalance) -> None:
        c = balance.customer
        zone = zoneinfo.ZoneInfo(c.company.time_zone)  # times as the company's people read them
        w = self.stdout.write
        w(f"{c.external_id}  {c.name}")
        address = ", ".join(p for p in (c.address_line1, c.postal_code, c.city, c.country) if p)
        if address:
            w(f"  {address}")
        flags = [
            "dunning disabled" if not c.dunning_enabled else "",
            f"paused until {c.paused_until}" if c.paused_until else "",
            f"disputed: {c.dispute_reason}" if c.disputed else "",
        ]
        contacts = ", ".join(x.email for x in c.contacts.all() if x.email)
        w(
            f"  language {c.language or '-'}, contacts: {contacts or 'none (letters go on paper)'}"
            + "".join(f"; {f}" for f in flags if f)
        )
        if c.notes:
            w(f"  notes: {c.notes}")
        w(f"  balance as of {balance.as_of}")
        if not balance.currencies:
            w("  no invoices or payments")
        for cur, b in balance.currencies.items():

            def m(value: int, cur: str = cur) -> str:
                return f"{format_minor(value, cur):>12}"

            w(
                f"\n  {cur}: billed {m(b.billed).strip()}, credited {m(b.credited).strip()}, paid {m(b.paid).strip()};"
                f" due {m(b.total_due).strip()}, overdue {m(b.total_overdue).strip()}, unallocated credit "
                f"{m(b.unallocated_credit).strip()}, net due {m(b.net_due).strip()}"
            )
            if b.invoices:
                w(
                    f"    {'invoice':<19}{'issued':<12}{'due':<12}{'amount':>12}{'paid':>12}{'outstanding':>13}"
                    f"{'overdue':>9}"
                )
            for i in b.invoices:
                state = f"{i.days_overdue} d" if i.days_overdue else ("settled" if not i.outstanding else "")
                label = i.number + (" (CN)" if i.kind == "credit_note" else "")
                w(
                    f"    {label:<18} {i.issue_date!s:<12}{i.due_date!s:<12}{m(i.amount)}{m(i.allocated)}"
                    f"{m(i.outstanding)} {state:>8}"
                )
            for p in b.payments:
                to = ", ".join(f"{a.invoice_number} {format_minor(a.amount, cur)} ({a.method})" for a in p.allocations)
                credit = f"; credit {format_minor(p.unallocated, cur)}" if p.unallocated else ""
                w(
                    f"    payment {p.external_id} {p.received_on} {format_minor(p.amount, cur)} ref "
                    f"{p.reference or '-'} -> {to or 'nothing'}{credit}"
                )
        notes = Note.objects.filter(customer=c).order_by("-created_at")[:10]
        events = Event.objects.filter(customer=c).order_by("-at", "-id")[:15]
        if notes:
            w("\n  notes:")
            for n in notes:
                w(f"    {localtime(n.created_at, zone):%Y-%m-%d %H:%M} {n.author_label}: {n.text}")
        if events:
            w("\n  history (newest first):")
            for e in events:
                w(f"    {localtime(e.at, zone):%Y-%m-%d %H:%M} {e.summary}")


def _as_json(balance: CustomerBalance) -> dict[str, Any]:
    c = balance.customer
    return {
        "customer": {"id": c.external_id, "name": c.name, "language": c.language, "country": c.country},
        "as_of": balance.as_of.isoformat(),
        "currencies": {
            cur: {
                "billed": format_minor(b.billed, cur),
                "credited": format_minor(b.credited, cur),
                "paid": format_minor(b.paid, cur),
                "total_due": format_minor(b.total_due, cur),
                "total_overdue": format_minor(b.total_overdue, cur),
                "unallocated_credit": format_minor(b.unallocated_credit, cur),
                "net_due": format_minor(b.net_due, cur),
                "net_overdue": format_minor(b.net_overdue, cur),
                "invoices": [
                    {
                        "number": i.number,
                        "kind": i.kind,
                        "issue_date": i.issue_date.isoformat(),
                        "due_date": i.due_date.isoformat(),
                        "amount": format_minor(i.amount, cur),
                        "paid": format_minor(i.allocated, cur),
                        "outstanding": format_minor(i.outstanding, cur),
                        "days_overdue": i.days_overdue,
                        "settled_on": i.settled_on.isoformat() if i.settled_on else None,
                    }
                    for i in b.invoices
                ],
                "payments": [
                    {
                        "id": p.external_id,
                        "date": p.received_on.isoformat(),
                        "amount": format_minor(p.amount, cur),
                        "unallocated": format_minor(p.unallocated, cur),
                        "reference": p.reference,
                        "allocations": [
                            {
                                "invoice": a.invoice_number,
                                "amount": format_minor(a.amount, cur),
                                "method": a.method,
                            }
                            for a in p.allocations
                        ],
                    }
                    for p in b.payments
                ],
            }
            for cur, b in balance.currencies.items()
        },
    }
