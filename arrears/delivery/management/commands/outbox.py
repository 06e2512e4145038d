from __future__ import annotations

from argparse import ArgumentParser
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.companies.commands import add_company_option, cli_actor, command_company
from arrears.companies.models import Company
from arrears.delivery.models import BlockedAddress, OutboxMessage
from arrears.delivery.outbox import (
    JournalRefused,
    block_address,
    cancel,
    confirm_arrived,
    send_again,
    send_on_paper,
)


class Command(BaseCommand):
    help = (
        "The journal of everything sent: list, show a message's attempts, send again now, cancel, confirm an "
        "uncertain message, send on paper, block and unblock addresses."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_company_option(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="messages, newest first")
        ls.add_argument("--status", choices=[s.value for s in OutboxMessage.Status])
        ls.add_argument("--customer", help="customer id")
        ls.add_argument("--limit", type=int, default=50)
        sub.add_parser("summary", help="how many messages are in each status")
        show = sub.add_parser("show", help="one message and every attempt")
        show.add_argument("message", type=int)
        again = sub.add_parser("retry", help="send a message again now")
        again.add_argument("message", type=int)
        stop = sub.add_parser("cancel", help="do not send a message")
        stop.add_argument("message", type=int)
        confirm = sub.add_parser("confirm", help="an uncertain message did arrive (you checked)")
        confirm.add_argument("message", type=int)
        paper = sub.add_parser("paper", help="send the reminder of a failed e-mail as a letter")
        paper.add_argument("message", type=int)
        sub.add_parser("blocked", help="addresses on the block list (hard bounces and blocked by hand)")
        block = sub.add_parser("block", help="block an address by hand: later reminders go on paper")
        block.add_argument("address")
        block.add_argument("--reason", default="blocked by hand")
        unblock = sub.add_parser("unblock", help="allow e-mail to an address again")
        unblock.add_argument("address")

    def handle(self, *args: Any, **opts: Any) -> None:
        company = command_company(opts["company"])
        actor = cli_actor()
        action = opts["action"]
        messages = OutboxMessage.objects.filter(company=company)
        try:
            if action == "list":
                if opts["status"]:
                    messages = messages.filter(status=opts["status"])
                if opts["customer"]:
                    messages = messages.filter(notice__customer__external_id=opts["customer"])
                for m in messages.select_related("notice__customer")[: opts["limit"]]:
                    self.stdout.write(self._line(m))
            elif action == "summary":
                counts = Counter(messages.values_list("status", flat=True))
                for status in OutboxMessage.Status:
                    if counts.get(status.value):
                        self.stdout.write(f"{status.label:<40} {counts[status.value]:>8}")
            elif action == "show":
                self._show(self._message(company, opts["message"]))
            elif action == "retry":
                m = send_again(self._message(company, opts["message"]), actor)
                self.stdout.write(f"message #{m.pk}: {m.get_status_display()}")
            elif action == "cancel":
                m = cancel(self._message(company, opts["message"]), actor)
                self.stdout.write(f"message #{m.pk}: cancelled")
            elif action == "confirm":
                m = confirm_arrived(self._message(company, opts["message"]), actor)
                self.stdout.write(f"message #{m.pk}: sent (confirmed)")
            elif action == "paper":
                letter = send_on_paper(self._message(company, opts["message"]), actor)
                self.stdout.write(f"letter #{letter.pk} waits for the next print batch")
            elif action == "block":
                b = block_address(company.pk, opts["address"], opts["reason"], actor)
                self.stdout.write(f"{b.address} blocked: later reminders to it go on paper")
            elif action == "blocked":
                for b in BlockedAddress.objects.filter(company=company):
                    self.stdout.write(f"{b.address:<40} since {b.blocked_at:%Y-%m-%d %H:%M}: {b.reason}")
            elif action == "unblock":
                gone, _ = BlockedAddress.objects.filter(company=company, address=opts["address"].lower()).delete()
                if not gone:
                    raise CommandError(f"{opts['address']} is not blocked")
                self.stdout.write(f"{opts['address']} may receive e-mail again")
        except JournalRefused as exc:
            raise CommandError(str(exc)) from None

    @staticmethod
    def _message(company: Company, pk: int) -> OutboxMessage:
        found = OutboxMessage.objects.filter(company=company, pk=pk).first()
        if found is None:
            raise CommandError(f"no message #{pk}")
        return found

    @staticmethod
    def _line(m: OutboxMessage) -> str:
        who = m.notice.customer.external_id if m.notice is not None else m.kind
        when = m.sent_at or m.next_attempt_at or m.created_at
        detail = m.reason if m.status in ("cancelled", "skipped", "paper") else (m.last_error or m.reason)
        return (
            f"#{m.pk:<7} {m.status:<9} {when:%Y-%m-%d %H:%M} {who:<10} {m.recipient or 'paper':<36} "
            f"tries {m.attempts}  {detail}"
        ).rstrip()

    def _show(self, m: OutboxMessage) -> None:
        w = self.stdout.write
        w(self._line(m))
        w(f"  Message-ID  {m.message_id}")
        w(f"  subject     {m.subject or '(not yet built)'}")
        w(f"  envelope    {m.envelope_to or '-'}")
        w(f"  notice      #{m.notice_id}" if m.notice_id else f"  run report  #{m.run_id}")
        if m.mime_path:
            w(f"  archived    {m.mime_path}")
        if m.status == OutboxMessage.Status.QUEUED and m.next_attempt_at:
            w(f"  next try    {m.next_attempt_at:%Y-%m-%d %H:%M:%S}")
        if m.print_batch_id:
            w(f"  print batch #{m.print_batch_id}")
        for a in m.attempt_log.all():
            code = f" {a.smtp_code}" if a.smtp_code else ""
            w(f"  attempt {a.number}: {a.started_at:%Y-%m-%d %H:%M:%S} {a.outcome}{code} {a.reply} ({a.worker})")
