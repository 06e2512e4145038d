"""The dashboard: what is owed and how old it is, per currency; this week's reminders; runs to review; DSO."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from arrears.accounts.roles import Role
from arrears.core.currencies import exponent
from arrears.documents.context import locale_for
from arrears.ledger.selectors.overview import AGING_BUCKETS, CurrencyOverview, largest_debtors, receivables_overview
from arrears.web.access import current_company, role_required
from arrears.web.charts import AGING_TONES, Bar, bar_chart, share_bar
from arrears.web.selectors.dashboard import (
    DSO_DAYS,
    credit_sales,
    days_sales_outstanding,
    runs_waiting,
    week_deliveries,
)
from arrears.web.templatetags.arrears_ui import money

# The aging buckets' labels as the reader reads them (the selector's keys are fixed English words).
BUCKET_LABELS = {
    "not due": gettext_lazy("not due"),
    "1-30": gettext_lazy("1–30 days"),
    "31-60": gettext_lazy("31–60 days"),
    "61-90": gettext_lazy("61–90 days"),
    "90+": gettext_lazy("90+ days"),
}


@dataclass
class CurrencyPanel:
    overview: CurrencyOverview
    sales: int
    dso: Decimal | None
    chart: str
    share: str
    buckets: list[tuple[str, int, str]]  # label, amount, colour

    @property
    def currency(self) -> str:
        return self.overview.currency


def _axis(currency: str) -> Any:
    """Gridline labels in whole major units: the exact amounts stand above the bars."""
    scale = 10 ** exponent(currency)
    locale = locale_for((get_language() or "en").split("-")[0])
    return lambda minor: format_decimal(minor // scale, locale=locale)


def _panel(o: CurrencyOverview, sales: int) -> CurrencyPanel:
    buckets = [
        (str(BUCKET_LABELS[key]), o.aging.get(key, 0), AGING_TONES[i])
        for i, (key, _low, _high) in enumerate(AGING_BUCKETS)
    ]
    bars = [Bar(label, amount, money(amount, o.currency), colour) for label, amount, colour in buckets]
    desc = "; ".join(f"{b.label}: {b.text}" for b in bars)
    chart = bar_chart(
        bars,
        ident=f"aging-{o.currency.lower()}",
        title=_("Aging of open invoices in %(currency)s") % {"currency": o.currency},
        desc=desc,
        tick_text=_axis(o.currency),
    )
    share = share_bar(
        [(label, amount, colour) for label, amount, colour in buckets],
        ident=f"share-{o.currency.lower()}",
        title=_("Share of each aging bucket in %(currency)s") % {"currency": o.currency},
    )
    return CurrencyPanel(o, sales, days_sales_outstanding(o.outstanding, sales), chart, share, buckets)


# The receivables figures read every open invoice of the company: on a large ledger that takes
# seconds, so they are computed at most once per FIGURES_SECONDS per company and process (the page
# says when). What people act on (runs waiting, this week's messages) is always read fresh.
FIGURES_SECONDS = 300


def _figures(company_id: int, today: date) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        return {
            "overview": receivables_overview(company_id, today),
            "sales": credit_sales(company_id, today),
            "debtors": largest_debtors(company_id, today, limit=10),
            "computed_at": timezone.now(),
        }

    figures = cache.get_or_set(f"arrears:dashboard:{company_id}:{today}", compute, FIGURES_SECONDS)
    assert isinstance(figures, dict)
    return figures


@role_required(Role.VIEWER)
def dashboard(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    today = company.today()
    figures = _figures(company.pk, today)
    sales = figures["sales"]
    panels = [_panel(o, sales.get(currency, 0)) for currency, o in figures["overview"].items()]
    return render(
        request,
        "web/dashboard/dashboard.html",
        {
            "today": today,
            "panels": panels,
            "week": week_deliveries(company, today),
            "waiting": runs_waiting(company),
            "debtors": figures["debtors"],
            "figures_at": figures["computed_at"],
            "dso_days": DSO_DAYS,
        },
    )


urlpatterns = [
    path("", dashboard, name="dashboard"),
]
