"""A run as the review and report screens show it: its notices, every decision and its reason,
and the run report rebuilt from what the run stored (the same document `arrears run --report` writes)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from arrears.core.engine import NOTICE_REASONS, Decision, Reason, explain
from arrears.core.money import format_minor
from arrears.delivery.models import OutboxMessage
from arrears.dunning.models import InvoiceDunning, Notice, NoticeItem, Run, RunDecision
from arrears.dunning.report import REPORT_VERSION

SENDING_REASONS = sorted(r.value for r in NOTICE_REASONS)


def words(reason: str, level: int, repetition: int, next_possible_on: date | None, detail: str, currency: str) -> str:
    """A stored decision in the words of `arrears review show` and the run report."""
    try:
        decision = Decision(Reason(reason), level, repetition, next_possible_on, detail)
        return explain(decision, currency)
    except (ValueError, KeyError):
        return reason.replace("_", " ")


def reason_counts(run: Run) -> list[tuple[str, int]]:
    rows = RunDecision.objects.filter(run=run).values("reason").annotate(n=Count("id")).order_by("reason")
    return [(r["reason"], r["n"]) for r in rows]


def decisions(run: Run, reason: str = "") -> QuerySet[RunDecision]:
    """Every invoice the run looked at, customer by customer (the (run, customer) index's order)."""
    rows = RunDecision.objects.filter(run=run)
    if reason == "not_reminded":
        rows = rows.exclude(reason__in=SENDING_REASONS)
    elif reason:
        rows = rows.filter(reason=reason)
    return rows.select_related("invoice", "customer").order_by("customer_id", "invoice_id")


def proposal_notices(run: Run, customer: str = "") -> QuerySet[Notice]:
    rows = Notice.objects.filter(run=run).select_related("customer")
    if customer:
        rows = rows.filter(Q(customer__external_id__iexact=customer) | Q(customer__name__icontains=customer))
    # Customer by customer in the order they were created (no sort of every notice's customer row
    # for each page of a run of 100,000 notices).
    return rows.order_by("customer_id", "id")


def items_of(notice_ids: list[int]) -> dict[int, list[NoticeItem]]:
    """The items of some notices (one query), with the level each invoice stands at now: the
    only other level a clerk may choose for an item due for the next level (held at the current)."""
    found: dict[int, list[NoticeItem]] = {i: [] for i in notice_ids}
    items = list(
        NoticeItem.objects.filter(notice_id__in=notice_ids)
        .select_related("invoice")
        .order_by("notice_id", "currency", "invoice__due_date", "id")
    )
    states = dict(
        InvoiceDunning.objects.filter(invoice_id__in=[i.invoice_id for i in items]).values_list("invoice_id", "level")
    )
    for item in items:
        current = states.get(item.invoice_id, 0)
        item.current_level = current  # type: ignore[attr-defined]
        item.can_hold = item.reason == "level" and current >= 1 and current != item.level  # type: ignore[attr-defined]
        found[item.notice_id].append(item)
    return found


def message_counts(run: Run) -> dict[str, int]:
    rows = (
        OutboxMessage.objects.filter(notice__run=run, kind=OutboxMessage.Kind.NOTICE)
        .values("status")
        .annotate(n=Count("id"))
    )
    return {r["status"]: r["n"] for r in rows}


def notice_counts(run: Run) -> dict[str, int]:
    rows = Notice.objects.filter(run=run).values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


def demanded(run: Run, status: str) -> list[tuple[str, int]]:
    """Per currency: the amount the run's notices of a status ask for (reminded items, not excluded)."""
    rows = (
        NoticeItem.objects.filter(notice__run=run, notice__status=status, excluded=False)
        .values("currency")
        .annotate(total=Sum("outstanding_minor"))
        .order_by("currency")
    )
    return [(r["currency"], int(r["total"] or 0)) for r in rows]


def problems(run: Run, limit: int = 100) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(notice__run=run, status__in=["failed", "uncertain", "paper"])
        .select_related("notice__customer")
        .order_by("status", "pk")[:limit]
    )


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def stored_report(run: Run) -> dict[str, Any]:
    """The run report (report_version 1, docs/dunning.md) from the stored run: its notices with their
    items as they stand after review, and every other decision with its reason in words."""
    reasons: Counter[str] = Counter(dict(reason_counts(run)))
    notices: list[dict[str, Any]] = []
    reminded = NoticeItem.objects.filter(notice__run=run, excluded=False).exclude(notice__status=Notice.Status.EXCLUDED)
    items = reminded.select_related("notice", "notice__customer", "invoice").order_by(
        "notice__customer__external_id", "notice_id", "currency", "invoice__due_date", "id"
    )
    next_on = {
        (d[0], d[1]): d[2]
        for d in RunDecision.objects.filter(run=run, reason__in=SENDING_REASONS).values_list(
            "invoice_id", "run_id", "next_possible_on"
        )
    }
    current: dict[str, Any] | None = None
    for item in items.iterator(chunk_size=2000):
        notice = item.notice
        if current is None or current["_id"] != notice.pk:
            current = {
                "_id": notice.pk,
                "customer": notice.customer.external_id,
                "channel": notice.channel,
                "level": notice.level,
                "policy": notice.policy_code or None,
                "items": [],
                "totals": [
                    {
                        "currency": t["currency"],
                        "reminded": format_minor(t["reminded"], t["currency"]),
                        "overdue": format_minor(t["overdue"], t["currency"]),
                        "credit": format_minor(t["credit"], t["currency"]),
                        "demanded": format_minor(t["demanded"], t["currency"]),
                    }
                    for t in notice.totals
                ],
            }
            notices.append(current)
        current["items"].append(
            {
                "invoice": item.invoice.number,
                "level": item.level,
                "repetition": item.repetition,
                "reason": item.reason,
                "outstanding": format_minor(item.outstanding_minor, item.currency),
                "currency": item.currency,
                "due_date": item.invoice.due_date.isoformat(),
                "days_overdue": max(item.days_overdue, 0),
                "next_possible_on": _day(next_on.get((item.invoice_id, run.pk))),
            }
        )
    for n in notices:
        del n["_id"]
    not_reminded: list[dict[str, Any]] = []
    rows = (
        RunDecision.objects.filter(run=run)
        .exclude(invoice_id__in=reminded.values("invoice_id"))
        .order_by("customer__external_id", "invoice__due_date", "id")
        .values_list(
            "customer__external_id",
            "invoice__number",
            "invoice__currency",
            "invoice__outstanding_minor",
            "invoice__due_date",
            "reason",
            "level",
            "repetition",
            "next_possible_on",
            "detail",
            "policy_code",
        )
    )
    for customer, number, currency, outstanding, due, reason, level, repetition, next_day, detail, policy in rows:
        not_reminded.append(
            {
                "customer": customer,
                "invoice": number,
                "currency": currency,
                "outstanding": format_minor(outstanding, currency),
                "due_date": due.isoformat(),
                "reason": reason,
                "words": words(reason, level, repetition, next_day, detail, currency),
                "level": level,
                "next_possible_on": _day(next_day),
                "policy": policy,
            }
        )
    counts = run.counts or {}
    return {
        "report_version": REPORT_VERSION,
        "run": {
            "id": run.pk,
            "company": run.company.code,
            "as_of": run.as_of.isoformat(),
            "status": run.status,
            "dry_run": False,
            "message": run.message,
            "policies": run.policy_versions,
        },
        "summary": {
            "looked_at": counts.get("decisions", sum(reasons.values())),
            "notices": len(notices),
            "items": sum(len(n["items"]) for n in notices),
            "by_reason": dict(sorted(reasons.items())),
        },
        "notices": notices,
        "not_reminded": not_reminded,
    }
