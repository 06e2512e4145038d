"""`arrears web` serves the UI and its static files with waitress: started as a real process on a
free loopback port against a fresh SQLite database of the test's own."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    os.environ.get("ARREARS_TEST_DB") == "postgres",
    reason="the command is tested once, on its own SQLite database (it does not use the test database)",
)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env["ARREARS_HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _arrears(*args: str) -> list[str]:
    return [sys.executable, "-m", "arrears", *args]


def _read_url(process: subprocess.Popen[str], timeout: float = 90) -> str:
    """The URL the command prints once it listens."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        found = re.search(r"web UI at (http://127\.0\.0\.1:\d+/)", line)
        if found:
            return found.group(1)
    process.kill()
    pytest.fail("the server did not say where it listens:\n" + "".join(seen))


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=20) as response:  # loopback only
        return response.status, response.headers.get("Content-Type", ""), response.read()


def test_it_refuses_to_start_while_migrations_are_pending(tmp_path: Path) -> None:
    done = subprocess.run(
        _arrears("web", "--port", "0"), env=_env(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "migration" in done.stderr
    assert "arrears migrate" in done.stderr
    assert "--migrate" in done.stderr
    assert "web UI at" not in done.stdout


def _start(home: Path, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _arrears("web", "--host", "127.0.0.1", "--port", "0", *options),
        env=_env(home),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return output


def _post_login_over_https(url: str) -> int:
    """A login form sent by a browser over HTTPS through a proxy: the status of the answer."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(url + "login/", timeout=20) as response:
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.read())
    assert token is not None
    request = urllib.request.Request(
        url + "login/",
        data=urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1).decode(), "username": "x"}).encode(),
        headers={"Origin": url.replace("http://", "https://").rstrip("/"), "X-Forwarded-Proto": "https"},
    )
    try:
        with opener.open(request, timeout=20) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_it_serves_the_login_page_and_the_styles_then_stops(tmp_path: Path) -> None:
    process = _start(tmp_path, "--threads", "2", "--migrate")
    try:
        url = _read_url(process)
        status, kind, body = _get(url + "login/")
        assert status == 200
        assert kind.startswith("text/html")
        assert b'name="password"' in body
        status, kind, body = _get(url + "static/web/app.css")
        assert status == 200
        assert kind.startswith("text/css")
        assert b".page-head" in body
        # Pages behind the login send a visitor to it.
        with urllib.request.urlopen(url, timeout=20) as response:
            assert response.url.startswith(url + "login/")
        # Without --trusted-proxy, a proxy's X-Forwarded-Proto is not believed: a form sent over
        # HTTPS looks cross-site and is refused.
        assert _post_login_over_https(url) == 403
    finally:
        output = _stop(process)
    assert process.returncode == 0
    assert "stopped" in output
    assert (tmp_path / "arrears.sqlite3").exists(), "the database is the one ARREARS_HOME points to"

    # Started again on the now migrated database, behind a trusted proxy: HTTPS is recognised.
    process = _start(tmp_path, "--trusted-proxy", "127.0.0.1")
    try:
        assert _post_login_over_https(_read_url(process)) == 200  # the form came back: wrong password
    finally:
        _stop(process)
