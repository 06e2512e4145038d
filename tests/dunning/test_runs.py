"""A run explains itself, can be repeated safely, and never runs twice at once.

The ledger on Friday 2026-11-20:
- Jana (C1): F1 1 000.00 CZK due 2026-10-15; F2 500.00 CZK due 2026-12-15 (not yet due);
  F3 800.00 CZK due 2026-10-15, paused in the billing system until 2026-11-30.
- Petr (C2): G1 99.00 CZK due 2026-10-15 (below the tolerance); G2 300.00 EUR due 2026-11-02.
- Hana (C3): H1 120.00 EUR due 2026-10-20, covered by 500.00 EUR she paid without a reference.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from functools import partial

import pytest
from django.utils import timezone

from arrears.dunning.models import Notice, Run, RunDecision
from arrears.dunning.policies import stored_policies
from arrears.dunning.report import CSV_COLUMNS, as_csv, as_json
from arrears.dunning.runs import RunRefused, approve_run, discard_run
from arrears.history.models import Event
from arrears.ledger.models import Invoice
from tests.conftest import INVOICE_HEADER
from tests.dunning.conftest import (
    FRIDAY,
    SATURDAY,
    customer_row,
    decisions,
    items,
    notices,
    run,
    state,
    table_counts,
)

MONDAY = date(2026, 11, 23)


@pytest.fixture
def book(ledger, standard):
    ledger(
        customers=[
            customer_row("C1", "Jana Nováková", "jana@example.cz"),
            customer_row("C2", "Petr Svoboda", "petr@example.cz"),
            customer_row("C3", "Hana Malá", "hana@example.cz"),
        ],
        invoice_header=[*INVOICE_HEADER, "paused_until"],
        invoices=[
            ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00", ""],
            ["F2", "C1", "2026-12-01", "2026-12-15", "CZK", "500.00", ""],
            ["F3", "C1", "2026-10-01", "2026-10-15", "CZK", "800.00", "2026-11-30"],
            ["G1", "C2", "2026-10-01", "2026-10-15", "CZK", "99.00", ""],
            ["G2", "C2", "2026-10-19", "2026-11-02", "EUR", "300.00", ""],
            ["H1", "C3", "2026-10-06", "2026-10-20", "EUR", "120.00", ""],
        ],
        payments=[["P1", "C3", "2026-11-12", "EUR", "500.00", ""]],
    )


def report(company, result):
    return as_json(company, result, {"source": "database", **stored_policies(company).versions()})


# --- Explainable ---------------------------------------------------------------------------------------


def test_every_open_invoice_gets_a_decision_with_its_reason(book, company, actor):
    result = run(company, FRIDAY, actor)

    assert result.decisions == Invoice.objects.filter(outstanding_minor__gt=0).count() == 6
    assert decisions(result) == {
        "F1": ("level", 1, date(2026, 12, 4), ""),
        "F2": ("not_yet_due", 0, date(2026, 12, 22), ""),
        "F3": ("paused", 0, date(2026, 12, 1), "2026-11-30"),
        "G1": ("below_minimum", 0, None, ""),
        "G2": ("level", 1, date(2026, 12, 4), ""),
        "H1": ("credit_covers", 0, None, ""),
    }
    assert set(RunDecision.objects.filter(run=result.run).values_list("policy_code", flat=True)) == {"standard"}
    assert result.run.counts == {"decisions": 6, "notices": 2, "items": 2}

    # Three days later F1 is "too soon", and the decision says when it could go on.
    monday = run(company, MONDAY, actor)
    assert decisions(monday)["F1"] == ("too_soon", 1, date(2026, 12, 4), "2026-12-04")


def test_the_json_report_lists_every_notice_and_every_invoice_not_reminded(book, company, actor):
    result = run(company, FRIDAY, actor, keep_plans=True)

    data = report(company, result)

    assert data["report_version"] == 1
    assert data["run"] == {
        "id": result.run.pk,
        "company": "acme",
        "as_of": "2026-11-20",
        "status": "done",
        "dry_run": False,
        "message": "",
        "policies": {"source": "database", "standard": 1},
    }
    assert data["summary"] == {
        "looked_at": 6,
        "notices": 2,
        "items": 2,
        "by_reason": {"below_minimum": 1, "credit_covers": 1, "level": 2, "not_yet_due": 1, "paused": 1},
    }
    assert [(n["customer"], n["level"], n["channel"], n["policy"]) for n in data["notices"]] == [
        ("C1", 1, "email", "standard"),
        ("C2", 1, "email", "standard"),
    ]
    assert data["notices"][1]["items"] == [
        {
            "invoice": "G2",
            "level": 1,
            "repetition": 0,
            "reason": "level",
            "outstanding": "300.00",
            "currency": "EUR",
            "due_date": "2026-11-02",
            "days_overdue": 18,
            "next_possible_on": "2026-12-04",
        }
    ]
    assert data["notices"][1]["totals"] == [
        {"currency": "EUR", "reminded": "300.00", "overdue": "300.00", "credit": "0.00", "demanded": "300.00"}
    ]
    words = {row["invoice"]: (row["reason"], row["words"], row["next_possible_on"]) for row in data["not_reminded"]}
    assert words == {
        "F2": ("not_yet_due", "not yet due", "2026-12-22"),
        "F3": ("paused", "paused until 2026-11-30", "2026-12-01"),
        "G1": ("below_minimum", "below the policy's minimum amount", None),
        "H1": ("credit_covers", "covered by the customer's unallocated credit in this currency", None),
    }
    assert [row["invoice"] for row in data["not_reminded"]] == ["F3", "F2", "G1", "H1"]


def test_the_csv_report_has_one_row_per_invoice_looked_at(book, company, actor):
    result = run(company, FRIDAY, actor, keep_plans=True)

    rows = list(csv.DictReader(io.StringIO(as_csv(report(company, result)))))

    assert len(rows) == result.decisions == 6
    assert list(rows[0]) == CSV_COLUMNS
    assert [(r["invoice"], r["in_notice"], r["reason"], r["level"]) for r in rows] == [
        ("F1", "yes", "level", "1"),
        ("G2", "yes", "level", "1"),
        ("F3", "no", "paused", "0"),
        ("F2", "no", "not_yet_due", "0"),
        ("G1", "no", "below_minimum", "0"),
        ("H1", "no", "credit_covers", "0"),
    ]
    assert (rows[2]["words"], rows[2]["next_possible_on"]) == ("paused until 2026-11-30", "2026-12-01")
    assert (rows[0]["notice_channel"], rows[0]["notice_level"], rows[0]["outstanding"]) == ("email", "1", "1000.00")


def test_a_report_of_a_day_without_reminders_says_why(book, company, actor):
    result = run(company, SATURDAY, actor, keep_plans=True)

    data = report(company, result)

    assert data["run"]["status"] == "nothing"
    assert data["run"]["message"] == "not a sending day: Saturday is not a sending day; no reminders on 2026-11-21"
    assert (data["notices"], data["not_reminded"], data["summary"]["looked_at"]) == ([], [], 0)


def test_written_a_customer_and_an_event_at_a_time_a_run_records_the_same(book, company, actor, monkeypatch):
    # A run writes decisions and notices a chunk of customers at a time and its history a chunk of
    # events at a time; chunks of one change nothing: newest notice first, each with its invoices.
    from arrears.dunning import engine_io, runs

    add = engine_io.RunWriter.add
    monkeypatch.setattr(engine_io.RunWriter, "add", lambda writer, plan: add(writer, plan, flush_at=1))
    monkeypatch.setattr(runs, "write_notice_events", partial(engine_io.write_notice_events, chunk=1))
    result = run(company, FRIDAY, actor)

    sent = notices(result)
    assert [items(n) for n in (sent["C1"], sent["C2"])] == [
        [("F1", 1, "level", "CZK", 100000)],
        [("G2", 1, "level", "EUR", 30000)],
    ]
    assert decisions(result)["H1"] == ("credit_covers", 0, None, "")
    first, second = sorted(sent.values(), key=lambda n: n.pk, reverse=True)
    assert [(e.data["notice"], e.summary) for e in Event.objects.filter(kind="notice.created").order_by("pk")] == [
        (first.pk, f"Level 1 reminder #{first.pk} (email) about {items(first)[0][0]}: demanding {money(first)}"),
        (second.pk, f"Level 1 reminder #{second.pk} (email) about {items(second)[0][0]}: demanding {money(second)}"),
    ]


def money(notice):
    return ", ".join(f"{t['demanded'] / 100:.2f} {t['currency']}" for t in notice.totals)


# --- Idempotent and one at a time -----------------------------------------------------------------------


def test_a_second_run_for_the_same_day_creates_nothing_new(book, company, actor):
    first = run(company, FRIDAY, actor)
    before = table_counts()

    second = run(company, FRIDAY, actor)

    assert (second.status, second.run) == ("already_done", first.run)
    assert second.message == f"run #{first.run.pk} already covered 2026-11-20; a second run creates nothing new"
    assert table_counts() == before
    assert before["Notice"] == 2
    assert before["NoticeItem"] == 2
    assert before["RunDecision"] == 6


def test_a_run_for_one_customer_on_a_day_already_run_sends_nothing_twice(book, company, actor):
    run(company, FRIDAY, actor)

    again = run(company, FRIDAY, actor, customers=["C1"])

    assert (again.status, again.notices, again.decisions) == ("done", 0, 3)
    assert decisions(again)["F1"] == ("too_soon", 1, date(2026, 12, 4), "2026-12-04")
    assert Notice.objects.count() == 2
    assert again.run.customer_ids == ["C1"]


def test_a_run_is_refused_while_another_is_running(book, company, actor):
    other = Run.objects.create(company=company, as_of=FRIDAY, status=Run.Status.RUNNING, actor_label="nightly")
    before = table_counts()

    with pytest.raises(RunRefused, match=rf"^another run for acme is in progress \(run #{other.pk}, started "):
        run(company, FRIDAY, actor)

    assert table_counts() == before
    assert Run.objects.get(pk=other.pk).status == "running"


def test_a_run_still_running_after_six_hours_is_taken_over(book, company, actor):
    recent = Run.objects.create(company=company, as_of=FRIDAY, status=Run.Status.RUNNING)
    Run.objects.filter(pk=recent.pk).update(started_at=timezone.now() - timedelta(hours=5))
    with pytest.raises(RunRefused):
        run(company, FRIDAY, actor)

    Run.objects.filter(pk=recent.pk).update(started_at=timezone.now() - timedelta(hours=6, minutes=1))
    result = run(company, FRIDAY, actor)

    assert (result.status, result.notices) == ("done", 2)
    stale = Run.objects.get(pk=recent.pk)
    assert (stale.status, stale.message) == ("failed", "did not finish; taken over by a later run")
    assert stale.finished_at is not None


def test_a_proposal_waiting_for_review_blocks_the_next_run_until_approved(book, company, actor):
    proposal = run(company, FRIDAY, actor, review=True)
    assert proposal.status == "proposal"

    with pytest.raises(RunRefused, match=rf"run #{proposal.run.pk} of 2026-11-20 waits for review: approve or discard"):
        run(company, MONDAY, actor)
    assert Run.objects.count() == 1

    approve_run(proposal.run, actor)
    monday = run(company, MONDAY, actor)
    assert monday.status == "done"
    assert decisions(monday)["F1"] == ("too_soon", 1, date(2026, 12, 4), "2026-12-04")


def test_a_discarded_proposal_no_longer_blocks(book, company, actor):
    proposal = run(company, FRIDAY, actor, review=True)
    discarded = discard_run(proposal.run, actor)

    assert (discarded.status, discarded.message) == ("failed", "discarded by test")
    assert set(Notice.objects.values_list("status", flat=True)) == {"excluded"}
    assert state("F1") is None
    # Hana had no notice in the proposal: a run for her goes ahead.
    assert run(company, MONDAY, actor, customers=["C3"]).status == "done"


def test_after_a_discarded_proposal_the_next_run_reminds_again(book, company, actor):
    proposal = run(company, FRIDAY, actor, review=True)
    discard_run(proposal.run, actor)

    monday = run(company, MONDAY, actor)

    assert monday.status == "done"
    assert items(notices(monday)["C1"]) == [("F1", 1, "level", "CZK", 100000)]
    assert state("F1") == (1, 0, MONDAY, None, None, None)


# --- A dry run -------------------------------------------------------------------------------------------


def test_a_dry_run_changes_nothing_and_foresees_the_real_run(book, company, actor):
    before = table_counts()

    dry = run(company, FRIDAY, actor, dry_run=True, keep_plans=True)

    assert table_counts() == before
    assert (dry.run, dry.status, dry.decisions, dry.notices, dry.items) == (None, "dry_run", 6, 2, 2)
    data = report(company, dry)
    assert (data["run"]["dry_run"], data["run"]["id"]) == (True, None)
    assert [n["customer"] for n in data["notices"]] == ["C1", "C2"]
    # A dry run on a Saturday leaves no trace either.
    assert run(company, SATURDAY, actor, dry_run=True).status == "nothing"
    assert table_counts() == before

    real = run(company, FRIDAY, actor)
    assert (real.decisions, real.notices, real.items) == (6, 2, 2)
    # And after the real run a dry run for the same day would send nothing more.
    assert run(company, FRIDAY, actor, dry_run=True).notices == 0
