"""E-mail to arrears' own users (the password reset) through a company's SMTP sender account.

Django's mail goes through this backend (settings.EMAIL_BACKEND). As with reminders, nothing
leaves the process unless a row records it first: an AccountMail row is written, then the
message goes over the sender account with the delivery code's SMTP session, and the row is marked
sent or failed with the server's reply. The account is the one ARREARS_ACCOUNT_MAIL_SENDER names
("company" or "company/account"), else the default account of the first company.

The backend never raises: a missing account or a refusing server is recorded on the row, and the
page that sent the mail answers as it always does (a password reset page must not tell whether
an address belongs to a user).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from arrears.accounts.models import AccountMail
from arrears.companies.models import Company
from arrears.delivery.models import SenderAccount
from arrears.delivery.smtp import Outcome, SmtpSession

log = logging.getLogger("arrears.accounts.mail")

NO_ACCOUNT = (
    "no sender account to send from: add one to the company (Configuration > Sender accounts, or "
    "'arrears smtp add'), or name one in ARREARS_ACCOUNT_MAIL_SENDER"
)


def account_mail_sender() -> tuple[SenderAccount | None, str]:
    """The account the users' mail goes out through, or None and why not."""
    wanted = str(getattr(settings, "ARREARS_ACCOUNT_MAIL_SENDER", "") or "").strip()
    company_code, _, account_code = wanted.partition("/")
    if company_code:
        company = Company.objects.filter(code=company_code).first()
        if company is None:
            return None, f"ARREARS_ACCOUNT_MAIL_SENDER names the company {company_code!r}, which does not exist"
    else:
        company = Company.objects.order_by("code").first()
        if company is None:
            return None, NO_ACCOUNT
    accounts = SenderAccount.objects.filter(company=company)
    if account_code:
        account = accounts.filter(code=account_code).first()
        if account is None:
            return None, f"ARREARS_ACCOUNT_MAIL_SENDER names the account {wanted!r}, which does not exist"
        return account, ""
    account = accounts.order_by("-is_default", "code").first()
    return (account, "") if account is not None else (None, NO_ACCOUNT)


MAIL_WINDOW = timedelta(hours=1)
MAILS_PER_WINDOW = 3


class SenderAccountBackend(BaseEmailBackend):
    """Django e-mail backend: record, then send over the sender account, then record the reply."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            try:
                if self._send(message):
                    sent += 1
            except Exception:  # never let a mail problem change what a page answers
                log.exception("account e-mail could not be sent")
        return sent

    def _send(self, message: EmailMessage) -> bool:
        recipients = [str(r) for r in message.recipients()]
        if not recipients:
            return False
        joined = ", ".join(recipients)[:5000]
        recent = AccountMail.objects.filter(recipients=joined, created_at__gte=timezone.now() - MAIL_WINDOW).count()
        row = AccountMail.objects.create(recipients=joined, subject=str(message.subject)[:300])
        if recent >= MAILS_PER_WINDOW:
            # Anyone may ask for a password reset: without a limit, a stranger could flood a user's
            # mailbox through the company's sender account (and spoil its reputation).
            _finish(row, AccountMail.Status.FAILED, f"not sent: {recent} e-mails to this address in the last hour")
            return False
        account, why_not = account_mail_sender()
        if account is None:
            _finish(row, AccountMail.Status.FAILED, why_not)
            return False
        row.account = account
        try:
            message.from_email = formataddr((account.display_name, account.address))
            mime: Any = message.message()
            row.message_id = str(mime.get("Message-ID", ""))[:200]
            row.save(update_fields=["account", "message_id"])
            data = mime.as_bytes(linesep="\r\n")
            session = SmtpSession(account)
            try:
                result = session.send(account.address, recipients, data, commit_point=lambda: True)
            finally:
                session.close()
        except Exception as exc:
            _finish(row, AccountMail.Status.FAILED, f"{type(exc).__name__}: {exc}")
            raise
        reply = f"{result.code or ''} {result.reply}".strip()
        if result.outcome == Outcome.SENT:
            _finish(row, AccountMail.Status.SENT, reply)
            return True
        _finish(row, AccountMail.Status.FAILED, f"{result.outcome}: {reply}" if reply else str(result.outcome))
        return False


def _finish(row: AccountMail, status: str, reply: str) -> None:
    row.status, row.reply, row.finished_at = status, reply, timezone.now()
    row.save(update_fields=["status", "reply", "finished_at"])
