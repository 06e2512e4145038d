"""Payloads of payment QR codes, as banking apps read them."""

from __future__ import annotations

import pytest

from arrears.core.payment_codes import PaymentCodeError, epc_payload, spayd_payload


def test_an_epc_code_for_one_invoice():
    payload = epc_payload(
        name="Demo  GmbH",
        iban="DE89 3704 0044 0532 0130 00",
        bic="cobadeffxxx",
        amount_minor=123450,
        reference="INV-1",
        text="Reminder 42",
    )
    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "COBADEFFXXX",
        "Demo GmbH",
        "DE89370400440532013000",
        "EUR1234.50",
        "",
        "",
        "INV-1 Reminder 42",
    ]


def test_an_epc_code_without_bic_or_text_ends_with_the_reference():
    payload = epc_payload(name="Demo", iban="DE89370400440532013000", amount_minor=1, reference="R1")
    assert payload.split("\n")[4] == ""
    assert payload.split("\n")[7:] == ["EUR0.01", "", "", "R1"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount_minor": 0}, "from 0.01"),
        ({"amount_minor": 100_000_000_000}, "999999999.99"),
        ({"iban": "DE00370400440532013000"}, "check digits"),
        ({"name": "  "}, "beneficiary's name"),
    ],
)
def test_an_epc_code_refuses_what_a_bank_would_refuse(kwargs, message):
    base = {"name": "Demo", "iban": "DE89370400440532013000", "amount_minor": 100}
    with pytest.raises(PaymentCodeError, match=message):
        epc_payload(**{**base, **kwargs})


def test_a_czech_qr_platba_with_variable_symbol():
    payload = spayd_payload(
        iban="CZ65 0800 0000 1920 0014 5399",
        bic="GIBACZPX",
        amount_minor=100050,
        variable_symbol="20260042",
        message="Upomínka č. 42 * F1",
    )
    assert payload == (
        "SPD*1.0*ACC:CZ6508000000192000145399+GIBACZPX*AM:1000.50*CC:CZK*X-VS:20260042*MSG:Upomínka č. 42 F1"
    )


def test_a_qr_platba_message_is_cut_to_sixty_characters_and_never_breaks_the_format():
    payload = spayd_payload(iban="CZ6508000000192000145399", amount_minor=100, message="x*" * 80)
    assert payload.count("*") == 5  # SPD, 1.0, ACC, AM, CC, MSG: the asterisks of the message are gone
    assert len(payload.split("MSG:")[1]) <= 60


@pytest.mark.parametrize("symbol", ["12345678901", "12A", "-5"])
def test_a_variable_symbol_is_at_most_ten_digits(symbol):
    with pytest.raises(PaymentCodeError, match="at most 10 digits"):
        spayd_payload(iban="CZ6508000000192000145399", amount_minor=100, variable_symbol=symbol)
