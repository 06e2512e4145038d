#!/usr/bin/env python3
"""Import benchmark: rows per second and peak memory of `arrears import` on the shared data set.

Each measurement runs in a fresh child process so that its peak RSS is its own. The floor is
the least any importer must do with the same database: parse the same CSV files with the csv
module and insert the same rows with one prepared statement per table, into tables without
constraints or indexes, in one transaction.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEN = ROOT.parent / "shared" / "bench" / "gen_dataset.py"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def dataset(customers: int, invoices: int) -> Path:
    out = ROOT / "bench-data" / f"c{customers}-i{invoices}"
    if not (out / "payments.csv").exists():
        print(f"generating {out} ...", flush=True)
        subprocess.run(
            [sys.executable, str(GEN), str(out), "--customers", str(customers), "--invoices", str(invoices)], check=True
        )
    return out


def rows_in(folder: Path) -> dict[str, int]:
    return {kind: sum(1 for _ in (folder / f"{kind}.csv").open()) - 1 for kind in ("customers", "invoices", "payments")}


def fresh_database(postgres: bool, work: Path) -> str:
    if not postgres:
        return f"sqlite:///{work / 'bench.sqlite3'}"
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS arrears_bench")
        conn.execute("CREATE DATABASE arrears_bench")
    return "postgres://postgres@127.0.0.1:5432/arrears_bench"


def child(mode: str, url: str, folder: Path, work: Path) -> dict[str, float]:
    env = dict(os.environ, DATABASE_URL=url, ARREARS_HOME=str(work), DJANGO_SETTINGS_MODULE="arrears.settings")
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(folder)], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_child(mode: str, folder: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    if mode == "setup":
        call_command("migrate", verbosity=0)
        from arrears.companies.services import create_company

        create_company(code="bench", name="Bench", country="CZ", default_currency="EUR")
        print(json.dumps({}))
        return
    started = time.perf_counter()
    if mode == "floor":
        import csv

        with transaction.atomic(), connection.cursor() as cur:
            for kind in ("customers", "invoices", "payments"):
                with (folder / f"{kind}.csv").open(newline="") as fh:
                    reader = csv.reader(fh)
                    header = next(reader)
                    cur.execute(f"CREATE TABLE floor_{kind} ({', '.join(f'c{i} TEXT' for i in range(len(header)))})")
                    sql = f"INSERT INTO floor_{kind} VALUES ({', '.join(['%s'] * len(header))})"
                    batch: list[list[str]] = []
                    for row in reader:
                        batch.append(row)
                        if len(batch) == 5000:
                            cur.executemany(sql, batch)
                            batch.clear()
                    cur.executemany(sql, batch)
            for kind in ("customers", "invoices", "payments"):
                cur.execute(f"DROP TABLE floor_{kind}")
    else:
        from arrears.companies.models import Company
        from arrears.history.services import Actor
        from arrears.ledger.imports.runner import run_import

        report = run_import(Company.objects.get(code="bench"), [folder], Actor("bench"), progress=False)
        if mode == "import":
            assert report.counts["invoices"]["created"] > 0
        else:
            assert report.counts["invoices"].get("created", 0) == 0
    took = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": took, "peak_mb": peak_mb}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--invoices", type=int, default=1_000_000)
    ap.add_argument("--postgres", action="store_true")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_child(args.child[0], Path(args.child[1]))
        return
    folder = dataset(args.customers, args.invoices)
    counts = rows_in(folder)
    total = sum(counts.values())
    db = "postgresql" if args.postgres else "sqlite"
    print(
        f"data set: {counts['customers']:,} customers, {counts['invoices']:,} invoices, "
        f"{counts['payments']:,} payments = {total:,} rows; database {db}; python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = fresh_database(args.postgres, work)
        child("setup", url, folder, work)
        floor = child("floor", url, folder, work)
        first = child("import", url, folder, work)
        again = child("reimport", url, folder, work)
    for name, m in (
        ("floor (csv + bare insert)", floor),
        ("import (first)", first),
        ("import (again, no change)", again),
    ):
        ratio = m["seconds"] / floor["seconds"]
        print(
            f"{db:<10} {name:<28} {m['seconds']:8.1f} s {total / m['seconds']:>10,.0f} rows/s "
            f"peak {m['peak_mb']:7.0f} MB  {ratio:5.1f}x floor"
        )


if __name__ == "__main__":
    main()
