"""Company-wide receivables figures: totals, aging buckets, the largest debtors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, Sum

from arrears.ledger.models import Invoice, Payment

# Aging buckets as an accountant reads them: (label, lowest days overdue, highest or None).
AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("not due", -(10**6), 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)


@dataclass
class CurrencyOverview:
    currency: str
    open_invoices: int = 0
    outstanding: int = 0
    overdue: int = 0
    unallocated_credit: int = 0
    aging: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Debtor:
    customer_id: int
    external_id: str
    name: str
    currency: str
    overdue: int
    invoices: int


def receivables_overview(company_id: int, as_of: date) -> dict[str, CurrencyOverview]:
    """Open receivables per currency, bucketed by days overdue on `as_of`.

    One pass over the company's open invoices (the engine's partial index), every bucket a
    conditional sum: a dashboard on a million invoices reads them once, not once per bucket."""
    result: dict[str, CurrencyOverview] = {}
    # order_by(): the model's default ordering would join the company table into the aggregate.
    open_invoices = Invoice.objects.filter(
        company_id=company_id, kind=Invoice.Kind.INVOICE, outstanding_minor__gt=0
    ).order_by()
    sums: dict[str, Any] = {"n": Count("id"), "total": Sum("outstanding_minor")}
    for index, (_label, low, high) in enumerate(AGING_BUCKETS):
        # days overdue = as_of - due_date, so a bucket is a range of due dates.
        due = Q(due_date__lte=as_of - timedelta(days=low))
        if high is not None:
            due &= Q(due_date__gte=as_of - timedelta(days=high))
        sums[f"bucket{index}"] = Sum("outstanding_minor", filter=due)
    rows: Any = open_invoices.values("currency").annotate(**sums)  # keys made above: no TypedDict
    for row in rows:
        o = result.setdefault(row["currency"], CurrencyOverview(row["currency"]))
        o.open_invoices, o.outstanding = row["n"], row["total"] or 0
        for index, (label, _low, _high) in enumerate(AGING_BUCKETS):
            amount = row[f"bucket{index}"] or 0
            o.aging[label] = amount
            if label != "not due":
                o.overdue += amount
    credits = [
        Payment.objects.filter(company_id=company_id, unallocated_minor__gt=0)
        .order_by()
        .values("currency")
        .annotate(total=Sum("unallocated_minor")),
        Invoice.objects.filter(company_id=company_id, kind=Invoice.Kind.CREDIT_NOTE, outstanding_minor__gt=0)
        .order_by()
        .values("currency")
        .annotate(total=Sum("outstanding_minor")),
    ]
    for rows in credits:
        for credit in rows:
            currency = credit["currency"]
            result.setdefault(currency, CurrencyOverview(currency)).unallocated_credit += credit["total"]
    for o in result.values():
        for label, _, _ in AGING_BUCKETS:
            o.aging.setdefault(label, 0)
    return dict(sorted(result.items()))


def largest_debtors(company_id: int, as_of: date, limit: int = 10) -> list[Debtor]:
    rows = (
        Invoice.objects.filter(
            company_id=company_id, kind=Invoice.Kind.INVOICE, outstanding_minor__gt=0, due_date__lt=as_of
        )
        .values("customer_id", "customer__external_id", "customer__name", "currency")
        .annotate(total=Sum("outstanding_minor"), n=Count("id"))
        .order_by("-total", "customer__external_id")[:limit]
    )
    return [
        Debtor(r["customer_id"], r["customer__external_id"], r["customer__name"], r["currency"], r["total"], r["n"])
        for r in rows
    ]
