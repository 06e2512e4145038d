from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from arrears.companies.models import Company
from arrears.companies.services import create_company


class Command(BaseCommand):
    help = "Create and list companies (the creditors whose invoices arrears collects)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create a company")
        add.add_argument("code", help="short name for the command line, e.g. acme")
        add.add_argument("--name", required=True)
        add.add_argument("--country", required=True, help="ISO 3166 code, e.g. CZ (decides the holidays)")
        add.add_argument("--currency", required=True, help="default currency, e.g. EUR")
        add.add_argument("--language", default="en", help="default language of letters")
        add.add_argument("--time-zone", default="UTC")
        add.add_argument("--address", default="", help="street and number")
        add.add_argument("--postal-code", default="")
        add.add_argument("--city", default="")
        add.add_argument("--registration-no", default="")
        add.add_argument("--vat-no", default="")
        add.add_argument("--credit-controller-email", default="")
        add.add_argument(
            "--iban",
            action="append",
            default=[],
            metavar="IBAN[:CURRENCY[:BIC]]",
            help="a bank account; repeat for several",
        )
        sub.add_parser("list", help="list companies")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "list":
            for company in Company.objects.prefetch_related("bank_accounts"):
                accounts = ", ".join(str(a) for a in company.bank_accounts.all())
                self.stdout.write(
                    f"{company.code:<12} {company.name} [{company.country}, {company.default_currency}, "
                    f"{company.default_language}, {company.time_zone}] {accounts}"
                )
            return
        bank_accounts: list[dict[str, str]] = []
        for account_spec in opts["iban"]:
            iban, _, rest = account_spec.partition(":")
            currency, _, bic = rest.partition(":")
            bank_accounts.append({"iban": iban, "currency": (currency or opts["currency"]).upper(), "bic": bic})
        try:
            company = create_company(
                code=opts["code"],
                name=opts["name"],
                country=opts["country"].upper(),
                default_currency=opts["currency"].upper(),
                default_language=opts["language"],
                time_zone=opts["time_zone"],
                address_line1=opts["address"],
                postal_code=opts["postal_code"],
                city=opts["city"],
                registration_no=opts["registration_no"],
                vat_no=opts["vat_no"],
                credit_controller_email=opts["credit_controller_email"],
                bank_accounts=bank_accounts,
            )
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(f"company not created: {problems}") from None
        self.stdout.write(f"created company {company.code} ({company.name})")
