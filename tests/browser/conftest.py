"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium, headless) against
pytest-django's live server.

- Without /usr/bin/chromium the tests are skipped, except in CI (CI=true), where they must run and
  fail instead. No browser is ever downloaded (`playwright install` is not needed).
- The live server needs a database the server thread can see, so these tests use transactional_db
  (requested by the live_server fixture): every test starts from an empty, migrated database. The
  autouse fixture of tests/conftest.py still points files and media at the test's tmp_path.
- Playwright's sync API keeps an asyncio loop in the test's thread, and Django refuses ORM calls
  from a thread with a running loop. The ORM calls the tests make themselves (setting up data, one
  worker pass) are plain synchronous code, so the check is lifted for exactly as long as the browser
  runs, and restored before the database is flushed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from arrears.accounts.roles import Role, set_role

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "a-Str0ng-passphrase"
DEMO_DATA = Path(__file__).resolve().parents[2] / "arrears" / "demo" / "data"
# The screens are checked at a laptop's size; the screenshots for the docs use the same.
VIEWPORT = {"width": 1440, "height": 900}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install Debian's chromium package (apt install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; in CI the browser tests must run.", pytrace=False)
    pytest.skip(f"{message} to run the browser tests.")


@pytest.fixture
def browser_page(live_server, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh Chromium page (English, 1440x900) whose relative URLs go to the live server.
    Confirmation dialogs (`confirm(...)` before approving, stopping, ...) are accepted. When the
    test fails, its last screen is saved as .test-reports/browser-<test>.png."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            context = browser.new_context(
                base_url=live_server.url, viewport=VIEWPORT, locale="en-GB", accept_downloads=True
            )
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())
            try:
                yield page
            finally:
                report = getattr(request.node, "rep_call", None)
                if report is not None and report.failed:
                    # The last screen of a failed test, for whoever reads the CI run.
                    shot = Path(str(request.config.rootpath)) / ".test-reports" / f"browser-{request.node.name}.png"
                    shot.parent.mkdir(exist_ok=True)
                    with contextlib.suppress(Exception):
                        page.screenshot(path=str(shot), full_page=True)
                context.close()
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # Lets the page fixture know that the test failed, to keep a screenshot of the last screen.
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report


@pytest.fixture
def make_user(transactional_db: None) -> Callable[[str, Role], User]:
    def make(username: str, role: Role) -> User:
        user = User.objects.create_user(username, f"{username}@acme.example", PASSWORD, first_name=username.title())
        set_role(user, role)
        return user

    return make


def log_in(page, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Through the login form, as a person would."""
    page.goto("/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
