"""Payment QR codes for the amount still owed per currency, where a standard exists:
EPC/GiroCode for EUR, Czech SPAYD for CZK, the Swiss QR-bill for CHF (or EUR) to a Swiss IBAN."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import product, zip_longest
from operator import itemgetter
from typing import Any, cast

import qrbill
import segno
from segno import consts

from arrears.companies.models import BankAccount, Company
from arrears.core.currencies import exponent
from arrears.core.iban import normalize_iban
from arrears.core.payment_codes import PaymentCodeError, epc_payload, spayd_payload
from arrears.documents.context import company_accounts


@dataclass(frozen=True)
class PaymentQr:
    standard: str  # "EPC", "SPAYD", "QR-bill"
    currency: str
    amount_minor: int
    payload: str

    def svg(self) -> str:
        return matrix_svg(qr_rows(self.payload))


# Medium error correction, as EPC and SPAYD ask for (raised to Q or H when the data fits in the same
# size anyway). A fixed mask: every mask is valid and readers decode any; choosing the "best" one
# costs four times as long.
ERROR, MASK = "m", 2


def qr_rows(payload: str) -> tuple[str, ...]:
    """The QR code of a payload as rows of "0" (light) and "1" (dark), without the quiet zone.

    Exactly the symbol `segno.make(payload, error="m", micro=False, mask=2)` draws (a test compares
    them), built about fifteen times faster: segno places and masks every module in Python, here a
    layout computed once per symbol size does it with a few string operations."""
    data = _byte_mode_data(payload)
    if data is None:  # all digits, upper-case letters or kanji: segno's other modes, rare here
        return tuple(
            "".join("1" if v else "0" for v in row)
            for row in segno.make(payload, error=ERROR, micro=False, mask=MASK).matrix
        )
    length = len(data)
    version = next((v for v in range(1, 41) if _capacity(v, _M) >= _data_bits(v, length)), None)
    if version is None:
        raise segno.DataOverflowError("Data too large. No QR Code can handle the provided data")
    error = _M
    for better in (_Q, _H):  # segno's boost_error: a better level if the data still fits
        if _capacity(version, better) < _data_bits(version, length):
            break
        error = better
    capacity = _capacity(version, error)
    count_bits = consts.CHAR_COUNT_INDICATOR_LENGTH[consts.MODE_BYTE][_version_range(version)]
    # Mode, character count, the bytes, the terminator, zero bits to the next byte (a whole zero byte
    # when already there, as segno writes it), then the pad codewords: what segno's Buffer holds.
    value = (((consts.MODE_BYTE << count_bits) | length) << 8 * length) | int.from_bytes(data, "big")
    bits = 4 + count_bits + 8 * length
    terminator = min(capacity - bits, consts.TERMINATOR_LENGTH[None])
    bits += terminator
    padding = 8 - bits % 8
    value <<= terminator + padding
    bits += padding
    pads = max(capacity // 8 - bits // 8, 0)
    value = (value << 8 * pads) | int.from_bytes(bytes((0xEC, 0x11) * (pads // 2 + 1))[:pads], "big")
    codewords = value.to_bytes(bits // 8 + pads, "big")
    layout = _layout(version, error)
    data_blocks, ecc_blocks = [], []
    start = 0
    for info in _BLOCKS[version][error]:
        table = _rs_table(info.num_total - info.num_data)
        for _ in range(info.num_blocks):
            block = codewords[start : start + info.num_data]
            start += info.num_data
            data_blocks.append(block)
            ecc_blocks.append(_remainder(block, table, info.num_total - info.num_data))
    message = bytes(b for column in zip_longest(*data_blocks) for b in column if b is not None)
    message += bytes(b for column in zip_longest(*ecc_blocks) for b in column if b is not None)
    stream = (int.from_bytes(message, "big") << layout.remainder) ^ layout.mask
    modules = "".join(layout.order(format(stream, f"0{layout.bits}b") + "01"))
    size = layout.size
    return tuple(modules[i : i + size] for i in range(0, size * size, size))


_M, _Q, _H = consts.ERROR_LEVEL_M, consts.ERROR_LEVEL_Q, consts.ERROR_LEVEL_H
# segno's tables (per version, per error level): data bits, and the blocks of codewords.
_CAPACITY = cast(dict[int, dict[int, int]], consts.SYMBOL_CAPACITY)
_BLOCKS = cast(dict[int, dict[int, Any]], consts.ECC)


def _byte_mode_data(payload: str) -> bytes | None:
    """The payload's bytes as segno encodes them (ISO 8859-1, else Shift JIS, else UTF-8), or None
    when segno would choose a mode other than bytes."""
    try:
        data = payload.encode(consts.DEFAULT_BYTE_ENCODING)
    except UnicodeError:
        try:
            data = payload.encode(consts.KANJI_ENCODING)
        except UnicodeError:
            data = payload.encode("utf-8")
    if data.isdigit() or _ALPHANUMERIC.match(data) or _is_kanji(data):
        return None
    return data


_ALPHANUMERIC = re.compile(b"^[" + re.escape(consts.ALPHANUMERIC_CHARS) + b"]+\\Z")


def _is_kanji(data: bytes) -> bool:
    if not data or len(data) % 2:
        return False
    return all(
        0x8140 <= code <= 0x9FFC or 0xE040 <= code <= 0xEBBF
        for code in (data[i] << 8 | data[i + 1] for i in range(0, len(data), 2))
    )


def _version_range(version: int) -> int:
    if version < 10:
        return consts.VERSION_RANGE_01_09
    return consts.VERSION_RANGE_10_26 if version < 27 else consts.VERSION_RANGE_27_40


def _capacity(version: int, error: int) -> int:
    return _CAPACITY[version][error]


def _data_bits(version: int, length: int) -> int:
    return 4 + consts.CHAR_COUNT_INDICATOR_LENGTH[consts.MODE_BYTE][_version_range(version)] + 8 * length


@cache
def _rs_table(ecc_length: int) -> tuple[int, ...]:
    """Per leading coefficient, the generator polynomial times it, packed big-endian into an int."""
    gen, exp, log = consts.GEN_POLY[ecc_length], consts.GALIOS_EXP, consts.GALIOS_LOG
    table = [0]
    for coef in range(1, 256):
        packed = 0
        for g in gen:
            packed = packed << 8 | exp[log[coef] + g]
        table.append(packed)
    return tuple(table)


def _remainder(block: bytes, table: tuple[int, ...], ecc_length: int) -> bytes:
    """The Reed-Solomon error correction codewords of a block: polynomial division in GF(256)."""
    shift = 8 * (ecc_length - 1)
    mask = (1 << 8 * ecc_length) - 1
    register = 0
    for byte in block:
        register = ((register << 8) & mask) ^ table[byte ^ (register >> shift)]
    return register.to_bytes(ecc_length, "big")


@dataclass(frozen=True)
class _Layout:
    size: int
    bits: int  # modules that carry the message
    remainder: int  # zero bits after the codewords
    mask: int  # the mask's bits, in the order the message is placed
    order: Any  # the message bits (+ "0" and "1" for fixed modules) -> the modules, row by row


@cache
def _layout(version: int, error: int) -> _Layout:
    """Finder, timing and alignment patterns, format and version information, and the order in
    which the message fills the rest: ISO/IEC 18004, as segno's encoder places them."""
    size = version * 4 + 17
    grid: list[list[int | None]] = [[None] * size for _ in range(size)]
    for i in range(8, size - 8):  # timing patterns
        grid[6][i] = grid[i][6] = 1 - i % 2
    for top, left in ((0, 0), (0, size - 8), (size - 8, 0)):  # finders with their separators
        for r, c in product(range(8), repeat=2):
            fr, fc = r - (top > 0), c - (left > 0)  # the position in the 7 x 7 finder
            inside = 0 <= fr < 7 and 0 <= fc < 7
            grid[top + r][left + c] = int(inside and max(abs(fr - 3), abs(fc - 3)) != 2)
    if version >= 2:
        positions = consts.ALIGNMENT_POS[version - 2]
        corners = {(positions[0], positions[0]), (positions[0], positions[-1]), (positions[-1], positions[0])}
        for x, y in product(positions, repeat=2):
            if (x, y) not in corners:
                for r, c in product(range(-2, 3), repeat=2):
                    grid[x + r][y + c] = int(max(abs(r), abs(c)) != 1)
    fmt = consts.FORMAT_INFO[MASK + {consts.ERROR_LEVEL_L: 0x08, _M: 0, _Q: 0x18, _H: 0x10}[error]]
    voffset = hoffset = 0
    for i in range(8):
        vbit, hbit = (fmt >> i) & 1, (fmt >> (14 - i)) & 1
        if i == 6:
            voffset, hoffset = 1, 1
        grid[i + voffset][8] = vbit
        grid[8][i + hoffset] = hbit
        grid[8][size - 1 - i] = vbit
        grid[size - 1 - i][8] = hbit
    grid[size - 8][8] = 1  # the dark module
    if version >= 7:
        info = consts.VERSION_INFO[version - 7]
        for i in range(6):
            for k in range(3):
                grid[size - 11 + k][i] = grid[i][size - 11 + k] = (info >> (i * 3 + k)) & 1
    placed: list[tuple[int, int]] = []
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        for vertical in range(size):
            for j in (right, right - 1):
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = size - 1 - vertical if upwards else vertical
                if grid[i][j] is None:
                    grid[i][j] = -1
                    placed.append((i, j))
    bits = len(placed)
    codewords = sum(info.num_blocks * info.num_total for info in _BLOCKS[version][error])
    source = {position: n for n, position in enumerate(placed)}
    order = itemgetter(
        *(source[(i, j)] if grid[i][j] == -1 else bits + (grid[i][j] or 0) for i in range(size) for j in range(size))
    )
    mask = int("".join("1" if j % 3 == 0 else "0" for _, j in placed), 2)  # mask 2: column divisible by 3
    return _Layout(size, bits, bits - 8 * codewords, mask, order)


_DARK_RUNS = re.compile("1+")


def matrix_svg(rows: Any, border: int = 4) -> str:
    """The QR code as one SVG path with a quiet zone: per run of dark modules in a row, a line one
    module thick through its middle. Its flat ends (SVG's default butt caps) cover exactly the run's
    rectangle: the look of filled rectangles, with half the drawing operators in the PDF for Typst to
    write and compress.

    `rows` are strings of "0" and "1" (`qr_rows`), or sequences of 0 and 1 (a segno matrix)."""
    size = len(rows) + 2 * border
    runs = []
    for y, row in enumerate(rows, border):
        if not isinstance(row, str):
            row = "".join("1" if v else "0" for v in row)
        for run in _DARK_RUNS.finditer(row):
            runs.append(f"M{run.start() + border} {y}.5h{run.end() - run.start()}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path stroke="#000" stroke-width="1" fill="none" d="{"".join(runs)}"/></svg>'
    )


def _account(company: Company, currency: str, swiss: bool = False) -> BankAccount | None:
    for account in company_accounts(company):  # read once per letter, or per batch of letters
        iban = normalize_iban(account.iban)
        if account.currency == currency and (not swiss or iban[:2] in {"CH", "LI"}):
            return account
    return None


_MOD10 = (0, 9, 4, 6, 8, 2, 7, 1, 3, 5)


def qrr_reference(number: int) -> str:
    """A 27-digit Swiss QR reference: the number, zero-padded, and its mod-10-recursive check digit."""
    digits = f"{number:026d}"
    carry = 0
    for digit in digits:
        carry = _MOD10[(carry + int(digit)) % 10]
    return digits + str((10 - carry) % 10)


def payment_codes(
    company: Company, demanded: dict[str, int], invoices: list[dict[str, Any]], label: str, reference_number: int = 0
) -> list[PaymentQr]:
    """One code per currency with something to pay and an account and standard for it."""
    codes = []
    for currency, amount in sorted(demanded.items()):
        if amount <= 0:
            continue
        mine = [i for i in invoices if i["currency"] == currency]
        numbers = " ".join(i["number"] for i in mine)
        try:
            code = _code(company, currency, amount, mine, numbers, label, reference_number)
        except (PaymentCodeError, ValueError):
            code = None  # no code is better than a wrong one; the bank details are printed anyway
        if code is not None:
            codes.append(code)
    return codes


def _code(
    company: Company,
    currency: str,
    amount: int,
    mine: list[dict[str, Any]],
    numbers: str,
    label: str,
    reference_number: int,
) -> PaymentQr | None:
    swiss = _account(company, currency, swiss=True)
    if swiss is not None and currency in {"CHF", "EUR"}:
        iban = normalize_iban(swiss.iban)
        # A QR-IBAN (institution id 30000-31999) must carry a structured QRR reference.
        qrr = qrr_reference(reference_number) if 30000 <= int(iban[4:9]) <= 31999 else None
        bill = qrbill.QRBill(
            reference_number=qrr,
            account=normalize_iban(swiss.iban),
            currency=currency,
            amount=str(Decimal(amount).scaleb(-exponent(currency))),
            creditor={
                "name": company.name[:70],
                "street": company.address_line1,
                "pcode": company.postal_code,
                "city": company.city,
                "country": company.country,
            },
            additional_information=f"{label} {numbers}"[:140],
        )
        return PaymentQr("QR-bill", currency, amount, bill.qr_data())
    account = _account(company, currency)
    if account is None:
        return None
    if currency == "EUR":
        reference = mine[0]["number"] if len(mine) == 1 else ""
        return PaymentQr(
            "EPC",
            currency,
            amount,
            epc_payload(
                name=company.name,
                iban=account.iban,
                bic=account.bic,
                amount_minor=amount,
                reference=reference,
                text=f"{label} {numbers}" if len(mine) != 1 else label,
            ),
        )
    if currency == "CZK":
        symbols = {i["variable_symbol"] for i in mine}
        symbol = next(iter(symbols)) if len(mine) == 1 and symbols != {""} else ""
        return PaymentQr(
            "SPAYD",
            currency,
            amount,
            spayd_payload(
                iban=account.iban,
                bic=account.bic,
                amount_minor=amount,
                variable_symbol=symbol if symbol.isdigit() else "",
                message=f"{label} {numbers}",
            ),
        )
    return None
