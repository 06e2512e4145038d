from __future__ import annotations

import csv
import sys
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.companies.commands import add_company_option, cli_actor, command_company
from arrears.core.engine import explain
from arrears.core.money import format_minor
from arrears.customers.models import Customer
from arrears.dunning.services import (
    DunningActionError,
    create_manual_notice,
    default_deadline,
    dunning_status,
    hand_over,
    handover_rows,
    pause,
    set_disputed,
    set_dunning_enabled,
    stop_reminding,
)
from arrears.ledger.models import Invoice


class Command(BaseCommand):
    help = "Act on one customer's reminders by hand: remind now, stop, pause, exclude, dispute, hand over."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_company_option(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        remind = sub.add_parser("remind", help="create a reminder now for chosen invoices")
        remind.add_argument("customer")
        remind.add_argument("invoices", nargs="+")
        remind.add_argument("--deadline", type=date.fromisoformat, help="pay by (default: policy's payment days)")
        remind.add_argument("--note", default="", help="at most 50 characters, printed on the notice")
        stop = sub.add_parser("stop", help="end the reminder process (a manual reminder restarts it)")
        stop.add_argument("customer")
        p = sub.add_parser("pause", help="no reminders up to and including a date")
        p.add_argument("customer")
        p.add_argument("until", type=date.fromisoformat)
        p.add_argument("--invoice", help="only this invoice")
        r = sub.add_parser("resume", help="end a pause now")
        r.add_argument("customer")
        r.add_argument("--invoice")
        for name, text in (("exclude", "exclude from automatic dunning"), ("include", "include again")):
            e = sub.add_parser(name, help=text)
            e.add_argument("customer")
            e.add_argument("--invoice")
        d = sub.add_parser("dispute", help="mark disputed, with a reason (empty reason: dispute settled)")
        d.add_argument("customer")
        d.add_argument("reason")
        d.add_argument("--invoice")
        h = sub.add_parser("handover", help="hand open invoices over to external collection")
        h.add_argument("customer")
        h.add_argument("--invoice", action="append", help="only these invoices (repeatable)")
        sub.add_parser("handovers", help="export every invoice handed over (CSV to standard output)")
        st = sub.add_parser("status", help="each open invoice: level, last notice, decision today, next reminder")
        st.add_argument("customer")
        st.add_argument("--as-of", type=date.fromisoformat, help="decide as of this day (default: today)")

    def handle(self, *args: Any, **opts: Any) -> None:
        company = command_company(opts["company"])
        actor = cli_actor()
        action = opts["action"]
        if action == "handovers":
            rows = handover_rows(company.pk)
            writer = csv.DictWriter(sys.stdout, list(rows[0]) if rows else ["customer_id"], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            return
        try:
            customer = Customer.objects.get(company=company, external_id=opts["customer"])
        except Customer.DoesNotExist:
            raise CommandError(f"no customer {opts['customer']!r}") from None

        def invoice(number: str) -> Invoice:
            try:
                return Invoice.objects.get(company=company, number=number, customer=customer)
            except Invoice.DoesNotExist:
                raise CommandError(f"customer {customer.external_id} has no invoice {number!r}") from None

        one = invoice(opts["invoice"]) if isinstance(opts.get("invoice"), str) else None
        try:
            if action == "status":
                self._status(customer, opts["as_of"])
            elif action == "remind":
                chosen = [invoice(n) for n in opts["invoices"]]
                notice = create_manual_notice(
                    customer, chosen, actor, note=opts["note"], deadline=opts["deadline"] or default_deadline(customer)
                )
                self.stdout.write(
                    f"notice #{notice.pk} created: level {notice.level}, {notice.channel}, pay by {notice.deadline}"
                )
            elif action == "stop":
                self.stdout.write(f"reminding stopped for {stop_reminding(customer, actor)} open invoice(s)")
            elif action == "pause":
                pause(customer, opts["until"], actor, one)
                self.stdout.write(f"paused until {opts['until']}")
            elif action == "resume":
                pause(customer, None, actor, one)
                self.stdout.write("resumed")
            elif action in ("exclude", "include"):
                set_dunning_enabled(customer, action == "include", actor, one)
                self.stdout.write(f"{action}d")
            elif action == "dispute":
                set_disputed(customer, opts["reason"], actor, one)
                self.stdout.write("dispute recorded" if opts["reason"].strip() else "dispute settled")
            elif action == "handover":
                chosen_h = [invoice(n) for n in opts["invoice"]] if opts["invoice"] else None
                self.stdout.write(f"{hand_over(customer, actor, invoices=chosen_h)} invoice(s) handed over")
        except DunningActionError as exc:
            raise CommandError(str(exc)) from None

    def _status(self, customer: Customer, as_of: date | None) -> None:
        rows = dunning_status(customer, as_of)
        day = as_of or customer.company.today()
        self.stdout.write(f"{customer.external_id} {customer.name}: {len(rows)} open invoice(s), as of {day}")
        for looked, state in rows:
            last = state.last_notice_on if state and state.last_notice_on else "-"
            level = state.level if state else 0
            nxt = looked.decision.next_possible_on or "-"
            money = f"{format_minor(looked.facts.outstanding, looked.facts.currency)} {looked.facts.currency}"
            self.stdout.write(
                f"  {looked.number:<14} due {looked.facts.due_date} {money:>16}  level {level}, last notice {last}; "
                f"{explain(looked.decision, looked.facts.currency)}; next possible {nxt} ({looked.policy})"
            )
