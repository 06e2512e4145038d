"""A test e-mail sent right away over a sender account, outside the outbox: what `arrears smtp
test --to` and the web UI's "send a test e-mail" do to show that an account works."""

from __future__ import annotations

from django.utils import timezone

from arrears.delivery.mime import build_message
from arrears.delivery.models import SenderAccount
from arrears.delivery.outbox import new_message_id
from arrears.delivery.smtp import Result, SmtpSession


def send_probe(account: SenderAccount, to: str) -> Result:
    data, _envelope = build_message(
        account,
        to=to,
        subject=f"arrears: test message from account {account.code}",
        text="This test message shows that arrears can send through this account.\n",
        message_id=new_message_id(account, None),
        date=timezone.now(),
    )
    session = SmtpSession(account)
    try:
        return session.send(account.address, [to], data, commit_point=lambda: True)
    finally:
        session.close()
