"""Focused browser checks: a refused login, what a viewer does not get, the language switch, and
an import that fails with its errors shown."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from arrears.accounts.roles import Role
from arrears.companies.services import create_company
from arrears.ledger.models import ImportBatch
from tests.browser.conftest import log_in


def _company() -> None:
    create_company(code="acme", name="ACME s.r.o.", country="CZ", default_currency="CZK")


def test_a_wrong_password_is_refused_and_a_viewer_gets_no_buttons_that_change_things(browser_page, make_user):
    page = browser_page
    _company()
    make_user("vera", Role.VIEWER)
    page.goto("/runs/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/runs/$"))
    page.get_by_label("User name").fill("vera")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".flash-error")).to_contain_text("correct username and password")

    log_in(page, "vera")
    expect(page.locator(".topbar .user")).to_contain_text("viewer")
    page.goto("/runs/")
    expect(page.locator("h1")).to_have_text("Runs")
    expect(page.get_by_role("button", name="Start run")).to_have_count(0)
    page.goto("/imports/")
    expect(page.locator("input[type=file]")).to_have_count(0)
    expect(page.get_by_text("needs the role clerk or manager")).to_be_visible()
    # The configuration's administration link is for managers only.
    expect(page.locator("nav.menu").get_by_role("link", name="Administration")).to_have_count(0)


def test_the_language_switch_changes_the_language_of_every_page(browser_page, make_user):
    page = browser_page
    _company()
    make_user("clara", Role.CLERK)
    log_in(page, "clara")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator(".topbar select[name=language]").select_option("cs")
    expect(page.locator("html")).to_have_attribute("lang", "cs")
    page.goto("/customers/")
    expect(page.locator("html")).to_have_attribute("lang", "cs")
    expect(page.locator(".topbar select[name=language]")).to_have_value("cs")


def test_an_import_with_errors_shows_file_line_and_field_and_writes_nothing(browser_page, make_user, tmp_path):
    page = browser_page
    _company()
    make_user("clara", Role.CLERK)
    bad = tmp_path / "invoices.csv"
    bad.write_text(
        "number,customer_id,issue_date,due_date,currency,amount\nF1,K404,2026-10-01,20.10.2026,CZK,100.00\n",
        encoding="utf-8",
    )
    log_in(page, "clara")
    page.goto("/imports/")
    page.locator("input[type=file][name=files]").set_input_files([bad])
    page.get_by_role("button", name="Import", exact=True).click()
    errors = page.locator(".card-error")
    expect(errors).to_contain_text("nothing was written")
    row = errors.locator("tbody tr", has_text="due_date")
    expect(row).to_contain_text("invoices.csv")
    expect(row.locator("td.num")).to_have_text("2")
    assert ImportBatch.objects.count() == 0
