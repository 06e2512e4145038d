"""What letters read once: inside `letter_batch()` the company, its bank accounts, texts and level
names are read once for all letters; outside one, every letter reads them afresh, so an edit shows
in the next letter. A letter's own rows (its items, the customer's contacts) are read with SQL
compiled once, and are the rows the ORM would give."""

from __future__ import annotations

import copy
import random
import re
from datetime import date
from decimal import Decimal

import pytest
from babel import Locale

from arrears.companies.models import BankAccount, Company
from arrears.customers.models import Contact
from arrears.documents.batch import letter_batch
from arrears.documents.compose import _ITEMS, render_notice
from arrears.documents.context import _CONTACTS, locale_for, money
from arrears.documents.letters import letter_data, render_letter
from arrears.documents.models import MessageTemplate
from arrears.dunning.models import Notice, NoticeItem
from tests.dunning.conftest import customer_row, ledger, load_policy, notices, run, standard  # noqa: F401

AS_OF = date(2026, 11, 20)
OTHER_IBAN = "CZ6203000000000123456789"


@pytest.fixture
def reminded(ledger, standard, company, actor):  # noqa: F811
    ledger(
        customers=[customer_row("C1", "Jana Nováková", "jana@example.cz"), customer_row("C2", "Petr Malý")],
        invoices=[
            ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"],
            ["F2", "C1", "2026-10-05", "2026-10-16", "CZK", "199.90"],
            ["F3", "C1", "2026-10-05", "2026-10-19", "CZK", "500.00"],
            ["G1", "C2", "2026-10-01", "2026-10-15", "CZK", "450.00"],
        ],
        payments=[["P1", "C1", "2026-10-20", "CZK", "210.00", "F1"]],
    )
    return notices(run(company, AS_OF, actor))


def fresh(notice: Notice) -> Notice:
    """The notice as a run reads it for its letter."""
    return Notice.objects.select_related("customer", "company").get(pk=notice.pk)


def payment(notice: Notice) -> tuple[str, list[str]]:
    data, _, codes = letter_data(fresh(notice))
    return " ".join(line for p in data["payment"] for line in p), [c.payload for c in codes]


def test_a_changed_bank_account_shows_in_the_next_letter(reminded, company):
    text, codes = payment(reminded["C1"])
    assert "CZ65 0800 0000 1920 0014 5399" in text
    assert "ACC:CZ6508000000192000145399" in codes[0]

    BankAccount.objects.filter(company=company).update(iban=OTHER_IBAN)

    text, codes = payment(reminded["C1"])
    assert "CZ62 0300 0000 0001 2345 6789" in text
    assert f"ACC:{OTHER_IBAN}" in codes[0]


def test_a_batch_reads_the_company_and_its_accounts_once_and_the_next_batch_reads_them_again(
    reminded, company, django_assert_num_queries
):
    with letter_batch():
        render_letter(fresh(reminded["C1"]))
        BankAccount.objects.filter(company=company).update(iban=OTHER_IBAN)
        Company.objects.filter(pk=company.pk).update(name="ACME Praha s.r.o.")
        # As a print batch reads it: with the customer, not the company (the batch has that).
        second = Notice.objects.select_related("customer").get(pk=reminded["C2"].pk)
        with django_assert_num_queries(2):  # only the letter's own rows: contacts and items
            data, _, codes = letter_data(second)
        assert data["company"]["name"] == "ACME s.r.o."  # one batch, one reading
        assert "ACC:CZ6508000000192000145399" in codes[0].payload

    with letter_batch():
        data, _, codes = letter_data(fresh(reminded["C2"]))
    assert data["company"]["name"] == "ACME Praha s.r.o."
    assert f"ACC:{OTHER_IBAN}" in codes[0].payload


def test_a_changed_text_shows_in_the_next_letter_and_the_next_batch(reminded, company):
    assert not letter_data(fresh(reminded["C1"]))[1].subject.startswith("Pozor")
    MessageTemplate.objects.create(company=company, key="level1", language="cs", subject="Pozor: {{ notice.number }}")
    assert letter_data(fresh(reminded["C1"]))[1].subject == f"Pozor: {reminded['C1'].pk}"
    assert render_notice(fresh(reminded["C1"])).subject == f"Pozor: {reminded['C1'].pk}"

    with letter_batch():
        render_letter(fresh(reminded["C1"]))
        MessageTemplate.objects.filter(company=company).update(subject="Znovu: {{ notice.number }}")
    with letter_batch():
        assert letter_data(fresh(reminded["C1"]))[1].subject == f"Znovu: {reminded['C1'].pk}"


def test_a_notice_reads_its_items_and_contacts_as_the_orm_does(reminded):
    notice = reminded["C1"]
    NoticeItem.objects.filter(notice=notice, invoice__number="F3").update(excluded=True)
    customer = notice.customer
    Contact.objects.filter(customer=customer).delete()
    Contact.objects.create(customer=customer, name="", email="nobody@example.cz", role_contact=True)
    Contact.objects.create(customer=customer, name="Ing. Jana Nová", email="nova@example.cz", role_dunning=True)
    Contact.objects.create(customer=customer, name="Karel Dvořák", email="karel@example.cz", role_contact=True)

    orm_items = list(
        NoticeItem.objects.filter(notice=notice, excluded=False)
        .order_by("currency", "invoice__due_date")
        .values_list(*_ITEMS.build(0).query.values_select)
    )
    assert _ITEMS.rows(notice.pk) == orm_items
    assert [row[0] for row in orm_items] == ["F1", "F2"]
    assert isinstance(orm_items[0][1], date)
    orm_contacts = list(
        customer.contacts.all().values_list("name", "email", "role_contact", "role_dunning")  # Meta ordering
    )
    assert _CONTACTS.rows(customer.pk) == orm_contacts
    assert render_notice(fresh(notice)).text.count("F3") == 0

    data, message, _ = letter_data(fresh(notice))
    assert [i["number"] for i in data["invoices"]] == ["F1", "F2"]
    assert "Dobrý den, Karel Dvořák," in message.text  # the first contact person with a name


def test_the_sql_is_compiled_once(reminded, monkeypatch):
    letter_data(fresh(reminded["C1"]))
    compiled = []
    monkeypatch.setattr(type(_ITEMS), "_compile", lambda self, connection: compiled.append(self))
    letter_data(fresh(reminded["C2"]))
    assert compiled == []


def babel_money(minor: int, currency: str, locale: Locale) -> str:
    """money() as Babel writes it, looking up the currency's symbol for every amount."""
    digits = {"JPY": 0, "KWD": 3, "BHD": 3}.get(currency, 2)
    pattern = copy.copy(locale.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    text = str(pattern.apply(Decimal(minor).scaleb(-digits), locale, currency=currency, currency_digits=False))
    # CLDR's currency spacing (Babel leaves it out): a letter of the currency touching a digit is
    # parted from it by a no-break space.
    return re.sub(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])", "\u00a0", text)


@pytest.mark.parametrize(
    "language", ["cs", "en", "de", "de_CH", "pl", "ru", "sk", "fr", "ar", "he", "fa", "hi", "ja", "nl", "pt_BR", "xx"]
)
def test_money_is_what_babel_writes(language):
    rnd = random.Random(language)
    locale = locale_for(language)
    for currency in ("CZK", "EUR", "CHF", "USD", "JPY", "KWD", "BHD", "PLN", "RUB", "RSD"):
        for minor in (0, 1, -1, 100, -123456, 123456789, rnd.randint(-(10**12), 10**12)):
            assert money(minor, currency, locale) == babel_money(minor, currency, locale)


def test_a_currency_code_is_parted_from_the_digits_by_a_no_break_space():
    assert money(121000, "CZK", locale_for("en")) == "CZK\u00a01,210.00"
    assert money(-534, "PLN", locale_for("en")) == "-PLN\u00a05.34"
    assert money(534, "EUR", locale_for("en")) == "€5.34"  # a symbol keeps to the digits
    assert money(121000, "CZK", locale_for("cs")) == "1\u00a0210,00\u00a0Kč"
