"""The outbox: a notice becomes its messages in the transaction that creates it, before anything is sent.

ACME's Friday run (2026-11-20) reminds Jana (C1), who has two dunning addresses, and Petr (C2), who
has none; later runs take a customer who does not pay from e-mail to e-mail and letter to a letter.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from arrears.customers.models import Contact
from arrears.delivery.models import BlockedAddress, OutboxMessage
from arrears.delivery.outbox import queue_notices
from arrears.dunning.models import Notice, Run
from arrears.dunning.runs import approve_run
from arrears.dunning.services import create_manual_notice
from arrears.dunning.signals import notices_created
from tests.delivery.conftest import ACME_FROM, messages_of, sender
from tests.dunning.conftest import FRIDAY, cust, customer_row, inv, notices, run


@pytest.fixture
def book(ledger, standard, company):
    """Jana has two addresses for reminders in the ERP; Petr has none."""
    ledger(
        customers=[
            customer_row("C1", "Jana Nováková", "jana@example.cz; ucetni@novakova.cz"),
            customer_row("C2", "Petr Svoboda"),
        ],
        invoices=[
            ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"],
            ["G1", "C2", "2026-10-01", "2026-10-15", "CZK", "800.00"],
        ],
    )


def test_an_approved_run_queues_one_email_per_dunning_address(book, company, actor):
    default = sender(company, 2525)
    jana = cust("C1")
    # Someone typed Jana's address again by hand, in capitals; her boss gets invoices, not reminders.
    Contact.objects.create(customer=jana, email="JANA@Example.CZ", role_dunning=True)
    Contact.objects.create(customer=jana, email="boss@novakova.cz", role_billing=True)

    notice = notices(run(company, FRIDAY, actor))["C1"]

    assert messages_of(notice) == [
        ("email", "jana@example.cz", "queued"),
        ("email", "ucetni@novakova.cz", "queued"),
    ]
    for message in OutboxMessage.objects.filter(notice=notice):
        assert (message.kind, message.account_id, message.attempts, message.phase) == ("notice", default.pk, 0, "")
        assert message.next_attempt_at is not None  # due at once
        assert message.mime_path == ""  # built by the worker, once, before the first attempt


def test_a_proposal_queues_nothing_until_it_is_approved(book, company, actor):
    result = run(company, FRIDAY, actor, review=True)
    assert result.status == Run.Status.PROPOSAL
    assert OutboxMessage.objects.count() == 0

    approve_run(result.run, actor)

    queued = notices(result)
    assert messages_of(queued["C1"]) == [
        ("email", "jana@example.cz", "queued"),
        ("email", "ucetni@novakova.cz", "queued"),
    ]
    assert messages_of(queued["C2"]) == [("letter", "", "paper")]


def test_a_manual_reminder_is_queued_when_it_is_created(book, company, actor):
    notice = create_manual_notice(cust("C1"), [inv("F1")], actor, deadline=date(2026, 12, 7), today=date(2026, 11, 25))

    assert messages_of(notice) == [
        ("email", "jana@example.cz", "queued"),
        ("email", "ucetni@novakova.cz", "queued"),
    ]


def test_messages_are_written_in_the_approval_transaction_and_roll_back_with_it(book, company, actor):
    result = run(company, FRIDAY, actor, review=True)
    seen: list[int] = []

    def fails_after_the_outbox(sender, notice_ids, **kwargs):
        seen.append(OutboxMessage.objects.filter(notice_id__in=notice_ids).count())
        raise RuntimeError("the disk is full")

    notices_created.connect(fails_after_the_outbox, dispatch_uid="test.fails")
    try:
        with pytest.raises(RuntimeError, match="the disk is full"):
            approve_run(result.run, actor)
    finally:
        notices_created.disconnect(dispatch_uid="test.fails")

    assert seen == [3]  # written before the approval failed...
    assert OutboxMessage.objects.count() == 0  # ...and gone with it
    assert set(Notice.objects.values_list("status", flat=True)) == {"proposed"}
    Run.objects.get(pk=result.run.pk, status=Run.Status.PROPOSAL)


def test_without_an_address_the_reminder_goes_on_paper_and_says_why(book, company, actor):
    petr = notices(run(company, FRIDAY, actor))["C2"]

    paper = OutboxMessage.objects.get(notice=petr)
    assert (paper.channel, paper.recipient, paper.status, paper.account_id) == ("letter", "", "paper", None)
    assert paper.reason == "no e-mail address for reminders"
    assert paper.next_attempt_at is None  # the worker never picks it up: it waits for a print batch


def test_a_customer_who_does_not_pay_goes_from_email_to_email_and_letter_to_letter(ledger, standard, company, actor):
    sender(company, 2525)
    ledger(
        customers=[customer_row("C1", "Jana Nováková", "jana@example.cz")],
        invoices=[["F1", "C1", "2026-08-18", "2026-09-01", "CZK", "1000.00"]],
    )
    # Every second Friday; 2027-01-01 is a public holiday, so the fourth run is on Monday the 4th.
    runs = [date(2026, 11, 20), date(2026, 12, 4), date(2026, 12, 18), date(2027, 1, 4)]

    steps = [notices(run(company, day, actor))["C1"] for day in runs]

    assert [(n.level, n.channel) for n in steps] == [(1, "email"), (2, "email"), (3, "both"), (4, "letter")]
    assert [messages_of(n) for n in steps] == [
        [("email", "jana@example.cz", "queued")],
        [("email", "jana@example.cz", "queued")],
        [("email", "jana@example.cz", "queued"), ("letter", "", "paper")],
        [("letter", "", "paper")],
    ]
    both, letter = (OutboxMessage.objects.get(notice=n, channel="letter") for n in steps[2:])
    assert both.reason == "the policy sends this level by e-mail and letter"
    assert letter.reason == "the policy sends this level by letter"


def test_a_blocked_address_is_left_out_and_paper_takes_over_when_none_is_left(ledger, standard, company, actor):
    sender(company, 2525)
    ledger(
        customers=[
            customer_row("C1", "Jana Nováková", "Old.Address@Example.cz; jana@example.cz"),
            customer_row("C3", "Bohdan Král", "bohdan@kral.cz"),
        ],
        invoices=[
            ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"],
            ["B1", "C3", "2026-10-01", "2026-10-15", "CZK", "1000.00"],
        ],
    )
    for address in ("old.address@example.cz", "bohdan@kral.cz"):
        BlockedAddress.objects.create(company=company, address=address, reason="550 5.1.1 no such mailbox here")

    queued = notices(run(company, FRIDAY, actor))

    assert messages_of(queued["C1"]) == [("email", "jana@example.cz", "queued")]
    assert messages_of(queued["C3"]) == [("letter", "", "paper")]
    assert OutboxMessage.objects.get(notice=queued["C3"]).reason == ("e-mail address on the block list: bohdan@kral.cz")


def test_each_message_has_its_own_message_id_fixed_when_it_is_queued(book, company, actor):
    sender(company, 2525)
    queued = notices(run(company, FRIDAY, actor))

    ids = {m.notice_id: [] for m in OutboxMessage.objects.all()}
    for m in OutboxMessage.objects.all():
        ids[m.notice_id].append(m.message_id)
    jana, petr = queued["C1"].pk, queued["C2"].pk
    # E-mail from the account's domain, paper from the host's; the notice is named in the left part.
    assert all(re.fullmatch(rf"<n{jana}\.[0-9a-f]{{32}}@acme\.cz>", i) for i in ids[jana])
    assert re.fullmatch(rf"<n{petr}\.[0-9a-f]{{32}}@.+>", ids[petr][0])
    every = [i for group in ids.values() for i in group]
    assert len(every) == len(set(every)) == 3
    assert ACME_FROM.endswith("@acme.cz")


def test_queueing_notices_again_writes_nothing(book, company, actor):
    queued = notices(run(company, FRIDAY, actor))
    before = list(OutboxMessage.objects.order_by("pk").values_list("pk", "message_id", "status"))

    assert queue_notices([n.pk for n in queued.values()]) == 0
    assert queue_notices([n.pk for n in queued.values()]) == 0

    assert list(OutboxMessage.objects.order_by("pk").values_list("pk", "message_id", "status")) == before
    assert len(before) == 3


def test_a_second_run_for_the_same_day_queues_nothing_new(book, company, actor):
    run(company, FRIDAY, actor)
    count = OutboxMessage.objects.count()

    again = run(company, FRIDAY, actor)

    assert again.status == "already_done"
    assert OutboxMessage.objects.count() == count == 3
