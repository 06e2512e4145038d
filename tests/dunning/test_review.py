"""The credit controller reviews a proposal before anything goes out.

Jana (C1) owes F1 (1 000.00 CZK, due 2026-10-15) and F2 (2 000.00 CZK, due 2026-11-16); Petr (C2)
owes G1 (800.00 CZK, due 2026-10-15). Both got a first reminder for the invoices overdue on Friday
2026-11-20 (F1, G1). On Friday 2026-12-04 the run stops at a proposal: Jana's notice covers F1 at
level 2 and F2 at level 1, Petr's G1 at level 2. Anna (C3) is on the "strict" policy, whose only
level calls a webhook that blocks her service; she owes W1 (300.00 CZK, due 2026-11-18).
"""

from __future__ import annotations

from datetime import date

import pytest

from arrears.dunning.models import DunningAction, InvoiceDunning, Notice, NoticeItem, Run
from arrears.dunning.runs import RunRefused, approve_run, discard_run
from arrears.dunning.services import DunningActionError, change_item_level, exclude_item, exclude_notice
from arrears.history.models import Event
from tests.dunning.conftest import (
    FRIDAY,
    STANDARD,
    STRICT,
    customer_row,
    decisions,
    items,
    notices,
    run,
    state,
)

DEC4 = date(2026, 12, 4)


@pytest.fixture
def book(ledger, load_policy):
    ledger(
        customers=[
            customer_row("C1", "Jana Nováková", "jana@example.cz"),
            customer_row("C2", "Petr Svoboda", "petr@example.cz"),
            customer_row("C3", "Anna Bílá", "anna@example.cz"),
        ],
        invoices=[
            ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"],
            ["F2", "C1", "2026-11-02", "2026-11-16", "CZK", "2000.00"],
            ["G1", "C2", "2026-10-01", "2026-10-15", "CZK", "800.00"],
            ["W1", "C3", "2026-11-04", "2026-11-18", "CZK", "300.00"],
        ],
    )
    load_policy(STANDARD, STRICT, '[assign]\ncustomers = { C3 = "strict" }')


@pytest.fixture
def proposal(book, company, actor):
    run(company, FRIDAY, actor)
    result = run(company, DEC4, actor, review=True)
    assert result.status == "proposal"
    return result


def item(notice: Notice, number: str) -> NoticeItem:
    return notice.items.select_related("invoice", "notice").get(invoice__number=number)


def all_states() -> dict[int, tuple]:
    return {
        s.invoice_id: (s.level, s.repetitions, s.last_notice_on, s.pre_due_sent_on, s.stopped_on, s.handed_over_on)
        for s in InvoiceDunning.objects.all()
    }


def test_a_proposal_changes_no_invoice_and_sends_nothing(book, company, actor):
    run(company, FRIDAY, actor)
    before = all_states()
    events_before = Event.objects.filter(kind="notice.created").count()

    result = run(company, DEC4, actor, review=True)

    assert (result.status, result.notices, result.items) == ("proposal", 2, 3)
    assert result.run.approved_at is None
    assert set(Notice.objects.filter(run=result.run).values_list("status", flat=True)) == {"proposed"}
    assert all_states() == before
    assert Event.objects.filter(kind="notice.created").count() == events_before == 3
    jana = notices(result)["C1"]
    assert (jana.level, jana.template) == (2, "level2")
    assert items(jana) == [("F1", 2, "level", "CZK", 100000), ("F2", 1, "level", "CZK", 200000)]
    assert decisions(result)["W1"] == ("all_levels_sent", 1, None, "")


def test_approving_creates_the_notices_and_moves_the_invoices_on(proposal, company, actor):
    approved = approve_run(proposal.run, actor)

    assert (approved.status, approved.approved_by) == ("done", "test")
    assert approved.approved_at is not None
    assert set(Notice.objects.filter(run=proposal.run).values_list("status", flat=True)) == {"created"}
    assert (state("F1"), state("F2"), state("G1")) == (
        (2, 0, DEC4, None, None, None),
        (1, 0, DEC4, None, None, None),
        (2, 0, DEC4, None, None, None),
    )
    jana = notices(proposal)["C1"]
    event = Event.objects.get(kind="notice.created", data__notice=jana.pk)
    assert event.summary == f"Level 2 reminder #{jana.pk} (email) about F1, F2: demanding 3000.00 CZK"
    assert (event.customer_id, event.actor_label, event.data["level"]) == (jana.customer_id, "test", 2)
    assert Event.objects.filter(kind="notice.created").count() == 3 + 2

    with pytest.raises(RunRefused, match=rf"run #{proposal.run.pk} is done, not a proposal waiting for review"):
        approve_run(proposal.run, actor)
    # Approved, the same day counts as done.
    assert run(company, DEC4, actor).status == "already_done"


def test_excluding_a_notice_in_review(proposal, actor):
    petr = notices(proposal)["C2"]

    exclude_notice(petr, actor)
    approve_run(proposal.run, actor)

    statuses = {k: n.status for k, n in notices(proposal).items()}
    assert statuses == {"C1": "created", "C2": "excluded"}
    assert state("G1") == (1, 0, FRIDAY, None, None, None)
    assert state("F1")[0] == 2
    assert Event.objects.get(kind="notice.excluded").summary == f"Proposed notice #{petr.pk} excluded in review"
    assert not Event.objects.filter(kind="notice.created", data__notice=petr.pk).exists()
    with pytest.raises(DunningActionError, match=rf"notice #{petr.pk} is excluded; only a proposed notice"):
        exclude_notice(petr, actor)


def test_excluding_one_invoice_recomputes_the_notice_level(proposal, actor):
    jana = notices(proposal)["C1"]

    exclude_item(item(jana, "F1"), actor)

    jana.refresh_from_db()
    # A first reminder now, in the words of the first reminder.
    assert (jana.level, jana.template, jana.status) == (1, "level1", "proposed")
    # The notice no longer demands F1's 1 000.00 CZK.
    assert jana.totals == [{"currency": "CZK", "reminded": 200000, "overdue": 300000, "credit": 0, "demanded": 200000}]
    assert Event.objects.get(kind="notice.item_excluded").summary == (
        f"F1 taken out of proposed notice #{jana.pk} in review"
    )
    approve_run(proposal.run, actor)
    # F1 was not reminded: it stays at level 1 from November; F2 got its first reminder.
    assert state("F1") == (1, 0, FRIDAY, None, None, None)
    assert state("F2") == (1, 0, DEC4, None, None, None)
    event = Event.objects.get(kind="notice.created", data__notice=jana.pk)
    assert event.summary == f"Level 1 reminder #{jana.pk} (email) about F2: demanding 2000.00 CZK"
    assert event.data["invoices"] == [item(jana, "F2").invoice_id]


def test_excluding_every_invoice_excludes_the_notice(proposal, actor):
    petr = notices(proposal)["C2"]

    exclude_item(item(petr, "G1"), actor)

    petr.refresh_from_db()
    assert petr.status == "excluded"


@pytest.mark.parametrize("level", [0, 3])
def test_a_level_is_never_skipped_or_lowered_below_the_current_one(proposal, actor, level):
    # F1 stands at level 1; the run decided level 2. Review may hold it at 1, nothing else.
    jana = notices(proposal)["C1"]
    f1 = item(jana, "F1")

    with pytest.raises(DunningActionError) as excinfo:
        change_item_level(f1, level, actor)

    assert str(excinfo.value) == f"F1: level {level} is not possible here; choose 2 or 1 (hold at the current level)"
    assert not Event.objects.filter(kind="notice.level_changed").exists()
    f1.refresh_from_db()
    assert (f1.level, f1.reason) == (2, "level")


def test_review_holds_an_invoice_at_its_current_level(proposal, actor):
    # The credit controller spoke to Jana: F1 gets the first reminder again, not the second.
    jana = notices(proposal)["C1"]
    f1 = item(jana, "F1")

    change_item_level(f1, 1, actor)

    f1.refresh_from_db()
    assert (f1.level, f1.repetition, f1.reason, f1.action) == (1, 1, "repeat", "none")
    assert Event.objects.get(kind="notice.level_changed").summary == (
        f"F1 in proposed notice #{jana.pk}: held at level 1 instead of 2"
    )
    approve_run(proposal.run, actor)
    state = InvoiceDunning.objects.get(invoice__number="F1")
    assert (state.level, state.repetitions) == (1, 1)


def test_keeping_the_decided_level_changes_nothing(proposal, actor):
    f1 = item(notices(proposal)["C1"], "F1")
    change_item_level(f1, 2, actor)
    f1.refresh_from_db()
    assert (f1.level, f1.reason) == (2, "level")
    assert not Event.objects.filter(kind="notice.level_changed").exists()


def test_a_new_invoice_cannot_be_raised_above_its_decided_level(proposal, actor):
    f2 = item(notices(proposal)["C1"], "F2")

    with pytest.raises(DunningActionError, match=r"^F2: level 2 is not possible here; choose 1$"):
        change_item_level(f2, 2, actor)


def test_an_approved_notice_cannot_be_changed(proposal, actor):
    approve_run(proposal.run, actor)
    jana = notices(proposal)["C1"]

    with pytest.raises(DunningActionError, match=rf"^notice #{jana.pk} is created; only a proposed notice can be"):
        change_item_level(item(jana, "F2"), 1, actor)
    with pytest.raises(DunningActionError):
        exclude_item(item(jana, "F2"), actor)


def test_discarding_a_proposal_sends_nothing_and_moves_nothing(proposal, actor):
    before = all_states()

    discarded = discard_run(proposal.run, actor)

    assert (discarded.status, discarded.message) == ("failed", "discarded by test")
    assert set(Notice.objects.filter(run=proposal.run).values_list("status", flat=True)) == {"excluded"}
    assert all_states() == before
    assert Event.objects.filter(kind="notice.created").count() == 3
    with pytest.raises(RunRefused, match="is failed, not a proposal"):
        approve_run(proposal.run, actor)


def test_a_webhook_level_creates_a_pending_action_on_approval(book, company, actor):
    result = run(company, FRIDAY, actor, review=True)
    anna = notices(result)["C3"]
    assert list(anna.items.values_list("action", "action_url")) == [("webhook", "https://hooks.example.com/block")]
    assert not DunningAction.objects.exists()

    approve_run(result.run, actor)

    action = DunningAction.objects.get()
    assert (action.notice_id, action.invoice.number, action.action, action.url, action.status) == (
        anna.pk,
        "W1",
        "webhook",
        "https://hooks.example.com/block",
        "pending",
    )
    # Only the strict level has an action; the standard notices none.
    assert NoticeItem.objects.exclude(action="none").count() == 1


def test_an_excluded_webhook_item_triggers_no_action(book, company, actor):
    result = run(company, FRIDAY, actor, review=True)
    exclude_notice(notices(result)["C3"], actor)

    approve_run(result.run, actor)

    assert not DunningAction.objects.exists()
    assert Run.objects.get().status == "done"


def test_a_notice_excluded_in_review_is_proposed_again_by_the_next_run(proposal, company, actor):
    exclude_notice(notices(proposal)["C2"], actor)
    approve_run(proposal.run, actor)

    nxt = run(company, date(2026, 12, 7), actor)

    assert items(notices(nxt)["C2"]) == [("G1", 2, "level", "CZK", 80000)]


def test_approval_takes_out_what_changed_since_the_proposal(proposal, company, actor, ledger):
    # Found in review: between the proposal and its approval Petr paid G1 in full, Jana disputed F2 and
    # paid part of F1. Approving must not remind a paid or disputed invoice, nor demand what was paid.
    from arrears.customers.models import Customer
    from arrears.dunning.services import set_disputed
    from arrears.ledger.models import Invoice

    ledger(
        payments=[["P9", "C2", "2026-12-05", "CZK", "800.00", "G1"], ["P8", "C1", "2026-12-05", "CZK", "400.00", "F1"]]
    )
    jana = Customer.objects.get(external_id="C1")
    set_disputed(jana, "Goods damaged", actor, invoice=Invoice.objects.get(number="F2"))

    approve_run(proposal.run, actor)

    by_customer = notices(proposal.run)
    assert by_customer["C2"].status == "excluded"
    assert state("G1")[0] == 1  # G1 stays at level 1: nothing went out about it
    jana_notice = by_customer["C1"]
    assert jana_notice.status == "created"
    assert [(i.invoice.number, i.excluded, i.outstanding_minor) for i in jana_notice.items.order_by("id")] == [
        ("F1", False, 60000),
        ("F2", True, 200000),
    ]
    assert jana_notice.totals == [
        {
            "currency": "CZK",
            "reminded": 60000,
            "overdue": jana_notice.totals[0]["overdue"],
            "credit": 0,
            "demanded": 60000,
        }
    ]
    assert state("F2") is None or state("F2")[0] == 0
    dropped = Event.objects.get(kind="notice.items_dropped", customer=jana)
    assert "F2 (disputed meanwhile)" in dropped.summary


def test_taking_out_the_top_invoice_brings_the_channel_down_with_the_level(book, company, actor):
    # Found in review: F1 at level 3 (letter and e-mail) taken out left a level-2 notice on paper too.
    run(company, FRIDAY, actor)
    run(company, DEC4, actor)
    result = run(company, date(2026, 12, 18), actor, review=True)
    jana = notices(result)["C1"]
    assert (jana.level, jana.channel) == (3, "both")

    exclude_item(item(jana, "F1"), actor)

    jana.refresh_from_db()
    assert (jana.level, jana.channel) == (2, "email")
