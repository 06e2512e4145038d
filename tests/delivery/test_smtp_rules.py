"""DATA transparency (RFC 5321 4.5.2) and what counts as a hard bounce (RFC 3463)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.delivery.smtp import dot_stuffed, is_hard_bounce

LINES = st.lists(st.text(alphabet=".ab\r\n", max_size=8), max_size=12)


def unstuff(wire: bytes) -> bytes:
    """What a server does with the body it receives (before the final '.' line)."""
    lines = wire.split(b"\r\n")
    assert lines[-1] == b"", "the body ends with CRLF"
    return b"\r\n".join(line[1:] if line.startswith(b".") else line for line in lines[:-1]) + b"\r\n"


@given(LINES)
def test_the_server_reads_back_every_line_with_crlf_line_ends(parts):
    data = "".join(parts).encode()
    wire = dot_stuffed(data)
    assert b"\r\n.\r\n" not in b"\r\n" + wire, "no line of the body can end the message early"
    normalized = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    expected = normalized if normalized.endswith(b"\r\n") else normalized + b"\r\n"
    assert unstuff(wire) == expected


def test_leading_dots_are_doubled_on_every_line_and_at_the_start():
    assert dot_stuffed(b".a\r\nb\r\n.c") == b"..a\r\nb\r\n..c\r\n"
    assert dot_stuffed(b"a\n.\rb") == b"a\r\n..\r\nb\r\n"


@pytest.mark.parametrize(
    ("code", "reply", "bounce"),
    [
        (550, b"5.1.1 no such mailbox here", True),
        (550, b"5.1.2 bad destination system", True),
        (553, b"5.1.3 bad address syntax", True),
        (550, b"5.2.1 mailbox disabled", True),
        (550, b"5.1.10 recipient address has null MX", True),
        (550, b"no such user", True),  # no enhanced code: the basic code decides
        (550, b"5.7.1 relaying denied", False),  # the account's problem, not the address's
        (553, b"5.1.8 bad sender address", False),
        (552, b"5.2.2 mailbox full", False),
        (450, b"4.1.1 try later", False),
    ],
)
def test_only_a_refusal_of_the_address_itself_is_a_hard_bounce(code, reply, bounce):
    assert is_hard_bounce(code, reply) is bounce
