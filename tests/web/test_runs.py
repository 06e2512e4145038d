"""The runs screens: list, start, a proposal with the reason for every decision, review, report."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from arrears.companies.services import create_company
from arrears.dunning.models import InvoiceDunning, Notice, NoticeItem, Run, RunDecision
from arrears.dunning.report import CSV_COLUMNS
from arrears.dunning.runs import approve_run, discard_run
from arrears.history.models import Event
from arrears.history.services import Actor

ACTOR = Actor("test")


def _other_company_run():
    other = create_company(
        code="beta", name="Beta a.s.", country="CZ", default_currency="EUR", default_language="en",
        time_zone="Europe/Prague",
    )  # fmt: skip
    return Run.objects.create(company=other, as_of=date(2026, 11, 20), status="proposal")


# --- List and start ------------------------------------------------------------------------------------


def test_the_list_shows_each_run_with_its_status_and_counts(client_for, world):
    html = client_for("viewer").get("/runs/").content.decode()
    assert f'href="/runs/{world.run.pk}/"' in html
    assert "badge-proposal" in html
    assert str(world.run.counts["notices"]) in html
    assert "Start a run" not in html  # a viewer may not start one
    assert "Start a run" in client_for("clerk").get("/runs/").content.decode()


def test_the_list_filters_by_status(client_for, world):
    discard_run(world.run, ACTOR)
    assert f'href="/runs/{world.run.pk}/"' not in client_for("viewer").get("/runs/?status=proposal").content.decode()
    assert f'href="/runs/{world.run.pk}/"' in client_for("viewer").get("/runs/?status=failed").content.decode()


def test_a_clerk_starts_a_run_that_stops_for_review(client_for, world):
    discard_run(world.run, ACTOR)
    response = client_for("clerk").post("/runs/start/", {"as_of": "2026-11-20", "review": "on"})
    run = Run.objects.exclude(pk=world.run.pk).get()
    assert response.status_code == 302
    assert response["Location"] == f"/runs/{run.pk}/"
    assert run.status == "proposal"
    assert run.actor_label.endswith("clerk")


def test_a_run_without_review_creates_its_notices_at_once(client_for, world):
    discard_run(world.run, ACTOR)
    client_for("clerk").post("/runs/start/", {"as_of": "2026-11-20"})
    run = Run.objects.exclude(pk=world.run.pk).get()
    assert run.status == "done"
    assert Notice.objects.filter(run=run, status="created").exists()


def test_a_refused_run_is_a_message_not_an_error_page(client_for, world):
    response = client_for("clerk").post("/runs/start/", {"as_of": "2026-11-21", "review": "on"}, follow=True)
    assert response.status_code == 200
    assert b"waits for review" in response.content
    assert Run.objects.count() == 1
    response = client_for("clerk").post("/runs/start/", {"as_of": "junk"}, follow=True)
    assert b"YYYY-MM-DD" in response.content


def test_a_viewer_may_not_start_a_run(client_for, world):
    discard_run(world.run, ACTOR)
    assert client_for("viewer").post("/runs/start/", {"as_of": "2026-11-20"}).status_code == 403
    assert Run.objects.count() == 1


def test_starting_a_run_needs_a_post(client_for, world):
    assert client_for("clerk").get("/runs/start/").status_code == 405


# --- The proposal -----------------------------------------------------------------------------------------


def test_the_proposal_shows_every_notice_with_its_items(client_for, world):
    notices = list(Notice.objects.filter(run=world.run).select_related("customer")[:25])
    html = client_for("viewer").get(f"/runs/{world.run.pk}/").content.decode()
    for n in notices:
        assert f'id="notice-{n.pk}"' in html
        assert n.customer.external_id in html
        for item in n.items.select_related("invoice"):
            assert item.invoice.number in html
    assert "Exclude notice" not in html  # a viewer gets no review buttons
    assert "Exclude notice" in client_for("clerk").get(f"/runs/{world.run.pk}/").content.decode()


def test_every_decision_is_listed_with_its_reason_in_words(client_for, world):
    not_due = RunDecision.objects.filter(run=world.run, reason="not_yet_due").select_related("invoice").first()
    assert not_due is not None
    html = client_for("viewer").get(f"/runs/{world.run.pk}/?tab=decisions&reason=not_yet_due").content.decode()
    assert not_due.invoice.number in html
    assert "not yet due" in html
    assert "due for level" not in html  # the filter keeps only that reason
    total = RunDecision.objects.filter(run=world.run).count()
    assert f">{total}<" in client_for("viewer").get(f"/runs/{world.run.pk}/").content.decode()


def test_the_not_reminded_filter_leaves_out_the_sending_decisions(client_for, world):
    html = client_for("viewer").get(f"/runs/{world.run.pk}/?tab=decisions&reason=not_reminded").content.decode()
    assert "due for level" not in html.split("<tbody>", 1)[1]


def test_another_companys_run_is_not_found(client_for, world):
    run = _other_company_run()
    assert client_for("viewer").get(f"/runs/{run.pk}/").status_code == 404
    assert client_for("viewer").get(f"/runs/{run.pk}/report/").status_code == 404
    assert client_for("clerk").post(f"/runs/{run.pk}/approve/").status_code == 404
    assert Run.objects.get(pk=run.pk).status == "proposal"


@pytest.mark.parametrize("tab", ["notices", "decisions"])
def test_a_page_of_the_proposal_takes_the_same_queries_for_few_and_many_rows(
    client_for, world, tab, django_assert_max_num_queries
):
    client = client_for("clerk")
    url = f"/runs/{world.run.pk}/?tab={tab}"
    with django_assert_max_num_queries(16):
        assert client.get(url + "&customer=C0000001").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200


# --- Review actions -------------------------------------------------------------------------------------------


def _proposed_notice(world) -> Notice:
    return Notice.objects.filter(run=world.run, status="proposed").order_by("pk").first()


def test_a_clerk_excludes_a_notice(client_for, world):
    notice = _proposed_notice(world)
    response = client_for("clerk").post(f"/runs/notices/{notice.pk}/exclude/")
    assert response.status_code == 302
    assert Notice.objects.get(pk=notice.pk).status == "excluded"
    assert Event.objects.filter(kind="notice.excluded", customer=notice.customer).exists()


def test_excluding_with_htmx_returns_the_notice_card_only(client_for, world):
    notice = _proposed_notice(world)
    response = client_for("clerk").post(f"/runs/notices/{notice.pk}/exclude/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<section")
    assert f'id="notice-{notice.pk}"' in html
    assert "badge-excluded" in html
    assert "<html" not in html


def test_a_clerk_takes_one_invoice_out_of_a_notice(client_for, world):
    item = NoticeItem.objects.filter(notice__run=world.run, notice__status="proposed").order_by("pk").first()
    response = client_for("clerk").post(f"/runs/items/{item.pk}/exclude/", {"next": f"/runs/{world.run.pk}/?page=1"})
    assert response["Location"] == f"/runs/{world.run.pk}/?page=1"
    assert NoticeItem.objects.get(pk=item.pk).excluded


def test_a_clerk_holds_an_invoice_at_its_current_level(client_for, world):
    item = NoticeItem.objects.filter(notice__run=world.run, reason="level").select_related("invoice").first()
    NoticeItem.objects.filter(pk=item.pk).update(level=2)
    InvoiceDunning.objects.create(
        invoice=item.invoice, company=world.company, level=1, last_notice_on=date(2026, 10, 1)
    )
    html = (
        client_for("clerk").get(f"/runs/{world.run.pk}/?customer={item.notice.customer.external_id}").content.decode()
    )
    assert "Hold at level 1" in html
    response = client_for("clerk").post(f"/runs/items/{item.pk}/level/", {"level": "1"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.level, item.reason, item.repetition) == (1, "repeat", 1)


def test_an_impossible_level_is_a_message_and_changes_nothing(client_for, world):
    item = NoticeItem.objects.filter(notice__run=world.run, reason="level").first()
    response = client_for("clerk").post(f"/runs/items/{item.pk}/level/", {"level": "7"}, follow=True)
    assert response.status_code == 200
    assert b"is not possible here" in response.content
    assert NoticeItem.objects.get(pk=item.pk).level == item.level
    response = client_for("clerk").post(f"/runs/items/{item.pk}/level/", {"level": "x"}, HTTP_HX_REQUEST="true")
    assert b"Choose a level" in response.content


def test_a_notice_of_an_approved_run_cannot_be_excluded(client_for, world):
    approve_run(world.run, ACTOR)
    notice = Notice.objects.filter(run=world.run, status="created").first()
    response = client_for("clerk").post(f"/runs/notices/{notice.pk}/exclude/", follow=True)
    assert b"only a proposed notice can be changed" in response.content
    assert Notice.objects.get(pk=notice.pk).status == "created"


def test_a_clerk_approves_the_proposal(client_for, world):
    response = client_for("clerk").post(f"/runs/{world.run.pk}/approve/", follow=True)
    assert response.status_code == 200
    run = Run.objects.get(pk=world.run.pk)
    assert run.status == "done"
    assert run.approved_by.endswith("clerk")
    assert b"approved" in response.content
    again = client_for("clerk").post(f"/runs/{world.run.pk}/approve/", follow=True)
    assert b"not a proposal waiting for review" in again.content


def test_a_clerk_discards_the_proposal(client_for, world):
    client_for("clerk").post(f"/runs/{world.run.pk}/discard/")
    assert Run.objects.get(pk=world.run.pk).status == "failed"
    assert not Notice.objects.filter(run=world.run, status="proposed").exists()


def test_a_viewer_may_not_review(client_for, world):
    client = client_for("viewer")
    notice = _proposed_notice(world)
    item = notice.items.first()
    assert client.post(f"/runs/{world.run.pk}/approve/").status_code == 403
    assert client.post(f"/runs/{world.run.pk}/discard/").status_code == 403
    assert client.post(f"/runs/notices/{notice.pk}/exclude/").status_code == 403
    assert client.post(f"/runs/items/{item.pk}/exclude/").status_code == 403
    assert client.post(f"/runs/items/{item.pk}/level/", {"level": "1"}).status_code == 403
    assert Run.objects.get(pk=world.run.pk).status == "proposal"
    assert Notice.objects.get(pk=notice.pk).status == "proposed"
    assert not NoticeItem.objects.filter(notice__run=world.run, excluded=True).exists()


def test_review_actions_need_a_post(client_for, world):
    notice = _proposed_notice(world)
    assert client_for("clerk").get(f"/runs/{world.run.pk}/approve/").status_code == 405
    assert client_for("clerk").get(f"/runs/notices/{notice.pk}/exclude/").status_code == 405


def test_another_companys_notice_cannot_be_touched(client_for, world):
    run = _other_company_run()
    notice = _proposed_notice(world)
    Notice.objects.filter(pk=notice.pk).update(company=run.company)
    assert client_for("clerk").post(f"/runs/notices/{notice.pk}/exclude/").status_code == 404
    assert client_for("clerk").post(f"/runs/items/{notice.items.first().pk}/exclude/").status_code == 404
    assert Notice.objects.get(pk=notice.pk).status == "proposed"


# --- The report ------------------------------------------------------------------------------------------------


def test_the_report_page_summarises_the_run(client_for, world):
    approve_run(world.run, ACTOR)
    html = client_for("viewer").get(f"/runs/{world.run.pk}/report/").content.decode()
    assert "Decisions by reason" in html
    assert f"/runs/{world.run.pk}/report.csv" in html
    created = Notice.objects.filter(run=world.run, status="created").count()
    assert f"<dd>{created}</dd>" in html


def test_the_json_report_has_every_decision(client_for, world):
    excluded = _proposed_notice(world)
    client_for("clerk").post(f"/runs/notices/{excluded.pk}/exclude/")
    response = client_for("viewer").get(f"/runs/{world.run.pk}/report.json")
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    report = json.loads(response.content)
    assert report["report_version"] == 1
    assert report["run"]["id"] == world.run.pk
    decisions = RunDecision.objects.filter(run=world.run).count()
    assert report["summary"]["looked_at"] == decisions
    assert sum(report["summary"]["by_reason"].values()) == decisions
    in_notices = sum(len(n["items"]) for n in report["notices"])
    assert in_notices + len(report["not_reminded"]) == decisions
    assert len(report["notices"]) == Notice.objects.filter(run=world.run, status="proposed").count()
    assert excluded.customer.external_id not in {n["customer"] for n in report["notices"]}
    assert all(row["words"] for row in report["not_reminded"])


def test_the_csv_report_has_a_row_per_decision(client_for, world):
    response = client_for("viewer").get(f"/runs/{world.run.pk}/report.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == CSV_COLUMNS
    assert len(rows) == RunDecision.objects.filter(run=world.run).count()
    assert {r["in_notice"] for r in rows} == {"yes", "no"}


def test_an_unknown_report_format_is_not_found(client_for, world):
    assert client_for("viewer").get(f"/runs/{world.run.pk}/report.xml").status_code == 404


def test_a_run_on_a_day_without_sending_says_so(client_for, world):
    discard_run(world.run, ACTOR)
    response = client_for("clerk").post("/runs/start/", {"as_of": "2026-11-22", "review": "on"}, follow=True)  # Sunday
    assert b"not a sending day" in response.content
    assert Run.objects.exclude(pk=world.run.pk).get().status == "nothing"


@pytest.mark.parametrize("more", [2, 60])
def test_the_run_list_takes_the_same_queries_for_few_and_many_runs(
    client_for, world, more, django_assert_max_num_queries
):
    Run.objects.bulk_create(
        Run(company=world.company, as_of=date(2026, 1, 1), status="done", counts={"notices": i}) for i in range(more)
    )
    client = client_for("clerk")
    with django_assert_max_num_queries(12):
        assert client.get("/runs/").status_code == 200


def test_the_pages_render_in_another_language(client_for, world):
    client = client_for("viewer")
    client.cookies["django_language"] = "cs"
    for url in ("/", "/runs/", f"/runs/{world.run.pk}/", f"/runs/{world.run.pk}/report/", "/notices/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="cs"' in response.content.decode(), url


def test_an_action_never_sends_the_user_to_another_site(client_for, world):
    notice = _proposed_notice(world)
    response = client_for("clerk").post(f"/runs/notices/{notice.pk}/exclude/", {"next": "/\\evil.example/"})
    assert response["Location"] == f"/runs/{world.run.pk}/"
