"""Grouping the decisions of a run into one notice per customer.

A notice covers every invoice of the customer that is due for a reminder, in all currencies,
with totals per currency. Unallocated credit in a currency is shown and netted; if it covers
everything overdue in that currency, nothing is demanded in it and its invoices are left out
(reason "credit_covers"). The notice's level is the highest level among its items.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from arrears.core.engine import Decision, InvoiceFacts, Reason
from arrears.core.policy import Channel


@dataclass(frozen=True, slots=True)
class Item:
    facts: InvoiceFacts
    decision: Decision
    channel: Channel  # what the item's level asks for


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    currency: str
    reminded: int  # outstanding of the invoices in the notice
    overdue: int  # outstanding of the customer's overdue invoices in this currency that can be reminded
    credit: int  # unallocated credit, shown and netted
    demanded: int  # what the notice asks to be paid: reminded - credit, never below zero


@dataclass(frozen=True)
class NoticePlan:
    customer_id: int
    level: int  # the highest level among the items (0: only pre-due items)
    channel: Channel
    items: tuple[Item, ...]
    totals: tuple[CurrencyTotal, ...]


@dataclass
class Grouping:
    notice: NoticePlan | None
    covered_by_credit: list[Item] = field(default_factory=list)


def group_customer(
    customer_id: int,
    due_items: Iterable[Item],
    overdue_by_currency: Mapping[str, int],
    credit_by_currency: Mapping[str, int],
    has_email: bool,
) -> Grouping:
    """One customer's notice from its items that are due, or None when nothing is left to demand."""
    by_currency: dict[str, list[Item]] = {}
    for item in due_items:
        by_currency.setdefault(item.facts.currency, []).append(item)
    kept: list[Item] = []
    covered: list[Item] = []
    totals: list[CurrencyTotal] = []
    for currency in sorted(by_currency):
        items = by_currency[currency]
        credit = credit_by_currency.get(currency, 0)
        overdue = overdue_by_currency.get(currency, 0)
        reminded = sum(i.facts.outstanding for i in items)
        dunned = [i for i in items if i.decision.reason != Reason.PRE_DUE]
        if not dunned and credit > 0:
            # Only items not yet due are in the notice: the credit first answers for what is
            # already overdue elsewhere, and only the rest is netted against them.
            credit = max(credit - overdue, 0)
        elif dunned and credit > 0 and (credit >= overdue or credit >= sum(i.facts.outstanding for i in dunned)):
            # The customer's own money already covers all that is overdue here: ask for nothing,
            # and net only what is left of the credit against the items not yet due.
            covered.extend(dunned)
            items = [i for i in items if i.decision.reason == Reason.PRE_DUE]
            credit -= overdue
            if not items:
                continue
            reminded = sum(i.facts.outstanding for i in items)
        kept.extend(items)
        totals.append(CurrencyTotal(currency, reminded, overdue, credit, max(reminded - credit, 0)))
    if not kept:
        return Grouping(None, covered)
    kept.sort(key=lambda i: (i.facts.currency, i.facts.due_date, i.facts.invoice_id))
    level = max(i.decision.level for i in kept)
    top = [i.channel for i in kept if i.decision.level == level]
    channel = choose_channel(top, has_email)
    return Grouping(NoticePlan(customer_id, level, channel, tuple(kept), tuple(totals)), covered)


def choose_channel(wanted: Iterable[Channel], has_email: bool) -> Channel:
    """The strongest channel asked for; e-mail falls back to a letter without a usable address."""
    asked = set(wanted)
    if Channel.BOTH in asked or {Channel.EMAIL, Channel.LETTER} <= asked:
        channel = Channel.BOTH
    elif Channel.LETTER in asked:
        channel = Channel.LETTER
    else:
        channel = Channel.EMAIL
    if not has_email and channel in (Channel.EMAIL, Channel.BOTH):
        return Channel.LETTER
    return channel


def payment_deadline(notice_date: date, payment_days: int) -> date:
    return notice_date + timedelta(days=payment_days)
