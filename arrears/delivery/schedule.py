"""Automatic jobs: each company's dunning run at its time of day, and a report to the credit controller.

A schedule is claimed by a conditional UPDATE of its last day, so two workers never start the same
company's run twice. The run itself refuses a second run for the day and produces nothing on a
non-sending day (weekday or public holiday), saying so.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from arrears.core.money import format_minor
from arrears.delivery.mime import build_message
from arrears.delivery.models import OutboxMessage, RunSchedule, SenderAccount
from arrears.delivery.outbox import new_message_id
from arrears.delivery.prepare import store_bytes
from arrears.documents.compose import compose
from arrears.documents.context import company_context
from arrears.documents.sandbox import TemplateProblem
from arrears.dunning.models import Notice, Run
from arrears.dunning.policies import stored_policies
from arrears.dunning.runs import RunRefused, start_run
from arrears.history.services import Actor, EventDraft, record

log = logging.getLogger("arrears.delivery.schedule")
SCHEDULER = "scheduler"
# A run whose messages are still not all out after this long gets no report (the journal shows it).
REPORT_WITHIN = timedelta(days=7)
FINAL = {"sent", "failed", "paper", "printed", "skipped", "cancelled", "uncertain"}
# Runs older than this get no report: turning reports on again must not mail one for every old run.
REPORT_WINDOW = timedelta(days=7)


def local_day_and_time(now: datetime, time_zone: str) -> tuple[date, datetime]:
    local = now.astimezone(ZoneInfo(time_zone))
    return local.date(), local


def start_due_runs(now: datetime, out: Callable[[str], None]) -> int:
    started = 0
    for schedule in RunSchedule.objects.filter(enabled=True).select_related("company"):
        company = schedule.company
        today, local = local_day_and_time(now, company.time_zone)
        if local.time() < schedule.time_of_day or schedule.last_started_on == today:
            continue
        claimed = (
            RunSchedule.objects.filter(pk=schedule.pk)
            .filter(Q(last_started_on__isnull=True) | Q(last_started_on__lt=today))
            .update(last_started_on=today)
        )
        if not claimed:
            continue  # another worker started it
        actor = Actor(SCHEDULER)
        try:
            result = start_run(company, today, stored_policies(company), actor, review=schedule.review_first)
            message = result.message or f"{result.notices} notices, {result.decisions} invoices looked at"
            out(f"{company.code}: scheduled run for {today}: {result.status}; {message}")
        except RunRefused as exc:
            out(f"{company.code}: scheduled run for {today} refused: {exc}")
            record(
                EventDraft(company_id=company.pk, kind="run.refused", summary=f"Scheduled run refused: {exc}"), actor
            )
        started += 1
    return started


def queue_run_reports(now: datetime) -> int:
    """A report per scheduled run, once its messages are all out (or it waits for review)."""
    queued = 0
    runs = (
        Run.objects.filter(
            actor_label=SCHEDULER,
            status__in=[Run.Status.DONE, Run.Status.PROPOSAL],
            started_at__gte=now - REPORT_WINDOW,
        )
        .exclude(company__credit_controller_email="")
        # One report per run: not again when the credit controller's address changes.
        .exclude(pk__in=OutboxMessage.objects.filter(kind=OutboxMessage.Kind.REPORT).values("run_id"))
        .select_related("company")
        .order_by("pk")
    )
    for run in runs:
        if not RunSchedule.objects.filter(company=run.company, send_report=True).exists():
            continue
        recipient = run.company.credit_controller_email
        statuses = Counter(
            OutboxMessage.objects.filter(notice__run=run, kind=OutboxMessage.Kind.NOTICE).values_list(
                "status", flat=True
            )
        )
        if run.status == Run.Status.DONE and any(s not in FINAL for s in statuses):
            continue  # still sending: the report says what happened, so it waits
        account = SenderAccount.objects.filter(company=run.company, is_default=True).first()
        if account is None:
            continue
        subject, text = report_text(run, statuses)
        message_id = new_message_id(account, None)
        data, envelope = build_message(
            account, to=recipient, subject=subject, text=text, message_id=message_id, date=now
        )
        OutboxMessage.objects.create(
            company=run.company,
            kind=OutboxMessage.Kind.REPORT,
            run=run,
            channel=OutboxMessage.Channel.EMAIL,
            recipient=recipient,
            message_id=message_id,
            account=account,
            status=OutboxMessage.Status.QUEUED,
            next_attempt_at=now,
            subject=subject[:300],
            envelope_to=", ".join(envelope.recipients),
            mime_path=store_bytes(data, "eml"),
        )
        queued += 1
    return queued


def report_text(run: Run, statuses: Counter[str]) -> tuple[str, str]:
    """The credit controller's report: the company's `run_report` text (in its language, editable
    like every other text), followed by the list of what needs attention."""
    company = run.company
    waiting = Notice.objects.filter(run=run, status=Notice.Status.PROPOSED).count()
    details = _details(run, statuses, waiting)
    context = {
        "company": company_context(company),
        "run": {
            "date": run.as_of.isoformat(),
            "notices": (run.counts or {}).get("notices", 0),
            "sent": statuses.get("sent", 0),
            "failed": statuses.get("failed", 0) + statuses.get("uncertain", 0),
            "paper": statuses.get("paper", 0) + statuses.get("printed", 0),
            "review": waiting,
            "url": f"arrears review show {run.pk}",
        },
    }
    try:
        message = compose(company, "run_report", company.default_language, context)
        return message.subject, message.text.rstrip() + "\n\n" + details
    except TemplateProblem as exc:
        # A broken text must not swallow the report: it goes out plain, saying why.
        subject = f"[arrears] {company.code}: dunning run {run.as_of} - {run.get_status_display()}"
        return subject, f"(The run_report text could not be used: {exc})\n\n{details}"


def _details(run: Run, statuses: Counter[str], waiting: int) -> str:
    lines = [f"Run #{run.pk} of {run.as_of}: {run.get_status_display()}."]
    if run.message:
        lines.append(run.message)
    counts = run.counts or {}
    lines.append(f"Invoices looked at: {counts.get('decisions', 0)}; notices: {counts.get('notices', 0)}.")
    if run.status == Run.Status.PROPOSAL:
        lines.append(f"Waiting for review: {waiting} notices. Approve with: arrears review approve {run.pk}")
    else:
        lines.append("Messages:")
        for status in ("sent", "failed", "uncertain", "paper", "printed", "skipped", "cancelled"):
            if statuses.get(status):
                lines.append(f"  {OutboxMessage.Status(status).label}: {statuses[status]}")
        problems = (
            OutboxMessage.objects.filter(notice__run=run, status__in=["failed", "uncertain", "paper"])
            .select_related("notice__customer")
            .order_by("status", "pk")[:100]
        )
        if problems:
            lines.append("Needing attention (at most 100):")
            for m in problems:
                customer = m.notice.customer if m.notice is not None else None
                who = f"{customer.external_id} {customer.name}" if customer is not None else "-"
                detail = m.last_error or m.reason
                lines.append(f"  #{m.pk} {m.status:<9} {who}: {m.recipient or 'paper'} {detail}".rstrip())
        demanded: Counter[str] = Counter()
        for totals in Notice.objects.filter(run=run, status=Notice.Status.CREATED).values_list("totals", flat=True):
            for t in totals:
                demanded[t["currency"]] += t["demanded"]
        if demanded:
            lines.append("Demanded: " + ", ".join(f"{format_minor(v, c)} {c}" for c, v in sorted(demanded.items())))
    return "\n".join(lines) + "\n"
