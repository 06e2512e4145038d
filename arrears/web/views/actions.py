"""The collection actions overview: what was done about debtors, by the system and by people,
across customers; and the actions levels trigger (webhook calls, hand-overs). Viewers read it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from arrears.accounts.roles import Role
from arrears.history.models import Event
from arrears.web.access import current_company, role_required
from arrears.web.paging import page_of
from arrears.web.selectors.actions import (
    ACTOR_AUTOMATIC,
    ACTOR_PEOPLE,
    GROUP_OF,
    KINDS,
    action_events,
    filter_customer,
    level_actions,
    people,
    read_filters,
)
from arrears.web.selectors.customers import attach_notes, customer_key

TABS = ("events", "level")
# The badge colour of each kind of action (the building blocks of app.css).
BADGES = {
    "reminder": "queued",
    "review": "proposal",
    "pause": "paused",
    "stop": "stopped",
    "handover": "handed_over",
    "exclusion": "excluded",
    "dispute": "disputed",
    "webhook": "sent",
    "note": "paper",
}


def _key(event: Event) -> str:
    return customer_key(event.customer) if event.customer else ""


@role_required(Role.VIEWER)
def actions_overview(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    filters = read_filters(request.GET)
    tab = request.GET.get("tab", "events")
    tab = tab if tab in TABS else "events"
    customer = filter_customer(company, filters.customer)
    context = {
        "tab": tab,
        "filters": filters,
        "customer": customer,
        "kinds": [(key, label) for key, (label, _kinds) in KINDS.items()],
        "people": list(people()),
        "actor_auto": ACTOR_AUTOMATIC,
        "actor_people": ACTOR_PEOPLE,
        "statuses": ["pending", "done", "failed"],
    }
    if tab == "events":
        page = page_of(request, action_events(company, filters, customer))
        events = list(page.object_list)
        attach_notes(events)
        labels = {key: label for key, (label, _kinds) in KINDS.items()}
        context["rows"] = [
            (e, BADGES.get(GROUP_OF.get(e.kind, ""), ""), labels.get(GROUP_OF.get(e.kind, ""), e.kind), _key(e))
            for e in events
        ]
    else:
        page = page_of(request, level_actions(company, filters, customer))
        context["rows"] = [(a, customer_key(a.invoice.customer)) for a in page.object_list]
    context["page"] = page
    return render(request, "web/actions/overview.html", context)


urlpatterns = [
    path("actions/", actions_overview, name="actions"),
]
