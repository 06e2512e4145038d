#!/usr/bin/env python3
"""Letters benchmark: one-page PDF letters with a payment QR code, per second on one core, and
peak memory over many letters (default 10,000).

The run uses the demo company and data: import, policy, one dunning run, then renders the run's
notices over and over (text templates, Babel formatting, QR codes, Typst, PDF/A-2b). The floor,
measured in the same run: Typst alone compiling the same letters from data prepared in advance, 500
in a row before the letters, and one after every five letters (so that a busy machine slows both
alike, and Typst starts as cold after Python's work as in a letter). Memory is sampled as RSS after
every 1,000 letters: it should stay flat.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--letters", type=int, default=10_000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp())
    os.environ.update(
        ARREARS_HOME=str(work),
        DJANGO_SETTINGS_MODULE="arrears.settings",
        DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}",
    )
    import django

    django.setup()
    import typst
    from django.core.management import call_command
    from django.db import connections

    from arrears.companies.services import create_company
    from arrears.documents.batch import letter_batch
    from arrears.documents.letters import layout_path, letter_data, render_letter
    from arrears.dunning.models import Notice
    from arrears.dunning.policies import load_policy_file, read_policy_file, stored_policies
    from arrears.dunning.runs import start_run
    from arrears.history.services import Actor
    from arrears.ledger.imports.runner import run_import

    call_command("migrate", verbosity=0)
    data = ROOT / "arrears" / "demo" / "data"
    company = create_company(
        code="demo",
        name="Demo Company s.r.o.",
        country="CZ",
        default_currency="CZK",
        default_language="cs",
        address_line1="Karlovo náměstí 10",
        postal_code="120 00",
        city="Praha",
        bank_accounts=[
            {"iban": "CZ6508000000192000145399", "currency": "CZK", "bic": "GIBACZPX"},
            {"iban": "DE89370400440532013000", "currency": "EUR", "bic": "COBADEFFXXX"},
        ],
    )
    run_import(company, [data], Actor("bench"))
    load_policy_file(company, read_policy_file(data / "policy.toml"))
    start_run(company, date(2026, 11, 20), stored_policies(company), Actor("bench"))
    notices = list(Notice.objects.select_related("customer", "company"))
    one_page = sum(1 for n in notices if render_letter(n).pdf.count(b"/Type /Page\n") <= 1)

    prepared = [json.dumps(letter_data(n)[0], ensure_ascii=False) for n in notices]
    floor_compiler = typst.Compiler(str(layout_path()))
    started = time.process_time()
    row_count = min(args.letters, 500)
    for i in range(row_count):
        floor_compiler.compile(sys_inputs={"data": prepared[i % len(prepared)]}, pdf_standards="a-2b")
    in_a_row = row_count / (time.process_time() - started)

    floor_count, floor_seconds, letters_seconds = 0, 0.0, 0.0
    samples = []
    clock = time.process_time
    for start in range(0, args.letters, 1000):  # as a run renders its letters: in batches
        with letter_batch():
            for i in range(start, min(start + 1000, args.letters)):
                started = clock()
                render_letter(notices[i % len(notices)])
                letters_seconds += clock() - started
                if i % 5 == 4:
                    # The floor in between, one for every five letters: both measured on the same
                    # (possibly busy) machine. Nine letters away from the letter just rendered: Typst
                    # forgets what it memoized after ten compilations, so neither reuses the other's.
                    started = clock()
                    data = prepared[(i + 9) % len(prepared)]
                    floor_compiler.compile(sys_inputs={"data": data}, pdf_standards="a-2b")
                    floor_seconds += clock() - started
                    floor_count += 1
        samples.append(rss_mb())
    floor = floor_count / floor_seconds
    full = args.letters / letters_seconds
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(notices)} demo notices ({one_page} one-page), cycled; python {sys.version.split()[0]}; CPU time")
    print(f"floor (typst only, prepared data)    {in_a_row:8.1f} letters/s per core  (in a row, before the letters)")
    print(f"floor between the letters            {floor:8.1f} letters/s per core")
    print(f"letters (texts, QR, typst, PDF/A-2b) {full:8.1f} letters/s per core  ({full / floor:.2f} of that)")
    rest = 1000 / full - 1000 / floor
    print(f"per letter: typst {1000 / floor:.2f} ms, the rest (the notice, texts, QR code) {rest:.2f} ms")
    print(
        f"memory over {args.letters:,} letters: RSS every 1,000 = {', '.join(f'{s:.0f}' for s in samples)} MB; "
        f"peak {peak:.0f} MB"
    )
    connections.close_all()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
