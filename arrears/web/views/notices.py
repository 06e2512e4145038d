"""The reminder book: every notice with its delivery, the e-mail as the customer reads it, the PDF
letter and the e-mail as sent (the archived MIME bytes)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import typst
from django.contrib import messages
from django.db import IntegrityError
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from arrears.accounts.roles import Role
from arrears.delivery.models import DeliveryAttempt, OutboxMessage
from arrears.documents.archive import read
from arrears.documents.compose import render_notice
from arrears.documents.letters import render_letter
from arrears.documents.models import ArchivedDocument
from arrears.documents.sandbox import TemplateProblem
from arrears.documents.texts import MissingText
from arrears.dunning.models import Level, Notice, NoticeItem
from arrears.web.access import current_company, role_required
from arrears.web.labels import CHANNEL_LABELS, DELIVERY_LABELS
from arrears.web.paging import page_of
from arrears.web.selectors.notices import NoticeFilter, messages_of, next_reminders, notice_rows

RENDER_ERRORS = (TemplateProblem, MissingText, typst.TypstError, OSError)

NOTICE_STATUS_LABELS: dict[str, StrOrPromise] = {
    Notice.Status.PROPOSED: gettext_lazy("proposed, waiting for review"),
    Notice.Status.EXCLUDED: gettext_lazy("excluded"),
    Notice.Status.CREATED: gettext_lazy("created"),
}


def labelled(notice: Notice) -> Notice:
    """The notice with its status and channel in the reader's language (the model's choices are
    stored words, not translations)."""
    notice.status_label = NOTICE_STATUS_LABELS.get(notice.status, notice.status)  # type: ignore[attr-defined]
    notice.channel_label = CHANNEL_LABELS.get(notice.channel, notice.channel)  # type: ignore[attr-defined]
    return notice


def labelled_message(message: OutboxMessage) -> OutboxMessage:
    message.status_label = DELIVERY_LABELS.get(message.status, message.status)  # type: ignore[attr-defined]
    message.channel_label = CHANNEL_LABELS.get(message.channel, message.channel)  # type: ignore[attr-defined]
    return message


@role_required(Role.VIEWER)
def notice_list(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    f = NoticeFilter.from_query(request.GET)
    page = page_of(request, notice_rows(company, f))
    ids = [n.pk for n in page.object_list]
    delivery = messages_of(ids)
    following = next_reminders(ids)
    for n in page.object_list:
        labelled(n)
        n.deliveries = [labelled_message(m) for m in delivery.get(n.pk, [])]
        n.next_known = n.pk in following
        n.next_on = following.get(n.pk)
    top = Notice.objects.filter(company=company).aggregate(top=Max("level"))["top"] or 0
    template = "web/notices/_rows.html" if request.headers.get("HX-Request") == "true" else "web/notices/list.html"
    return render(
        request,
        template,
        {
            "page": page,
            "f": f,
            "levels": range(0, max(top, 3) + 1),
            "statuses": list(NOTICE_STATUS_LABELS.items()),
            "deliveries": list(DELIVERY_LABELS.items()),
            "channels": list(CHANNEL_LABELS.items()),
            "today": company.today(),
        },
    )


def _notice(request: HttpRequest, notice_id: int) -> Notice:
    return get_object_or_404(
        Notice.objects.select_related("customer", "run", "created_by", "company"),
        pk=notice_id,
        company=current_company(request),
    )


def _parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    if body is None:
        return ""
    content = body.get_content()
    return str(content)


def _level_name(notice: Notice) -> str:
    """The name of the notice's level in its policy ("First reminder"), or "" when not known."""
    if not notice.level or not notice.policy_code:
        return ""
    name = (
        Level.objects.filter(policy__company_id=notice.company_id, policy__code=notice.policy_code, number=notice.level)
        .values_list("name", flat=True)
        .first()
    )
    return name or ""


@role_required(Role.VIEWER)
def notice_detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = _notice(request, notice_id)
    items = list(NoticeItem.objects.filter(notice=notice).select_related("invoice").order_by("currency", "id"))
    outbox = list(OutboxMessage.objects.filter(notice=notice).select_related("mime").order_by("id"))
    attempts = list(DeliveryAttempt.objects.filter(message__notice=notice).order_by("message_id", "number", "id"))
    labelled(notice)
    for m in outbox:
        labelled_message(m)
        m.attempt_list = [a for a in attempts if a.message_id == m.pk]  # type: ignore[attr-defined]
    documents = list(ArchivedDocument.objects.filter(notice=notice).order_by("-created_at", "-id"))
    # The e-mail as the customer reads it: the archived bytes when it was sent, else a rendering.
    sent_email = next((m for m in outbox if m.mime_id is not None), None)
    subject = text = error = ""
    as_sent = False
    headers: list[tuple[str, str]] = []
    if sent_email is not None and sent_email.mime is not None:
        try:
            parsed = _parse(read(sent_email.mime))
            subject, text, as_sent = str(parsed.get("Subject", "")), _text_of(parsed), True
            headers = [(k, str(parsed.get(k, ""))) for k in ("From", "To", "Date", "Message-ID") if parsed.get(k)]
        except (OSError, ValueError, IntegrityError) as exc:
            error = _("The archived e-mail cannot be read: %(why)s") % {"why": exc}
    if not as_sent and notice.status != Notice.Status.EXCLUDED:
        try:
            message = render_notice(notice)
            subject, text = message.subject, message.text
        except RENDER_ERRORS as exc:
            error = _("The notice cannot be rendered: %(why)s") % {"why": exc}
    following = next_reminders([notice.pk])
    return render(
        request,
        "web/notices/detail.html",
        {
            "notice": notice,
            "items": items,
            "outbox": outbox,
            "documents": documents,
            "has_pdf": any(d.kind == "pdf" for d in documents),
            "sent_email": sent_email,
            "subject": subject,
            "text": text,
            "as_sent": as_sent,
            "headers": headers,
            "render_error": error,
            "next_known": notice.pk in following,
            "next_on": following.get(notice.pk),
            "delivery_labels": DELIVERY_LABELS,
            "level_name": _level_name(notice),
        },
    )


def _pdf_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _attached_pdf(notice: Notice) -> bytes | None:
    """The PDF letter attached to the e-mail as it was sent, if the notice went by e-mail."""
    document = ArchivedDocument.objects.filter(notice=notice, kind="eml").order_by("-created_at", "-id").first()
    if document is None:
        return None
    for part in _parse(read(document)).iter_attachments():
        if part.get_content_type() == "application/pdf":
            content = part.get_content()
            return bytes(content)
    return None


@role_required(Role.VIEWER)
def notice_pdf(request: HttpRequest, notice_id: int) -> HttpResponse:
    """The letter: the archived PDF (printed on paper or attached to the e-mail as sent); before
    that, the letter as it would be rendered now. Opening it writes nothing: a viewer's GET (or a
    browser's prefetch) must not archive letters or add to the history; printing archives them."""
    notice = _notice(request, notice_id)
    name = f"reminder-{notice.pk}.pdf"
    archived = ArchivedDocument.objects.filter(notice=notice, kind="pdf").order_by("-created_at", "-id").first()
    if archived is not None:
        return _pdf_response(read(archived), name)
    attached = _attached_pdf(notice)
    if attached is not None:
        return _pdf_response(attached, name)
    if notice.status == Notice.Status.EXCLUDED:
        raise Http404("the notice was excluded in review: there is no letter")
    try:
        pdf = render_letter(notice).pdf
        name = f"preview-reminder-{notice.pk}.pdf"
    except RENDER_ERRORS as exc:
        messages.error(request, _("The letter cannot be rendered: %(why)s") % {"why": exc})
        return HttpResponseRedirect(reverse("web:notice_detail", args=[notice.pk]))
    return _pdf_response(pdf, name)


@role_required(Role.VIEWER)
def notice_email(request: HttpRequest, notice_id: int) -> HttpResponse:
    """The e-mail exactly as it was sent: the archived MIME bytes, to open in a mail program."""
    notice = _notice(request, notice_id)
    rows = OutboxMessage.objects.filter(notice=notice, mime__isnull=False).select_related("mime").order_by("id")
    chosen = request.GET.get("message", "")
    if chosen.isdigit():
        rows = rows.filter(pk=int(chosen))
    message = rows.first()
    if message is None or message.mime is None:
        raise Http404("this notice has no e-mail archived yet")
    response = HttpResponse(read(message.mime), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="reminder-{notice.pk}-{message.pk}.eml"'
    return response


urlpatterns = [
    path("notices/", notice_list, name="notices"),
    path("notices/<int:notice_id>/", notice_detail, name="notice_detail"),
    path("notices/<int:notice_id>/letter.pdf", notice_pdf, name="notice_pdf"),
    path("notices/<int:notice_id>/email.eml", notice_email, name="notice_email"),
]
