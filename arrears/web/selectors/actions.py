"""What the collection actions overview reads: every reminder, pause, stop, hand-over, exclusion,
dispute, webhook call and note across customers (history events, filtered in the database), and
the actions levels trigger (DunningAction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.companies.models import Company
from arrears.customers.models import Customer
from arrears.dunning.models import DunningAction
from arrears.history.models import Event

# The kinds of history event the overview shows, grouped as the filter offers them.
KINDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "reminder": (_("Reminders"), ("notice.created",)),
    "review": (
        _("Changes in review"),
        ("notice.excluded", "notice.item_excluded", "notice.level_changed", "notice.items_dropped"),
    ),
    "pause": (_("Pauses"), ("dunning.paused", "dunning.resumed")),
    "stop": (_("Stops"), ("dunning.stopped",)),
    "handover": (_("Hand-overs to collection"), ("invoice.handed_over",)),
    "exclusion": (_("Exclusions"), ("dunning.excluded", "dunning.included")),
    "dispute": (_("Disputes"), ("dunning.disputed", "dunning.dispute_settled")),
    "webhook": (_("Webhook calls"), ("action.webhook",)),
    "note": (_("Notes"), ("note.added",)),
}
ALL_KINDS = tuple(k for _label, kinds in KINDS.values() for k in kinds)
GROUP_OF = {k: group for group, (_label, kinds) in KINDS.items() for k in kinds}

ACTOR_AUTOMATIC = "auto"  # runs, the worker, imports: no person
ACTOR_PEOPLE = "people"


@dataclass
class ActionFilters:
    kind: str = ""
    customer: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None
    status: str = ""  # level actions only

    @property
    def any(self) -> bool:
        return bool(self.kind or self.customer or self.actor or self.since or self.until or self.status)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def read_filters(params: Any) -> ActionFilters:
    """The filters from a query string; values that are not choices are ignored, not errors."""
    kind = params.get("kind", "")
    actor = params.get("actor", "")
    status = params.get("status", "")
    return ActionFilters(
        kind=kind if kind in KINDS else "",
        customer=(params.get("customer") or "").strip()[:64],
        actor=actor if actor in (ACTOR_AUTOMATIC, ACTOR_PEOPLE) or actor.isdigit() else "",
        since=_day(params.get("since", "")),
        until=_day(params.get("until", "")),
        status=status if status in DunningAction.Status.values else "",
    )


def _start_of(day: date, company: Company) -> datetime:
    try:
        zone = ZoneInfo(company.time_zone or "UTC")
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    return timezone.make_aware(datetime.combine(day, time.min), zone)


def filter_customer(company: Company, text: str) -> Customer | None:
    """The customer a filter names by external id (exactly); None when there is no such customer."""
    return Customer.objects.filter(company=company, external_id=text).first() if text else None


def action_events(company: Company, filters: ActionFilters, customer: Customer | None) -> QuerySet[Event]:
    """History events of the collection kinds, newest first, filtered entirely in the database."""
    kinds = KINDS[filters.kind][1] if filters.kind else ALL_KINDS
    rows = Event.objects.filter(company=company, kind__in=kinds)
    if filters.customer:
        rows = rows.filter(customer=customer) if customer else rows.none()
    if filters.actor == ACTOR_AUTOMATIC:
        rows = rows.filter(actor__isnull=True)
    elif filters.actor == ACTOR_PEOPLE:
        rows = rows.filter(actor__isnull=False)
    elif filters.actor:
        rows = rows.filter(actor_id=int(filters.actor))
    if filters.since:
        rows = rows.filter(at__gte=_start_of(filters.since, company))
    if filters.until:
        rows = rows.filter(at__lt=_start_of(filters.until + timedelta(days=1), company))
    return rows.select_related("customer", "invoice", "actor").order_by("-at", "-id")


def level_actions(company: Company, filters: ActionFilters, customer: Customer | None) -> QuerySet[DunningAction]:
    """The actions levels triggered (hand-over, webhook), newest first."""
    rows = DunningAction.objects.filter(company=company)
    if filters.customer:
        rows = rows.filter(invoice__customer=customer) if customer else rows.none()
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.since:
        rows = rows.filter(created_at__gte=_start_of(filters.since, company))
    if filters.until:
        rows = rows.filter(created_at__lt=_start_of(filters.until + timedelta(days=1), company))
    return rows.select_related("invoice", "invoice__customer", "notice", "call").order_by("-created_at", "-id")


def people() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("username").only("id", "username", "first_name", "last_name")
