#!/usr/bin/env python3
"""Dunning engine benchmark: a first run and a run 14 days later on the shared data set.

Each measurement runs in a fresh child process (its own peak RSS) on a fresh copy of one
prepared database (the data set imported and the demo policy file loaded once, then copied:
a file copy on SQLite, a template database on PostgreSQL). Runs write decisions and notices;
nothing is rendered or sent.

The floor, measured in the same benchmark run on the same database: one bare SQL statement
selecting the same candidate invoices (open invoices of the company), fetched to the end,
plus one prepared INSERT of the same number of rows into a table without indexes.

Each line also gives the CPU time of the measuring process ("cpu here"): on SQLite that is all
the work, and it holds still when other work shares the machine; on PostgreSQL the server's share
is not in it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from import_bench import dataset  # noqa: E402

POLICY = ROOT / "arrears" / "demo" / "data" / "policy.toml"
FIRST_DAY = date(2026, 11, 20)  # a Friday; the data set's as-of day
SECOND_DAY = date(2026, 12, 4)  # 14 days later, also a Friday
PG = "postgres://postgres@127.0.0.1:5432/{}"


def child(mode: str, url: str, work: Path, *extra: str) -> dict[str, float]:
    env = dict(os.environ, DATABASE_URL=url, ARREARS_HOME=str(work), DJANGO_SETTINGS_MODULE="arrears.settings")
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, *extra], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_child(mode: str, extra: list[str]) -> None:
    import django

    django.setup()
    from django.db import connection, transaction

    from arrears.companies.models import Company

    result: dict[str, float] = {}
    if mode == "prepare":
        from django.core.management import call_command

        from arrears.companies.services import create_company
        from arrears.dunning.policies import load_policy_file, read_policy_file
        from arrears.history.services import Actor
        from arrears.ledger.imports.runner import run_import

        call_command("migrate", verbosity=0)
        company = create_company(code="bench", name="Bench", country="CZ", default_currency="EUR")
        run_import(company, [Path(extra[0])], Actor("bench"))
        load_policy_file(company, read_policy_file(POLICY))
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    elif mode == "migrate":  # the prepared database follows the schema as the code moves on
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    elif mode == "floor":
        company = Company.objects.get(code="bench")
        started, cpu = time.perf_counter(), time.process_time()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "SELECT id, customer_id, currency, due_date, outstanding_minor FROM ledger_invoice "
                "WHERE company_id = %s AND outstanding_minor > 0 AND kind = 'invoice'",
                [company.pk],
            )
            rows = cur.fetchall()
            cur.execute(
                "CREATE TABLE floor_rows (run_id bigint, invoice_id bigint, customer_id bigint, "
                "reason varchar(24), level smallint)"
            )
            cur.executemany(
                "INSERT INTO floor_rows VALUES (%s, %s, %s, %s, %s)", [(1, r[0], r[1], "level", 1) for r in rows]
            )
            result["rows"] = len(rows)
            cur.execute("DROP TABLE floor_rows")
        result["seconds"] = time.perf_counter() - started
        result["cpu"] = time.process_time() - cpu
    else:
        from arrears.dunning.policies import stored_policies
        from arrears.dunning.runs import start_run
        from arrears.history.services import Actor

        company = Company.objects.get(code="bench")
        days = [FIRST_DAY] if mode == "first" else [FIRST_DAY, SECOND_DAY]
        for day in days:  # the second run needs the first one's state
            started, cpu = time.perf_counter(), time.process_time()
            outcome = start_run(company, day, stored_policies(company), Actor("bench"))
            result["seconds"] = time.perf_counter() - started
            result["cpu"] = time.process_time() - cpu
            result["rows"] = outcome.decisions
            result["notices"] = outcome.notices
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def prepared(postgres: bool, folder: Path, work: Path) -> tuple[str, callable]:  # type: ignore[valid-type]
    """A fresh copy of the prepared database for each measurement: returns (first url, make_copy)."""
    cache = ROOT / "bench-data" / f"engine-{folder.name}.sqlite3"
    if not postgres:
        if not cache.exists():
            print(f"preparing {cache} (import + policy, once) ...", flush=True)
            child("prepare", f"sqlite:///{cache}", work, str(folder))
        child("migrate", f"sqlite:///{cache}", work)

        def copy(name: str) -> str:
            target = work / f"{name}.sqlite3"
            shutil.copyfile(cache, target)
            return f"sqlite:///{target}"

        return "", copy
    import psycopg

    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    base = f"arrears_engine_{folder.name.replace('-', '_')}"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [base]).fetchone()
        if not exists:
            print(f"preparing PostgreSQL database {base} (import + policy, once) ...", flush=True)
            conn.execute(f"CREATE DATABASE {base}")
            try:
                child("prepare", PG.format(base), work, str(folder))
            except BaseException:
                conn.execute(f"DROP DATABASE {base}")
                raise
    child("migrate", PG.format(base), work)

    def copy_pg(name: str) -> str:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS bench_{name}")
            conn.execute(f"CREATE DATABASE bench_{name} TEMPLATE {base}")
        return PG.format(f"bench_{name}")

    return "", copy_pg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--invoices", type=int, default=1_000_000)
    ap.add_argument("--postgres", action="store_true")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_child(args.child[0], args.child[1:])
        return
    folder = dataset(args.customers, args.invoices)
    db = "postgresql" if args.postgres else "sqlite"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _, copy = prepared(args.postgres, folder, work)
        floor = child("floor", copy("floor"), work)
        first = child("first", copy("first"), work)
        second = child("second", copy("second"), work)
    print(
        f"data set {folder.name}; database {db}; python {sys.version.split()[0]}; {int(floor['rows']):,} open invoices"
    )
    for name, m in (
        ("floor (select + bulk insert)", floor),
        (f"first run {FIRST_DAY}", first),
        (f"second run {SECOND_DAY}", second),
    ):
        extra = f"  {int(m['notices']):,} notices" if "notices" in m else ""
        print(
            f"{db:<10} {name:<29} {m['seconds']:7.1f} s {m['rows'] / m['seconds']:>10,.0f} invoices/s "
            f"peak {m['peak_mb']:6.0f} MB  {m['seconds'] / floor['seconds']:5.1f}x floor{extra}"
            f"  (cpu here {m['cpu']:.1f} s, {m['cpu'] / floor['cpu']:.1f}x)"
        )


if __name__ == "__main__":
    main()
