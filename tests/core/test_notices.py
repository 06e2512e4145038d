"""One notice per customer as small credit-controller stories (see arrears.core.notices).

ACME s.r.o. (customer 7) owes invoices in EUR and CZK; the run decided which ones are due for a
reminder, and group_customer() turns them into one notice.
"""

from datetime import date

import pytest

from arrears.core.engine import Decision, InvoiceFacts, Reason
from arrears.core.notices import (
    CurrencyTotal,
    Grouping,
    Item,
    NoticePlan,
    choose_channel,
    group_customer,
    payment_deadline,
)
from arrears.core.policy import Channel

ACME = 7


def item(invoice_id, currency, outstanding, due, reason=Reason.LEVEL, level=1, channel=Channel.EMAIL):
    facts = InvoiceFacts(invoice_id, ACME, currency, due, outstanding)
    return Item(facts, Decision(reason, level), channel)


def pre_due(invoice_id, currency, outstanding, due, channel=Channel.EMAIL):
    return item(invoice_id, currency, outstanding, due, Reason.PRE_DUE, 0, channel)


def test_one_notice_for_invoices_in_two_currencies_with_totals_per_currency():
    # Three invoices are due for a reminder: two in EUR (120.00 and 80.50) and one in CZK (1,210).
    eur_late = item(1, "EUR", 8050, date(2026, 9, 15), level=2)
    eur_early = item(2, "EUR", 12000, date(2026, 9, 1), level=1)
    czk = item(3, "CZK", 121000, date(2026, 10, 1), level=1)
    grouping = group_customer(
        ACME,
        [eur_late, czk, eur_early],
        overdue_by_currency={"EUR": 30000, "CZK": 121000},
        credit_by_currency={},
        has_email=True,
    )
    assert grouping == Grouping(
        NoticePlan(
            customer_id=ACME,
            level=2,
            channel=Channel.EMAIL,
            items=(czk, eur_early, eur_late),  # by currency, then due date (not invoice number)
            totals=(
                CurrencyTotal("CZK", reminded=121000, overdue=121000, credit=0, demanded=121000),
                CurrencyTotal("EUR", reminded=20050, overdue=30000, credit=0, demanded=20050),
            ),
        ),
        covered_by_credit=[],
    )


def test_items_with_the_same_due_date_are_ordered_by_invoice_number():
    due = date(2026, 9, 1)
    items = [item(9, "EUR", 100, due), item(4, "EUR", 100, due), item(6, "EUR", 100, due)]
    grouping = group_customer(ACME, items, {"EUR": 300}, {}, True)
    assert [i.facts.invoice_id for i in grouping.notice.items] == [4, 6, 9]


def test_the_notice_level_is_the_highest_item_level_and_pre_due_items_count_as_zero():
    items = [
        pre_due(1, "EUR", 5000, date(2026, 11, 1)),
        item(2, "EUR", 5000, date(2026, 9, 1), level=3),
        item(3, "CZK", 5000, date(2026, 9, 1), level=1),
    ]
    assert group_customer(ACME, items, {"EUR": 5000, "CZK": 5000}, {}, True).notice.level == 3


def test_a_notice_of_only_pre_due_items_is_level_zero():
    items = [pre_due(1, "EUR", 5000, date(2026, 11, 1)), pre_due(2, "CZK", 100000, date(2026, 11, 2))]
    notice = group_customer(ACME, items, {}, {}, True).notice
    assert notice.level == 0
    assert notice.totals == (
        CurrencyTotal("CZK", 100000, 0, 0, 100000),
        CurrencyTotal("EUR", 5000, 0, 0, 5000),
    )


def test_credit_is_shown_and_netted():
    # ACME paid 30.00 EUR too much last month; it is deducted from the 200.50 EUR reminded.
    items = [item(1, "EUR", 12000, date(2026, 9, 1)), item(2, "EUR", 8050, date(2026, 9, 15))]
    grouping = group_customer(ACME, items, {"EUR": 30000}, {"EUR": 3000}, True)
    assert grouping.notice.totals == (CurrencyTotal("EUR", reminded=20050, overdue=30000, credit=3000, demanded=17050),)
    assert grouping.covered_by_credit == []


def test_credit_in_another_currency_is_not_netted():
    items = [item(1, "EUR", 12000, date(2026, 9, 1))]
    grouping = group_customer(ACME, items, {"EUR": 12000}, {"CZK": 999999}, True)
    assert grouping.notice.totals == (CurrencyTotal("EUR", 12000, 12000, 0, 12000),)


def test_a_notice_that_would_demand_nothing_is_not_sent():
    # The reminded invoices total 100.00 EUR but more is overdue (400.00 EUR, some not due for a
    # reminder today); the credit of 150.00 EUR does not cover all that is overdue, yet exceeds the
    # reminded: a reminder demanding 0.00 EUR would only confuse, so the items count as covered.
    items = [item(1, "EUR", 10000, date(2026, 9, 1))]
    grouping = group_customer(ACME, items, {"EUR": 40000}, {"EUR": 15000}, True)
    assert grouping.notice is None
    assert grouping.covered_by_credit == items


@pytest.mark.parametrize("credit", [30000, 50000])
def test_credit_covering_all_overdue_in_a_currency_leaves_its_invoices_out(credit):
    # ACME has 300.00 EUR (or more) of unallocated credit and owes exactly 300.00 EUR overdue: the
    # EUR invoices go to covered_by_credit, the CZK invoice is reminded alone.
    eur1 = item(1, "EUR", 20000, date(2026, 9, 1), level=2, channel=Channel.LETTER)
    eur2 = item(2, "EUR", 10000, date(2026, 9, 15))
    czk = item(3, "CZK", 121000, date(2026, 10, 1))
    grouping = group_customer(ACME, [eur1, czk, eur2], {"EUR": 30000, "CZK": 121000}, {"EUR": credit}, True)
    assert grouping.covered_by_credit == [eur1, eur2]
    assert grouping.notice == NoticePlan(
        ACME, 1, Channel.EMAIL, (czk,), (CurrencyTotal("CZK", 121000, 121000, 0, 121000),)
    )


def test_credit_just_short_of_all_overdue_only_nets():
    eur = item(1, "EUR", 30000, date(2026, 9, 1))
    grouping = group_customer(ACME, [eur], {"EUR": 30000}, {"EUR": 29999}, True)
    assert grouping.covered_by_credit == []
    assert grouping.notice.totals == (CurrencyTotal("EUR", 30000, 30000, 29999, 1),)


def test_pre_due_items_stay_when_credit_covers_the_overdue_ones():
    # The 300.00 EUR credit covers the overdue 250.00 EUR; the friendly reminder for the 400.00 EUR
    # invoice due next week still goes out, netted only with the 50.00 EUR of credit that is left.
    overdue = item(1, "EUR", 25000, date(2026, 9, 1))
    upcoming = pre_due(2, "EUR", 40000, date(2026, 10, 8))
    grouping = group_customer(ACME, [overdue, upcoming], {"EUR": 25000}, {"EUR": 30000}, True)
    assert grouping.covered_by_credit == [overdue]
    assert grouping.notice == NoticePlan(
        ACME,
        0,
        Channel.EMAIL,
        (upcoming,),
        (CurrencyTotal("EUR", reminded=40000, overdue=25000, credit=5000, demanded=35000),),
    )


def test_credit_covering_overdue_exactly_leaves_nothing_to_net_against_pre_due_items():
    overdue = item(1, "EUR", 25000, date(2026, 9, 1))
    upcoming = pre_due(2, "EUR", 40000, date(2026, 10, 8))
    grouping = group_customer(ACME, [upcoming, overdue], {"EUR": 25000}, {"EUR": 25000}, True)
    assert grouping.covered_by_credit == [overdue]
    assert grouping.notice.totals == (CurrencyTotal("EUR", 40000, 25000, 0, 40000),)


def test_credit_that_covers_other_overdue_invoices_is_netted_once_against_pre_due_items():
    # ACME owes 250.00 EUR overdue (reminded two days ago, so not in today's notice) and has 300.00 EUR of
    # credit; the friendly reminder for 400.00 EUR due next week can only be reduced by the 50.00 EUR left,
    # exactly as when the overdue invoice is in the notice (test_pre_due_items_stay_when_credit_covers_...).
    upcoming = pre_due(2, "EUR", 40000, date(2026, 10, 8))
    grouping = group_customer(ACME, [upcoming], {"EUR": 25000}, {"EUR": 30000}, True)
    assert grouping.notice.totals[0].demanded == 35000


def test_pre_due_items_alone_are_netted_but_never_covered():
    upcoming = pre_due(2, "EUR", 40000, date(2026, 10, 8))
    grouping = group_customer(ACME, [upcoming], {}, {"EUR": 50000}, True)
    assert grouping.covered_by_credit == []
    assert grouping.notice.items == (upcoming,)
    assert grouping.notice.totals == (CurrencyTotal("EUR", 40000, 0, 50000, 0),)


def test_nothing_left_to_demand_gives_no_notice():
    eur = item(1, "EUR", 30000, date(2026, 9, 1))
    czk = item(2, "CZK", 121000, date(2026, 10, 1))
    grouping = group_customer(ACME, [eur, czk], {"EUR": 30000, "CZK": 121000}, {"EUR": 30000, "CZK": 200000}, True)
    assert grouping == Grouping(None, [czk, eur])  # currencies in alphabetical order


def test_no_items_gives_no_notice():
    assert group_customer(ACME, [], {"EUR": 100}, {}, True) == Grouping(None, [])


def test_zero_credit_never_covers():
    # Nothing overdue is known and there is no credit: the item is reminded, not covered.
    eur = item(1, "EUR", 100, date(2026, 9, 1))
    grouping = group_customer(ACME, [eur], {}, {"EUR": 0}, True)
    assert grouping.covered_by_credit == []
    assert grouping.notice.totals == (CurrencyTotal("EUR", 100, 0, 0, 100),)


def test_channel_comes_from_the_items_of_the_highest_level():
    # The level-1 item asks for a letter, the level-2 item for e-mail: the notice is level 2 by e-mail.
    items = [
        item(1, "EUR", 100, date(2026, 9, 1), level=1, channel=Channel.LETTER),
        item(2, "EUR", 100, date(2026, 9, 2), level=2, channel=Channel.EMAIL),
    ]
    notice = group_customer(ACME, items, {"EUR": 200}, {}, True).notice
    assert (notice.level, notice.channel) == (2, Channel.EMAIL)


def test_mixed_channels_at_the_highest_level_give_both():
    items = [
        item(1, "EUR", 100, date(2026, 9, 1), level=2, channel=Channel.LETTER),
        item(2, "CZK", 100, date(2026, 9, 2), level=2, channel=Channel.EMAIL),
    ]
    assert group_customer(ACME, items, {"EUR": 100, "CZK": 100}, {}, True).notice.channel == Channel.BOTH


def test_a_customer_without_an_email_address_gets_a_letter():
    items = [item(1, "EUR", 100, date(2026, 9, 1), channel=Channel.EMAIL)]
    assert group_customer(ACME, items, {"EUR": 100}, {}, has_email=False).notice.channel == Channel.LETTER


@pytest.mark.parametrize(
    ("wanted", "has_email", "channel"),
    [
        ([Channel.EMAIL], True, Channel.EMAIL),
        ([Channel.LETTER], True, Channel.LETTER),
        ([Channel.BOTH], True, Channel.BOTH),
        ([Channel.EMAIL, Channel.EMAIL], True, Channel.EMAIL),
        ([Channel.EMAIL, Channel.LETTER], True, Channel.BOTH),
        ([Channel.LETTER, Channel.BOTH], True, Channel.BOTH),
        ([Channel.EMAIL, Channel.BOTH], True, Channel.BOTH),
        ([], True, Channel.EMAIL),
        ([Channel.EMAIL], False, Channel.LETTER),
        ([Channel.LETTER], False, Channel.LETTER),
        ([Channel.BOTH], False, Channel.LETTER),
        ([Channel.EMAIL, Channel.LETTER], False, Channel.LETTER),
        ([], False, Channel.LETTER),
    ],
)
def test_choose_channel(wanted, has_email, channel):
    assert choose_channel(wanted, has_email) == channel


def test_choose_channel_accepts_any_iterable():
    assert choose_channel(iter([Channel.LETTER, Channel.EMAIL]), True) == Channel.BOTH


@pytest.mark.parametrize(
    ("notice_date", "payment_days", "deadline"),
    [
        (date(2026, 10, 20), 10, date(2026, 10, 30)),
        (date(2026, 12, 28), 7, date(2027, 1, 4)),
        (date(2028, 2, 20), 10, date(2028, 3, 1)),  # leap year: 29 February counts
        (date(2026, 10, 20), 0, date(2026, 10, 20)),
    ],
)
def test_payment_deadline(notice_date, payment_days, deadline):
    assert payment_deadline(notice_date, payment_days) == deadline
