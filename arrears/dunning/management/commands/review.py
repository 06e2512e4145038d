from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.companies.commands import add_company_option, cli_actor, command_company
from arrears.core.engine import Decision, Reason, explain
from arrears.core.money import format_minor
from arrears.dunning.models import Notice, NoticeItem, Run, RunDecision
from arrears.dunning.runs import RunRefused, approve_run, discard_run
from arrears.dunning.services import DunningActionError, change_item_level, exclude_item, exclude_notice


class Command(BaseCommand):
    help = "Review dunning runs: list them, show a proposal, exclude notices or invoices, change a level, approve."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_company_option(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="the latest runs")
        show = sub.add_parser("show", help="a run's notices and the reason for every other decision")
        show.add_argument("run", type=int)
        show.add_argument("--all", action="store_true", help="list every invoice not reminded, not only a summary")
        ex = sub.add_parser("exclude", help="take a notice, or one invoice of it, out of a proposal")
        ex.add_argument("notice", type=int)
        ex.add_argument("--invoice", help="only this invoice of the notice")
        lv = sub.add_parser("level", help="lower the level of one invoice in a proposed notice")
        lv.add_argument("notice", type=int)
        lv.add_argument("invoice")
        lv.add_argument("level", type=int)
        ap = sub.add_parser("approve", help="approve a proposal: its notices are created")
        ap.add_argument("run", type=int)
        dc = sub.add_parser("discard", help="throw a proposal away")
        dc.add_argument("run", type=int)

    def handle(self, *args: Any, **opts: Any) -> None:
        company = command_company(opts["company"])
        actor = cli_actor()
        action = opts["action"]
        try:
            if action == "list":
                for run in Run.objects.filter(company=company)[:20]:
                    counts = run.counts or {}
                    self.stdout.write(
                        f"#{run.pk:<5} {run.as_of} {run.status:<9} notices {counts.get('notices', 0):>6} "
                        f"looked at {counts.get('decisions', 0):>8}  {run.message}"
                    )
            elif action == "show":
                self._show(self._run(company, opts["run"]), opts["all"])
            elif action == "exclude":
                notice = self._notice(company, opts["notice"])
                if opts["invoice"]:
                    exclude_item(self._item(notice, opts["invoice"]), actor)
                else:
                    exclude_notice(notice, actor)
                self.stdout.write("excluded")
            elif action == "level":
                notice = self._notice(company, opts["notice"])
                change_item_level(self._item(notice, opts["invoice"]), opts["level"], actor)
                self.stdout.write("level changed")
            elif action == "approve":
                run = approve_run(self._run(company, opts["run"]), actor)
                self.stdout.write(f"run #{run.pk} approved: {run.notices.filter(status='created').count()} notices")
            elif action == "discard":
                discard_run(self._run(company, opts["run"]), actor)
                self.stdout.write("discarded; nothing was sent and no invoice moved")
        except (RunRefused, DunningActionError) as exc:
            raise CommandError(str(exc)) from None

    def _run(self, company: Any, run_id: int) -> Run:
        try:
            return Run.objects.get(company=company, pk=run_id)
        except Run.DoesNotExist:
            raise CommandError(f"no run #{run_id}") from None

    def _notice(self, company: Any, notice_id: int) -> Notice:
        try:
            return Notice.objects.get(company=company, pk=notice_id)
        except Notice.DoesNotExist:
            raise CommandError(f"no notice #{notice_id}") from None

    def _item(self, notice: Notice, number: str) -> NoticeItem:
        item = notice.items.filter(invoice__number=number).select_related("invoice", "notice").first()
        if item is None:
            raise CommandError(f"notice #{notice.pk} does not cover invoice {number}")
        return item

    def _show(self, run: Run, everything: bool) -> None:
        w = self.stdout.write
        w(f"run #{run.pk} of {run.as_of}: {run.status}; policies {run.policy_versions}")
        if run.message:
            w(f"  {run.message}")
        for notice in run.notices.select_related("customer").order_by("customer__external_id"):
            totals = ", ".join(f"{format_minor(t['demanded'], t['currency'])} {t['currency']}" for t in notice.totals)
            w(
                f"  notice #{notice.pk} {notice.customer.external_id} {notice.customer.name}: level {notice.level}, "
                f"{notice.channel}, {notice.status}, pay by {notice.deadline}: {totals}"
            )
            for item in notice.items.select_related("invoice").order_by("currency", "invoice__due_date"):
                flag = " (excluded)" if item.excluded else ""
                step = f"{item.level}.{item.repetition}" if item.repetition else str(item.level)
                w(
                    f"      {item.invoice.number:<14} level {step}"
                    f" {format_minor(item.outstanding_minor, item.currency):>12} {item.currency} "
                    f"{item.days_overdue:>4} d overdue{flag}"
                )
        rows = RunDecision.objects.filter(run=run).exclude(reason__in=["level", "repeat", "pre_due"])
        counts: dict[str, int] = {}
        for reason in rows.values_list("reason", flat=True):
            counts[reason] = counts.get(reason, 0) + 1
        w("  not reminded: " + (", ".join(f"{n} {r.replace('_', ' ')}" for r, n in sorted(counts.items())) or "none"))
        if everything:
            for d in rows.select_related("invoice", "customer").order_by("customer__external_id", "invoice__due_date"):
                decision = Decision(Reason(d.reason), d.level, d.repetition, d.next_possible_on, d.detail)
                w(f"    {d.customer.external_id} {d.invoice.number}: {explain(decision, d.invoice.currency)}")
