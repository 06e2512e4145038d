"""Words for the codes the UI shows in several screens."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from arrears.delivery.models import OutboxMessage

CHANNEL_LABELS: dict[str, StrOrPromise] = {
    "email": gettext_lazy("e-mail"),
    "letter": gettext_lazy("letter"),
    "both": gettext_lazy("e-mail and letter"),
}

# A message's delivery status, as the reminder book, the runs and the outbox show it.
DELIVERY_LABELS: dict[str, StrOrPromise] = {
    OutboxMessage.Status.QUEUED: gettext_lazy("queued"),
    OutboxMessage.Status.SENDING: gettext_lazy("sending"),
    OutboxMessage.Status.SENT: gettext_lazy("sent"),
    OutboxMessage.Status.FAILED: gettext_lazy("failed"),
    OutboxMessage.Status.PAPER: gettext_lazy("on paper, to print"),
    OutboxMessage.Status.PRINTED: gettext_lazy("printed"),
    OutboxMessage.Status.SKIPPED: gettext_lazy("skipped"),
    OutboxMessage.Status.CANCELLED: gettext_lazy("cancelled"),
    OutboxMessage.Status.UNCERTAIN: gettext_lazy("uncertain"),
}
