"""ACME's automatic run: every day at 07:00 in Prague, started by the worker, with a report to the
credit controller once every message of the run has gone (or failed, or waits for the printer)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from arrears.delivery.models import OutboxMessage, RunSchedule
from arrears.delivery.prepare import read_bytes
from arrears.delivery.schedule import queue_run_reports, start_due_runs
from arrears.dunning.models import Run
from arrears.dunning.runs import approve_run
from tests.delivery.conftest import ACME_FROM, only_message, sender
from tests.dunning.conftest import customer_row, notices

CONTROLLER = "kontrola@acme.cz"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Prague is UTC+1 in November: 06:00 UTC is 07:00 there.
FRIDAY_0659 = utc(2026, 11, 20, 5, 59)
FRIDAY_0700 = utc(2026, 11, 20, 6, 0)
FRIDAY_0705 = utc(2026, 11, 20, 6, 5)


@pytest.fixture
def acme(company, ledger, standard):
    company.credit_controller_email = CONTROLLER
    company.save()
    ledger(
        customers=[
            customer_row("C1", "Jana Nováková", "jana@example.cz"),
            customer_row("C2", "Radek Odmítnutý", "reject@example.cz"),
            customer_row("C3", "Petr Svoboda"),
        ],
        invoices=[[f"F-C{i}", f"C{i}", "2026-10-01", "2026-10-15", "CZK", "1000.00"] for i in range(1, 4)],
    )
    RunSchedule.objects.create(company=company, time_of_day=time(7, 0))
    return company


def scheduled_runs() -> list[tuple[str, str, str]]:
    return [(str(r.as_of), r.status, r.actor_label) for r in Run.objects.order_by("pk") if r.actor_label == "scheduler"]


def test_the_run_starts_once_the_local_time_has_come_and_once_a_day(acme):
    said: list[str] = []

    assert start_due_runs(FRIDAY_0659, said.append) == 0
    assert scheduled_runs() == []

    assert start_due_runs(FRIDAY_0700, said.append) == 1
    assert start_due_runs(FRIDAY_0705, said.append) == 0
    assert start_due_runs(utc(2026, 11, 20, 22, 59), said.append) == 0  # 23:59 in Prague, still Friday
    assert scheduled_runs() == [("2026-11-20", "done", "scheduler")]
    assert said == ["acme: scheduled run for 2026-11-20: done; 3 notices, 3 invoices looked at"]
    assert RunSchedule.objects.get().last_started_on.isoformat() == "2026-11-20"
    assert OutboxMessage.objects.filter(kind="notice").count() == 3

    # Saturday: the run starts and says why it sends nothing.
    assert start_due_runs(utc(2026, 11, 21, 6, 30), said.append) == 1
    assert scheduled_runs()[-1] == ("2026-11-21", "nothing", "scheduler")
    assert said[-1].startswith("acme: scheduled run for 2026-11-21: nothing; not a sending day")


def test_the_day_is_the_companys_local_day(acme):
    schedule = RunSchedule.objects.get()
    schedule.time_of_day = time(0, 30)
    schedule.save()

    # Thursday 23:45 in UTC is already Friday 00:45 in Prague.
    assert start_due_runs(utc(2026, 11, 19, 23, 45), lambda text: None) == 1

    assert scheduled_runs() == [("2026-11-20", "done", "scheduler")]


def test_a_disabled_schedule_starts_nothing(acme):
    RunSchedule.objects.update(enabled=False)

    assert start_due_runs(FRIDAY_0705, lambda text: None) == 0
    assert not Run.objects.exists()


def test_the_worker_starts_the_scheduled_run(acme, workers):
    said: list[str] = []
    worker = workers(schedules=True, clock=lambda: FRIDAY_0705, out=said.append)

    worker.cycle()

    assert scheduled_runs() == [("2026-11-20", "done", "scheduler")]
    assert said == ["acme: scheduled run for 2026-11-20: done; 3 notices, 3 invoices looked at"]


def test_review_first_stops_at_a_proposal_and_reports_it_at_once(acme, mailbox, actor):
    sender(acme, mailbox.port)
    RunSchedule.objects.update(review_first=True)

    start_due_runs(FRIDAY_0705, lambda text: None)

    run = Run.objects.get()
    assert run.status == "proposal"
    assert not OutboxMessage.objects.filter(kind="notice").exists()
    assert queue_run_reports(FRIDAY_0705) == 1
    report = OutboxMessage.objects.get(kind="report")
    assert (report.run, report.recipient, report.status, report.notice_id) == (run, CONTROLLER, "queued", None)
    text = read_bytes(report.mime_path).decode("utf-8")
    assert f"Waiting for review: 3 notices. Approve with: arrears review approve {run.pk}" in text

    approve_run(run, actor)
    assert queue_run_reports(FRIDAY_0705 + timedelta(hours=1)) == 0  # one report per run


def test_the_report_waits_for_every_message_and_names_the_problems(acme, mailbox, workers, clock):
    account = sender(acme, mailbox.port)
    start_due_runs(FRIDAY_0705, lambda text: None)
    run = Run.objects.get()

    assert queue_run_reports(FRIDAY_0705) == 0  # three messages still queued

    workers().run(once=True)  # Jana's goes, Radek's is refused, Petr's waits for paper
    assert queue_run_reports(FRIDAY_0705) == 1
    assert queue_run_reports(FRIDAY_0705) == 0

    report = OutboxMessage.objects.get(kind="report")
    assert (report.recipient, report.account, report.status) == (CONTROLLER, account, "queued")
    # The company's own run_report text, in its language (ACME writes Czech), then the details.
    assert report.subject == "Upomínací běh ze dne 2026-11-20 – ACME s.r.o. (upomínky: 3, chyby: 1)"
    queued = notices(run)
    radek, petr = only_message(queued["C2"]), only_message(queued["C3"], "letter")
    workers().run(once=True)

    [mail] = mailbox.to(CONTROLLER)
    assert (mail.mail_from, mail.message["Subject"]) == (ACME_FROM, report.subject)
    text = mail.message.get_content().replace("\r\n", "\n")
    assert "Invoices looked at: 3; notices: 3." in text
    assert "  sent: 1\n" in text
    assert "  failed: 1\n" in text
    assert "  paper: to be printed: 1\n" in text
    assert f"  #{radek.pk} failed    C2 Radek Odmítnutý: reject@example.cz 554 5.7.1 message refused\n" in text
    assert f"  #{petr.pk} paper     C3 Petr Svoboda: paper no e-mail address for reminders\n" in text
    assert "Demanded: 3000.00 CZK" in text
    assert OutboxMessage.objects.get(kind="report").status == "sent"


def test_one_report_per_run_even_when_the_controllers_address_changes(acme, mailbox, worker):
    sender(acme, mailbox.port)
    start_due_runs(FRIDAY_0705, lambda text: None)
    worker.run(once=True)
    assert queue_run_reports(FRIDAY_0705) == 1

    acme.credit_controller_email = "nova.kontrola@acme.cz"
    acme.save()

    assert queue_run_reports(FRIDAY_0705 + timedelta(minutes=1)) == 0
    assert list(OutboxMessage.objects.filter(kind="report").values_list("recipient", flat=True)) == [CONTROLLER]


def test_turning_reports_on_again_does_not_mail_old_runs(acme, mailbox, worker):
    sender(acme, mailbox.port)
    RunSchedule.objects.update(send_report=False)
    start_due_runs(FRIDAY_0705, lambda text: None)
    worker.run(once=True)
    assert queue_run_reports(FRIDAY_0705) == 0
    Run.objects.update(started_at=FRIDAY_0705 - timedelta(days=30))  # a month ago

    RunSchedule.objects.update(send_report=True)

    assert queue_run_reports(FRIDAY_0705) == 0


def test_no_report_without_a_sender_account_until_there_is_one(acme, mailbox):
    RunSchedule.objects.update(review_first=True)
    start_due_runs(FRIDAY_0705, lambda text: None)

    assert queue_run_reports(FRIDAY_0705) == 0
    sender(acme, mailbox.port)
    assert queue_run_reports(FRIDAY_0705) == 1


def test_no_report_when_the_schedule_says_so_or_nobody_reads_it(acme, mailbox):
    sender(acme, mailbox.port)
    RunSchedule.objects.update(review_first=True, send_report=False)
    start_due_runs(FRIDAY_0705, lambda text: None)

    assert queue_run_reports(FRIDAY_0705) == 0
    RunSchedule.objects.update(send_report=True)
    acme.credit_controller_email = ""
    acme.save()
    assert queue_run_reports(FRIDAY_0705) == 0
    assert not OutboxMessage.objects.filter(kind="report").exists()


def test_the_report_uses_the_companys_own_run_report_text(acme, mailbox):
    from arrears.documents.models import MessageTemplate

    sender(acme, mailbox.port)
    MessageTemplate.objects.create(
        company=acme, key="run_report", language="cs", subject="Běh {{ run.date }}: {{ run.review }} ke schválení"
    )
    RunSchedule.objects.filter(company=acme).update(review_first=True)
    start_due_runs(FRIDAY_0705, lambda text: None)
    queue_run_reports(FRIDAY_0705)
    assert OutboxMessage.objects.get(kind="report").subject == "Běh 2026-11-20: 3 ke schválení"


def test_a_broken_run_report_text_does_not_swallow_the_report(acme, mailbox):
    from arrears.documents.models import MessageTemplate

    sender(acme, mailbox.port)
    MessageTemplate.objects.create(company=acme, key="run_report", language="cs", subject="Běh {{ ")
    RunSchedule.objects.filter(company=acme).update(review_first=True)
    start_due_runs(FRIDAY_0705, lambda text: None)
    assert queue_run_reports(FRIDAY_0705) == 1
    report = OutboxMessage.objects.get(kind="report")
    assert report.subject == "[arrears] acme: dunning run 2026-11-20 - proposal, waiting for review"
    assert "The run_report text could not be used" in read_bytes(report.mime_path).decode()
