"""Setting up the creditor: a company, its bank accounts, and finding it again from the command line."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from arrears.companies.models import BankAccount, Company
from arrears.companies.services import CompanyNotFound, create_company, resolve_company
from arrears.core.iban import iban_problem


def beta(**overrides):
    fields = {
        "code": "beta",
        "name": "Beta GmbH",
        "country": "DE",
        "default_currency": "EUR",
        "default_language": "de",
        "time_zone": "Europe/Berlin",
    }
    return create_company(**{**fields, **overrides})


def test_a_company_with_its_bank_account(db):
    company = beta(bank_accounts=[{"iban": "de89 3704 0044 0532 0130 00", "currency": "EUR", "bic": "cobade ffxxx"}])

    company.refresh_from_db()
    assert (company.code, company.default_currency, company.time_zone) == ("beta", "EUR", "Europe/Berlin")
    account = company.bank_accounts.get()
    assert (account.iban, account.bic, account.currency) == ("DE89370400440532013000", "COBADEFFXXX", "EUR")


def test_several_accounts_in_several_currencies(db):
    company = beta(
        bank_accounts=[
            {"iban": "DE89370400440532013000", "currency": "EUR"},
            {"iban": "GB82 WEST 1234 5698 7654 32", "currency": "GBP"},
        ]
    )

    assert list(company.bank_accounts.values_list("currency", "iban")) == [
        ("EUR", "DE89370400440532013000"),
        ("GBP", "GB82WEST12345698765432"),
    ]


def test_a_long_iban_written_in_groups_is_accepted(db):
    # A Maltese IBAN has 31 characters, 38 as printed in groups of four: still one valid IBAN.
    company = beta(bank_accounts=[{"iban": "MT84 MALT 0110 0001 2345 MTLC AST0 01S", "currency": "EUR"}])

    assert company.bank_accounts.get().iban == "MT84MALT011000012345MTLCAST001S"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"default_currency": "EURO"}, "default_currency", "'EURO' is not an ISO 4217 currency code"),
        ({"default_currency": "XYZ"}, "default_currency", "'XYZ' is not an ISO 4217 currency code"),
        ({"time_zone": "Europe/Gotham"}, "time_zone", "'Europe/Gotham' is not a time zone name"),
        ({"time_zone": "../etc/passwd"}, "time_zone", "is not a time zone name"),
        ({"code": "Beta GmbH"}, "code", "letters, numbers, underscores or hyphens"),
    ],
)
def test_invalid_company_settings_are_refused(db, overrides, field, message):
    with pytest.raises(ValidationError) as excinfo:
        beta(**overrides)

    assert list(excinfo.value.message_dict) == [field]
    assert message in excinfo.value.message_dict[field][0]
    assert Company.objects.count() == 0


@pytest.mark.parametrize(
    ("iban", "message"),
    [
        ("DE89370400440532013001", "is not a valid IBAN: its check digits do not match"),
        ("DE8937040044", "is not an IBAN: expected a country code"),
    ],
)
def test_a_bad_iban_is_refused_and_nothing_is_created(db, iban, message):
    with pytest.raises(ValidationError) as excinfo:
        beta(bank_accounts=[{"iban": iban, "currency": "EUR"}])

    assert message in excinfo.value.message_dict["iban"][0]
    # One transaction: the company is not left behind without its account.
    assert (Company.objects.count(), BankAccount.objects.count()) == (0, 0)


def test_an_account_in_an_unknown_currency_is_refused(db):
    with pytest.raises(ValidationError) as excinfo:
        beta(bank_accounts=[{"iban": "DE89370400440532013000", "currency": "EUX"}])

    assert "'EUX' is not an ISO 4217 currency code" in excinfo.value.message_dict["currency"][0]
    assert Company.objects.count() == 0


def test_the_same_account_twice_is_a_validation_error(db):
    # Typed once with spaces and once without, it is the same account.
    with pytest.raises(ValidationError):
        beta(
            bank_accounts=[
                {"iban": "DE89 3704 0044 0532 0130 00", "currency": "EUR"},
                {"iban": "DE89370400440532013000", "currency": "EUR"},
            ]
        )
    assert Company.objects.count() == 0


def test_resolve_by_code(company):
    other = beta()

    assert resolve_company("acme") == company
    assert resolve_company("beta") == other


def test_resolve_the_only_company_without_a_code(company):
    assert resolve_company(None) == company
    assert resolve_company("") == company


def test_resolve_an_unknown_code_names_the_known_ones(company):
    beta()

    with pytest.raises(CompanyNotFound) as excinfo:
        resolve_company("gamma")

    assert str(excinfo.value) == "no company with code 'gamma' (known: acme, beta)"


def test_resolve_when_there_is_no_company(db):
    with pytest.raises(CompanyNotFound) as excinfo:
        resolve_company(None)
    assert str(excinfo.value) == "no company yet: create one with 'arrears company add'"

    with pytest.raises(CompanyNotFound) as excinfo:
        resolve_company("acme")
    assert str(excinfo.value) == "no company with code 'acme' (known: none yet)"


def test_resolve_without_a_code_when_there_are_several(company):
    beta()

    with pytest.raises(CompanyNotFound) as excinfo:
        resolve_company(None)

    assert str(excinfo.value) == "several companies exist: choose one with --company CODE"


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "CZ6508000000192000145399",
        "cz65 0800 0000 1920 0014 5399",
        "MT84MALT011000012345MTLCAST001S",
    ],
)
def test_valid_ibans_have_no_problem(iban):
    assert iban_problem(iban) is None


@pytest.mark.parametrize(
    ("iban", "problem"),
    [
        ("DE89370400440532013001", "'DE89370400440532013001' is not a valid IBAN: its check digits do not match"),
        ("GB28WEST12345698765432", "'GB28WEST12345698765432' is not a valid IBAN: its check digits do not match"),
        (
            "CZ650800",
            "'CZ650800' is not an IBAN: expected a country code, two check digits and 11-30 letters or digits",
        ),
        ("", "'' is not an IBAN: expected a country code, two check digits and 11-30 letters or digits"),
        ("1234567890123456", "'1234567890123456' is not an IBAN: expected a country code, two check digits"),
        ("DE89-3704-0044-0532-0130-00", "is not an IBAN"),
    ],
)
def test_invalid_ibans_are_explained(iban, problem):
    assert problem in iban_problem(iban)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"default_language": "zz-weird"}, "'zz-weird' is not a language"),
        (
            {"bank_accounts": [{"iban": "DE89370400440532013000", "currency": "EUR", "bic": "COBA-DE"}]},
            "'COBA-DE' is not a BIC",
        ),
    ],
)
def test_a_company_with_a_bad_language_or_bic_is_refused(fields, message):
    from django.core.exceptions import ValidationError

    from arrears.companies.models import Company
    from arrears.companies.services import create_company

    base = {"code": "x", "name": "X", "country": "DE", "default_currency": "EUR"}
    with pytest.raises(ValidationError, match=message):
        create_company(**{**base, **fields})
    assert not Company.objects.filter(code="x").exists()
