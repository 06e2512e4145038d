#!/usr/bin/env python3
"""The README's two commands, needing nothing but Python 3.11 and pip.

    python3 dev.py demo    # sample data -> import -> main job, on a fresh SQLite file
    python3 dev.py test    # ruff, mypy, import-linter, pytest on SQLite and on PostgreSQL

Each creates (or refreshes) its own virtual environment in .venv; the environment is rebuilt
when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import venv
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
PG_URL_DEFAULT = "postgres://postgres@127.0.0.1:5432/arrears"


def say(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def run(*cmd: str | Path, env: dict[str, str] | None = None, check: bool = True) -> int:
    printable = " ".join(str(c) for c in cmd)
    print(f"$ {printable}", flush=True)
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env)
    if check and result.returncode != 0:
        sys.exit(result.returncode)
    return result.returncode


def ensure_venv(extras: str) -> None:
    """Create .venv and install arrears (editable) with the given extras, once per pyproject."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"arrears needs Python 3.11; this is {sys.version.split()[0]}")
    stamp = VENV / ".arrears-stamp"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and (BIN / "python").exists():
        return
    if not (BIN / "python").exists():
        say(f"creating the virtual environment {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    say("installing arrears and its dependencies")
    target = f".[{extras}]" if extras else "."
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target)
    stamp.write_text(wanted)


def postgres_reachable(url: str) -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5432), timeout=3):
            return True
    except OSError:
        return False


def junit_counts(path: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) from a pytest JUnit XML report."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    total = failed = skipped = 0
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return total - failed - skipped, failed, skipped


def cmd_test(args: list[str]) -> None:
    ensure_venv("test")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env["PYTHONHASHSEED"] = "0"
    say("lint: ruff")
    run(BIN / "ruff", "check", "arrears", "tests", "benchmarks", "scripts", "dev.py")
    run(BIN / "ruff", "format", "--check", "arrears", "tests", "benchmarks", "scripts", "dev.py")
    say("types: mypy (strict on arrears/core)")
    run(BIN / "mypy", "arrears", env=env)
    say("architecture: import-linter")
    run(BIN / "lint-imports", env=env)

    reports = ROOT / ".test-reports"
    shutil.rmtree(reports, ignore_errors=True)
    reports.mkdir()
    passes: list[tuple[str, list[str | Path], dict[str, str]]] = []
    sqlite_env = dict(env, ARREARS_TEST_DB="sqlite")
    passes.append(("SQLite (the embedded default)", ["--junitxml", reports / "sqlite.xml"], sqlite_env))

    pg_url = os.environ.get("ARREARS_TEST_POSTGRES_URL", PG_URL_DEFAULT)
    in_ci = os.environ.get("CI", "").lower() == "true"
    failures = 0
    if postgres_reachable(pg_url):
        pg_env = dict(env, ARREARS_TEST_DB="postgres", DATABASE_URL=pg_url)
        pg_args: list[str | Path] = ["-m", "not core", "--junitxml", reports / "postgres.xml"]
        passes.append(("PostgreSQL (database tests only; the pure core runs once, on SQLite)", pg_args, pg_env))
    elif in_ci:
        print(f"PostgreSQL is not reachable at {pg_url}; in CI its tests must run.", file=sys.stderr)
        failures += 1
    else:
        say(f"SKIPPED: PostgreSQL is not reachable at {pg_url}; its tests did not run (CI requires them)")
    failures += run_passes(passes, args, reports)

    passed = failed = skipped = 0
    for report in sorted(reports.glob("*.xml")):
        p, f, s = junit_counts(report)
        print(f"{report.stem}: {p} passed, {f} failed, {s} skipped")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failures or failed else 0)


def run_passes(passes: list[tuple[str, list[str | Path], dict[str, str]]], args: list[str], reports: Path) -> int:
    """Run the pytest passes side by side (each database has its own; together they keep both cores
    busy) or, with ARREARS_TEST_SERIAL=1, one after the other. Each pass writes its own log, printed
    whole when it ends. Returns the number of passes that failed."""
    serial = os.environ.get("ARREARS_TEST_SERIAL", "") == "1"
    running: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    failures = 0
    for name, extra, env in passes:
        slug = name.split()[0].lower()
        log = reports / f"{slug}.log"
        cmd = [str(BIN / "pytest"), *(str(a) for a in extra), "--basetemp", str(reports / f"tmp-{slug}"), *args]
        say(f"pytest on {name}: {' '.join(cmd)} (log: {log.relative_to(ROOT)})")
        with log.open("wb") as handle:
            process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
        running.append((name, process, log))
        if serial:
            process.wait()
    for name, process, log in running:
        code = process.wait()
        say(f"pytest on {name}: exit {code}")
        sys.stdout.write(log.read_text(errors="replace"))
        sys.stdout.flush()
        failures += code != 0
    return failures


def cmd_demo(args: list[str]) -> None:
    ensure_venv("")
    out = ROOT / "demo-output"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env["ARREARS_HOME"] = str(out)
    out.mkdir(exist_ok=True)
    (out / "arrears.sqlite3").unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        (out / f"arrears.sqlite3{suffix}").unlink(missing_ok=True)
    run(BIN / "arrears", "demo", *args, env=env)


def main() -> None:
    commands = {"test": cmd_test, "demo": cmd_demo}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
