"""Configuration screens: policies (readable cards, a dry-run preview, a policy file upload),
text templates (live preview, editing checked by the sandbox), sender accounts (a test e-mail) and
the user's API tokens. Viewers may look; changes need a manager (tokens: every user their own)."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from arrears.accounts.models import ApiToken
from arrears.accounts.roles import Role, has_role
from arrears.accounts.tokens import issue_token, revoke_token
from arrears.companies.models import Company
from arrears.customers.models import Customer
from arrears.delivery.models import SPAM_SAFE_INTERVAL, SenderAccount
from arrears.delivery.probe import send_probe
from arrears.delivery.smtp import Outcome, check_account
from arrears.documents.batch import one_letter
from arrears.documents.checks import template_keys
from arrears.documents.compose import notice_context, sample_context
from arrears.documents.letters import render_letter, render_preview
from arrears.documents.models import FIELDS, MessageTemplate
from arrears.documents.texts import SHIPPED_LANGUAGES, MissingText, base_language, shipped, texts_for
from arrears.dunning.models import Notice, Policy, PolicyAssignment
from arrears.dunning.policies import PolicyFileError, load_policy_file, read_policy_file, stored_policies
from arrears.dunning.runs import RunRefused, start_run
from arrears.history.services import Actor
from arrears.web.access import current_company, role_required, web_actor
from arrears.web.forms.config import (
    PolicyPreviewForm,
    PolicyUploadForm,
    SenderTestForm,
    TemplatePreviewForm,
    TemplateTextForm,
    TokenForm,
    render_draft,
)
from arrears.web.labels import CHANNEL_LABELS
from arrears.web.paging import page_of

PREVIEW_NOTICES = 20
WEEKDAYS = [
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
]
ACTIONS = {"none": "", "handover": gettext_lazy("hand over to collection"), "webhook": gettext_lazy("call a webhook")}
REASONS = {
    "level": gettext_lazy("due for the next level"),
    "repeat": gettext_lazy("due for a repetition"),
    "pre_due": gettext_lazy("friendly reminder before the due date"),
    "paid": gettext_lazy("paid"),
    "handed_over": gettext_lazy("handed over to collection"),
    "stopped": gettext_lazy("reminding stopped"),
    "excluded_customer": gettext_lazy("customer excluded from dunning"),
    "excluded_invoice": gettext_lazy("invoice excluded"),
    "disputed": gettext_lazy("disputed"),
    "paused": gettext_lazy("paused"),
    "below_minimum": gettext_lazy("below the policy's minimum amount"),
    "below_level_minimum": gettext_lazy("below the level's minimum amount"),
    "not_yet_due": gettext_lazy("not overdue long enough yet"),
    "too_soon": gettext_lazy("too soon after the previous reminder"),
    "all_levels_sent": gettext_lazy("every level sent"),
    "credit_covers": gettext_lazy("covered by the customer's credit"),
    "not_sending_day": gettext_lazy("not a sending day"),
}


def _manager_only(request: HttpRequest) -> None:
    if not has_role(request.user, Role.MANAGER):
        raise PermissionDenied("this needs the role manager")


def _minor(amounts: dict[str, int]) -> list[tuple[int, str]]:
    return [(int(v), c) for c, v in sorted(amounts.items())]


# -- policies ------------------------------------------------------------------------------------


def _policy_cards(company: Company) -> list[dict[str, Any]]:
    policies = list(Policy.objects.filter(company=company).prefetch_related("levels").order_by("-is_default", "code"))
    assigned = Counter(PolicyAssignment.objects.filter(company=company).values_list("policy_id", flat=True).order_by())
    cards = []
    for p in policies:
        levels = [
            {
                "lv": lv,
                "channel": CHANNEL_LABELS.get(lv.channel, lv.channel),
                "action": ACTIONS.get(lv.action, lv.action),
                "minimums": _minor(lv.min_amounts or {}),
            }
            for lv in sorted(p.levels.all(), key=lambda lv: lv.number)
        ]
        cards.append(
            {
                "p": p,
                "levels": levels,
                "weekdays": [str(WEEKDAYS[d]) for d in (p.weekdays or range(5)) if 0 <= d < 7],
                "minimums": _minor(p.min_amounts or {}),
                "pre_due_minimums": _minor(p.pre_due_min_amounts or {}),
                "pre_due_channel": CHANNEL_LABELS.get(p.pre_due_channel, p.pre_due_channel),
                "assigned": assigned.get(p.pk, 0),
            }
        )
    return cards


@role_required(Role.VIEWER)
def policies(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    return render(
        request,
        "web/config/policies.html",
        {
            "cards": _policy_cards(company),
            "preview_form": PolicyPreviewForm(initial={"as_of": company.today()}),
            "upload_form": PolicyUploadForm(),
        },
    )


def preview_of(company: Company, as_of: date, actor: Actor) -> dict[str, Any]:
    """What a run as of `as_of` would do, without changing anything: counts and the first notices."""
    result = start_run(company, as_of, stored_policies(company), actor, dry_run=True, keep_plans=True)
    reasons: Counter[str] = Counter()
    planned = []
    for plan in result.plans:
        reasons.update(lk.decision.reason.value for lk in plan.looked)
        if plan.notice is not None:
            planned.append(plan.notice)
    by_level = Counter(n.level for n in planned)
    by_channel = Counter(n.channel.value for n in planned)
    shown = planned[:PREVIEW_NOTICES]
    customers = {
        c.pk: c
        for c in Customer.objects.filter(company=company, pk__in=[n.customer_id for n in shown]).only(
            "id", "external_id", "name"
        )
    }
    return {
        "as_of": as_of,
        "message": result.message,
        "looked_at": result.decisions,
        "notices_count": result.notices,
        "items": result.items,
        "by_level": sorted(by_level.items()),
        "by_channel": [(CHANNEL_LABELS.get(c, c), n) for c, n in sorted(by_channel.items())],
        "by_reason": [
            (REASONS.get(r, r.replace("_", " ")), n, r in ("level", "repeat", "pre_due"))
            for r, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        ],
        "notices": [
            {
                "customer": customers.get(n.customer_id),
                "level": n.level,
                "channel": CHANNEL_LABELS.get(n.channel.value, n.channel.value),
                "invoices": len(n.items),
                "totals": [(t.demanded, t.currency) for t in n.totals],
            }
            for n in shown
        ],
        "more": max(len(planned) - PREVIEW_NOTICES, 0),
    }


@role_required(Role.VIEWER)
def policy_preview(request: HttpRequest) -> HttpResponse:
    """The dry run of a chosen day (an HTMX fragment, or a whole page without JavaScript)."""
    company = current_company(request)
    form = PolicyPreviewForm(request.GET or None, initial={"as_of": company.today()})
    context: dict[str, Any] = {"preview_form": form}
    if form.is_valid():
        try:
            context["preview"] = preview_of(company, form.cleaned_data["as_of"], web_actor(request))
        except RunRefused as exc:
            context["preview_error"] = str(exc)
    if request.headers.get("HX-Request"):
        return render(request, "web/config/_policy_preview.html", context)
    context.update({"cards": _policy_cards(company), "upload_form": PolicyUploadForm()})
    return render(request, "web/config/policies.html", context)


@role_required(Role.MANAGER)
@require_POST
def policy_upload(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    form = PolicyUploadForm(request.POST, request.FILES)
    problems: list[str] = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        name = Path(upload.name or "policy.toml").name or "policy.toml"
        with tempfile.TemporaryDirectory() as folder:
            saved = Path(folder) / name
            saved.write_bytes(b"".join(upload.chunks()))
            try:
                with transaction.atomic():
                    changes = load_policy_file(company, read_policy_file(saved))
            except PolicyFileError as exc:
                problems = str(exc).splitlines()
            else:
                if changes:
                    messages.success(request, _("Policy file loaded: %(changes)s.") % {"changes": "; ".join(changes)})
                else:
                    messages.info(request, _("Policy file loaded: nothing changed."))
                return redirect("web:policies")
    return render(
        request,
        "web/config/policies.html",
        {
            "cards": _policy_cards(company),
            "preview_form": PolicyPreviewForm(initial={"as_of": company.today()}),
            "upload_form": form,
            "upload_problems": problems,
        },
        status=400,
    )


# -- templates -----------------------------------------------------------------------------------


def _languages(company: Company) -> list[tuple[str, str]]:
    names = dict(settings.LANGUAGES)
    own = set(MessageTemplate.objects.filter(company=company).values_list("language", flat=True))
    codes = sorted(set(SHIPPED_LANGUAGES) | own | {base_language(company.default_language)})
    return [(c, f"{names.get(c, c)} ({c})") for c in codes]


@role_required(Role.VIEWER)
def templates(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    keys = template_keys(company)
    languages = _languages(company)
    own = {
        (t.key, t.language): t
        for t in MessageTemplate.objects.filter(company=company).only(
            "key", "language", "subject", "opening", "closing", "body", "updated_at"
        )
    }
    matrix = []
    for key in keys:
        cells = []
        for code, _name in languages:
            mine = own.get((key, code))
            if mine is not None and any(getattr(mine, f) for f in FIELDS):
                state = "own"
            elif key in shipped(code):
                state = "shipped"
            else:
                state = "fallback"
            cells.append({"language": code, "state": state, "updated": mine.updated_at if mine else None})
        matrix.append({"key": key, "cells": cells})
    initial = {"key": keys[0] if keys else "", "language": base_language(company.default_language)}
    form = TemplatePreviewForm(request.GET or None, initial=initial, keys=keys, languages=languages)
    return render(
        request,
        "web/config/templates.html",
        {
            "matrix": matrix,
            "languages": languages,
            "form": form,
            "preview": _preview(company, form) if keys else None,
        },
    )


def _preview(company: Company, form: TemplatePreviewForm) -> dict[str, Any]:
    """The rendered subject and body of a template in a language, with sample data or the chosen
    customer's latest reminder."""
    if form.is_bound and not form.is_valid():
        return {"error": " ".join(str(e) for errors in form.errors.values() for e in errors)}
    data = form.cleaned_data if form.is_bound else form.initial
    key, language = str(data["key"]), str(data["language"])
    external = str(data.get("customer") or "").strip()
    notice = None
    note = ""
    if external:
        customer = Customer.objects.filter(company=company, external_id=external).first()
        if customer is None:
            return {"error": _("No customer %(id)s in this company.") % {"id": external}}
        notice = Notice.objects.filter(company=company, customer=customer).order_by("-notice_date", "-id").first()
        if notice is None:
            note = _("%(name)s has had no reminder yet: sample data is shown.") % {"name": customer.name}
    try:
        texts = texts_for(company, key, language)
    except MissingText as exc:
        return {"error": str(exc), "key": key, "language": language}
    with one_letter():
        context = notice_context(notice, language) if notice is not None else sample_context(company, language)
    rendered, problems = render_draft(texts.fields, {}, context)
    used = sorted({lang for lang in texts.languages.values() if lang != texts.wanted_language})
    return {
        "key": key,
        "language": language,
        "subject": rendered["subject"],
        "body": rendered["body"],
        "problems": problems,
        "fallback": used,
        "notice": notice,
        "note": note,
    }


@role_required(Role.VIEWER)
def template_preview(request: HttpRequest) -> HttpResponse:
    """The live preview: swapped in by HTMX when the template, language or customer changes."""
    company = current_company(request)
    keys = template_keys(company)
    form = TemplatePreviewForm(request.GET, keys=keys, languages=_languages(company))
    return render(request, "web/config/_template_preview.html", {"preview": _preview(company, form)})


@role_required(Role.VIEWER)
def template_letter(request: HttpRequest, notice_id: int) -> HttpResponse:
    """A reminder's letter as the customer gets it: PDF, or the first page as PNG (?format=png)."""
    notice = Notice.objects.filter(company=current_company(request), pk=notice_id).select_related("customer").first()
    if notice is None:
        raise Http404(_("No such reminder in this company."))
    if request.GET.get("format") == "png":
        pages = render_preview(notice)
        if not pages:
            raise Http404(_("The letter has no pages."))
        return HttpResponse(pages[0], content_type="image/png")
    response = HttpResponse(render_letter(notice).pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="reminder-{notice.pk}.pdf"'
    return response


def _key_or_404(company: Company, key: str, language: str) -> None:
    if key not in template_keys(company) or language not in dict(_languages(company)):
        raise Http404(_("No such template or language."))


@role_required(Role.VIEWER)
def template_edit(request: HttpRequest, key: str, language: str) -> HttpResponse:
    company = current_company(request)
    _key_or_404(company, key, language)
    mine = MessageTemplate.objects.filter(company=company, key=key, language=language).first()
    defaults = shipped(language).get(key) or texts_for(company, key, language).fields
    with one_letter():
        sample = sample_context(company, language)
    may_edit = has_role(request.user, Role.MANAGER)
    if request.method == "POST":
        _manager_only(request)
        form = TemplateTextForm(request.POST, context=sample, defaults=defaults)
        if form.is_valid():
            values = {f: form.cleaned_data.get(f) or "" for f in FIELDS}
            if any(values.values()):
                MessageTemplate.objects.update_or_create(company=company, key=key, language=language, defaults=values)
                messages.success(request, _("Saved: %(key)s in %(language)s.") % {"key": key, "language": language})
            else:
                MessageTemplate.objects.filter(company=company, key=key, language=language).delete()
                messages.success(
                    request,
                    _("%(key)s in %(language)s uses the shipped texts again.") % {"key": key, "language": language},
                )
            return redirect("web:template_edit", key=key, language=language)
        status = 400
    else:
        initial = {f: getattr(mine, f) for f in FIELDS} if mine else {}
        form = TemplateTextForm(initial=initial, context=sample, defaults=defaults)
        status = 200
    own = {f: (form.data.get(f, "") if form.is_bound else getattr(mine, f, "")) or "" for f in FIELDS}
    rendered, problems = render_draft(own, defaults, sample)
    return render(
        request,
        "web/config/template_edit.html",
        {
            "key": key,
            "language": language,
            "form": form,
            "may_edit": may_edit,
            "mine": mine,
            "draft": {"subject": rendered["subject"], "body": rendered["body"], "problems": problems},
        },
        status=status,
    )


@role_required(Role.VIEWER)
@require_POST
def template_draft(request: HttpRequest, key: str, language: str) -> HttpResponse:
    """The edit page's preview of unsaved texts (HTMX, as you type); it saves nothing."""
    company = current_company(request)
    _key_or_404(company, key, language)
    defaults = shipped(language).get(key) or texts_for(company, key, language).fields
    with one_letter():
        sample = sample_context(company, language)
    own = {f: str(request.POST.get(f, "")) for f in FIELDS}
    rendered, problems = render_draft(own, defaults, sample)
    draft = {"subject": rendered["subject"], "body": rendered["body"], "problems": problems}
    return render(request, "web/config/_template_draft.html", {"draft": draft})


# -- sender accounts -----------------------------------------------------------------------------


def _account_or_404(request: HttpRequest, pk: int) -> SenderAccount:
    found = SenderAccount.objects.filter(company=current_company(request), pk=pk).first()
    if found is None:
        raise Http404(_("No such sender account in this company."))
    return found


@role_required(Role.VIEWER)
def senders(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    accounts = list(SenderAccount.objects.filter(company=company).order_by("-is_default", "code"))
    return render(
        request,
        "web/config/senders.html",
        {
            "accounts": [{"a": a, "form": SenderTestForm(prefix=f"a{a.pk}")} for a in accounts],
            "spam_safe": SPAM_SAFE_INTERVAL,
            "now": timezone.now(),
        },
    )


def send_test_message(account: SenderAccount, to: str) -> tuple[bool, str]:
    """Connect, secure, log in and send one short e-mail right away, as `arrears smtp test --to` does.
    Returns (sent, what happened); the message does not go through the outbox."""
    try:
        features = check_account(account)
    except Exception as exc:
        return False, f"{account.host}:{account.port} ({account.security}): {type(exc).__name__}: {exc}"
    result = send_probe(account, to)
    if result.outcome != Outcome.SENT:
        return False, f"{result.outcome} {result.code or ''} {result.reply}".replace("  ", " ").strip()
    return True, f"{result.code} {result.reply} (server offers: {features})"


@role_required(Role.MANAGER)
@require_POST
def sender_test(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_or_404(request, pk)
    form = SenderTestForm(request.POST, prefix=f"a{account.pk}")
    outcome: dict[str, Any] = {}
    if not form.is_valid():
        outcome = {"ok": False, "text": " ".join(str(e) for e in form.errors.get("to", [])) or _("Enter an address.")}
    else:
        to = form.cleaned_data["to"]
        ok, text = send_test_message(account, to)
        if ok:
            outcome = {"ok": True, "text": _("Test e-mail sent to %(to)s: %(reply)s") % {"to": to, "reply": text}}
        else:
            outcome = {"ok": False, "text": _("Not sent: %(reply)s") % {"reply": text}}
    if request.headers.get("HX-Request"):
        return render(request, "web/config/_sender_outcome.html", {"outcome": outcome})
    (messages.success if outcome["ok"] else messages.error)(request, outcome["text"])
    return redirect("web:senders")


# -- API tokens ----------------------------------------------------------------------------------


def _token_rows(request: HttpRequest) -> Any:
    rows = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    if not has_role(request.user, Role.MANAGER):
        rows = rows.filter(user_id=int(request.user.pk or 0))
    return rows


def _tokens_page(request: HttpRequest, form: TokenForm, new_key: str = "", status: int = 200) -> HttpResponse:
    return render(
        request,
        "web/config/tokens.html",
        {
            "page": page_of(request, _token_rows(request)),
            "form": form,
            "new_key": new_key,
            "sees_everyone": has_role(request.user, Role.MANAGER),
        },
        status=status,
    )


@role_required(Role.VIEWER)
def tokens(request: HttpRequest) -> HttpResponse:
    return _tokens_page(request, TokenForm())


@role_required(Role.VIEWER)
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form, status=400)
    user = request.user
    assert user.is_authenticated
    _token, key = issue_token(user, form.cleaned_data["name"])
    response = _tokens_page(request, TokenForm(), new_key=key)
    response["Cache-Control"] = "no-store"  # the token is shown this once
    return response


@role_required(Role.VIEWER)
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = _token_rows(request).filter(pk=pk).first()
    if token is None:
        raise Http404(_("No such token of yours."))
    revoke_token(token)
    messages.success(
        request, _("Token %(name)s (%(prefix)s…) is revoked.") % {"name": token.name, "prefix": token.prefix}
    )
    return redirect("web:tokens")


urlpatterns = [
    path("settings/policies/", policies, name="policies"),
    path("settings/policies/preview/", policy_preview, name="policy_preview"),
    path("settings/policies/upload/", policy_upload, name="policy_upload"),
    path("settings/templates/", templates, name="templates"),
    path("settings/templates/preview/", template_preview, name="template_preview"),
    path("settings/templates/letter/<int:notice_id>/", template_letter, name="template_letter"),
    path("settings/templates/<slug:key>/<slug:language>/", template_edit, name="template_edit"),
    path("settings/templates/<slug:key>/<slug:language>/draft/", template_draft, name="template_draft"),
    path("settings/senders/", senders, name="senders"),
    path("settings/senders/<int:pk>/test/", sender_test, name="sender_test"),
    path("settings/tokens/", tokens, name="tokens"),
    path("settings/tokens/new/", token_create, name="token_create"),
    path("settings/tokens/<int:pk>/revoke/", token_revoke, name="token_revoke"),
]
