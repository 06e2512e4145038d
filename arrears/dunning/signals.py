"""Signals the dunning app sends; delivery listens without dunning knowing about it (layering)."""

from django.dispatch import Signal

# Sent inside the transaction that moves notices to "created", with `notice_ids` (a list). A
# receiver that writes rows (the delivery outbox) commits or rolls back together with the notices.
notices_created = Signal()

# Sent inside the transaction that hands invoices over to external collection: by hand
# (services.hand_over, `by="hand"`) or by a level's "handover" action as its notice is created
# (runs._approve, `by="level"`), with `company_id` and `items`, a list of (invoice id, notice id or
# None, level or None). Delivery writes its event webhooks in its receiver, so they commit or roll
# back together with the hand-over.
invoices_handed_over = Signal()
