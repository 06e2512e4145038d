"""The delivery commands as ACME's accountant uses them: set up the sender account, run the worker,
look into the journal, send again, print the letters, schedule the run."""

from __future__ import annotations

import getpass
import io
import re
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from arrears.delivery.liveness import Liveness
from arrears.delivery.models import BlockedAddress, OutboxMessage, PrintBatch, RunSchedule, SenderAccount
from arrears.documents.archive import archive_storage
from tests.delivery.conftest import ACME_FROM, only_message, sender, sqlite_only

PASSWORD = "Tajné-heslo 42"


def run(*args: str, stdin: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[str, str]:
    """(stdout, stderr) of `arrears ARGS`; `stdin` is what is piped in."""
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def add_account(port: int, password: str, monkeypatch, *extra: str) -> tuple[str, str]:
    return run(
        "smtp", "add", "mail", "--address", ACME_FROM, "--host", "127.0.0.1", "--port", str(port),
        "--security", "starttls", "--user", "acme", "--password-stdin", *extra,
        stdin=f"{password}\n", monkeypatch=monkeypatch,
    )  # fmt: skip


# -- smtp -----------------------------------------------------------------------------------------


def test_setting_up_the_account_and_sending_a_test_message(company, serve, trust_test_ca, monkeypatch):
    box = serve("starttls", tls=trust_test_ca, users={"acme": PASSWORD})
    printed: list[str] = []

    out, err = add_account(box.port, PASSWORD, monkeypatch)
    printed += [out, err]
    assert out == f"added mail <{ACME_FROM}> via 127.0.0.1:{box.port} (default)\n"
    assert err == ""
    account = SenderAccount.objects.get()
    assert (account.password, account.username, account.is_default, account.display_name) == (
        PASSWORD,
        "acme",
        True,
        "ACME s.r.o.",
    )

    out, _ = run("smtp", "list")
    printed.append(out)
    assert re.fullmatch(
        rf"mail +ACME s\.r\.o\. <{ACME_FROM}> 127\.0\.0\.1:{box.port} starttls user=acme password=set "
        r"every 60s default\n",
        out,
    )

    out, _ = run("smtp", "test", "mail")
    printed.append(out)
    assert out.startswith(
        f"connected to 127.0.0.1:{box.port}, secured with STARTTLS, logged in as acme; the server offers: "
    )
    assert box.mails == []

    out, _ = run("smtp", "test", "mail", "--to", "kontrola@acme.cz")
    printed.append(out)
    assert out.endswith("test message sent to kontrola@acme.cz: 250 OK: saved\n")
    [mail] = box.mails
    assert (mail.rcpt_tos, mail.message["Subject"]) == (["kontrola@acme.cz"], "arrears: test message from account mail")
    assert "arrears can send through this account" in mail.message.get_content()

    assert all(PASSWORD not in text for text in printed)


def test_an_interval_below_a_minute_is_warned_about(company, monkeypatch):
    run("smtp", "add", "mail", "--address", ACME_FROM, "--host", "smtp.acme.cz")

    out, err = run("smtp", "set", "mail", "--interval", "10")

    assert out == f"changed mail <{ACME_FROM}> via smtp.acme.cz:587 (default)\n"
    assert err.startswith("warning: one e-mail every 10 s: below 60 s, receiving servers may take the mail for spam")
    assert SenderAccount.objects.get().send_interval_seconds == 10
    _, err = run("smtp", "set", "mail", "--interval", "60")
    assert err == ""


def test_account_options_and_their_warnings(company, monkeypatch):
    out, err = run(
        "smtp", "add", "relay", "--address", ACME_FROM, "--host", "relay.acme.cz", "--security", "none",
        "--user", "acme", "--password-stdin", "--test-address", "test@acme.cz", "--read-receipt",
        "--bcc", "archiv@acme.cz", stdin=f"{PASSWORD}\n", monkeypatch=monkeypatch,
    )  # fmt: skip

    assert out == f"added relay <{ACME_FROM}> via relay.acme.cz:25 (default)\n"
    assert "warning: the password goes over the network unencrypted (security 'none')" in err
    assert "note: TEST MODE: customers do not receive these e-mails as addressed" in err
    relay = SenderAccount.objects.get()
    assert (relay.test_address, relay.request_read_receipt, relay.bcc) == ("test@acme.cz", True, "archiv@acme.cz")
    out, _ = run("smtp", "list")
    assert "TEST MODE -> test@acme.cz" in out

    run("smtp", "add", "ssl", "--address", "info@acme.cz", "--host", "smtp.acme.cz", "--security", "ssl", "--default")
    assert SenderAccount.objects.get(code="ssl").port == 465
    assert list(SenderAccount.objects.filter(is_default=True).values_list("code", flat=True)) == ["ssl"]

    with pytest.raises(CommandError, match="account 'relay' exists: change it with 'arrears smtp set'"):
        run("smtp", "add", "relay", "--address", ACME_FROM, "--host", "relay.acme.cz")
    with pytest.raises(CommandError, match="no account 'other'; see 'arrears smtp list'"):
        run("smtp", "set", "other", "--interval", "5")
    with pytest.raises(CommandError, match="address: Enter a valid email address"):
        run("smtp", "add", "bad", "--address", "not-an-address", "--host", "smtp.acme.cz")


def test_a_wrong_password_is_reported_without_the_password(company, serve, trust_test_ca, monkeypatch):
    box = serve("starttls", tls=trust_test_ca, users={"acme": PASSWORD})
    add_account(box.port, "Špatné-heslo", monkeypatch)

    with pytest.raises(CommandError) as refused:
        run("smtp", "test", "mail")

    message = str(refused.value)
    assert message.startswith(f"127.0.0.1:{box.port} (starttls): SMTPAuthenticationError: (535, ")
    assert "Špatné-heslo" not in message


def test_an_account_that_sent_stays_for_the_journal(company, mailbox, account, remind, monkeypatch):
    run("smtp", "add", "spare", "--address", "info@acme.cz", "--host", "smtp.acme.cz")
    remind(("C1", "Jana Nováková", "jana@example.cz"))
    run("worker", "--once", "--no-schedule")

    assert run("smtp", "remove", "spare")[0] == "removed spare\n"
    with pytest.raises(CommandError, match="messages were sent through this account; it stays for the journal"):
        run("smtp", "remove", "mail")
    assert list(SenderAccount.objects.values_list("code", flat=True)) == ["mail"]


# -- worker and the journal -----------------------------------------------------------------------


def test_a_wrong_password_fixed_and_the_message_sent_again(company, serve, trust_test_ca, remind, monkeypatch):
    box = serve("starttls", tls=trust_test_ca, users={"acme": PASSWORD})
    add_account(box.port, "stare-heslo", monkeypatch, "--interval", "0")
    jana = remind(("C1", "Jana Nováková", "jana@example.cz"))["C1"]

    out, _ = run("worker", "--once", "--no-schedule")
    assert re.fullmatch(r"worker (\S+) started\nworker \1 stopped: 0 e-mails sent\n", out)
    message = only_message(jana)
    out, _ = run("outbox", "list", "--status", "queued")
    assert re.fullmatch(
        rf"#{message.pk} +queued +\S+ \S+ C1 +jana@example\.cz +tries 1  "
        r"535 authentication failed: 5\.7\.8 Authentication credentials invalid\n",
        out,
    )

    run("smtp", "set", "mail", "--password-stdin", stdin=f"{PASSWORD}\n", monkeypatch=monkeypatch)
    assert run("outbox", "retry", str(message.pk))[0] == f"message #{message.pk}: queued\n"
    out, _ = run("worker", "--once", "--no-schedule")

    assert out.endswith("stopped: 1 e-mails sent\n")
    assert [m.rcpt_tos for m in box.mails] == [["jana@example.cz"]]
    out, _ = run("outbox", "show", str(message.pk))
    lines = out.splitlines()
    assert lines[1:4] == [
        f"  Message-ID  {message.message_id}",
        f"  subject     {box.mails[0].message['Subject']}",
        "  envelope    jana@example.cz",
    ]
    assert lines[4] == f"  notice      #{jana.pk}"
    attempts = [line for line in lines if line.startswith("  attempt ")]
    assert len(attempts) == 2
    assert re.match(r"  attempt 1: \S+ \S+ retry 535 authentication failed: 5\.7\.8 ", attempts[0])
    assert re.match(r"  attempt 2: \S+ \S+ sent 250 OK: saved \(", attempts[1])


@pytest.fixture
def journal(mailbox, account, remind):
    """Jana's e-mail is sent, Radek's refused, Dana's bounced (so a letter waits), Petr has no address."""
    sent = remind(
        ("C1", "Jana Nováková", "jana@example.cz"),
        ("C2", "Radek Odmítnutý", "reject@example.cz"),
        ("C3", "Dana Ztracená", "Bounce@Example.cz"),
        ("C4", "Petr Svoboda", ""),
    )
    run("worker", "--once", "--no-schedule")
    return sent


def test_the_journal_lists_summarises_and_shows(journal):
    out, _ = run("outbox", "summary")
    assert [line.split() for line in out.splitlines()] == [
        ["sent", "1"],
        ["failed", "2"],
        ["paper:", "to", "be", "printed", "2"],
    ]

    out, _ = run("outbox", "list", "--status", "failed")
    assert sorted(re.findall(r"(\S+@\S+) +tries 1  (.*)", out)) == [
        ("Bounce@Example.cz", "550 5.1.1 no such mailbox here"),
        ("reject@example.cz", "554 5.7.1 message refused"),
    ]
    out, _ = run("outbox", "list", "--customer", "C4")
    assert re.fullmatch(r"#\d+ +paper +\S+ \S+ C4 +paper +tries 0  no e-mail address for reminders\n", out)
    out, _ = run("outbox", "list", "--limit", "2")
    assert len(out.splitlines()) == 2

    radek = only_message(journal["C2"])
    out, _ = run("outbox", "show", str(radek.pk))
    assert f"  archived    {radek.mime_path}" in out
    assert re.search(r"  attempt 1: \S+ \S+ failed 554 5\.7\.1 message refused \(\S+\)", out)

    with pytest.raises(CommandError, match="no message #999999"):
        run("outbox", "show", "999999")


def test_cancelling_and_the_journals_refusals(journal, mailbox):
    petr = only_message(journal["C4"], "letter")
    jana = only_message(journal["C1"])

    assert run("outbox", "cancel", str(petr.pk))[0] == f"message #{petr.pk}: cancelled\n"
    assert OutboxMessage.objects.get(pk=petr.pk).status == "cancelled"
    with pytest.raises(CommandError, match=rf"message #{jana.pk} is sent: only queued, failed, uncertain or paper"):
        run("outbox", "cancel", str(jana.pk))
    dana = only_message(journal["C3"])
    with pytest.raises(CommandError, match=r"Bounce@Example\.cz is on the block list: unblock it first"):
        run("outbox", "retry", str(dana.pk))


def test_a_blocked_address_is_listed_and_unblocked(journal, mailbox):
    out, _ = run("outbox", "blocked")
    assert re.fullmatch(r"bounce@example\.cz +since \S+ \S+: 550 5\.1\.1 no such mailbox here\n", out)

    assert run("outbox", "unblock", "Bounce@Example.CZ")[0] == "Bounce@Example.CZ may receive e-mail again\n"
    assert not BlockedAddress.objects.exists()
    with pytest.raises(CommandError, match=r"bounce@example\.cz is not blocked"):
        run("outbox", "unblock", "bounce@example.cz")

    # Dana has a new mailbox under the same name: the reminder is sent again.
    dana = only_message(journal["C3"])
    run("outbox", "retry", str(dana.pk))
    assert OutboxMessage.objects.get(pk=dana.pk).status == "queued"


@sqlite_only
def test_on_sqlite_a_second_worker_command_is_refused(company, account):
    other = Liveness()
    other.start()
    try:
        with pytest.raises(CommandError, match="a worker is already dispatching on this database"):
            run("worker", "--once", "--no-schedule")
    finally:
        other.stop()


# -- print ----------------------------------------------------------------------------------------


def test_printing_the_letters_from_the_command_line(journal):
    out, _ = run("print", "list")
    assert out == "2 letters wait for the next batch\n"

    out, _ = run("print", "batch")
    batch = PrintBatch.objects.get()
    storage = archive_storage()
    assert out.splitlines() == [
        f"print batch #{batch.pk}: 2 letters, {batch.pages} pages",
        f"  PDF   {storage.path(batch.pdf_path)}",
        f"  list  {storage.path(batch.list_path)}",
        f"  after printing: arrears print confirm {batch.pk}",
    ]
    assert storage.exists(batch.pdf_path)
    assert storage.exists(batch.list_path)
    out, _ = run("print", "list")
    assert out.splitlines()[0] == "0 letters wait for the next batch"
    assert re.fullmatch(rf"#{batch.pk} +\S+ \S+ +2 letters to print", out.splitlines()[1])
    with pytest.raises(CommandError, match="no letters are waiting to be printed"):
        run("print", "batch")

    assert run("print", "confirm", str(batch.pk))[0] == f"print batch #{batch.pk}: 2 letters marked printed\n"
    out, _ = run("print", "list")
    assert re.search(r"2 letters printed \S+ \S+ by cli:\S+", out)
    with pytest.raises(CommandError, match=rf"print batch #{batch.pk} was confirmed on"):
        run("print", "confirm", str(batch.pk))
    with pytest.raises(CommandError, match="no print batch #999999"):
        run("print", "confirm", "999999")


# -- schedule -------------------------------------------------------------------------------------


def test_scheduling_the_run_from_the_command_line(company):
    assert run("schedule", "show")[0] == "no automatic runs\n"

    out, err = run("schedule", "set", "--at", "07:00")
    assert out == (
        "every day at 07:00 Europe/Prague (on the policies' sending days); sends at once; report to nobody; "
        "last started never\n"
    )
    assert err == "note: the company has no credit controller e-mail; reports cannot be sent\n"

    company.credit_controller_email = "kontrola@acme.cz"
    company.save()
    out, err = run("schedule", "set", "--at", "6:30", "--review", "--no-report")
    assert "every day at 06:30 Europe/Prague" in out
    assert "stops at a proposal for review; report to kontrola@acme.cz" in out
    assert err == ""
    schedule = RunSchedule.objects.get()
    assert (schedule.time_of_day.isoformat(), schedule.review_first, schedule.send_report, schedule.enabled) == (
        "06:30:00",
        True,
        False,
        True,
    )

    with pytest.raises(CommandError, match="'half past six' is not a time of day such as 7:30 or 18:00"):
        run("schedule", "set", "--at", "half past six")

    assert run("schedule", "off")[0] == "automatic runs are off\n"
    assert RunSchedule.objects.get().enabled is False
    assert run("schedule", "show")[0] == "automatic runs are off\n"


def test_the_worker_command_sends_and_counts(mailbox, company, remind):
    sender(company, mailbox.port, send_interval_seconds=0)
    remind(("C1", "Jana Nováková", "jana@example.cz"), ("C2", "Petr Svoboda", "petr@example.cz"))

    out, _ = run("worker", "--once", "--no-schedule", "--batch", "1")

    assert out.splitlines()[-1].endswith("stopped: 2 e-mails sent")
    assert sorted(m.rcpt_tos[0] for m in mailbox.mails) == ["jana@example.cz", "petr@example.cz"]


def test_radeks_refused_email_goes_on_paper_by_hand(journal):
    radek = only_message(journal["C2"])
    out, _ = run("outbox", "paper", str(radek.pk))
    letter = only_message(journal["C2"], "letter")
    assert out == f"letter #{letter.pk} waits for the next print batch\n"
    assert (letter.status, letter.reason) == (
        "paper",
        f"on paper by cli:{getpass.getuser()}: e-mail #{radek.pk} failed",
    )
    with pytest.raises(CommandError, match=rf"the reminder already has letter #{letter.pk} \(paper\)"):
        run("outbox", "paper", str(radek.pk))
    jana = only_message(journal["C1"])
    with pytest.raises(
        CommandError, match=rf"message #{jana.pk} is sent: only a failed, skipped, uncertain or cancelled one"
    ):
        run("outbox", "paper", str(jana.pk))


def test_an_uncertain_message_is_confirmed_as_arrived_after_checking(journal):
    jana = only_message(journal["C1"])
    with pytest.raises(CommandError, match=rf"message #{jana.pk} is sent: only an uncertain message is confirmed"):
        run("outbox", "confirm", str(jana.pk))
    OutboxMessage.objects.filter(pk=jana.pk).update(status="uncertain")

    assert run("outbox", "confirm", str(jana.pk))[0] == f"message #{jana.pk}: sent (confirmed)\n"
    jana.refresh_from_db()
    assert (jana.status, jana.reason) == ("sent", f"confirmed as arrived by cli:{getpass.getuser()}")
    assert jana.sent_at == jana.attempt_log.get().started_at


def test_an_address_the_customer_says_is_wrong_is_blocked_by_hand(journal, remind, mailbox):
    out, _ = run("outbox", "block", "Jana@Example.cz", "--reason", "customer called: mailbox closed")
    assert out == "jana@example.cz blocked: later reminders to it go on paper\n"
    with pytest.raises(CommandError, match="'jana at example' is not an e-mail address"):
        run("outbox", "block", "jana at example")
    with pytest.raises(CommandError, match=r"jana@example\.cz is blocked already since"):
        run("outbox", "block", "jana@example.cz")
    out, _ = run("outbox", "blocked")
    assert re.search(r"^jana@example\.cz +since .*customer called: mailbox closed", out, re.MULTILINE)
