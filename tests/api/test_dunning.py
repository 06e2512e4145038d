"""Notices, runs, the dry run, approval and the outbox through the API."""

from __future__ import annotations

import pytest

from arrears.delivery.models import DeliveryAttempt, OutboxMessage
from arrears.dunning.models import InvoiceDunning, Notice, NoticeItem, Policy, PolicyAssignment, Run, RunDecision
from arrears.dunning.policies import stored_policies
from arrears.dunning.runs import approve_run, start_run
from arrears.history.models import Event
from arrears.history.services import Actor
from tests.web.conftest import AS_OF


def _counts() -> tuple[int, ...]:
    models = (Run, RunDecision, Notice, NoticeItem, InvoiceDunning, OutboxMessage, Event)
    return tuple(m.objects.count() for m in models)


@pytest.fixture
def sent(world):
    """The demo world with its run approved: notices created, messages queued."""
    approve_run(world.run, Actor("test"))
    return world


def test_notices_are_listed_newest_first_with_items_totals_and_messages(api, acme, world):
    body = api.get("viewer", f"{acme}/notices", limit=500).json()
    assert body["count"] == Notice.objects.count() == world.run.counts["notices"]
    notice = body["items"][0]
    assert notice["status"] == "proposed"
    assert notice["run_id"] == world.run.pk
    assert notice["items"]
    assert notice["totals"][0].keys() == {"currency", "reminded", "overdue", "credit", "demanded"}
    stored = Notice.objects.get(pk=notice["id"])
    assert len(notice["items"]) == stored.items.count()
    assert notice["messages"] == []
    one = api.get("viewer", f"{acme}/notices/{notice['id']}").json()
    assert one == notice


def test_notices_are_filtered(api, acme, sent):
    def ids(**query):
        return {n["id"] for n in api.get("viewer", f"{acme}/notices", limit=500, **query).json()["items"]}

    everything = ids()
    assert ids(status="created") == everything
    assert ids(status="proposed") == set()
    customer = Notice.objects.order_by("id").first().customer.external_id
    assert ids(customer=customer) == set(
        Notice.objects.filter(customer__external_id=customer).values_list("pk", flat=True)
    )
    levels = set(Notice.objects.values_list("level", flat=True))
    for level in levels:
        assert ids(level=level) == set(Notice.objects.filter(level=level).values_list("pk", flat=True))
    assert ids(date_from=AS_OF.isoformat(), date_to=AS_OF.isoformat()) == everything
    assert ids(date_from="2026-11-21") == set()
    assert ids(date_to="2026-11-19") == set()
    assert ids(run=sent.run.pk) == everything
    assert api.get("viewer", f"{acme}/notices", date_from="20.11.2026").status_code == 422
    assert api.get("viewer", f"{acme}/notices", date_from="0").status_code == 422
    assert api.get("viewer", f"{acme}/notices/999999").status_code == 404


def test_messages_are_listed_with_status_attempts_and_last_error(api, acme, sent):
    body = api.get("viewer", f"{acme}/messages", limit=500).json()
    assert body["count"] == OutboxMessage.objects.count() > 0
    message = OutboxMessage.objects.order_by("-created_at", "-id").first()
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", attempts=3, last_error="550 5.1.1 no such user")
    DeliveryAttempt.objects.create(
        message=message,
        number=3,
        worker="w1",
        started_at=message.created_at,
        finished_at=message.created_at,
        outcome="failed",
        smtp_code=550,
        reply="5.1.1 no such user",
    )
    failed = api.get("viewer", f"{acme}/messages", status="failed").json()
    assert [m["id"] for m in failed["items"]] == [message.pk]
    row = failed["items"][0]
    assert (row["attempts"], row["last_error"], row["notice_id"]) == (3, "550 5.1.1 no such user", message.notice_id)
    assert row["customer_id"] == message.notice.customer.external_id
    detail = api.get("viewer", f"{acme}/messages/{message.pk}").json()
    assert detail["attempt_log"] == [
        {
            "number": 3,
            "started_at": detail["attempt_log"][0]["started_at"],
            "finished_at": detail["attempt_log"][0]["finished_at"],
            "outcome": "failed",
            "smtp_code": 550,
            "reply": "5.1.1 no such user",
        }
    ]
    by_notice = api.get("viewer", f"{acme}/messages", notice=message.notice_id).json()
    assert {m["notice_id"] for m in by_notice["items"]} == {message.notice_id}
    customer = message.notice.customer.external_id
    by_customer = api.get("viewer", f"{acme}/messages", customer=customer).json()
    assert {m["customer_id"] for m in by_customer["items"]} == {customer}
    letters = api.get("viewer", f"{acme}/messages", channel="letter", limit=500).json()
    assert letters["count"] == OutboxMessage.objects.filter(channel="letter").count()
    assert api.get("viewer", f"{acme}/messages/999999").status_code == 404
    notice = api.get("viewer", f"{acme}/notices/{message.notice_id}").json()
    assert {"id": message.pk, "channel": message.channel, "recipient": message.recipient, "status": "failed"} in notice[
        "messages"
    ]


def test_runs_are_listed_and_read(api, acme, world):
    runs = api.get("viewer", f"{acme}/runs").json()
    assert [r["id"] for r in runs["items"]] == [world.run.pk]
    run = runs["items"][0]
    assert (run["status"], run["as_of"], run["counts"]) == ("proposal", "2026-11-20", world.run.counts)
    assert api.get("viewer", f"{acme}/runs/{world.run.pk}").json() == run
    assert api.get("viewer", f"{acme}/runs", status="done").json()["count"] == 0
    assert api.get("viewer", f"{acme}/runs/999999").status_code == 404


def test_a_dry_run_says_what_a_run_would_do_and_writes_nothing(api, acme, world):
    before = _counts()
    response = api.post("clerk", f"{acme}/runs/dry-run", {"as_of": AS_OF.isoformat()})
    assert response.status_code == 200
    report = response.json()
    assert _counts() == before
    assert report["run"]["dry_run"] is True
    assert report["run"]["status"] == "dry_run"
    assert report["summary"]["notices"] == world.run.counts["notices"] == len(report["notices"])
    assert report["summary"]["looked_at"] == world.run.counts["decisions"]
    assert sum(report["summary"]["by_reason"].values()) == report["summary"]["looked_at"]
    notice = report["notices"][0]
    assert notice["items"]
    assert notice["totals"]
    assert {"invoice", "reason", "level", "days_overdue"} <= notice["items"][0].keys()
    assert all(row["reason"] and row["words"] for row in report["not_reminded"])
    assert report["truncated"] is False


def test_a_dry_run_for_some_customers_decides_as_the_engine_does(api, acme, world):
    report = api.post("clerk", f"{acme}/runs/dry-run", {"as_of": AS_OF.isoformat(), "customers": ["C0001"]}).json()
    assert {n["customer"] for n in report["notices"]} <= {"C0001"}
    assert {r["customer"] for r in report["not_reminded"]} <= {"C0001"}
    result = start_run(
        world.company, AS_OF, stored_policies(world.company), Actor("t"), customers=["C0001"], dry_run=True
    )
    assert report["summary"]["looked_at"] == result.decisions
    assert report["summary"]["notices"] == result.notices


def test_a_dry_run_refuses_unknown_customers_and_a_company_without_policy(api, acme, world):
    response = api.post("clerk", f"{acme}/runs/dry-run", {"customers": ["C0001", "C0001", "NOPE"]})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"location": "body", "index": 2, "field": "customers", "message": "there is no customer 'NOPE'"}
    ]
    PolicyAssignment.objects.all().delete()
    Policy.objects.all().delete()
    refused = api.post("clerk", f"{acme}/runs/dry-run", {"as_of": AS_OF.isoformat()})
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("no dunning policy")


def test_a_dry_run_on_a_day_without_sending_says_so(api, acme, world):
    report = api.post("clerk", f"{acme}/runs/dry-run", {"as_of": "2026-11-22"}).json()  # a Sunday
    assert report["run"]["status"] == "nothing"
    assert "not a sending day" in report["run"]["message"]


def test_a_dry_run_takes_any_day_from_1900_to_2999(api, acme, world):
    for day in ("1900-01-01", "2999-12-31", "2999-12-30"):
        assert api.post("clerk", f"{acme}/runs/dry-run", {"as_of": day}).status_code == 200
    assert api.post("clerk", f"{acme}/runs/dry-run", {"as_of": "3000-01-01"}).status_code == 422


def test_a_clerk_approves_a_proposal_once(api, acme, world):
    response = api.post("clerk", f"{acme}/runs/{world.run.pk}/approve")
    assert response.status_code == 200
    assert response.json()["status"] == "done"
    assert response.json()["approved_by"] == "api:clerk"
    assert not Notice.objects.filter(status="proposed").exists()
    assert OutboxMessage.objects.exists()
    again = api.post("clerk", f"{acme}/runs/{world.run.pk}/approve")
    assert again.status_code == 409
    assert "not a proposal waiting for review" in again.json()["detail"]


def test_a_clerk_discards_a_proposal(api, acme, world):
    response = api.post("clerk", f"{acme}/runs/{world.run.pk}/discard")
    assert response.status_code == 200
    assert response.json()["status"] == "failed"
    assert response.json()["message"] == "discarded by api:clerk"
    assert not Notice.objects.filter(status="proposed").exists()
    assert not OutboxMessage.objects.exists()
    assert api.post("clerk", f"{acme}/runs/{world.run.pk}/discard").status_code == 409
