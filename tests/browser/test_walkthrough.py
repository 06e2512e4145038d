"""The accountant's day in a real browser: the manager loads the dunning policy; the clerk logs in,
imports the files, starts a run with review, approves it, sees the reminder sent, downloads its
letter, pauses the customer and writes a note."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from arrears.accounts.roles import Role
from arrears.companies.services import create_company
from arrears.customers.models import Customer
from arrears.delivery.capture import CaptureServer
from arrears.delivery.models import OutboxMessage, SenderAccount
from arrears.delivery.worker import Worker
from arrears.dunning.models import Notice, Run
from arrears.history.models import Note
from tests.browser.conftest import DEMO_DATA, log_in

AS_OF = "2026-11-20"


def menu(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Opens a screen from the menu on the left."""
    page.locator("nav.menu").get_by_role("link", name=name, exact=True).click()


def _company():  # type: ignore[no-untyped-def]
    return create_company(
        code="acme",
        name="ACME s.r.o.",
        country="CZ",
        default_currency="CZK",
        default_language="cs",
        time_zone="Europe/Prague",
        address_line1="Náměstí 1",
        postal_code="110 00",
        city="Praha",
        credit_controller_email="credit@acme.example",
        bank_accounts=[
            {"iban": "CZ6508000000192000145399", "currency": "CZK", "bic": "GIBACZPX"},
            {"iban": "DE89370400440532013000", "currency": "EUR", "bic": "COBADEFFXXX"},
            {"iban": "PL61109010140000071219812874", "currency": "PLN", "bic": "WBKPPLPP"},
        ],
    )


def test_a_clerk_imports_runs_reviews_approves_sends_pauses_notes_and_downloads(browser_page, make_user, tmp_path):
    page = browser_page
    company = _company()
    make_user("clara", Role.CLERK)
    make_user("mia", Role.MANAGER)

    # 1. The manager loads the dunning policy (the demo's policy file) on the Policies page.
    log_in(page, "mia")
    menu(page, "Policies")
    page.locator("input[type=file][name=file]").set_input_files(DEMO_DATA / "policy.toml")
    page.get_by_role("button", name="Load", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("Policy file loaded")
    expect(page.locator("main")).to_contain_text("Standard reminders")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/"))

    # 2. The clerk logs in through the form.
    log_in(page, "clara")
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator(".topbar .user")).to_contain_text("clerk")

    # The clerk imports the demo files on the import page (one upload, all three files).
    menu(page, "Import files")
    page.locator("input[type=file][name=files]").set_input_files(
        [DEMO_DATA / "customers.csv", DEMO_DATA / "invoices.csv", DEMO_DATA / "payments.csv"]
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("Customers: 26 created")
    assert Customer.objects.filter(company=company).count() == 26

    # 3. A run with review for 20 November 2026.
    menu(page, "Runs")
    page.locator("input[name=as_of]").fill(AS_OF)
    expect(page.locator("input[name=review]")).to_be_checked()
    page.get_by_role("button", name="Start run").click()
    expect(page.locator(".flash-success")).to_contain_text("review them, then approve")
    run = Run.objects.get(company=company)
    assert run.status == Run.Status.PROPOSAL
    expect(page.locator("h1")).to_contain_text(f"Run #{run.pk}")
    proposed = Notice.objects.filter(run=run).count()
    assert proposed > 0
    assert not OutboxMessage.objects.exists(), "nothing is queued before approval"

    # 4. Approve (the page asks for confirmation; the dialog is accepted).
    page.get_by_role("button", name="Approve and send").click()
    expect(page.locator(".flash-success")).to_be_visible()
    run.refresh_from_db()
    assert run.status == Run.Status.DONE
    assert run.approved_at is not None
    assert OutboxMessage.objects.filter(company=company, status="queued").exists()

    # 5. One pass of the delivery worker, to a local SMTP server that keeps what it receives.
    page.goto("about:blank")  # no page of the app is open while this thread uses the database
    with CaptureServer(tmp_path / "received") as server:
        SenderAccount.objects.create(
            company=company,
            code="office",
            is_default=True,
            display_name=company.name,
            address="credit@acme.example",
            host="127.0.0.1",
            port=server.port,
            security=SenderAccount.Security.NONE,
            send_interval_seconds=0,
        )
        worker = Worker(schedules=False)
        worker.run(once=True)
    assert worker.sent > 0
    assert len(list((tmp_path / "received").glob("*.eml"))) == worker.sent

    # The reminder book shows the customer's reminder as sent.
    notice = Notice.objects.filter(run=run, customer__external_id="C0002").select_related("customer").get()
    page.goto("/")
    menu(page, "Reminder book")
    page.locator("input[name=customer]").fill("C0002")
    page.locator("input[name=customer]").press("Enter")
    row = page.locator("tbody tr", has=page.get_by_role("link", name=f"#{notice.pk}", exact=True))
    expect(row).to_have_count(1)
    expect(row.locator(".badge-sent")).to_be_visible()
    row.get_by_role("link", name=f"#{notice.pk}", exact=True).click()
    expect(page.locator("h1")).to_contain_text(f"Notice #{notice.pk}")
    expect(page.locator(".badge-sent").first).to_be_visible()

    # 6. Download the letter of the notice. The link opens the PDF in a new tab, where Chromium shows
    # it; Alt+click is the browser's "download the link" gesture, which saves it instead.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Letter (PDF)").click(modifiers=["Alt"])
    download = download_info.value
    pdf = tmp_path / "letter.pdf"
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert download.suggested_filename.endswith(".pdf")

    # 7. Pause the customer on the card until a day in the future.
    until = timezone.localdate() + timedelta(days=30)
    page.goto("/")
    menu(page, "Customers")
    page.locator("input[name=q]").fill("C0002")
    page.locator("input[name=q]").press("Enter")
    page.get_by_role("link", name=notice.customer.name).click()
    expect(page.locator("h1")).to_contain_text(notice.customer.name)
    page.get_by_text("Change…").click()
    pause = page.locator("form[action$='/pause/']:not(:has(input[name=invoice]))")
    pause.locator("input[name=until]").fill(until.isoformat())
    pause.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert Customer.objects.get(pk=notice.customer.pk).paused_until == until

    # 8. A note on the card (sent with htmx; the history shows it without a new page).
    text = "Called the owner: promises to pay by Friday."
    page.locator("textarea[name=text]").fill(text)
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#history .timeline")).to_contain_text(text)
    assert Note.objects.get(customer=notice.customer).text == text
    page.reload()
    expect(page.locator("#history .timeline")).to_contain_text(text)
