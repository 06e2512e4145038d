"""The dashboard: receivables per currency with aging chart, DSO, this week's reminders, runs to review."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from arrears.companies.services import create_company
from arrears.delivery.models import OutboxMessage
from arrears.dunning.models import Notice, Run
from arrears.dunning.runs import approve_run, discard_run
from arrears.ledger.models import Invoice
from arrears.ledger.selectors.overview import receivables_overview
from arrears.web.selectors.dashboard import credit_sales, days_sales_outstanding, week_deliveries


def test_dso_is_outstanding_over_the_credit_sales_of_90_days_times_90():
    assert days_sales_outstanding(300_000, 900_000) == Decimal("30.0")
    assert days_sales_outstanding(100, 300, days=30) == Decimal("10.0")
    assert days_sales_outstanding(1, 3) == Decimal("30.0")
    assert days_sales_outstanding(2, 3) == Decimal("60.0")
    assert days_sales_outstanding(1, 7) == Decimal("12.9")  # 12.857... rounded half up
    assert days_sales_outstanding(0, 5) == Decimal("0.0")
    assert days_sales_outstanding(5, 0) is None


def test_credit_sales_count_invoices_issued_in_the_last_90_days_only(world):
    as_of = date(2026, 11, 20)
    sales = credit_sales(world.company.pk, as_of)
    invoices = Invoice.objects.filter(company=world.company, kind="invoice")
    for currency, total in sales.items():
        expected = sum(
            i.amount_minor
            for i in invoices.filter(currency=currency)
            if as_of - timedelta(days=90) < i.issue_date <= as_of
        )
        assert total == expected
    assert sales  # the demo data invoiced in the last 90 days
    assert credit_sales(world.company.pk, date(1990, 1, 1)) == {}


def test_the_dashboard_shows_each_currency_with_its_figures_and_chart(client_for, world):
    today = world.company.today()
    overview = receivables_overview(world.company.pk, today)
    response = client_for("viewer").get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for currency, _o in overview.items():
        assert f"Receivables in {currency}" in html
        assert f"Aging of open invoices in {currency}" in html  # the chart's accessible title
        assert f'aria-labelledby="aging-{currency.lower()}-title aging-{currency.lower()}-desc"' in html
    assert html.count("<svg") >= 2 * len(overview)
    assert "Days sales outstanding" in html
    assert "Largest debtors" in html


def test_the_dashboard_amounts_are_formatted_money(client_for, world):
    from arrears.web.templatetags.arrears_ui import money

    today = world.company.today()
    overview = receivables_overview(world.company.pk, today)
    html = client_for("viewer").get("/").content.decode()
    for currency, o in overview.items():
        assert money(o.outstanding, currency) in html
        assert money(o.overdue, currency) in html


def test_a_run_waiting_for_review_is_linked(client_for, world):
    html = client_for("viewer").get("/").content.decode()
    assert f"/runs/{world.run.pk}/" in html
    assert "waits for review" in html
    discard_run(world.run, world_actor())
    html = client_for("viewer").get("/").content.decode()
    assert "waits for review" not in html


def world_actor():
    from arrears.history.services import Actor

    return Actor("test")


def test_this_weeks_reminders_are_counted_by_what_became_of_them(client_for, world):
    approve_run(world.run, world_actor())
    notices = list(Notice.objects.filter(run=world.run, status="created"))
    assert len(notices) >= 3
    OutboxMessage.objects.filter(notice__run=world.run).delete()
    today = world.company.today()
    statuses = ["sent", "sent", "failed", "uncertain", "paper", "printed", "queued"]
    for i, status in enumerate(statuses):
        OutboxMessage.objects.create(
            company=world.company,
            notice=notices[i % len(notices)],
            channel="email",
            recipient=f"r{i}@example.com",
            message_id=f"<t{i}@test>",
            status=status,
        )
    old = OutboxMessage.objects.create(
        company=world.company,
        notice=notices[0],
        channel="email",
        recipient="old@example.com",
        message_id="<old@test>",
        status="sent",
    )
    OutboxMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    week = week_deliveries(world.company, today)
    assert (week.sent, week.failed, week.paper, week.waiting) == (2, 2, 2, 1)
    assert week.first_day.weekday() == 0
    assert week.last_day - week.first_day == timedelta(days=6)
    html = client_for("viewer").get("/").content.decode()
    assert "Reminders sent this week" in html


def test_the_dashboard_of_an_empty_company_says_nothing_is_owed(client_for, company):
    html = client_for("viewer").get("/").content.decode()
    assert "nothing is owed" in html


def test_the_dashboard_shows_the_chosen_company_only(client_for, world):
    other = create_company(
        code="beta", name="Beta a.s.", country="CZ", default_currency="EUR", default_language="en",
        time_zone="Europe/Prague",
    )  # fmt: skip
    client = client_for("viewer")
    client.post("/company/", {"company": "beta", "next": "/"})
    html = client.get("/").content.decode()
    assert "nothing is owed" in html
    assert f"/runs/{world.run.pk}/" not in html
    assert Run.objects.filter(company=other).count() == 0


def test_the_dashboard_needs_a_login(client, world):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_dashboard_takes_a_fixed_number_of_queries(client_for, world, django_assert_max_num_queries):
    client = client_for("viewer")
    client.get("/")
    with django_assert_max_num_queries(20):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("role", ["viewer", "clerk", "manager"])
def test_every_role_sees_the_dashboard(client_for, world, role):
    assert client_for(role).get("/").status_code == 200


def test_the_receivable_figures_are_computed_once_in_five_minutes_and_say_when(client_for, world):
    from arrears.ledger.models import Invoice

    client = client_for("viewer")
    first = client.get("/")
    assert b"refreshed every 5 minutes" in first.content
    from django.db.models import F

    paid = Invoice.objects.filter(company=world.company, kind="invoice")
    paid.update(allocated_minor=F("amount_minor"), outstanding_minor=0)  # everything paid: not seen yet
    assert client.get("/").context["panels"] == first.context["panels"]
    from django.core.cache import cache

    cache.clear()  # five minutes later
    assert client.get("/").context["panels"] != first.context["panels"]
