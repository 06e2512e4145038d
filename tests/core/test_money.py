"""Unit and property tests for arrears.core.money and arrears.core.currencies."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.core.currencies import (
    MINOR_UNIT_EXPONENT,
    UnknownCurrencyError,
    exponent,
    is_known_currency,
)
from arrears.core.money import AmountError, Money, format_minor, parse_minor

currencies = st.sampled_from(sorted(MINOR_UNIT_EXPONENT))
minor_amounts = st.integers(min_value=-(10**15), max_value=10**15)


# --- currencies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "digits"),
    [
        ("EUR", 2),
        ("CZK", 2),
        ("USD", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("KWD", 3),
        ("IQD", 3),  # 3 in ISO 4217 although CLDR displays 0
        ("CLF", 4),
        ("BGN", 2),  # withdrawn, old invoices still exist
        ("HRK", 2),
    ],
)
def test_exponent_of_known_currencies(code, digits):
    assert is_known_currency(code) is True
    assert exponent(code) == digits


@pytest.mark.parametrize("code", ["XYZ", "eur", "EURO", "", " EUR"])
def test_unknown_currency_is_refused(code):
    assert is_known_currency(code) is False
    with pytest.raises(UnknownCurrencyError) as excinfo:
        exponent(code)
    assert excinfo.value.code == code


def test_unknown_currency_error_is_a_value_error_naming_the_code():
    error = UnknownCurrencyError("XYZ")
    assert isinstance(error, ValueError)
    assert "'XYZ'" in str(error)


def test_currency_table_holds_only_upper_case_three_letter_codes():
    assert len(MINOR_UNIT_EXPONENT) > 150
    for code, digits in MINOR_UNIT_EXPONENT.items():
        assert len(code) == 3
        assert code.isascii()
        assert code.isalpha()
        assert code.isupper()
        assert digits in (0, 2, 3, 4)


# --- parse_minor -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1234.50", "EUR", 123450),
        ("1234.5", "EUR", 123450),
        ("0.1", "EUR", 10),
        ("0.10", "EUR", 10),
        ("0.01", "EUR", 1),
        ("-5.00", "EUR", -500),
        ("+3", "EUR", 300),
        ("0", "EUR", 0),
        ("-0.00", "EUR", 0),
        ("007.05", "EUR", 705),
        ("  12.00 ", "EUR", 1200),
        ("12.3400", "EUR", 1234),  # extra zeros are exact, hence accepted
        ("100", "JPY", 100),
        ("100.00", "JPY", 100),
        ("-7", "JPY", -7),
        ("1.234", "KWD", 1234),
        ("1.5", "KWD", 1500),
        ("0.001", "KWD", 1),
        ("-2.0500", "KWD", -2050),
        ("1.2345", "CLF", 12345),
        ("99999999999999999999.99", "EUR", 9999999999999999999999),
    ],
)
def test_parse_minor(text, currency, minor):
    assert parse_minor(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("100.50", "JPY"),
        ("100.001", "JPY"),
        ("12.345", "EUR"),
        ("0.001", "EUR"),
        ("1.2345", "KWD"),
        ("1.00001", "CLF"),
    ],
)
def test_parse_minor_never_rounds(text, currency):
    with pytest.raises(AmountError, match="more decimal places"):
        parse_minor(text, currency)


@pytest.mark.parametrize(
    "text",
    [
        "1,000.00",
        "1 000.00",
        "1000,50",
        "1e5",
        "1E5",
        "",
        "   ",
        "abc",
        "12.",
        ".5",
        "-",
        "+",
        "--5",
        "+-5",
        "5-",
        "1.2.3",
        "0x10",
        "1_000",
        "EUR 5",
        "5 EUR",
        "inf",
        "NaN",
    ],
)
def test_parse_minor_rejects_malformed_text(text):
    with pytest.raises(AmountError, match="not a decimal amount"):
        parse_minor(text, "EUR")


@pytest.mark.parametrize("text", ["100.", ".5", "1,000", "1e3"])
def test_parse_minor_rejects_malformed_text_in_yen(text):
    with pytest.raises(AmountError, match="not a decimal amount"):
        parse_minor(text, "JPY")


def test_amount_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_minor("abc", "EUR")


@pytest.mark.parametrize("currency", ["XYZ", "eur", ""])
def test_parse_minor_unknown_currency_names_the_code(currency):
    with pytest.raises(UnknownCurrencyError, match=repr(currency)):
        parse_minor("1.00", currency)


def test_parse_minor_unknown_currency_wins_over_malformed_amount():
    with pytest.raises(UnknownCurrencyError, match="'XYZ'"):
        parse_minor("garbage", "XYZ")


# --- format_minor ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (123450, "EUR", "1234.50"),
        (10, "EUR", "0.10"),
        (5, "EUR", "0.05"),
        (-5, "EUR", "-0.05"),
        (-500, "EUR", "-5.00"),
        (0, "EUR", "0.00"),
        (100, "JPY", "100"),
        (-100, "JPY", "-100"),
        (0, "JPY", "0"),
        (1234, "KWD", "1.234"),
        (1, "KWD", "0.001"),
        (-1, "KWD", "-0.001"),
        (12345, "CLF", "1.2345"),
    ],
)
def test_format_minor(minor, currency, text):
    assert format_minor(minor, currency) == text


def test_format_minor_unknown_currency():
    with pytest.raises(UnknownCurrencyError, match="'ABC'"):
        format_minor(100, "ABC")


@given(minor=minor_amounts, currency=currencies)
def test_format_minor_round_trips_through_parse_minor(minor, currency):
    text = format_minor(minor, currency)
    assert parse_minor(text, currency) == minor
    assert format_minor(parse_minor(text, currency), currency) == text


@given(minor=minor_amounts, currency=currencies)
def test_format_minor_shape(minor, currency):
    text = format_minor(minor, currency)
    digits = MINOR_UNIT_EXPONENT[currency]
    assert text.startswith("-") == (minor < 0)
    if digits == 0:
        assert "." not in text
    else:
        whole, fraction = text.lstrip("-").split(".")
        assert len(fraction) == digits
        assert whole == str(abs(minor) // 10**digits)


@given(
    whole=st.integers(min_value=0, max_value=10**12),
    data=st.data(),
    currency=currencies,
    negative=st.booleans(),
    extra_zeros=st.integers(min_value=0, max_value=4),
)
def test_parse_minor_of_constructed_text(whole, data, currency, negative, extra_zeros):
    digits = MINOR_UNIT_EXPONENT[currency]
    fraction = data.draw(st.integers(min_value=0, max_value=10**digits - 1)) if digits else 0
    fraction_text = f"{fraction:0{digits}d}" if digits else ""
    fraction_text += "0" * extra_zeros
    text = ("-" if negative else "") + str(whole) + (f".{fraction_text}" if fraction_text else "")
    expected = whole * 10**digits + fraction
    assert parse_minor(text, currency) == (-expected if negative else expected)


@given(minor=minor_amounts, currency=currencies, last=st.integers(min_value=1, max_value=9))
def test_parse_minor_refuses_one_more_non_zero_digit(minor, currency, last):
    text = format_minor(minor, currency)
    if "." not in text:
        text += "."
    with pytest.raises(AmountError):
        parse_minor(f"{text}{last}", currency)


# --- Money -------------------------------------------------------------------------------------


def test_money_parse_and_zero():
    assert Money.parse("12.30", "EUR") == Money("EUR", 1230)
    assert Money.parse("500", "JPY") == Money("JPY", 500)
    assert Money.zero("CZK") == Money("CZK", 0)
    with pytest.raises(AmountError):
        Money.parse("1.005", "EUR")
    with pytest.raises(UnknownCurrencyError):
        Money.parse("1.00", "XXX")


def test_money_arithmetic_in_one_currency():
    a = Money("EUR", 1050)
    b = Money("EUR", 250)
    assert a + b == Money("EUR", 1300)
    assert a - b == Money("EUR", 800)
    assert b - a == Money("EUR", -800)
    assert -a == Money("EUR", -1050)
    assert a + Money.zero("EUR") == a


@pytest.mark.parametrize("operation", [lambda a, b: a + b, lambda a, b: a - b], ids=["add", "subtract"])
def test_money_refuses_to_mix_currencies(operation):
    with pytest.raises(ValueError, match="cannot combine EUR and CZK"):
        operation(Money("EUR", 100), Money("CZK", 100))
    with pytest.raises(ValueError, match="cannot combine CZK and EUR"):
        operation(Money("CZK", 100), Money("EUR", 100))


def test_money_refuses_to_mix_currencies_even_for_zero():
    with pytest.raises(ValueError, match="cannot combine"):
        Money("EUR", 100) + Money.zero("USD")


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money("EUR", 123450), "1234.50 EUR"),
        (Money("EUR", -5), "-0.05 EUR"),
        (Money("EUR", 0), "0.00 EUR"),
        (Money("JPY", 1500), "1500 JPY"),
        (Money("KWD", 1234), "1.234 KWD"),
        (Money("CZK", -100000), "-1000.00 CZK"),
    ],
)
def test_money_str(money, text):
    assert str(money) == text


def test_money_is_immutable_and_hashable():
    money = Money("EUR", 100)
    with pytest.raises(AttributeError):
        money.minor = 200  # type: ignore[misc]
    assert {money, Money("EUR", 100)} == {Money("EUR", 100)}
    assert Money("EUR", 100) != Money("CZK", 100)


@given(a=minor_amounts, b=minor_amounts, c=minor_amounts, currency=currencies)
def test_money_arithmetic_laws(a, b, c, currency):
    x, y, z = Money(currency, a), Money(currency, b), Money(currency, c)
    assert x + y == y + x
    assert (x + y) + z == x + (y + z)
    assert (x + y) - y == x
    assert x - y == x + (-y)
    assert (x + y).minor == a + b
    assert (x + y).currency == currency


@given(minor=minor_amounts, currency=currencies)
def test_money_str_is_format_minor_and_code(minor, currency):
    text = str(Money(currency, minor))
    amount, code = text.split(" ")
    assert code == currency
    assert Money.parse(amount, currency) == Money(currency, minor)


@given(a=currencies, b=currencies)
def test_money_mixing_fails_exactly_when_currencies_differ(a, b):
    if a == b:
        assert (Money(a, 3) + Money(b, 4)).minor == 7
    else:
        with pytest.raises(ValueError, match="cannot combine"):
            Money(a, 3) + Money(b, 4)
        with pytest.raises(ValueError, match="cannot combine"):
            Money(a, 3) - Money(b, 4)


# --- Found in review: digits, ordering and construction --------------------------------------


@pytest.mark.parametrize("text", ["١٢", "１２.５０", "12.٥٠"])
def test_parse_minor_accepts_only_ascii_digits(text):
    # Python's \d and int() accept Arabic-Indic and fullwidth digits; a CSV amount never has them.
    with pytest.raises(AmountError, match="is not a decimal amount"):
        parse_minor(text, "EUR")


def test_money_of_different_currencies_cannot_be_compared():
    with pytest.raises(ValueError, match="cannot combine CZK and EUR"):
        _ = Money("CZK", 10**9) < Money("EUR", 1)
    with pytest.raises(ValueError, match="cannot combine"):
        _ = Money("EUR", 1) >= Money("USD", 1)


def test_money_of_one_currency_compares_by_amount():
    small, large = Money("EUR", 100), Money("EUR", 250)
    assert small < large
    assert small <= large
    assert large > small
    assert large >= small
    assert not (large < small)
    assert sorted([large, small]) == [small, large]


def test_money_refuses_an_unknown_currency_at_construction():
    with pytest.raises(UnknownCurrencyError, match="'XYZ'"):
        Money("XYZ", 5)


@pytest.mark.parametrize("minor", [1.5, "150", True])
def test_money_refuses_minor_units_that_are_not_an_int(minor):
    with pytest.raises(TypeError, match="must be an int"):
        Money("EUR", minor)
