"""The dunning commands as the credit controller types them: run, review, dunning.

Jana (C1) owes F1 (1 000.00 CZK, due 2026-10-15) and F2 (250.00 EUR, due 2026-11-02); Petr (C2)
owes G1 (800.00 CZK, due 2026-10-15) and G2 (50.00 CZK, below the tolerance).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from arrears.dunning.models import InvoiceDunning, Notice, Policy, Run
from tests.dunning.conftest import STANDARD, cust, customer_row, notices, state, table_counts, write_policy


def cli(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def book(ledger, standard):
    ledger(
        customers=[
            customer_row("C1", "Jana Nováková", "jana@example.cz"),
            customer_row("C2", "Petr Svoboda", "petr@example.cz"),
        ],
        invoices=[
            ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"],
            ["F2", "C1", "2026-10-19", "2026-11-02", "EUR", "250.00"],
            ["G1", "C2", "2026-10-01", "2026-10-15", "CZK", "800.00"],
            ["G2", "C2", "2026-10-01", "2026-10-15", "CZK", "50.00"],
        ],
    )


def test_run_prints_what_it_did(book):
    out = cli("run", "--as-of", "2026-11-20")

    run = Run.objects.get()
    assert out == (
        f"run #{run.pk} for acme on 2026-11-20: done\n  looked at 4 open invoices; 2 notices covering 3 invoices\n"
    )
    assert state("F1") == (1, 0, date(2026, 11, 20), None, None, None)
    again = cli("run", "--as-of", "2026-11-20")
    assert again == (
        f"run #{run.pk} for acme on 2026-11-20: already_done\n"
        f"  run #{run.pk} already covered 2026-11-20; a second run creates nothing new\n"
        "  looked at 0 open invoices; 0 notices covering 0 invoices\n"
    )


def test_run_on_a_holiday_says_why_nothing_happens(book):
    out = cli("run", "--as-of", "2026-11-17")

    run = Run.objects.get()
    assert out.splitlines() == [
        f"run #{run.pk} for acme on 2026-11-17: nothing",
        "  not a sending day: 2026-11-17 is a public holiday; no reminders on 2026-11-17",
        "  looked at 0 open invoices; 0 notices covering 0 invoices",
    ]


def test_a_dry_run_with_json_changes_nothing(book):
    before = table_counts()

    data = json.loads(cli("run", "--as-of", "2026-11-20", "--dry-run", "--json"))

    assert table_counts() == before
    assert (data["run"]["dry_run"], data["run"]["status"], data["summary"]["notices"]) == (True, "dry_run", 2)
    assert data["summary"]["by_reason"] == {"below_minimum": 1, "level": 3}
    assert [(n["customer"], [i["invoice"] for i in n["items"]]) for n in data["notices"]] == [
        ("C1", ["F1", "F2"]),
        ("C2", ["G1"]),
    ]
    assert data["not_reminded"][0]["words"] == "below the policy's minimum amount"


def test_run_writes_the_csv_report(book, tmp_path):
    target = tmp_path / "report.csv"

    cli("run", "--as-of", "2026-11-20", "--csv", str(target))

    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [(r["customer"], r["invoice"], r["in_notice"], r["reason"]) for r in rows] == [
        ("C1", "F1", "yes", "level"),
        ("C1", "F2", "yes", "level"),
        ("C2", "G1", "yes", "level"),
        ("C2", "G2", "no", "below_minimum"),
    ]


def test_run_with_a_policy_file_does_not_store_it(book, tmp_path):
    trial = write_policy(tmp_path, STANDARD.replace('code = "standard"', 'code = "trial"'), "trial.toml")

    data = json.loads(cli("run", "--as-of", "2026-11-20", "--policy-file", str(trial), "--dry-run", "--json"))

    assert data["run"]["policies"]["source"].startswith("file sha256:")
    assert data["run"]["policies"]["trial"] == 1
    assert {n["policy"] for n in data["notices"]} == {"trial"}
    assert list(Policy.objects.values_list("code", flat=True)) == ["standard"]


def test_review_from_proposal_to_approval(book):
    out = cli("run", "--as-of", "2026-11-20", "--review")
    run = Run.objects.get()
    assert out.splitlines()[-1] == f"  review it: arrears review show {run.pk}; then arrears review approve {run.pk}"
    jana = notices(run)["C1"]

    with pytest.raises(CommandError, match=f"run #{run.pk} of 2026-11-20 waits for review"):
        cli("run", "--as-of", "2026-11-23")

    shown = cli("review", "show", str(run.pk), "--all")
    assert f"run #{run.pk} of 2026-11-20: proposal; policies" in shown
    assert "  not reminded: 1 below minimum" in shown
    assert "    C2 G2: below the policy's minimum amount" in shown
    assert cli("review", "exclude", str(jana.pk), "--invoice", "F2") == "excluded\n"
    assert "(excluded)" in cli("review", "show", str(run.pk))
    with pytest.raises(CommandError, match=r"F1: level 3 is not possible here; choose 1$"):
        cli("review", "level", str(jana.pk), "F1", "3")

    assert cli("review", "approve", str(run.pk)) == f"run #{run.pk} approved: 2 notices\n"
    approved = Notice.objects.get(pk=jana.pk)
    assert (approved.status, approved.level) == ("created", 1)
    assert list(approved.items.order_by("id").values_list("invoice__number", "excluded")) == [
        ("F1", False),
        ("F2", True),
    ]
    assert state("F2") is None
    assert state("F1") == (1, 0, date(2026, 11, 20), None, None, None)
    listing = cli("review", "list")
    assert listing.startswith(f"#{run.pk:<5} 2026-11-20 done      notices      2 looked at        4")


def test_review_discard(book):
    cli("run", "--as-of", "2026-11-20", "--review")
    run = Run.objects.get()

    assert cli("review", "discard", str(run.pk)) == "discarded; nothing was sent and no invoice moved\n"
    assert not InvoiceDunning.objects.exists()
    with pytest.raises(CommandError, match=f"run #{run.pk} is failed, not a proposal waiting for review"):
        cli("review", "approve", str(run.pk))


def test_dunning_by_hand(book, capsys):
    out = cli("dunning", "remind", "C1", "F1", "--deadline", "2099-01-31", "--note", "Call before Friday")
    notice = Notice.objects.get()
    assert out == f"notice #{notice.pk} created: level 1, email, pay by 2099-01-31\n"
    assert (notice.note, notice.manual) == ("Call before Friday", True)

    with pytest.raises(CommandError, match="the note has 51 characters; at most 50 are allowed"):
        cli("dunning", "remind", "C1", "F2", "--deadline", "2099-01-31", "--note", "n" * 51)
    with pytest.raises(CommandError, match=r"customer C1 has no invoice .G1."):
        cli("dunning", "remind", "C1", "G1", "--deadline", "2099-01-31")

    assert cli("dunning", "pause", "C2", "2026-12-01") == "paused until 2026-12-01\n"
    assert cust("C2").paused_until == date(2026, 12, 1)
    assert cli("dunning", "resume", "C2") == "resumed\n"
    assert cust("C2").paused_until is None
    assert cli("dunning", "stop", "C2") == "reminding stopped for 2 open invoice(s)\n"
    assert cli("dunning", "handover", "C1", "--invoice", "F2") == "1 invoice(s) handed over\n"

    capsys.readouterr()
    cli("dunning", "handovers")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["customer_id"], r["invoice"], r["currency"], r["outstanding"]) for r in rows] == [
        ("C1", "F2", "EUR", "250.00")
    ]


def test_dunning_status_shows_each_open_invoice_with_its_next_reminder(book):
    cli("run", "--as-of", "2026-11-20")

    out = cli("dunning", "status", "C1", "--as-of", "2026-11-23")

    lines = out.splitlines()
    assert lines[0] == "C1 Jana Nováková: 2 open invoice(s), as of 2026-11-23"
    f1 = next(line for line in lines if line.strip().startswith("F1 "))
    assert "level 1, last notice 2026-11-20" in f1
    assert "too soon since the last notice, next possible on" in f1
    # What the line promises is what the engine decides: no reminder before that day.
    next_day = f1.rsplit("next possible ", 1)[1].split(" ")[0]
    assert next_day > "2026-11-23"
    assert Notice.objects.count() == 2  # looking changes nothing
