"""Creating companies and finding the one a command is about."""

from __future__ import annotations

from django.db import transaction

from arrears.companies.models import BankAccount, Company
from arrears.core.iban import normalize_iban


class CompanyNotFound(LookupError):
    pass


def resolve_company(code: str | None) -> Company:
    """The company named by code, or the only one when there is exactly one."""
    if code:
        try:
            return Company.objects.get(code=code)
        except Company.DoesNotExist:
            known = ", ".join(Company.objects.values_list("code", flat=True)) or "none yet"
            raise CompanyNotFound(f"no company with code {code!r} (known: {known})") from None
    companies = list(Company.objects.all()[:2])
    if len(companies) == 1:
        return companies[0]
    if not companies:
        raise CompanyNotFound("no company yet: create one with 'arrears company add'")
    raise CompanyNotFound("several companies exist: choose one with --company CODE")


@transaction.atomic
def create_company(*, bank_accounts: list[dict[str, str]] | None = None, **fields: str) -> Company:
    company = Company(**fields)
    company.full_clean()
    company.save()
    for account in bank_accounts or []:
        bank = BankAccount(company=company, **account)
        # Normalise before validating (save() would, but only after full_clean): "DE89 3704 ..." as
        # printed may exceed the 34 characters of an IBAN, and a duplicate must be seen as one.
        bank.iban = normalize_iban(bank.iban)
        bank.bic = bank.bic.replace(" ", "").upper()
        bank.full_clean()
        bank.save()
    return company
