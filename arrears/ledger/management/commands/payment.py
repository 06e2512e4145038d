from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears.companies.commands import add_company_option, cli_actor
from arrears.companies.services import CompanyNotFound, resolve_company
from arrears.core.money import AmountError, format_minor, parse_minor
from arrears.ledger.models import Allocation, Invoice, Payment
from arrears.ledger.services.pairing import PairingError, pair, unpair


class Command(BaseCommand):
    help = "Pair a payment with an invoice by hand, or undo a pairing."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_company_option(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("pair", help="apply a payment's unallocated money to an invoice")
        p.add_argument("payment_id")
        p.add_argument("invoice_number")
        p.add_argument("--amount", help="decimal amount; default: as much as fits")
        u = sub.add_parser("unpair", help="undo the pairings of a payment with an invoice")
        u.add_argument("payment_id")
        u.add_argument("invoice_number")

    def handle(self, *args: Any, **opts: Any) -> None:
        actor = cli_actor()
        try:
            company = resolve_company(opts["company"])
            payment = Payment.objects.get(company=company, external_id=opts["payment_id"])
            invoice = Invoice.objects.get(company=company, number=opts["invoice_number"])
        except CompanyNotFound as exc:
            raise CommandError(str(exc)) from None
        except Payment.DoesNotExist:
            raise CommandError(f"no payment {opts['payment_id']!r}") from None
        except Invoice.DoesNotExist:
            raise CommandError(f"no invoice {opts['invoice_number']!r}") from None
        if opts["action"] == "pair":
            try:
                amount = parse_minor(opts["amount"], payment.currency) if opts["amount"] else None
                allocation = pair(payment, invoice, actor, amount)
            except (PairingError, AmountError) as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(
                f"paired {format_minor(allocation.amount_minor, payment.currency)} {payment.currency} of "
                f"{payment.external_id} with {invoice.number}"
            )
            return
        allocations = list(Allocation.objects.filter(payment=payment, invoice=invoice))
        if not allocations:
            raise CommandError(f"payment {payment.external_id} is not paired with {invoice.number}")
        for allocation in allocations:
            unpair(allocation, actor)
        self.stdout.write(f"un-paired {len(allocations)} allocation(s)")
