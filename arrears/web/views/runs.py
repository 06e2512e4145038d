"""Runs: the list, a run's proposal with the reason for every decision, review actions, the report."""

from __future__ import annotations

import json
from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from arrears.accounts.roles import Role
from arrears.core.engine import Reason
from arrears.dunning.models import Notice, NoticeItem, Run
from arrears.dunning.policies import stored_policies
from arrears.dunning.report import as_csv
from arrears.dunning.runs import RunRefused, approve_run, discard_run, start_run
from arrears.dunning.services import DunningActionError, change_item_level, exclude_item, exclude_notice
from arrears.web.access import current_company, local_next, role_required, web_actor
from arrears.web.labels import DELIVERY_LABELS
from arrears.web.paging import page_of
from arrears.web.reasons import REASON_LABELS, decision_words
from arrears.web.selectors import runs as q
from arrears.web.views.notices import labelled, labelled_message

REASONS = {r.value for r in Reason}

STATUS_LABELS = {
    Run.Status.RUNNING: gettext_lazy("running"),
    Run.Status.PROPOSAL: gettext_lazy("waiting for review"),
    Run.Status.DONE: gettext_lazy("done"),
    Run.Status.NOTHING: gettext_lazy("nothing to do"),
    Run.Status.FAILED: gettext_lazy("failed or discarded"),
}


def _run(request: HttpRequest, run_id: int) -> Run:
    return get_object_or_404(Run.objects.select_related("company"), pk=run_id, company=current_company(request))


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- List and start --------------------------------------------------------------------------------


@role_required(Role.VIEWER)
def run_list(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    runs = Run.objects.filter(company=company).order_by("-started_at", "-id")
    status = request.GET.get("status", "")
    if status in Run.Status.values:
        runs = runs.filter(status=status)
    page = page_of(request, runs)
    for run in page.object_list:
        run.status_label = STATUS_LABELS.get(run.status, run.status)
    return render(
        request,
        "web/runs/list.html",
        {
            "page": page,
            "status": status,
            "statuses": [(s, STATUS_LABELS[Run.Status(s)]) for s in Run.Status.values],
            "labels": STATUS_LABELS,
            "today": company.today(),
        },
    )


@role_required(Role.CLERK)
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    try:
        as_of = date.fromisoformat(request.POST.get("as_of", ""))
    except ValueError:
        messages.error(request, _("Give the run's date as YYYY-MM-DD."))
        return HttpResponseRedirect(reverse("web:runs"))
    review = request.POST.get("review") == "on"
    try:
        result = start_run(company, as_of, stored_policies(company), web_actor(request), review=review)
    except RunRefused as exc:
        messages.error(request, _("The run was not started: %(why)s") % {"why": exc})
        return HttpResponseRedirect(reverse("web:runs"))
    if result.status == "already_done" or result.status == Run.Status.NOTHING:
        messages.warning(request, result.message)
    elif result.status == Run.Status.PROPOSAL:
        messages.success(
            request,
            _("Run #%(id)s proposes %(n)s notices: review them, then approve.")
            % {"id": result.run.pk, "n": result.notices}
            if result.run
            else "",
        )
    else:
        messages.success(request, _("Run done: %(n)s notices created.") % {"n": result.notices})
    if result.run is None:
        return HttpResponseRedirect(reverse("web:runs"))
    return HttpResponseRedirect(reverse("web:run_detail", args=[result.run.pk]))


# --- A run: its proposal and every decision --------------------------------------------------------------


@role_required(Role.VIEWER)
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    tab = "decisions" if request.GET.get("tab") == "decisions" else "notices"
    counts = q.reason_counts(run)
    context: dict[str, object] = {
        "run": run,
        "tab": tab,
        "status_label": STATUS_LABELS.get(Run.Status(run.status), run.status),
        "reason_counts": [(r, REASON_LABELS[Reason(r)] if r in REASONS else r, n) for r, n in counts],
        "looked_at": sum(n for _, n in counts),
        "not_reminded": sum(n for r, n in counts if r not in q.SENDING_REASONS),
        "notice_counts": q.notice_counts(run),
        "reviewing": run.status == Run.Status.PROPOSAL,
    }
    if tab == "decisions":
        reason = request.GET.get("reason", "")
        if reason not in REASONS and reason != "not_reminded":
            reason = ""
        page = page_of(request, q.decisions(run, reason))
        for d in page.object_list:
            d.words = decision_words(d.reason, d.level, d.repetition, d.detail, d.invoice.currency)
        context.update(page=page, reason=reason)
    else:
        customer = request.GET.get("customer", "").strip()[:100]
        page = page_of(request, q.proposal_notices(run, customer), per_page=25)
        items = q.items_of([n.pk for n in page.object_list])
        for n in page.object_list:
            labelled(n)
            n.item_list = items.get(n.pk, [])
        context.update(page=page, customer=customer)
    return render(request, "web/runs/detail.html", context)


def _back(request: HttpRequest, run_id: int | None) -> HttpResponseRedirect:
    target = local_next(request)
    if target:
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(reverse("web:run_detail", args=[run_id]) if run_id else reverse("web:runs"))


@role_required(Role.CLERK)
@require_POST
def run_approve(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    try:
        run = approve_run(run, web_actor(request))
    except RunRefused as exc:
        messages.error(request, str(exc))
    else:
        created = run.notices.filter(status=Notice.Status.CREATED).count()
        messages.success(request, _("Run #%(id)s approved: %(n)s notices created.") % {"id": run.pk, "n": created})
    return HttpResponseRedirect(reverse("web:run_detail", args=[run.pk]))


@role_required(Role.CLERK)
@require_POST
def run_discard(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    try:
        discard_run(run, web_actor(request))
    except RunRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Run #%(id)s discarded: nothing was sent and no invoice moved.") % {"id": run.pk})
    return HttpResponseRedirect(reverse("web:run_detail", args=[run.pk]))


def _notice_card(request: HttpRequest, notice: Notice, error: str = "") -> HttpResponse:
    """The notice's card of the proposal, for htmx to swap in after an action."""
    notice = labelled(Notice.objects.select_related("customer", "run").get(pk=notice.pk))
    notice.item_list = q.items_of([notice.pk])[notice.pk]  # type: ignore[attr-defined]
    return render(
        request,
        "web/runs/_notice.html",
        {"n": notice, "reviewing": notice.run is not None and notice.run.status == Run.Status.PROPOSAL, "error": error},
    )


def _after_action(request: HttpRequest, notice: Notice, error: str, done: str) -> HttpResponse:
    if _is_htmx(request):
        return _notice_card(request, notice, error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return _back(request, notice.run_id)


@role_required(Role.CLERK)
@require_POST
def run_exclude_notice(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=notice_id, company=current_company(request))
    error = ""
    try:
        exclude_notice(notice, web_actor(request))
    except DunningActionError as exc:
        error = str(exc)
    return _after_action(request, notice, error, _("Notice #%(id)s excluded: it will not be sent.") % {"id": notice.pk})


def _item(request: HttpRequest, item_id: int) -> NoticeItem:
    return get_object_or_404(
        NoticeItem.objects.select_related("notice", "invoice", "notice__customer"),
        pk=item_id,
        notice__company=current_company(request),
    )


@role_required(Role.CLERK)
@require_POST
def run_exclude_item(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item(request, item_id)
    error = ""
    try:
        exclude_item(item, web_actor(request))
    except DunningActionError as exc:
        error = str(exc)
    done = _("Invoice %(number)s taken out of notice #%(id)s.") % {"number": item.invoice.number, "id": item.notice_id}
    return _after_action(request, item.notice, error, done)


@role_required(Role.CLERK)
@require_POST
def run_change_level(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _item(request, item_id)
    error = ""
    level_text = request.POST.get("level", "")
    if not level_text.isdigit() or len(level_text) > 3:
        error = _("Choose a level.")
    else:
        try:
            change_item_level(item, int(level_text), web_actor(request))
        except DunningActionError as exc:
            error = str(exc)
    done = _("Invoice %(number)s: level changed.") % {"number": item.invoice.number}
    return _after_action(request, item.notice, error, done)


# --- The run report ------------------------------------------------------------------------------------


@role_required(Role.VIEWER)
def run_report(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    counts = q.reason_counts(run)
    return render(
        request,
        "web/runs/report.html",
        {
            "run": run,
            "status_label": STATUS_LABELS.get(Run.Status(run.status), run.status),
            "reason_counts": [(r, REASON_LABELS[Reason(r)] if r in REASONS else r, n) for r, n in counts],
            "looked_at": sum(n for _, n in counts),
            "notice_counts": q.notice_counts(run),
            "message_counts": [(s, DELIVERY_LABELS.get(s, s), n) for s, n in sorted(q.message_counts(run).items())],
            "demanded": q.demanded(run, Notice.Status.CREATED),
            "proposed": q.demanded(run, Notice.Status.PROPOSED),
            "problems": [labelled_message(m) for m in q.problems(run)],
        },
    )


@role_required(Role.VIEWER)
def run_report_download(request: HttpRequest, run_id: int, fmt: str) -> HttpResponse:
    run = _run(request, run_id)
    if fmt not in ("json", "csv"):
        raise Http404("the report is JSON or CSV")
    report = q.stored_report(run)
    name = f"run-{run.company.code}-{run.pk}-{run.as_of.isoformat()}"
    if fmt == "json":
        response = HttpResponse(
            json.dumps(report, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
        )
    else:
        response = HttpResponse(as_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


urlpatterns = [
    path("runs/", run_list, name="runs"),
    path("runs/start/", run_start, name="run_start"),
    path("runs/<int:run_id>/", run_detail, name="run_detail"),
    path("runs/<int:run_id>/approve/", run_approve, name="run_approve"),
    path("runs/<int:run_id>/discard/", run_discard, name="run_discard"),
    path("runs/<int:run_id>/report/", run_report, name="run_report"),
    path("runs/<int:run_id>/report.<str:fmt>", run_report_download, name="run_report_download"),
    path("runs/notices/<int:notice_id>/exclude/", run_exclude_notice, name="run_exclude_notice"),
    path("runs/items/<int:item_id>/exclude/", run_exclude_item, name="run_exclude_item"),
    path("runs/items/<int:item_id>/level/", run_change_level, name="run_change_level"),
]
