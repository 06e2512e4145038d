"""Signals the dunning app sends; delivery listens without dunning knowing about it (layering)."""

from django.dispatch import Signal

# Sent inside the transaction that moves notices to "created", with `notice_ids` (a list). A
# receiver that writes rows (the delivery outbox) commits or rolls back together with the notices.
notices_created = Signal()
