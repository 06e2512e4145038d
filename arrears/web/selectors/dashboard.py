"""The dashboard's figures: receivables per currency, DSO, this week's deliveries, runs to review."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum

from arrears.companies.models import Company
from arrears.delivery.models import OutboxMessage
from arrears.dunning.models import Run
from arrears.ledger.models import Invoice

# DSO looks at the credit sales of this many days up to the "as of" date.
DSO_DAYS = 90


def days_sales_outstanding(outstanding: int, credit_sales: int, days: int = DSO_DAYS) -> Decimal | None:
    """Days sales outstanding: receivables outstanding / credit sales of the last `days` days x `days`,
    to one decimal. None when there were no credit sales in the period (the figure means nothing).

    Both amounts are minor units of one currency: 300,000 outstanding against 900,000 invoiced in
    90 days is 30.0 days."""
    if credit_sales <= 0:
        return None
    value = Decimal(outstanding) * days / Decimal(credit_sales)
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def credit_sales(company_id: int, as_of: date, days: int = DSO_DAYS) -> dict[str, int]:
    """Per currency: the amount of the invoices issued in the `days` days up to and including `as_of`
    (credit notes are not sales and are left out)."""
    rows = (
        Invoice.objects.filter(
            company_id=company_id,
            kind=Invoice.Kind.INVOICE,
            issue_date__gt=as_of - timedelta(days=days),
            issue_date__lte=as_of,
        )
        .values("currency")
        .annotate(total=Sum("amount_minor"))
    )
    return {r["currency"]: int(r["total"] or 0) for r in rows}


@dataclass(frozen=True)
class WeekDeliveries:
    """The reminders whose message was written in the company's current week (Monday to Sunday),
    by what became of them."""

    first_day: date
    last_day: date
    sent: int = 0
    failed: int = 0  # failed, or uncertain whether it arrived
    paper: int = 0  # to be printed, or printed
    waiting: int = 0  # queued or being sent

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.paper + self.waiting


_GROUPS: dict[str, str] = {
    OutboxMessage.Status.SENT: "sent",
    OutboxMessage.Status.FAILED: "failed",
    OutboxMessage.Status.UNCERTAIN: "failed",
    OutboxMessage.Status.PAPER: "paper",
    OutboxMessage.Status.PRINTED: "paper",
    OutboxMessage.Status.QUEUED: "waiting",
    OutboxMessage.Status.SENDING: "waiting",
}


def week_deliveries(company: Company, today: date) -> WeekDeliveries:
    monday = today - timedelta(days=today.weekday())
    zone = zoneinfo.ZoneInfo(company.time_zone)
    start = datetime.combine(monday, time(), zone)
    end = datetime.combine(monday + timedelta(days=7), time(), zone)
    counts = {"sent": 0, "failed": 0, "paper": 0, "waiting": 0}
    rows = (
        OutboxMessage.objects.filter(
            company=company, kind=OutboxMessage.Kind.NOTICE, created_at__gte=start, created_at__lt=end
        )
        .values("status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        group = _GROUPS.get(row["status"])
        if group:
            counts[group] += row["n"]
    return WeekDeliveries(monday, monday + timedelta(days=6), **counts)


def runs_waiting(company: Company) -> list[Run]:
    """Proposals waiting for review (a company has at most one, but show what there is)."""
    return list(Run.objects.filter(company=company, status=Run.Status.PROPOSAL).order_by("-as_of", "-id")[:10])
