"""What every `arrears` command that acts for a company shares: the --company option, the company
it names (or the only one), and the actor the history records for the person at the terminal."""

from __future__ import annotations

import getpass
from argparse import ArgumentParser

from django.core.management.base import CommandError

from arrears.companies.models import Company
from arrears.companies.services import CompanyNotFound, resolve_company
from arrears.history.services import Actor


def add_company_option(parser: ArgumentParser) -> None:
    parser.add_argument("--company", help="company code (not needed when there is only one)")


def command_company(code: str | None) -> Company:
    try:
        return resolve_company(code)
    except CompanyNotFound as exc:
        raise CommandError(str(exc)) from None


def cli_actor() -> Actor:
    return Actor(f"cli:{getpass.getuser()}")
