"""Hypothesis properties of arrears.core.allocation: conservation, bounds, determinism, rule order.

Two generated worlds:
- "messy": invoice numbers and variable symbols collide, some numbers are plain digits that look
  like variable symbols, some invoices are settled. Only invariants are checked there.
- "clean": numbers and variable symbols are unique per customer, so the docstring alone fixes the
  exact outcome and a small model of the rules can be compared with the real thing.
References are built partly from the candidates' own numbers and symbols, written the way people
write them (lower case, leading zeros dropped or added, "VS" prefixes, punctuation around them).
"""

import re
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.core.allocation import (
    Candidate,
    Method,
    Outcome,
    Receipt,
    allocate,
    allocate_in_sequence,
)

CURRENCIES = ("EUR", "CZK", "JPY")
WORDS = (
    "payment",
    "for",
    "invoice",
    "thanks",
    "faktura",
    "ACME",
    "Ltd",
    "order",
    "no",
    "INV",
    "VS",
    "-",
    "&",
)
SEPARATORS = (" ", ", ", "; ", "  ", "\n", ",", "\t")
WRAPPERS = (("", ""), ("(", ")"), ("#", ""), ("", "."), ("", ":"), ("[", "],"), ('"', '"'), ("*", "*"))

ids = st.integers(min_value=1, max_value=10**9)
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 1, 8))  # narrow: ties are common
outstandings = st.one_of(st.just(0), st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=5000))


@st.composite
def messy_numbers(draw):
    prefix = draw(st.sampled_from(("INV-", "inv-", "FV/2026/", "2026-", "", "A.")))
    return prefix + draw(st.sampled_from(("1", "2", "12", "012", "0042", "42", "7")))


@st.composite
def messy_symbols(draw):
    return draw(st.sampled_from(("", "", "42", "0042", "12", "7", "007", "0", "12345", "0012345")))


@st.composite
def candidate_lists(draw, clean=False, max_size=7):
    size = draw(st.integers(min_value=0, max_value=max_size))
    invoice_ids = draw(st.lists(ids, min_size=size, max_size=size, unique=True))
    if clean:
        numbers = draw(
            st.lists(
                st.builds("{}{}".format, st.sampled_from(("INV-", "FV/2026/", "2026-")), st.integers(0, 99)),
                min_size=size,
                max_size=size,
                unique=True,
            )
        )
        symbols = draw(
            st.lists(st.integers(0, 999), min_size=size, max_size=size, unique=True).map(
                lambda values: [str(value) for value in values]
            )
        )
        symbols = [draw(st.sampled_from(("", "0", "00"))) + symbol for symbol in symbols]
        symbols = [draw(st.sampled_from((symbol, ""))) for symbol in symbols]
    else:
        numbers = draw(st.lists(messy_numbers(), min_size=size, max_size=size))
        symbols = draw(st.lists(messy_symbols(), min_size=size, max_size=size))
    candidates = []
    for invoice_id, number, symbol in zip(invoice_ids, numbers, symbols, strict=True):
        issued = draw(days)
        due = issued + timedelta(days=draw(st.integers(min_value=0, max_value=3)))
        currency = draw(st.sampled_from(CURRENCIES))
        candidates.append(Candidate(invoice_id, number, symbol, currency, issued, due, draw(outstandings)))
    return candidates


@st.composite
def reference_words(draw, candidates):
    choices = ["word", "letters"]
    if candidates:
        choices += ["number", "number", "number", "symbol", "symbol"]
    kind = draw(st.sampled_from(choices))
    if kind == "word":
        return draw(st.sampled_from(WORDS))
    if kind == "letters":
        return draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEF", min_size=1, max_size=6))
    candidate = draw(st.sampled_from(candidates))
    if kind == "number":
        number = draw(st.sampled_from((candidate.number, candidate.number.lower(), candidate.number.upper())))
        before, after = draw(st.sampled_from(WRAPPERS))
        return f"{before}{number}{after}"
    digits = candidate.variable_symbol.lstrip("0") or "0"
    digits = draw(st.sampled_from(("", "0", "000"))) + digits
    prefix = draw(st.sampled_from(("", "VS ", "VS", "vs", "VS:", "vs: ")))
    return prefix + digits


@st.composite
def receipts_for(draw, candidates):
    currencies = st.sampled_from(CURRENCIES)
    if candidates:
        currencies = st.one_of(st.sampled_from([c.currency for c in candidates]), currencies)
    currency = draw(currencies)
    owed = [c.outstanding for c in candidates if c.outstanding > 0]
    amounts = st.integers(min_value=1, max_value=12000)
    if owed:
        amounts = st.one_of(amounts, st.sampled_from(owed))
    size = draw(st.sampled_from((0, 1, 1, 2, 2, 3, 4)))
    words = draw(st.lists(reference_words(candidates), min_size=size, max_size=size))
    reference = ""
    for word in words:
        reference += word + draw(st.sampled_from(SEPARATORS))
    return Receipt(currency, draw(amounts), reference.strip() if draw(st.booleans()) else reference)


@st.composite
def worlds(draw, clean=False):
    candidates = draw(candidate_lists(clean=clean))
    return candidates, draw(receipts_for(candidates))


@st.composite
def sequences(draw):
    candidates = draw(candidate_lists())
    receipts = draw(st.lists(receipts_for(candidates), min_size=1, max_size=6))
    return candidates, receipts


# --- an independent reading of the docstring -------------------------------------------------------

_SPLIT = re.compile(r"[\s,;]+")
_STRIP = "()[]{}<>#:.'\"*"
_SYMBOL_TOKEN = re.compile(r"(?:VS:?)?0*(\d+)")  # covers every symbol form the strategies write


def _tokens(reference):
    tokens = []
    for raw in _SPLIT.split(reference):
        token = raw.strip(_STRIP).upper()
        if token and token not in tokens:
            tokens.append(token)
    return tokens


def _number_named(token, candidate):
    return candidate.number.strip(_STRIP).upper() == token


def _symbol_named(token, candidate):
    match = _SYMBOL_TOKEN.fullmatch(token)
    if match is None or not candidate.variable_symbol:
        return False
    return match.group(1) == (candidate.variable_symbol.lstrip("0") or "0")


def names(reference, candidate):
    return any(_number_named(t, candidate) or _symbol_named(t, candidate) for t in _tokens(reference))


def usable(receipt, candidates):
    return any(c.currency == receipt.currency and names(receipt.reference, c) for c in candidates)


def model(receipt, candidates):
    """The docstring as a model, valid when numbers and symbols are unique per customer."""
    same = [c for c in candidates if c.currency == receipt.currency]
    named = []
    for token in _tokens(receipt.reference):
        for candidate in same:
            if (_number_named(token, candidate) or _symbol_named(token, candidate)) and candidate not in named:
                named.append(candidate)
    if named:
        left, shares = receipt.amount, []
        for candidate in named:
            take = min(left, candidate.outstanding)
            if take > 0:
                shares.append((candidate.invoice_id, take))
                left -= take
        return shares, left, "reference"
    exact = [c for c in same if c.outstanding == receipt.amount]
    if exact:
        oldest = min(exact, key=lambda c: (c.due_date, c.issue_date, c.number))
        return [(oldest.invoice_id, receipt.amount)], 0, "exact_amount"
    return [], receipt.amount, "credit"


def check_invariants(receipt, candidates, outcome):
    by_id = {c.invoice_id: c for c in candidates}
    assert isinstance(outcome, Outcome)
    assert outcome.allocated + outcome.credit == receipt.amount
    assert outcome.credit >= 0
    assert outcome.rule in ("reference", "exact_amount", "credit")
    share_ids = [share.invoice_id for share in outcome.shares]
    assert len(share_ids) == len(set(share_ids))
    for share in outcome.shares:
        assert share.amount > 0
        assert share.invoice_id in by_id
        assert by_id[share.invoice_id].currency == receipt.currency
        assert share.amount <= by_id[share.invoice_id].outstanding
        assert share.method.value == outcome.rule


# --- single receipts -------------------------------------------------------------------------------


@given(worlds())
def test_money_is_conserved(world):
    candidates, receipt = world
    outcome = allocate(receipt, candidates)
    assert sum(share.amount for share in outcome.shares) + outcome.credit == receipt.amount


@given(worlds())
def test_shares_are_positive_in_the_receipts_currency_and_within_outstanding(world):
    candidates, receipt = world
    check_invariants(receipt, candidates, allocate(receipt, candidates))


@given(worlds())
def test_rule_shapes(world):
    candidates, receipt = world
    outcome = allocate(receipt, candidates)
    if outcome.rule == "credit":
        assert outcome.shares == ()
        assert outcome.credit == receipt.amount
    elif outcome.rule == "exact_amount":
        (share,) = outcome.shares
        assert share.method is Method.EXACT_AMOUNT
        assert share.amount == receipt.amount
        assert outcome.credit == 0
    else:
        assert all(share.method is Method.REFERENCE for share in outcome.shares)


@given(worlds())
def test_a_usable_reference_decides_and_exact_amount_never_fires(world):
    candidates, receipt = world
    outcome = allocate(receipt, candidates)
    if usable(receipt, candidates):
        assert outcome.rule == "reference"
    else:
        assert outcome.rule != "reference"


@given(worlds())
def test_reference_pays_only_named_invoices(world):
    candidates, receipt = world
    outcome = allocate(receipt, candidates)
    by_id = {c.invoice_id: c for c in candidates}
    if outcome.rule == "reference":
        for share in outcome.shares:
            assert names(receipt.reference, by_id[share.invoice_id])


@given(worlds())
def test_exact_amount_fires_exactly_when_it_should_and_picks_the_oldest(world):
    candidates, receipt = world
    outcome = allocate(receipt, candidates)
    exact = [c for c in candidates if c.currency == receipt.currency and c.outstanding == receipt.amount]
    if usable(receipt, candidates):
        return
    if not exact:
        assert outcome == Outcome((), receipt.amount, "credit")
        return
    assert outcome.rule == "exact_amount"
    (share,) = outcome.shares
    chosen = next(c for c in exact if c.invoice_id == share.invoice_id)
    key = (chosen.due_date, chosen.issue_date, chosen.number)
    assert all(key <= (c.due_date, c.issue_date, c.number) for c in exact)


@given(worlds())
def test_a_named_invoice_with_money_left_is_filled_before_credit_remains(world):
    candidates, receipt = world
    outcome = allocate(receipt, candidates)
    if outcome.rule != "reference" or outcome.credit == 0:
        return
    paid = {share.invoice_id: share.amount for share in outcome.shares}
    for candidate in candidates:
        if candidate.invoice_id in paid and names(receipt.reference, candidate):
            assert paid[candidate.invoice_id] == candidate.outstanding


@given(worlds(), st.data())
def test_deterministic_and_independent_of_candidate_order(world, data):
    candidates, receipt = world
    outcome = allocate(receipt, candidates)
    assert allocate(receipt, candidates) == outcome
    shuffled = data.draw(st.permutations(candidates), label="shuffled")
    assert allocate(receipt, shuffled) == outcome
    assert allocate(receipt, reversed(candidates)) == outcome


@given(worlds(clean=True), st.data())
def test_clean_world_matches_the_docstring_model(world, data):
    candidates, receipt = world
    shuffled = data.draw(st.permutations(candidates), label="shuffled")
    outcome = allocate(receipt, shuffled)
    shares, credit, rule = model(receipt, candidates)
    assert [(share.invoice_id, share.amount) for share in outcome.shares] == shares
    assert outcome.credit == credit
    assert outcome.rule == rule


@given(candidate_lists(), st.integers(max_value=0), st.text(max_size=10))
def test_non_positive_receipts_are_refused(candidates, amount, reference):
    with pytest.raises(ValueError, match="positive"):
        allocate(Receipt("EUR", amount, reference), candidates)


# --- sequences ---------------------------------------------------------------------------------


@given(sequences())
def test_sequence_conserves_money_and_never_overpays_an_invoice(sequence):
    candidates, receipts = sequence
    outcomes = allocate_in_sequence(receipts, candidates)
    assert len(outcomes) == len(receipts)
    paid = Counter()
    for receipt, outcome in zip(receipts, outcomes, strict=True):
        assert outcome.allocated + outcome.credit == receipt.amount
        assert outcome.credit >= 0
        for share in outcome.shares:
            assert share.amount > 0
            paid[share.invoice_id] += share.amount
    by_id = {c.invoice_id: c for c in candidates}
    for invoice_id, total in paid.items():
        assert total <= by_id[invoice_id].outstanding


@given(sequences())
def test_sequence_is_allocate_applied_to_what_the_previous_receipts_left(sequence):
    candidates, receipts = sequence
    outcomes = allocate_in_sequence(receipts, candidates)
    state = list(candidates)
    for receipt, outcome in zip(receipts, outcomes, strict=True):
        assert allocate(receipt, state) == outcome
        check_invariants(receipt, state, outcome)
        paid = {share.invoice_id: share.amount for share in outcome.shares}
        state = [
            Candidate(
                c.invoice_id,
                c.number,
                c.variable_symbol,
                c.currency,
                c.issue_date,
                c.due_date,
                c.outstanding - paid.get(c.invoice_id, 0),
            )
            for c in state
        ]
    assert all(c.outstanding >= 0 for c in state)


@given(sequences(), st.data())
def test_sequence_is_deterministic_and_independent_of_candidate_order(sequence, data):
    candidates, receipts = sequence
    outcomes = allocate_in_sequence(receipts, candidates)
    assert allocate_in_sequence(receipts, candidates) == outcomes
    shuffled = data.draw(st.permutations(candidates), label="shuffled")
    assert allocate_in_sequence(receipts, shuffled) == outcomes


@st.composite
def payments_naming_one_invoice(draw):
    candidates = draw(candidate_lists(clean=True).filter(bool))
    target = draw(st.sampled_from(candidates))
    amounts = draw(st.lists(st.integers(min_value=1, max_value=3000), min_size=1, max_size=5))
    receipts = [Receipt(target.currency, amount, f"payment {target.number.lower()}") for amount in amounts]
    return candidates, target, receipts


@given(payments_naming_one_invoice())
def test_sequence_of_payments_naming_one_invoice_stops_at_its_outstanding(case):
    candidates, target, receipts = case
    outcomes = allocate_in_sequence(receipts, candidates)
    assert all(outcome.rule == "reference" for outcome in outcomes)
    assert all(share.invoice_id == target.invoice_id for outcome in outcomes for share in outcome.shares)
    total = sum(outcome.allocated for outcome in outcomes)
    assert total == min(target.outstanding, sum(receipt.amount for receipt in receipts))
    assert sum(outcome.credit for outcome in outcomes) == sum(receipt.amount for receipt in receipts) - total
