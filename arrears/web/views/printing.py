"""Print batches: the paper letters waiting, making a batch (one PDF to print and a CSV list),
downloading them, and confirming that a batch was printed."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from arrears.accounts.roles import Role
from arrears.delivery.models import PrintBatch
from arrears.delivery.printing import NothingToPrint, confirm_printed, make_batch
from arrears.documents.archive import archive_storage
from arrears.web.access import current_company, role_required, web_actor
from arrears.web.labels import DELIVERY_LABELS
from arrears.web.paging import page_of
from arrears.web.selectors import outbox as selectors

WAITING_SHOWN = 25


@role_required(Role.VIEWER)
def batch_list(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    waiting = selectors.waiting_letters(company)
    waiting_count = waiting.count()
    page = page_of(request, selectors.print_batches(company), per_page=20)
    return render(
        request,
        "web/print/list.html",
        {
            "waiting": list(waiting[:WAITING_SHOWN]),
            "waiting_count": waiting_count,
            "page": page,
            "to_print": selectors.print_batches(company).filter(printed_at__isnull=True).count(),
        },
    )


def _batch_or_404(request: HttpRequest, pk: int) -> PrintBatch:
    found = PrintBatch.objects.filter(company=current_company(request), pk=pk).first()
    if found is None:
        raise Http404(_("No such print batch in this company."))
    return found


@role_required(Role.VIEWER)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    page = page_of(request, selectors.batch_letters(batch))
    rows = [{"m": m, "label": DELIVERY_LABELS.get(m.status, m.status)} for m in page.object_list]
    return render(request, "web/print/detail.html", {"batch": batch, "page": page, "rows": rows})


def _download(name: str, filename: str, content_type: str) -> HttpResponse:
    storage = archive_storage()
    if not name or not storage.exists(name):
        raise Http404(_("The file of this print batch is missing from the archive storage."))
    response = FileResponse(storage.open(name, "rb"), as_attachment=True, filename=filename, content_type=content_type)
    return cast(HttpResponse, response)  # streamed; role_required's type names the common case


@role_required(Role.VIEWER)
def batch_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    return _download(batch.pdf_path, f"print-batch-{batch.pk}.pdf", "application/pdf")


@role_required(Role.VIEWER)
def batch_csv(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    return _download(batch.list_path, f"print-batch-{batch.pk}.csv", "text/csv; charset=utf-8")


@role_required(Role.CLERK)
@require_POST
def batch_make(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    try:
        batch = make_batch(company, web_actor(request))
    except NothingToPrint as exc:
        messages.warning(request, _("Nothing to print: %(reason)s.") % {"reason": exc})
        return redirect("web:print_batches")
    messages.success(
        request,
        _(
            "Print batch #%(id)s is ready: %(letters)s letters, %(pages)s pages. "
            "Download the PDF, print it, then confirm."
        )
        % {"id": batch.pk, "letters": batch.letters, "pages": batch.pages},
    )
    return redirect("web:print_batch_detail", pk=batch.pk)


@role_required(Role.CLERK)
@require_POST
def batch_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    try:
        count = confirm_printed(batch, web_actor(request))
    except NothingToPrint as exc:
        messages.error(request, _("Refused: %(reason)s.") % {"reason": exc})
    else:
        done = _("Print batch #%(id)s confirmed: %(count)s letters count as sent.")
        messages.success(request, done % {"id": batch.pk, "count": count})
    return redirect("web:print_batch_detail", pk=batch.pk)


urlpatterns = [
    path("print/", batch_list, name="print_batches"),
    path("print/make/", batch_make, name="print_batch_make"),
    path("print/<int:pk>/", batch_detail, name="print_batch_detail"),
    path("print/<int:pk>/letters.pdf", batch_pdf, name="print_batch_pdf"),
    path("print/<int:pk>/list.csv", batch_csv, name="print_batch_csv"),
    path("print/<int:pk>/confirm/", batch_confirm, name="print_batch_confirm"),
]
