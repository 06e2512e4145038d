"""The outbox (journal): every message with its status and attempts, and the clerk's actions on one
message: send again, cancel, confirm that an uncertain one arrived, send a failed e-mail on paper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from arrears.accounts.roles import Role, has_role
from arrears.delivery import outbox as journal
from arrears.delivery.models import OutboxMessage
from arrears.documents.archive import archive_storage
from arrears.history.services import Actor
from arrears.web.access import current_company, local_next, role_required, web_actor
from arrears.web.labels import CHANNEL_LABELS, DELIVERY_LABELS
from arrears.web.paging import page_of
from arrears.web.selectors import outbox as selectors

STATUS_HELP = {
    "queued": gettext_lazy("Waiting to be sent by the worker, new or waiting for a retry."),
    "sending": gettext_lazy("A worker is sending it right now."),
    "sent": gettext_lazy("The mail server accepted it."),
    "failed": gettext_lazy("Refused for good, or the retries ran out. Fix the cause, then send again."),
    "paper": gettext_lazy("A letter waiting for the next print batch."),
    "printed": gettext_lazy("Its print batch was confirmed as printed: the letter counts as sent."),
    "skipped": gettext_lazy("Not sent on purpose: paid meanwhile, address blocked, or test mode."),
    "cancelled": gettext_lazy("Cancelled by a person."),
    "uncertain": gettext_lazy(
        "The connection broke after the message went to the server: check whether it arrived, then confirm it "
        "or send it again."
    ),
}
OUTCOME_LABELS = {
    "sent": gettext_lazy("Sent"),
    "retry": gettext_lazy("Temporary failure, will retry"),
    "failed": gettext_lazy("Permanent failure"),
    "uncertain": gettext_lazy("Uncertain"),
    "interrupted": gettext_lazy("Interrupted, queued again"),
    "skipped": gettext_lazy("Skipped"),
}
OUTCOME_BADGES = {"retry": "queued", "interrupted": "queued"}
KIND_LABELS = {"notice": gettext_lazy("Reminder"), "report": gettext_lazy("Run report")}


def optional_url(names: tuple[str, ...], *args: Any) -> str:
    """A link to another screen when it exists (the screens are built side by side); else ""."""
    for name in names:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return ""


def notice_url(notice_id: int | None) -> str:
    return optional_url(("web:notice_detail", "web:notice"), notice_id) if notice_id else ""


def customer_url(customer_id: int | None) -> str:
    return optional_url(("web:customer_detail", "web:customer"), customer_id) if customer_id else ""


def allowed_actions(m: OutboxMessage) -> dict[str, bool]:
    """Which buttons the message offers; the services decide again (and refuse) when pressed."""
    email = m.channel == OutboxMessage.Channel.EMAIL
    again = m.status in (journal.RESENDABLE if email else {"printed", "cancelled", "skipped"})
    return {
        "send_again": again,
        "cancel": m.status in ("queued", "failed", "uncertain", "paper"),
        "confirm": m.status == "uncertain",
        "paper": email and m.notice_id is not None and m.status in ("failed", "skipped", "uncertain", "cancelled"),
    }


@role_required(Role.VIEWER)
def outbox_list(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    filters = selectors.read_filters(request.GET)
    counts = selectors.status_counts(company, filters)
    page = page_of(request, selectors.outbox_messages(company, filters))
    rows = [
        {
            "m": m,
            "customer": m.notice.customer if m.notice_id and m.notice else None,
            "notice_url": notice_url(m.notice_id),
            "status_label": DELIVERY_LABELS.get(m.status, m.status),
        }
        for m in page.object_list
    ]
    tabs = [{"status": "", "label": _("All"), "count": sum(counts.values())}] + [
        {"status": s, "label": capfirst(DELIVERY_LABELS[s]), "count": counts[s]}
        for s in selectors.STATUSES
        if counts[s] or s == filters.status
    ]
    return render(
        request,
        "web/outbox/list.html",
        {
            "filters": filters,
            "tabs": tabs,
            "counts": counts,
            "page": page,
            "rows": rows,
            "status_labels": DELIVERY_LABELS,
            "channel_labels": CHANNEL_LABELS,
            "kind_labels": KIND_LABELS,
            "attention": counts["failed"] + counts["uncertain"],
        },
    )


def _message_or_404(request: HttpRequest, pk: int) -> OutboxMessage:
    found = selectors.message_of(current_company(request), pk)
    if found is None:
        raise Http404(_("No such message in this company."))
    return found


@role_required(Role.VIEWER)
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    m = _message_or_404(request, pk)
    attempts = selectors.attempts_of(m)
    customer = m.notice.customer if m.notice_id and m.notice else None
    return render(
        request,
        "web/outbox/detail.html",
        {
            "m": m,
            "attempts": [
                {
                    "a": a,
                    "label": OUTCOME_LABELS.get(a.outcome, a.outcome),
                    "badge": OUTCOME_BADGES.get(a.outcome, a.outcome),
                    "seconds": max((a.finished_at - a.started_at).total_seconds(), 0.0),
                }
                for a in attempts
            ],
            "customer": customer,
            "customer_url": customer_url(customer.pk if customer else None),
            "notice_url": notice_url(m.notice_id),
            "status_label": DELIVERY_LABELS.get(m.status, m.status),
            "status_help": STATUS_HELP.get(m.status, ""),
            "channel_label": CHANNEL_LABELS.get(m.channel, m.channel),
            "kind_label": KIND_LABELS.get(m.kind, m.kind),
            "actions": allowed_actions(m) if has_role(request.user, Role.CLERK) else {},
            "has_mime": bool(m.mime_path or m.mime_id),
        },
    )


@role_required(Role.VIEWER)
def outbox_mime(request: HttpRequest, pk: int) -> HttpResponse:
    """The archived e-mail exactly as it was sent (an .eml file any mail program opens)."""
    m = _message_or_404(request, pk)
    name = m.mime_path or (m.mime.path if m.mime_id and m.mime else "")
    storage = archive_storage()
    if not name or not storage.exists(name):
        raise Http404(_("This message has no archived e-mail (it was never built, or it is a letter)."))
    handle = storage.open(name, "rb")
    response = FileResponse(handle, as_attachment=True, filename=f"message-{m.pk}.eml", content_type="message/rfc822")
    return cast(HttpResponse, response)  # streamed; role_required's type names the common case


Action = Callable[[OutboxMessage, Actor], OutboxMessage]


def _act(request: HttpRequest, pk: int, action: Action, done: str) -> HttpResponse:
    m = _message_or_404(request, pk)
    try:
        result = action(m, web_actor(request))
    except journal.JournalRefused as exc:
        messages.error(request, _("Refused: %(reason)s") % {"reason": exc})
    else:
        messages.success(request, done % {"id": m.pk, "other": result.pk})
    target = local_next(request)
    if target:
        return redirect(target)
    return redirect("web:outbox_detail", pk=m.pk)


@role_required(Role.CLERK)
@require_POST
def outbox_send_again(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        journal.send_again,
        _("Message #%(id)s will be sent again (a letter goes into the next print batch)."),
    )


@role_required(Role.CLERK)
@require_POST
def outbox_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, journal.cancel, _("Message #%(id)s was cancelled."))


@role_required(Role.CLERK)
@require_POST
def outbox_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, journal.confirm_arrived, _("Message #%(id)s is confirmed as arrived and counts as sent."))


@role_required(Role.CLERK)
@require_POST
def outbox_paper(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        journal.send_on_paper,
        _("The reminder of message #%(id)s goes on paper as letter #%(other)s, in the next print batch."),
    )


urlpatterns = [
    path("outbox/", outbox_list, name="outbox"),
    path("outbox/<int:pk>/", outbox_detail, name="outbox_detail"),
    path("outbox/<int:pk>/message.eml", outbox_mime, name="outbox_mime"),
    path("outbox/<int:pk>/send-again/", outbox_send_again, name="outbox_send_again"),
    path("outbox/<int:pk>/cancel/", outbox_cancel, name="outbox_cancel"),
    path("outbox/<int:pk>/confirm/", outbox_confirm, name="outbox_confirm"),
    path("outbox/<int:pk>/paper/", outbox_paper, name="outbox_paper"),
]
