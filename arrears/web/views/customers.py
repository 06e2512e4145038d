"""The customers list and the customer card with its actions: remind by hand, pair and un-pair,
pause, stop, hand over, exclude, dispute, notes.

Reading needs a viewer; every action is a POST by a clerk. An action that fails for a domain
reason (DunningActionError, PairingError) says why in a flash message and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from arrears.accounts.roles import Role
from arrears.customers.models import Customer
from arrears.dunning.services import (
    NOTE_MAX,
    DunningActionError,
    create_manual_notice,
    default_deadline,
    hand_over,
    pause,
    set_disputed,
    set_dunning_enabled,
    stop_reminding,
)
from arrears.history.services import add_note
from arrears.ledger.services.pairing import PairingError, pair, unpair
from arrears.web.access import current_company, role_required, web_actor
from arrears.web.forms.customers import (
    DisputeForm,
    ExcludeForm,
    HandOverForm,
    ManualNoticeForm,
    NoteForm,
    PairForm,
    PauseForm,
    UnpairForm,
)
from arrears.web.paging import page_of
from arrears.web.selectors.customers import (
    STATE_LABELS,
    attach_notes,
    customer_card,
    customer_key,
    customer_rows,
    find_customer,
    groups_of,
    history_rows,
    list_figures,
    not_handed_over,
    read_filters,
)
from arrears.web.templatetags.arrears_ui import money

HISTORY_PER_PAGE = 20

# What a kind of history event is, in words (the stored code stays in a title attribute).
EVENT_LABELS = {
    "notice.created": gettext_lazy("reminder"),
    "receipt.credit": gettext_lazy("left as credit"),
    "notice.sent": gettext_lazy("reminder sent"),
    "notice.excluded": gettext_lazy("reminder excluded"),
    "notice.item_excluded": gettext_lazy("invoice taken out of a reminder"),
    "notice.items_dropped": gettext_lazy("invoices dropped from a reminder"),
    "notice.level_changed": gettext_lazy("level changed"),
    "message.sent": gettext_lazy("e-mail sent"),
    "message.failed": gettext_lazy("sending failed"),
    "message.printed": gettext_lazy("letter printed"),
    "message.skipped": gettext_lazy("message skipped"),
    "message.uncertain": gettext_lazy("delivery uncertain"),
    "message.action": gettext_lazy("delivery"),
    "document.archived": gettext_lazy("archived"),
    "allocation.created": gettext_lazy("payment paired"),
    "allocation.removed": gettext_lazy("pairing undone"),
    "dunning.paused": gettext_lazy("paused"),
    "dunning.resumed": gettext_lazy("resumed"),
    "dunning.stopped": gettext_lazy("reminding stopped"),
    "dunning.excluded": gettext_lazy("excluded from dunning"),
    "dunning.included": gettext_lazy("dunning on again"),
    "dunning.disputed": gettext_lazy("disputed"),
    "dunning.dispute_settled": gettext_lazy("dispute settled"),
    "dunning.level_reached": gettext_lazy("level reached"),
    "invoice.handed_over": gettext_lazy("handed over to collection"),
    "invoice.updated": gettext_lazy("invoice changed"),
    "customer.updated": gettext_lazy("customer changed"),
    "action.webhook": gettext_lazy("webhook call"),
    "note.added": gettext_lazy("note"),
}


@role_required(Role.VIEWER)
def customer_list(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    today = company.today()
    filters = read_filters(request.GET)
    page = page_of(request, customer_rows(company, filters, today))
    customers = list(page.object_list)
    figures = list_figures(customers, today)
    rows = [(c, customer_key(c), figures[c.pk]) for c in customers]
    return render(
        request,
        "web/customers/list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "states": list(STATE_LABELS.items()),
            "groups": list(groups_of(company)),
            "today": today,
        },
    )


def _customer(request: HttpRequest, key: str) -> Customer:
    customer = find_customer(current_company(request), key)
    if customer is None:
        raise Http404(_("No such customer in this company."))
    return customer


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _history_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    history = Paginator(history_rows(customer), HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    events = list(history.object_list)
    attach_notes(events)
    for e in events:
        e.kind_label = EVENT_LABELS.get(e.kind, e.kind)  # type: ignore[attr-defined]
    return {"history": history, "events": events, "customer": customer, "key": customer_key(customer)}


@role_required(Role.VIEWER)
def customer_detail(request: HttpRequest, key: str) -> HttpResponse:
    customer = _customer(request, key)
    if _is_htmx(request) and request.GET.get("part") == "history":  # a page of the history only
        context = {**_history_context(request, customer), "note_form": NoteForm(customer)}
        return render(request, "web/customers/_history.html", context)
    today = customer.company.today()
    card = customer_card(customer, today)
    context = {
        "card": card,
        "c": customer,
        "today": today,
        "remind_form": ManualNoticeForm(customer, initial={"deadline": default_deadline(customer, today)}),
        "note_form": NoteForm(customer),
        "note_max": NOTE_MAX,
        **_history_context(request, customer),
    }
    return render(request, "web/customers/detail.html", context)


def _back(customer: Customer, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("web:customer_detail", args=[customer_key(customer)])
    return HttpResponseRedirect(url + (f"#{anchor}" if anchor else ""))


def _form_errors(form: forms.Form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(str(e) for e in errors)
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)


def _act(
    request: HttpRequest,
    key: str,
    form_class: Callable[..., forms.Form],
    do: Callable[[Customer, dict[str, Any]], str],
    anchor: str,
) -> HttpResponse:
    """Run one action on a customer: the form checks the input, `do` changes things and returns the
    success message. A form error or a domain error becomes an error message; nothing changed."""
    customer = _customer(request, key)
    form = form_class(customer, request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was changed. %(errors)s") % {"errors": _form_errors(form)})
        return _back(customer, anchor)
    try:
        done = do(customer, form.cleaned_data)
    except (DunningActionError, PairingError) as exc:
        messages.error(request, _("Nothing was changed: %(reason)s") % {"reason": exc})
    else:
        messages.success(request, done)
    return _back(customer, anchor)


@role_required(Role.CLERK)
@require_POST
def customer_remind(request: HttpRequest, key: str) -> HttpResponse:
    def do(customer: Customer, data: dict[str, Any]) -> str:
        notice = create_manual_notice(
            customer, list(data["invoices"]), web_actor(request), deadline=data["deadline"], note=data["note"]
        )
        return _(
            "Reminder #%(id)s at level %(level)s created for %(count)s invoice(s); it goes out by %(channel)s."
        ) % {
            "id": notice.pk,
            "level": notice.level,
            "count": len(data["invoices"]),
            "channel": notice.channel,
        }

    return _act(request, key, ManualNoticeForm, do, "invoices")


@role_required(Role.CLERK)
@require_POST
def customer_pair(request: HttpRequest, key: str) -> HttpResponse:
    def do(customer: Customer, data: dict[str, Any]) -> str:
        allocation = pair(data["payment"], data["invoice"], web_actor(request), data["amount_minor"])
        return _("Paired %(amount)s of payment %(payment)s to invoice %(invoice)s.") % {
            "amount": money(allocation.amount_minor, allocation.currency),
            "payment": data["payment"].external_id,
            "invoice": data["invoice"].number,
        }

    return _act(request, key, PairForm, do, "payments")


@role_required(Role.CLERK)
@require_POST
def customer_unpair(request: HttpRequest, key: str) -> HttpResponse:
    def do(customer: Customer, data: dict[str, Any]) -> str:
        allocation = data["allocation"]
        number = allocation.invoice.number
        unpair(allocation, web_actor(request))
        return _("Un-paired: the money is unallocated credit again and invoice %(invoice)s is open for it.") % {
            "invoice": number
        }

    return _act(request, key, UnpairForm, do, "payments")


def _what(data: dict[str, Any], sentence_start: bool = False) -> str:
    invoice = data.get("invoice")
    words = _("invoice %(number)s") % {"number": invoice.number} if invoice else _("the customer")
    # Only the first letter: str.capitalize() would lower-case invoice numbers ("INV-7" -> "inv-7").
    return words[:1].upper() + words[1:] if sentence_start else words


@role_required(Role.CLERK)
@require_POST
def customer_pause(request: HttpRequest, key: str) -> HttpResponse:
    def do(customer: Customer, data: dict[str, Any]) -> str:
        until = data["until"]
        if until is not None and until < customer.company.today():
            raise DunningActionError(_("the day %(day)s is in the past") % {"day": until.isoformat()})
        pause(customer, until, web_actor(request), invoice=data["invoice"])
        if until:
            return _("Reminders for %(what)s paused until %(day)s.") % {"what": _what(data), "day": until.isoformat()}
        return _("Reminders for %(what)s resumed.") % {"what": _what(data)}

    return _act(request, key, PauseForm, do, "actions")


@role_required(Role.CLERK)
@require_POST
def customer_stop(request: HttpRequest, key: str) -> HttpResponse:
    def do(customer: Customer, data: dict[str, Any]) -> str:
        count = stop_reminding(customer, web_actor(request))
        return _("Reminding stopped for %(count)s open invoice(s). A manual reminder restarts it.") % {"count": count}

    return _act(request, key, HandOverForm, do, "actions")


@role_required(Role.CLERK)
@require_POST
def customer_hand_over(request: HttpRequest, key: str) -> HttpResponse:
    def do(customer: Customer, data: dict[str, Any]) -> str:
        invoice = data["invoice"]
        # "All" means every open invoice not handed over yet, so that one handed over before does
        # not block the others.
        chosen = [invoice] if invoice else list(not_handed_over(customer))
        count = hand_over(customer, web_actor(request), invoices=chosen) if chosen else 0
        if not count:
            raise DunningActionError(_("there is no open invoice to hand over"))
        return _("%(count)s invoice(s) handed over to external collection.") % {"count": count}

    return _act(request, key, HandOverForm, do, "actions")


@role_required(Role.CLERK)
@require_POST
def customer_exclude(request: HttpRequest, key: str) -> HttpResponse:
    def do(customer: Customer, data: dict[str, Any]) -> str:
        set_dunning_enabled(customer, data["enabled"], web_actor(request), invoice=data["invoice"])
        if data["enabled"]:
            return _("%(what)s is included in automatic dunning again.") % {"what": _what(data, sentence_start=True)}
        return _("%(what)s is excluded from automatic dunning.") % {"what": _what(data, sentence_start=True)}

    return _act(request, key, ExcludeForm, do, "actions")


@role_required(Role.CLERK)
@require_POST
def customer_dispute(request: HttpRequest, key: str) -> HttpResponse:
    def do(customer: Customer, data: dict[str, Any]) -> str:
        set_disputed(customer, data["reason"], web_actor(request), invoice=data["invoice"])
        if data["reason"].strip():
            return _("%(what)s is marked disputed; it gets no reminders.") % {"what": _what(data, sentence_start=True)}
        return _("The dispute about %(what)s is settled.") % {"what": _what(data)}

    return _act(request, key, DisputeForm, do, "actions")


@role_required(Role.CLERK)
@require_POST
def customer_note(request: HttpRequest, key: str) -> HttpResponse:
    """Add a note. From htmx the answer is the refreshed history; otherwise back to the card."""
    customer = _customer(request, key)
    form = NoteForm(customer, request.POST)
    error = ""
    if form.is_valid():
        invoice = form.cleaned_data["invoice"]
        try:
            add_note(
                company_id=customer.company_id,
                customer_id=customer.pk,
                invoice_id=invoice.pk if invoice else None,
                text=form.cleaned_data["text"],
                actor=web_actor(request),
            )
        except ValueError as exc:
            error = str(exc)
    else:
        error = _form_errors(form)
    if _is_htmx(request):
        context = {**_history_context(request, customer), "note_form": NoteForm(customer), "note_error": error}
        if not error:
            context["note_saved"] = True
        return render(request, "web/customers/_history.html", context, status=200)
    if error:
        messages.error(request, _("The note was not saved: %(reason)s") % {"reason": error})
    else:
        messages.success(request, _("Note added."))
    return _back(customer, "history")


urlpatterns = [
    path("customers/", customer_list, name="customers"),
    path("customers/<str:key>/", customer_detail, name="customer_detail"),
    path("customers/<str:key>/remind/", customer_remind, name="customer_remind"),
    path("customers/<str:key>/pair/", customer_pair, name="customer_pair"),
    path("customers/<str:key>/unpair/", customer_unpair, name="customer_unpair"),
    path("customers/<str:key>/pause/", customer_pause, name="customer_pause"),
    path("customers/<str:key>/stop/", customer_stop, name="customer_stop"),
    path("customers/<str:key>/hand-over/", customer_hand_over, name="customer_hand_over"),
    path("customers/<str:key>/exclude/", customer_exclude, name="customer_exclude"),
    path("customers/<str:key>/dispute/", customer_dispute, name="customer_dispute"),
    path("customers/<str:key>/note/", customer_note, name="customer_note"),
]
