"""Words for the codes the UI shows in several screens."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

CHANNEL_LABELS: dict[str, str | Promise] = {
    "email": gettext_lazy("e-mail"),
    "letter": gettext_lazy("letter"),
    "both": gettext_lazy("e-mail and letter"),
}
