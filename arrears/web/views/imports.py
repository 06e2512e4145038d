"""Import files: a clerk uploads customers, invoices and payments (CSV, JSON or JSON Lines) and
arrears imports them as one all-or-nothing import, like `arrears import`. The page also lists the
imports done so far, from the command line or here."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from arrears.accounts.roles import Role
from arrears.ledger.imports.errors import ImportFailed, RowError
from arrears.ledger.imports.runner import ImportReport, run_import
from arrears.ledger.models import ImportBatch
from arrears.web.access import current_company, role_required, web_actor
from arrears.web.paging import page_of

KINDS = ("customers", "invoices", "payments")
KIND_LABELS = {
    "customers": gettext_lazy("Customers"),
    "invoices": gettext_lazy("Invoices"),
    "payments": gettext_lazy("Payments"),
}
SUFFIXES = (".csv", ".json", ".jsonl")
_UNSAFE = re.compile(r"[^\w.\-]+")


def _safe_name(upload: UploadedFile[bytes]) -> str:
    """The file's own name without any folder part, reduced to safe characters: the import's errors
    name the file, so it stays recognisable."""
    name = Path((upload.name or "").replace("\\", "/")).name
    return _UNSAFE.sub("_", name).lstrip(".")[:120]


def _problems(uploads: list[UploadedFile[bytes]]) -> list[str]:
    if not uploads:
        return [_("Choose at least one file.")]
    found: list[str] = []
    names = [_safe_name(u) for u in uploads]
    for name in names:
        if not name.lower().endswith(SUFFIXES):
            found.append(_("%(name)s: expected a .csv, .json or .jsonl file.") % {"name": name or "?"})
        elif not name.lower().startswith(KINDS) and not name.lower().endswith(".json"):
            found.append(_("%(name)s: the file name must start with customers, invoices or payments.") % {"name": name})
    limit = settings.ARREARS_MAX_UPLOAD_MB
    if sum(u.size or 0 for u in uploads) > limit * 1024 * 1024:
        found.append(
            _("The files are larger than %(limit)s MB together; import them with `arrears import`.") % {"limit": limit}
        )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        found.append(_("The same file name was chosen twice: %(names)s.") % {"names": ", ".join(duplicates)})
    return found


def _page(request: HttpRequest, **extra: Any) -> HttpResponse:
    company = current_company(request)
    batches = ImportBatch.objects.filter(company=company).order_by("-started_at", "-pk")
    page = page_of(request, batches, per_page=20)
    rows = [
        {
            "batch": batch,
            "files": ", ".join(f.get("name", "?") for f in batch.files or []),
            "counts": [(KIND_LABELS[k], (batch.counts or {}).get(k)) for k in KINDS],
        }
        for batch in page
    ]
    context = {"page": page, "rows": rows, "kind_labels": [KIND_LABELS[k] for k in KINDS], **extra}
    return render(request, "web/imports/imports.html", context, status=400 if extra.get("errors") else 200)


@role_required(Role.VIEWER)
def imports(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _summary(report: ImportReport) -> str:
    parts = []
    for kind, counts in report.counts.items():
        parts.append(
            _("%(kind)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
            % {
                "kind": KIND_LABELS.get(kind, kind),
                "created": counts.get("created", 0),
                "updated": counts.get("updated", 0),
                "unchanged": counts.get("unchanged", 0),
            }
        )
    a = report.allocation
    parts.append(
        _("%(allocations)d allocations, %(settled)d invoices settled, %(credit)d receipts left as customer credit")
        % {"allocations": a.allocations, "settled": a.settled_invoices, "credit": a.credit_receipts}
    )
    return "; ".join(parts)


@role_required(Role.CLERK)
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    uploads = request.FILES.getlist("files")
    problems = _problems(uploads)
    if problems:
        return _page(request, errors=[RowError("", 0, "", p) for p in problems], total=len(problems))
    with tempfile.TemporaryDirectory(prefix="arrears-upload-") as folder:
        paths = []
        for upload_file in uploads:
            target = Path(folder) / _safe_name(upload_file)
            with target.open("wb") as handle:
                for chunk in upload_file.chunks():
                    handle.write(chunk)
            paths.append(target)
        try:
            report = run_import(company, paths, web_actor(request))
        except ImportFailed as failed:
            return _page(request, errors=failed.errors, total=failed.total)
    messages.success(
        request,
        _("Import #%(batch)d finished. %(summary)s.") % {"batch": report.batch_id, "summary": _summary(report)},
    )
    return redirect("web:imports")


urlpatterns = [
    path("imports/", imports, name="imports"),
    path("imports/upload/", upload, name="import_upload"),
]
