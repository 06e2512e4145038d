"""Allocation rules as small accountant stories (see the docstring of arrears.core.allocation)."""

from datetime import date

import pytest

from arrears.core.allocation import (
    Candidate,
    Method,
    Outcome,
    Receipt,
    Share,
    allocate,
    allocate_in_sequence,
    manual_pairing_amount,
    normalize_number,
    normalize_variable_symbol,
    reference_tokens,
)


def invoice(
    invoice_id,
    number,
    outstanding,
    *,
    vs="",
    currency="EUR",
    issued=date(2026, 1, 1),
    due=date(2026, 1, 15),
):
    return Candidate(invoice_id, number, vs, currency, issued, due, outstanding)


def by_reference(*pairs):
    return tuple(Share(invoice_id, amount, Method.REFERENCE) for invoice_id, amount in pairs)


def by_exact_amount(invoice_id, amount):
    return (Share(invoice_id, amount, Method.EXACT_AMOUNT),)


# --- helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("inv-12", "INV-12"),
        ("  fv/2026/001 ", "FV/2026/001"),
        ("(INV-7).", "INV-7"),
        ("#2026-0042:", "2026-0042"),
        ("'A.1'", "A.1"),
        ("*X*", "X"),
    ],
)
def test_normalize_number(text, normalized):
    assert normalize_number(text) == normalized


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("0012345", "12345"),
        ("12345", "12345"),
        ("VS0012345", "12345"),
        ("vs:0012345", "12345"),
        ("V.S.0042", "42"),
        ("VAR.SYMB.0042", "42"),
        ("000", "0"),
        ("(0099)", "99"),
        ("VS", ""),
        ("12a", ""),
        ("INV-12", ""),
        ("", ""),
    ],
)
def test_normalize_variable_symbol(text, normalized):
    assert normalize_variable_symbol(text) == normalized


def test_reference_tokens_split_on_whitespace_commas_and_semicolons_only():
    assert reference_tokens("Payment for inv-1, INV-1; fv/2026/001\t(2026-0042).  thanks") == [
        "PAYMENT",
        "FOR",
        "INV-1",
        "FV/2026/001",
        "2026-0042",
        "THANKS",
    ]
    assert reference_tokens("") == []
    assert reference_tokens(" ,; ") == []


def test_outcome_allocated_sums_the_shares():
    outcome = Outcome(by_reference((1, 300), (2, 200)), 50, "reference")
    assert outcome.allocated == 500
    assert Outcome((), 10, "credit").allocated == 0


# --- rule (a): the reference names the invoices ----------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    [
        "payment for inv-00000012, thanks",
        "INV-00000012",
        "Inv-00000012",
        "(inv-00000012).",
        "#INV-00000012;x",
    ],
)
def test_reference_by_invoice_number_wins_over_an_exact_amount_match(reference):
    # The older invoice 13 matches the amount exactly, but the customer named invoice 12.
    older = invoice(13, "INV-00000013", 10000, due=date(2025, 12, 1))
    named = invoice(12, "INV-00000012", 10000)
    outcome = allocate(Receipt("EUR", 10000, reference), [older, named])
    assert outcome == Outcome(by_reference((12, 10000)), 0, "reference")


@pytest.mark.parametrize(
    ("stored_symbol", "reference"),
    [
        ("0012345", "VS 12345"),
        ("0012345", "VS 0012345"),
        ("12345", "VS 0012345"),
        ("12345", "VS0012345"),
        ("12345", "vs:0012345"),
        ("0012345", "12345"),
        ("12345", "0012345"),
        ("0012345", "bank transfer 000012345 from ACME"),
    ],
)
def test_reference_by_variable_symbol_ignores_leading_zeros(stored_symbol, reference):
    other = invoice(2, "INV-2", 700, vs="54321", due=date(2025, 6, 1))
    named = invoice(1, "INV-1", 1000, vs=stored_symbol)
    outcome = allocate(Receipt("EUR", 700, reference), [other, named])
    assert outcome == Outcome(by_reference((1, 700)), 0, "reference")


def test_reference_naming_two_invoices_pays_them_in_the_order_named():
    a = invoice(1, "INV-A", 300, due=date(2026, 1, 1))
    b = invoice(2, "INV-B", 500, due=date(2026, 2, 1))
    assert allocate(Receipt("EUR", 600, "INV-B, INV-A"), [a, b]) == Outcome(
        by_reference((2, 500), (1, 100)), 0, "reference"
    )
    assert allocate(Receipt("EUR", 600, "INV-A INV-B"), [a, b]) == Outcome(
        by_reference((1, 300), (2, 300)), 0, "reference"
    )


def test_reference_mixing_number_and_variable_symbol_keeps_the_named_order():
    a = invoice(1, "INV-A", 300, vs="111")
    b = invoice(2, "INV-B", 500, vs="222")
    outcome = allocate(Receipt("EUR", 1000, "VS 0222 and INV-A"), [a, b])
    assert outcome == Outcome(by_reference((2, 500), (1, 300)), 200, "reference")


def test_invoice_named_twice_is_paid_only_once():
    a = invoice(1, "INV-A", 300, vs="111")
    outcome = allocate(Receipt("EUR", 1000, "INV-A inv-a VS 111 0111"), [a])
    assert outcome == Outcome(by_reference((1, 300)), 700, "reference")


def test_variable_symbol_shared_by_two_invoices_names_both():
    a = invoice(1, "INV-A", 300, vs="777", due=date(2026, 3, 1))
    b = invoice(2, "INV-B", 500, vs="0777", due=date(2026, 2, 1))
    outcome = allocate(Receipt("EUR", 1000, "VS 777"), [a, b])
    assert outcome.rule == "reference"
    assert sorted(outcome.shares, key=lambda s: s.invoice_id) == list(by_reference((1, 300), (2, 500)))
    assert outcome.credit == 200


def test_reference_naming_a_settled_invoice_leaves_everything_as_credit():
    # INV-1 was already paid; INV-2 is open with exactly the amount, but the customer said INV-1.
    settled = invoice(1, "INV-1", 0)
    exact = invoice(2, "INV-2", 2500)
    outcome = allocate(Receipt("EUR", 2500, "INV-1"), [settled, exact])
    assert outcome == Outcome((), 2500, "reference")


def test_reference_naming_an_overpaid_invoice_leaves_everything_as_credit():
    overpaid = invoice(1, "INV-1", -100)
    outcome = allocate(Receipt("EUR", 500, "INV-1"), [overpaid, invoice(2, "INV-2", 500)])
    assert outcome == Outcome((), 500, "reference")


def test_overpayment_of_a_named_invoice_becomes_credit():
    named = invoice(1, "INV-1", 300)
    outcome = allocate(Receipt("EUR", 1000, "INV-1"), [named])
    assert outcome == Outcome(by_reference((1, 300)), 700, "reference")
    assert outcome.allocated + outcome.credit == 1000


def test_underpayment_of_a_named_invoice_pays_part_of_it():
    named = invoice(1, "INV-1", 3000)
    assert allocate(Receipt("EUR", 1000, "INV-1"), [named]) == Outcome(by_reference((1, 1000)), 0, "reference")


def test_partially_settled_named_invoices_are_skipped_after_the_money_runs_out():
    a = invoice(1, "INV-A", 400)
    b = invoice(2, "INV-B", 0)
    c = invoice(3, "INV-C", 400)
    outcome = allocate(Receipt("EUR", 500, "INV-A INV-B INV-C"), [a, b, c])
    assert outcome == Outcome(by_reference((1, 400), (3, 100)), 0, "reference")


def test_reference_to_an_invoice_in_another_currency_falls_through_to_exact_amount():
    czk = invoice(1, "INV-1", 500, currency="CZK", vs="111")
    eur = invoice(2, "INV-2", 500)
    assert allocate(Receipt("EUR", 500, "INV-1"), [czk, eur]) == Outcome(by_exact_amount(2, 500), 0, "exact_amount")
    assert allocate(Receipt("EUR", 500, "VS 111"), [czk, eur]) == Outcome(by_exact_amount(2, 500), 0, "exact_amount")


def test_reference_to_an_invoice_in_another_currency_without_exact_match_is_credit():
    czk = invoice(1, "INV-1", 500, currency="CZK")
    eur = invoice(2, "INV-2", 800)
    assert allocate(Receipt("EUR", 500, "INV-1"), [czk, eur]) == Outcome((), 500, "credit")


def test_same_number_in_two_currencies_goes_to_the_receipts_currency():
    czk = invoice(1, "FV/2026/001", 1000, currency="CZK")
    eur = invoice(2, "FV/2026/001", 1000, currency="EUR")
    assert allocate(Receipt("CZK", 400, "fv/2026/001"), [eur, czk]) == Outcome(by_reference((1, 400)), 0, "reference")
    assert allocate(Receipt("EUR", 400, "fv/2026/001"), [czk, eur]) == Outcome(by_reference((2, 400)), 0, "reference")


def test_reference_naming_nothing_known_is_not_usable():
    exact = invoice(1, "INV-1", 750)
    outcome = allocate(Receipt("EUR", 750, "thanks for the goods, INV-999 VS 424242"), [exact])
    assert outcome == Outcome(by_exact_amount(1, 750), 0, "exact_amount")


def test_number_must_match_as_a_whole_token():
    inv = invoice(1, "INV-12", 900)
    assert allocate(Receipt("EUR", 500, "INV-123 INV-1 XINV-12"), [inv]) == Outcome((), 500, "credit")


# --- rule (b): exact amount ------------------------------------------------------------------


def test_exact_amount_picks_the_oldest_due_date():
    newer = invoice(1, "INV-1", 1200, due=date(2026, 3, 1), issued=date(2026, 1, 1))
    oldest = invoice(2, "INV-2", 1200, due=date(2026, 1, 10), issued=date(2026, 1, 5))
    middle = invoice(3, "INV-3", 1200, due=date(2026, 2, 1), issued=date(2025, 12, 1))
    for candidates in ([newer, oldest, middle], [middle, newer, oldest], [oldest, middle, newer]):
        assert allocate(Receipt("EUR", 1200), candidates) == Outcome(by_exact_amount(2, 1200), 0, "exact_amount")


def test_exact_amount_ties_on_due_date_are_broken_by_issue_date():
    later_issue = invoice(1, "INV-1", 1200, issued=date(2026, 1, 3), due=date(2026, 2, 1))
    earlier_issue = invoice(2, "INV-2", 1200, issued=date(2026, 1, 2), due=date(2026, 2, 1))
    for candidates in ([later_issue, earlier_issue], [earlier_issue, later_issue]):
        assert allocate(Receipt("EUR", 1200), candidates).shares == by_exact_amount(2, 1200)


def test_exact_amount_ties_on_both_dates_are_broken_by_number():
    b = invoice(1, "FV-002", 1200)
    a = invoice(2, "FV-001", 1200)
    for candidates in ([b, a], [a, b]):
        assert allocate(Receipt("EUR", 1200), candidates).shares == by_exact_amount(2, 1200)


def test_exact_amount_considers_only_the_receipts_currency():
    czk_older = invoice(1, "INV-1", 1200, currency="CZK", due=date(2025, 1, 1))
    eur = invoice(2, "INV-2", 1200, due=date(2026, 1, 1))
    assert allocate(Receipt("EUR", 1200), [czk_older, eur]).shares == by_exact_amount(2, 1200)
    assert allocate(Receipt("CZK", 1200), [czk_older, eur]).shares == by_exact_amount(1, 1200)
    assert allocate(Receipt("JPY", 1200), [czk_older, eur]) == Outcome((), 1200, "credit")


def test_exact_amount_needs_outstanding_equal_to_the_receipt():
    candidates = [
        invoice(1, "INV-1", 499),
        invoice(2, "INV-2", 501),
        invoice(3, "INV-3", 500, currency="CZK"),
    ]
    assert allocate(Receipt("EUR", 500), candidates) == Outcome((), 500, "credit")


def test_exact_amount_never_splits_over_several_invoices():
    candidates = [invoice(1, "INV-1", 500), invoice(2, "INV-2", 500)]
    assert allocate(Receipt("EUR", 1000), candidates) == Outcome((), 1000, "credit")


def test_exact_amount_ignores_the_original_amount_of_a_partly_paid_invoice():
    # Invoice of 1000 with 400 already paid: 600 is what counts.
    partly_paid = invoice(1, "INV-1", 600)
    assert allocate(Receipt("EUR", 1000), [partly_paid]) == Outcome((), 1000, "credit")
    assert allocate(Receipt("EUR", 600), [partly_paid]) == Outcome(by_exact_amount(1, 600), 0, "exact_amount")


# --- rule (c) and refused receipts --------------------------------------------------------------


def test_no_match_leaves_everything_as_credit():
    candidates = [invoice(1, "INV-1", 100), invoice(2, "INV-2", 0)]
    outcome = allocate(Receipt("EUR", 12345, "unclear"), candidates)
    assert outcome == Outcome((), 12345, "credit")
    assert outcome.allocated == 0


def test_no_candidates_at_all_is_credit():
    assert allocate(Receipt("JPY", 5000, "INV-1"), []) == Outcome((), 5000, "credit")


def test_a_settled_invoice_is_never_an_exact_match():
    # A zero receipt is refused anyway, so a settled invoice cannot take anything by amount.
    assert allocate(Receipt("EUR", 1), [invoice(1, "INV-1", 0)]) == Outcome((), 1, "credit")


@pytest.mark.parametrize("amount", [0, -1, -5000])
def test_non_positive_receipt_is_refused(amount):
    with pytest.raises(ValueError, match="positive"):
        allocate(Receipt("EUR", amount, "INV-1"), [invoice(1, "INV-1", 500)])


def test_allocate_accepts_any_iterable_and_changes_nothing():
    candidates = [invoice(1, "INV-1", 500), invoice(2, "INV-2", 300)]
    before = list(candidates)
    outcome = allocate(Receipt("EUR", 300), iter(candidates))
    assert outcome.shares == by_exact_amount(2, 300)
    assert candidates == before


# --- allocate_in_sequence ----------------------------------------------------------------------


def test_second_payment_for_a_settled_invoice_becomes_credit():
    inv = invoice(1, "INV-1", 1000)
    first, second = allocate_in_sequence([Receipt("EUR", 1000, "INV-1"), Receipt("EUR", 1000, "INV-1")], [inv])
    assert first == Outcome(by_reference((1, 1000)), 0, "reference")
    assert second == Outcome((), 1000, "reference")


def test_two_partial_payments_for_the_same_invoice():
    inv = invoice(1, "INV-1", 1000)
    outcomes = allocate_in_sequence([Receipt("EUR", 600, "INV-1"), Receipt("EUR", 600, "inv-1")], [inv])
    assert outcomes == [
        Outcome(by_reference((1, 600)), 0, "reference"),
        Outcome(by_reference((1, 400)), 200, "reference"),
    ]


def test_exact_amount_sees_what_earlier_receipts_left():
    a = invoice(1, "INV-1", 500, due=date(2026, 1, 1))
    b = invoice(2, "INV-2", 500, due=date(2026, 2, 1))
    c = invoice(3, "INV-3", 800, due=date(2025, 12, 1))
    receipts = [Receipt("EUR", 500), Receipt("EUR", 500), Receipt("EUR", 500), Receipt("EUR", 300, "INV-3")]
    outcomes = allocate_in_sequence(receipts, [b, c, a])
    assert outcomes == [
        Outcome(by_exact_amount(1, 500), 0, "exact_amount"),  # INV-1 is due first
        Outcome(by_exact_amount(2, 500), 0, "exact_amount"),  # INV-1 is settled now
        Outcome((), 500, "credit"),  # INV-3 owes 800, not 500
        Outcome(by_reference((3, 300)), 0, "reference"),
    ]


def test_partial_reference_payment_makes_the_rest_an_exact_match():
    inv = invoice(1, "INV-1", 1000)
    outcomes = allocate_in_sequence([Receipt("EUR", 400, "INV-1"), Receipt("EUR", 600, "")], [inv])
    assert outcomes == [
        Outcome(by_reference((1, 400)), 0, "reference"),
        Outcome(by_exact_amount(1, 600), 0, "exact_amount"),
    ]


def test_sequence_of_nothing():
    assert allocate_in_sequence([], [invoice(1, "INV-1", 100)]) == []


def test_sequence_refuses_a_non_positive_receipt():
    with pytest.raises(ValueError, match="positive"):
        allocate_in_sequence([Receipt("EUR", 100), Receipt("EUR", 0)], [invoice(1, "INV-1", 100)])


# --- manual_pairing_amount ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unallocated", "outstanding", "expected"),
    [(500, 300, 300), (200, 300, 200), (300, 300, 300), (1, 10**9, 1)],
)
def test_manual_pairing_defaults_to_all_that_fits(unallocated, outstanding, expected):
    assert manual_pairing_amount(unallocated, outstanding) == expected


@pytest.mark.parametrize(("requested", "expected"), [(1, 1), (150, 150), (300, 300)])
def test_manual_pairing_takes_a_requested_amount_that_fits(requested, expected):
    assert manual_pairing_amount(500, 300, requested) == expected


@pytest.mark.parametrize(("unallocated", "outstanding", "requested"), [(500, 300, 301), (200, 300, 201)])
def test_manual_pairing_refuses_more_than_fits(unallocated, outstanding, requested):
    limit = min(unallocated, outstanding)
    with pytest.raises(ValueError, match=f"cannot pair {requested}: at most {limit} fits"):
        manual_pairing_amount(unallocated, outstanding, requested)


@pytest.mark.parametrize("requested", [0, -1])
def test_manual_pairing_refuses_a_non_positive_amount(requested):
    with pytest.raises(ValueError, match="must be positive"):
        manual_pairing_amount(500, 300, requested)


@pytest.mark.parametrize(
    ("unallocated", "outstanding", "requested"),
    [(0, 300, None), (500, 0, None), (-10, 300, None), (500, -10, None), (0, 300, 100), (0, 0, 1)],
)
def test_manual_pairing_refuses_when_nothing_can_be_paired(unallocated, outstanding, requested):
    with pytest.raises(ValueError, match="nothing to pair"):
        manual_pairing_amount(unallocated, outstanding, requested)
