"""Polish after the screenshot review: words instead of stored codes (run statuses, actors, the
customer's language, a notice's level and event kinds) and the layout details that go with them."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth.models import User
from django.utils import translation

from arrears.customers.models import Customer
from arrears.dunning.models import Notice, Run
from arrears.dunning.runs import approve_run
from arrears.history.services import Actor, EventDraft, record
from arrears.web.templatetags.arrears_ui import actor, language_name
from arrears.web.views.runs import STATUS_LABELS

ACTOR = Actor("test")


def _customer(world, external_id: str) -> Customer:
    return Customer.objects.get(company=world.company, external_id=external_id)


# --- Runs ---------------------------------------------------------------------------------------------


def test_run_statuses_show_translated_labels_not_stored_values(world, client_for):
    client = client_for("viewer")
    html = client.get("/runs/").content.decode()
    assert 'badge-proposal">waiting for review<' in html
    assert 'badge-proposal">proposal<' not in html

    czech = client.get("/runs/", HTTP_ACCEPT_LANGUAGE="cs").content.decode()
    with translation.override("cs"):
        expected = str(STATUS_LABELS[Run.Status.PROPOSAL])
    assert f'badge-proposal">{expected}<' in czech
    assert 'badge-proposal">proposal<' not in czech


def test_runs_show_who_started_them_in_words(world, client_for):
    Run.objects.filter(pk=world.run.pk).update(actor_label="cli:alice")
    html = client_for("viewer").get("/runs/").content.decode()
    assert "command line (alice)" in html
    assert 'title="cli:alice"' in html


def test_the_review_checkbox_is_a_normal_label(world, client_for):
    html = client_for("clerk").get("/runs/").content.decode()
    assert '<label class="check">' in html


# --- The actor filter ---------------------------------------------------------------------------------


def test_actor_filter_words_for_automatic_actors():
    with translation.override("en"):
        worker = actor("worker:vm:27841:3f2a")
        assert ">delivery worker<" in worker
        assert 'title="worker:vm:27841:3f2a"' in worker
        assert ">command line (root)<" in actor("cli:root")
        assert ">command line<" in actor("cli:")
        assert ">system<" in actor("system")
        assert ">system<" in actor("")
        assert ">system<" in actor(None)
        assert ">data import<" in actor("import")
        assert ">demo data<" in actor("demo")
        assert ">API (bob)<" in actor("api:bob")
        # A label that names no process (a user name) is shown as it is, without a title.
        assert actor("alice") == "<span>alice</span>"
        # Labels are escaped.
        assert "<b>" not in actor("cli:<b>x</b>")


def test_actor_filter_names_users_by_their_full_name(db):
    named = User.objects.create_user("jnovak", first_name="Jana", last_name="Nováková")
    plain = User.objects.create_user("pavel")
    assert actor(SimpleNamespace(actor=named, actor_label="jnovak")) == '<span title="jnovak">Jana Nováková</span>'
    assert ">pavel<" in actor(SimpleNamespace(actor=plain, actor_label="pavel"))
    with translation.override("en"):
        assert ">delivery worker<" in actor(SimpleNamespace(actor=None, actor_label="worker:vm:1:x"))


def _worker_event(world, customer: Customer) -> None:
    record(
        EventDraft(
            company_id=world.company.pk,
            kind="document.archived",
            summary="e-mail (MIME) of notice archived",
            customer_id=customer.pk,
        ),
        Actor("worker:vm:27841:abc"),
    )


def test_customer_history_shows_actors_and_event_kinds_in_words(world, client_for):
    c = _customer(world, "C0002")
    _worker_event(world, c)
    html = client_for("viewer").get(f"/customers/{c.external_id}/").content.decode()
    assert 'title="worker:vm:27841:abc">delivery worker<' in html
    assert ">worker:vm:27841:abc<" not in html
    assert 'title="document.archived">archived<' in html


def test_collection_actions_show_actors_in_words(world, client_for):
    c = _customer(world, "C0002")
    record(
        EventDraft(company_id=world.company.pk, kind="dunning.paused", summary="paused", customer_id=c.pk),
        Actor("worker:vm:27841:abc"),
    )
    html = client_for("viewer").get("/actions/").content.decode()
    assert 'title="worker:vm:27841:abc">delivery worker<' in html
    assert '<td class="by">' in html


# --- The customer's language --------------------------------------------------------------------------


def test_language_name_in_the_readers_language():
    with translation.override("en"):
        assert language_name("cs") == "Czech"
        assert language_name("de") == "German"
        assert language_name("") == ""
        assert language_name("not a language") == "not a language"
    with translation.override("cs"):
        assert language_name("cs") == "čeština"


def test_the_card_shows_the_language_by_name_with_the_code(world, client_for):
    c = _customer(world, "C0002")
    Customer.objects.filter(pk=c.pk).update(language="cs")
    client = client_for("viewer")
    html = client.get(f"/customers/{c.external_id}/").content.decode()
    assert '<dd>Czech <span class="muted">cs</span></dd>' in html
    czech = client.get(f"/customers/{c.external_id}/", HTTP_ACCEPT_LANGUAGE="cs").content.decode()
    assert '<dd>Čeština <span class="muted">cs</span></dd>' in czech


# --- A notice ------------------------------------------------------------------------------------------


def test_a_notice_shows_its_levels_name_not_the_template_code(world, client_for):
    approve_run(world.run, ACTOR)
    notice = Notice.objects.filter(run=world.run, status="created", level=1).exclude(template="").first()
    assert notice is not None
    html = client_for("viewer").get(f"/notices/{notice.pk}/").content.decode()
    assert f'<dd title="{notice.template}">First reminder</dd>' in html
    assert f"({notice.template})" not in html
    # The plain text of the e-mail in a monospace block that wraps long lines.
    assert '<pre class="mail-text">' in html


def test_the_reminder_book_lets_long_addresses_wrap(world, client_for):
    approve_run(world.run, ACTOR)
    html = client_for("viewer").get("/notices/").content.decode()
    assert '<span class="muted addr">' in html


def test_policy_levels_name_their_template_as_such(world, client_for):
    html = client_for("viewer").get("/settings/policies/").content.decode()
    assert '<span class="muted">template</span> <code>level1</code>' in html


def test_a_sentence_about_an_invoice_keeps_its_number_as_written():
    from types import SimpleNamespace

    from django.utils import translation

    from arrears.web.views.customers import _what

    with translation.override("en"):
        assert _what({"invoice": SimpleNamespace(number="INV-7a")}, sentence_start=True) == "Invoice INV-7a"
        assert _what({"invoice": None}, sentence_start=True) == "The customer"
        assert _what({"invoice": None}) == "the customer"
