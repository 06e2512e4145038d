"""The run report: a documented, stable JSON document and the same as CSV (docs/dunning.md)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date
from typing import Any

from arrears.companies.models import Company
from arrears.core.engine import explain
from arrears.core.money import format_minor
from arrears.core.spreadsheet import safe_cell
from arrears.customers.models import Customer
from arrears.dunning.runs import RunResult

REPORT_VERSION = 1


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def as_json(company: Company, result: RunResult, versions: dict[str, Any]) -> dict[str, Any]:
    plans = result.plans
    external = dict(Customer.objects.filter(pk__in=[p.customer_id for p in plans]).values_list("id", "external_id"))
    reasons: Counter[str] = Counter()
    notices: list[dict[str, Any]] = []
    not_reminded: list[dict[str, Any]] = []
    for plan in plans:
        in_notice = {i.facts.invoice_id for i in plan.notice.items} if plan.notice else set()
        for lk in plan.looked:
            reasons[lk.decision.reason.value] += 1
            if lk.facts.invoice_id in in_notice:
                continue
            not_reminded.append(
                {
                    "customer": external[plan.customer_id],
                    "invoice": lk.number,
                    "currency": lk.facts.currency,
                    "outstanding": format_minor(lk.facts.outstanding, lk.facts.currency),
                    "due_date": lk.facts.due_date.isoformat(),
                    "reason": lk.decision.reason.value,
                    "words": explain(lk.decision, lk.facts.currency),
                    "level": lk.decision.level,
                    "next_possible_on": _day(lk.decision.next_possible_on),
                    "policy": lk.policy,
                }
            )
        if plan.notice is None:
            continue
        numbers = {lk.facts.invoice_id: lk.number for lk in plan.looked}
        notices.append(
            {
                "customer": external[plan.customer_id],
                "channel": plan.notice.channel.value,
                "level": plan.notice.level,
                "policy": plan.policy.code if plan.policy else None,
                "items": [
                    {
                        "invoice": numbers[i.facts.invoice_id],
                        "level": i.decision.level,
                        "repetition": i.decision.repetition,
                        "reason": i.decision.reason.value,
                        "outstanding": format_minor(i.facts.outstanding, i.facts.currency),
                        "currency": i.facts.currency,
                        "due_date": i.facts.due_date.isoformat(),
                        "days_overdue": max((result.as_of - i.facts.due_date).days, 0),
                        "next_possible_on": _day(i.decision.next_possible_on),
                    }
                    for i in plan.notice.items
                ],
                "totals": [
                    {
                        "currency": t.currency,
                        "reminded": format_minor(t.reminded, t.currency),
                        "overdue": format_minor(t.overdue, t.currency),
                        "credit": format_minor(t.credit, t.currency),
                        "demanded": format_minor(t.demanded, t.currency),
                    }
                    for t in plan.notice.totals
                ],
            }
        )
    run = result.run
    return {
        "report_version": REPORT_VERSION,
        "run": {
            "id": run.pk if run else None,
            "company": company.code,
            "as_of": result.as_of.isoformat(),
            "status": result.status,
            "dry_run": run is None,
            "message": result.message,
            "policies": versions,
        },
        "summary": {
            "looked_at": result.decisions,
            "notices": result.notices,
            "items": result.items,
            "by_reason": dict(sorted(reasons.items())),
        },
        "notices": notices,
        "not_reminded": not_reminded,
    }


CSV_COLUMNS = [
    "customer",
    "invoice",
    "currency",
    "outstanding",
    "due_date",
    "reason",
    "words",
    "level",
    "repetition",
    "next_possible_on",
    "in_notice",
    "notice_channel",
    "notice_level",
    "policy",
]


def as_csv(report: dict[str, Any]) -> str:
    """One row per invoice the run looked at: those in notices first, then the others with their reason."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()

    def write(row: dict[str, Any]) -> None:
        # Every cell through safe_cell: ids and invoice numbers come from imported data.
        writer.writerow({key: safe_cell(value) for key, value in row.items()})

    for notice in report["notices"]:
        for item in notice["items"]:
            write(
                {
                    "customer": notice["customer"],
                    "invoice": item["invoice"],
                    "currency": item["currency"],
                    "outstanding": item["outstanding"],
                    "due_date": item["due_date"],
                    "reason": item["reason"],
                    "words": "",
                    "level": item["level"],
                    "repetition": item["repetition"],
                    "next_possible_on": item["next_possible_on"] or "",
                    "in_notice": "yes",
                    "notice_channel": notice["channel"],
                    "notice_level": notice["level"],
                    "policy": notice["policy"],
                }
            )
    for row in report["not_reminded"]:
        write(
            {
                **{k: row.get(k, "") for k in CSV_COLUMNS},
                "in_notice": "no",
                "repetition": "",
                "notice_channel": "",
                "notice_level": "",
                "next_possible_on": row["next_possible_on"] or "",
            }
        )
    return out.getvalue()
