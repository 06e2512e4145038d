#!/usr/bin/env python3
"""Screenshots of every screen of the web UI, for the user guide (docs/web-ui/README.md) and for
looking at the screens with one's own eyes.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--language cs] [--keep] [SCREEN ...]

It builds the demo in a temporary folder (`arrears demo`: sample data, an approved and delivered
run, a print batch), adds a run waiting for review, starts `arrears web` on a free loopback port,
logs in through the form as the demo's user and saves a full-page PNG of each screen at 1440x900.
Needs Debian's Chromium at /usr/bin/chromium and the `test` extras (Playwright); downloads nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1440, "height": 900}


def arrears(*args: str) -> list[str]:
    return [sys.executable, "-m", "arrears", *args]


def prepare(home: Path) -> tuple[dict[str, str], str]:
    """The demo's database in `home`; returns the environment and the demo user's password."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env["ARREARS_HOME"] = str(home)
    print(f"building the demo in {home} ...", flush=True)
    demo = subprocess.run(arrears("demo"), env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    found = re.search(r"log in as demo / (\S+)", demo.stdout)
    if found is None:
        sys.exit("the demo did not print a login:\n" + demo.stdout[-2000:])
    # A second run, a month later, stopped at its proposal: the review screen.
    subprocess.run(
        arrears("run", "--as-of", "2026-12-18", "--review"), env=env, cwd=ROOT, capture_output=True, check=True
    )
    return env, found.group(1)


def serve(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        arrears("web", "--port", "0"),
        env={**env, "PYTHONUNBUFFERED": "1"},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        found = re.search(r"web UI at (http://\S+/)", line)
        if found:
            return server, found.group(1).rstrip("/")
        if not line and server.poll() is not None:
            break
    server.kill()
    sys.exit("arrears web did not start")


def compact(path: Path) -> None:
    """A screen has few colours: a 256-colour palette keeps it sharp at a third of the size."""
    from PIL import Image

    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(path, optimize=True)


def first_link(selector: str) -> Callable[[Any], None]:
    """A step that opens the first link matching `selector` on the current page."""

    def step(page: Any) -> None:
        page.locator(selector).first.click()
        page.wait_for_load_state("networkidle")

    return step


# (file name, path to open, optional step on that page before the picture)
SCREENS: list[tuple[str, str, Callable[[Any], None] | None]] = [
    ("02-dashboard", "/", None),
    ("03-customers", "/customers/", None),
    ("04-customer-card", "/customers/C0002/", None),
    ("05-reminder-book", "/notices/", None),
    ("06-notice", "/notices/", first_link("tbody tr:has(.badge-sent) a[href*='/notices/']")),
    ("07-runs", "/runs/", None),
    ("08-run-proposal", "/runs/?status=proposal", first_link("tbody a[href*='/runs/']")),
    ("08b-run-report", "/runs/1/report/", None),
    ("09-outbox", "/outbox/", None),
    ("10-outbox-message", "/outbox/", first_link("tbody a[href*='/outbox/']")),
    ("11-print-batches", "/print/", None),
    ("11b-print-batch", "/print/", first_link("tbody a[href*='/print/']")),
    ("12-collection-actions", "/actions/", None),
    ("13-imports", "/imports/", None),
    ("14-policies", "/settings/policies/", None),
    ("15-templates", "/settings/templates/", None),
    ("16-template-preview", "/settings/templates/", first_link("main a[href*='/settings/templates/']")),
    ("17-senders", "/settings/senders/", None),
    ("18-tokens", "/settings/tokens/", None),
]


def shoot(base: str, password: str, out: Path, only: set[str], language: str) -> list[str]:
    from playwright.sync_api import sync_playwright

    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(base_url=base, viewport=VIEWPORT, locale="en-GB", device_scale_factor=1)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.dismiss())
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto("/login/")
        if not only or "01-login" in only:
            page.screenshot(path=str(out / "01-login.png"), full_page=True)
            compact(out / "01-login.png")
            print("  01-login.png")
        page.get_by_label("User name").fill("demo")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        if language != "en":
            with page.expect_navigation():
                page.locator(".topbar select[name=language]").select_option(language)

        for name, path, step in SCREENS:
            if only and name not in only:
                continue
            errors.clear()
            response = page.goto(path)
            page.wait_for_load_state("networkidle")
            try:
                if step is not None:
                    step(page)
            except Exception as exc:  # a screen without the link: say so, keep going
                problems.append(f"{name}: could not open it from {path}: {exc.__class__.__name__}")
            status = response.status if response is not None else "?"
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            compact(out / f"{name}.png")
            size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            overflow = " HORIZONTAL OVERFLOW" if size[0] > VIEWPORT["width"] else ""
            print(f"  {name}.png  {page.url.replace(base, '')}  HTTP {status}  {size[0]}x{size[1]}{overflow}")
            if errors:
                problems.append(f"{name}: browser console errors: {errors}")
            if overflow:
                problems.append(f"{name}: the page is wider than the window ({size[0]} px)")
        browser.close()
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", action="store_true", help="keep the temporary demo folder")
    parser.add_argument("--language", default="en", help="the UI's language: en, cs, de, pl or ru")
    parser.add_argument("only", nargs="*", help="only these screens (file names without .png)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt install chromium")
    if args.language != "en" and args.out == ROOT / "docs" / "screenshots":
        args.out = args.out / args.language
    args.out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="arrears-screens-"))
    server = None
    try:
        env, password = prepare(home)
        server, base = serve(env)
        print(f"screens of {base} into {args.out}:")
        problems = shoot(base, password, args.out, set(args.only), args.language)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if args.keep:
            print(f"the demo folder is kept: {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    for problem in problems:
        print("PROBLEM", problem)


if __name__ == "__main__":
    main()
