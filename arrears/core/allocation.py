"""Matching received money (payments, credit notes) to a customer's invoices.

The rules, in this order, exactly as an accountant would apply them by hand:

(a) The reference names invoices (by number or variable symbol) in the receipt's currency:
    the money goes to those invoices in the order they are named, each up to its outstanding
    amount. Whatever is left over becomes customer credit, even if another open invoice happens
    to match: the customer told us what they paid, and we do not second-guess it.
(b) No usable reference: an open invoice in the same currency whose outstanding amount equals
    the receipt exactly takes it (the oldest due date first; ties by issue date, then number).
(c) Otherwise the whole amount stays as unallocated credit in that currency. It is shown and
    netted later, never silently spread over invoices.

The caller passes the candidate invoices of the paying customer only; this module never
decides which customer paid. All functions are deterministic: the order in which candidates
are passed in does not change any result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from arrears.core.money import format_minor

# Invoice numbers may contain '/', '-' and '.' (FV/2026/001, 2026-0042); tokens are separated by
# whitespace, ',' and ';' only. Surrounding punctuation that people type around a number is dropped.
_TOKEN_SPLIT = re.compile(r"[\s,;]+")
_PUNCTUATION_AROUND = "()[]{}<>#:.'\"*"
_VS_PREFIX = re.compile(r"^(?:VS|V\.S\.|VAR\.?SYMB?\.?)[:.]?", re.IGNORECASE)


class Method(StrEnum):
    REFERENCE = "reference"
    EXACT_AMOUNT = "exact_amount"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An invoice of the paying customer, as seen at the moment of allocation."""

    invoice_id: int
    number: str
    variable_symbol: str
    currency: str
    issue_date: date
    due_date: date
    outstanding: int  # minor units; 0 for a settled invoice that a reference may still name


@dataclass(frozen=True, slots=True)
class Receipt:
    """Money received: a payment, or the unapplied part of a credit note (a positive amount)."""

    currency: str
    amount: int
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Share:
    invoice_id: int
    amount: int
    method: Method


@dataclass(frozen=True, slots=True)
class Outcome:
    shares: tuple[Share, ...]
    credit: int  # what stays unallocated, in the receipt's currency
    rule: str  # "reference", "exact_amount" or "credit": which rule decided

    @property
    def allocated(self) -> int:
        return sum(share.amount for share in self.shares)


def normalize_number(text: str) -> str:
    """The form in which invoice numbers are compared: trimmed, upper-case."""
    return text.strip().strip(_PUNCTUATION_AROUND).upper()


def normalize_variable_symbol(text: str) -> str:
    """Variable symbols are numeric; banks often drop leading zeros, so we do too."""
    digits = _VS_PREFIX.sub("", text.strip().strip(_PUNCTUATION_AROUND))
    if not digits.isdigit():
        return ""
    return digits.lstrip("0") or "0"


def reference_tokens(reference: str) -> list[str]:
    """Split a free-text payment reference into the words that could name an invoice."""
    tokens: list[str] = []
    for raw in _TOKEN_SPLIT.split(reference):
        token = normalize_number(raw)
        if token and token not in tokens:
            tokens.append(token)
    return tokens


def lookup_keys(references: Iterable[str]) -> tuple[set[str], set[str]]:
    """(invoice numbers, variable symbols) that references may name: what a database must look up
    so that `named_invoices` sees every invoice a reference names. Numbers are given both as typed
    and upper-cased; symbols without leading zeros (store numeric symbols that way too)."""
    numbers: set[str] = set()
    symbols: set[str] = set()
    for reference in references:
        for raw in _TOKEN_SPLIT.split(reference):
            token = raw.strip().strip(_PUNCTUATION_AROUND)
            if token:
                numbers.update((token, token.upper()))
                symbol = normalize_variable_symbol(token)
                if symbol:
                    symbols.add(symbol)
    return numbers, symbols


def _sort_key(candidate: Candidate) -> tuple[date, date, str, int]:
    return (candidate.due_date, candidate.issue_date, candidate.number, candidate.invoice_id)


def named_invoices(reference: str, candidates: Iterable[Candidate], currency: str) -> list[Candidate]:
    """The candidates in `currency` that the reference names, in the order it names them.

    A word that is both one invoice's number and another's variable symbol names the invoice
    with that number: the number is the unambiguous identifier.
    """
    by_number: dict[str, Candidate] = {}
    by_symbol: dict[str, list[Candidate]] = {}
    for candidate in sorted(candidates, key=_sort_key):
        if candidate.currency != currency:
            continue
        by_number.setdefault(normalize_number(candidate.number), candidate)
        symbol = normalize_variable_symbol(candidate.variable_symbol) if candidate.variable_symbol else ""
        if symbol:
            by_symbol.setdefault(symbol, []).append(candidate)
    named: list[Candidate] = []
    for token in reference_tokens(reference):
        matches = [by_number[token]] if token in by_number else by_symbol.get(normalize_variable_symbol(token), [])
        for match in matches:
            if match not in named:
                named.append(match)
    return named


def allocate(receipt: Receipt, candidates: Iterable[Candidate]) -> Outcome:
    """Decide where one receipt goes. Pure: returns shares, changes nothing."""
    if receipt.amount <= 0:
        raise ValueError(f"a receipt must be positive, got {receipt.amount}")
    pool = list(candidates)
    named = named_invoices(receipt.reference, pool, receipt.currency) if receipt.reference else []
    if named:
        left = receipt.amount
        shares: list[Share] = []
        for invoice in named:
            take = min(left, max(invoice.outstanding, 0))
            if take > 0:
                shares.append(Share(invoice.invoice_id, take, Method.REFERENCE))
                left -= take
        return Outcome(tuple(shares), left, Method.REFERENCE.value)
    exact = sorted(
        (c for c in pool if c.currency == receipt.currency and c.outstanding == receipt.amount),
        key=_sort_key,
    )
    if exact:
        return Outcome((Share(exact[0].invoice_id, receipt.amount, Method.EXACT_AMOUNT),), 0, "exact_amount")
    return Outcome((), receipt.amount, "credit")


def allocate_in_sequence(receipts: Sequence[Receipt], candidates: Iterable[Candidate]) -> list[Outcome]:
    """Allocate several receipts of one customer one after another, as they arrived.

    Each receipt sees the invoices as the previous ones left them, so no invoice is ever
    allocated beyond its outstanding amount.
    """
    state = {c.invoice_id: c for c in candidates}
    outcomes: list[Outcome] = []
    for receipt in receipts:
        outcome = allocate(receipt, state.values())
        for share in outcome.shares:
            current = state[share.invoice_id]
            state[share.invoice_id] = _with_outstanding(current, current.outstanding - share.amount)
        outcomes.append(outcome)
    return outcomes


def _with_outstanding(candidate: Candidate, outstanding: int) -> Candidate:
    return Candidate(
        candidate.invoice_id,
        candidate.number,
        candidate.variable_symbol,
        candidate.currency,
        candidate.issue_date,
        candidate.due_date,
        outstanding,
    )


def manual_pairing_amount(unallocated: int, outstanding: int, requested: int | None = None, currency: str = "") -> int:
    """How much a hand-made pairing moves: by default all that fits; never more than either side."""

    def shown(minor: int) -> str:
        return f"{format_minor(minor, currency)} {currency}" if currency else str(minor)

    limit = min(unallocated, outstanding)
    if limit <= 0:
        raise ValueError("nothing to pair: the payment has no unallocated money or the invoice is settled")
    if requested is None:
        return limit
    if requested <= 0:
        raise ValueError("a pairing amount must be positive")
    if requested > limit:
        raise ValueError(
            f"cannot pair {shown(requested)}: at most {shown(limit)} fits "
            f"(unallocated {shown(unallocated)}, outstanding {shown(outstanding)})"
        )
    return requested
