"""Which policy applies to whom, and on which days reminders may go out.

ACME keeps three policies: "standard" (the default), "gentle" for key accounts (group vip, Tuesdays
and Thursdays only, first reminder after 14 days) and "strict" (a webhook blocks the service one
day after the due date). Each customer below owes one invoice of 1 000.00 CZK due Saturday
2026-11-14, ten days overdue on Tuesday 2026-11-24:
- Anna (C1), in no group: the default;
- Bohdan (C2), vip: gentle, by the group assignment in the policy file;
- Cyril (C3), vip, but the policy file names him: strict (a customer beats its group);
- Dana (C4), vip, but a PolicyAssignment row names her: standard;
- Emil (C5), partner: strict, by a PolicyAssignment row for the group;
- Filip (C6), vip and partner: the partner assignment has the lower priority number, so strict.
"""

from __future__ import annotations

from datetime import date

import pytest

from arrears.customers.models import CustomerGroup
from arrears.dunning.models import Level, Policy, PolicyAssignment, Run, RunDecision
from arrears.dunning.policies import file_policies, read_policy_file, stored_policies
from arrears.dunning.runs import RunRefused, start_run
from tests.dunning.conftest import (
    FRIDAY,
    GENTLE,
    HOLIDAY,
    SATURDAY,
    STANDARD,
    STRICT,
    cust,
    customer_row,
    decisions,
    items,
    notices,
    reasons,
    run,
    write_policy,
)

TUESDAY = date(2026, 11, 24)
ASSIGN = """
[assign]
groups = { vip = "gentle" }
customers = { C3 = "strict" }
"""


@pytest.fixture
def assigned(ledger, load_policy):
    names = ["Anna", "Bohdan", "Cyril", "Dana", "Emil", "Filip"]
    groups = ["", "vip", "vip", "vip", "partner", "vip; partner"]
    ledger(
        customers=[
            customer_row(f"C{i}", name, f"{name.lower()}@example.cz", group)
            for i, (name, group) in enumerate(zip(names, groups, strict=True), 1)
        ],
        invoices=[[f"I{i}", f"C{i}", "2026-10-31", "2026-11-14", "CZK", "1000.00"] for i in range(1, 7)],
    )
    changes = load_policy(STANDARD, GENTLE, STRICT, ASSIGN)
    policies = {p.code: p for p in Policy.objects.all()}
    PolicyAssignment.objects.create(company=cust("C4").company, policy=policies["standard"], customer=cust("C4"))
    PolicyAssignment.objects.create(
        company=cust("C5").company,
        policy=policies["strict"],
        group=CustomerGroup.objects.get(code="partner"),
        priority=10,
    )
    return changes


def test_customer_beats_group_beats_default(assigned, company, actor):
    result = run(company, TUESDAY, actor)

    by_invoice = dict(RunDecision.objects.filter(run=result.run).values_list("invoice__number", "policy_code"))
    assert by_invoice == {
        "I1": "standard",
        "I2": "gentle",
        "I3": "strict",
        "I4": "standard",
        "I5": "strict",
        "I6": "strict",
    }
    # Ten days overdue: the first reminder under standard (7 days) and strict (1 day), not yet under
    # gentle (14 days).
    assert decisions(result)["I2"] == ("too_soon", 0, date(2026, 11, 28), "2026-11-28")
    assert sorted(notices(result)) == ["C1", "C3", "C4", "C5", "C6"]
    anna, cyril = notices(result)["C1"], notices(result)["C3"]
    assert (anna.policy_code, anna.deadline, anna.template, anna.channel) == (
        "standard",
        date(2026, 12, 4),
        "level1",
        "email",
    )
    assert (cyril.policy_code, cyril.deadline, cyril.template, cyril.channel) == (
        "strict",
        date(2026, 11, 27),
        "blocked",
        "both",
    )
    assert list(cyril.items.values_list("action", "action_url")) == [("webhook", "https://hooks.example.com/block")]


def test_the_policy_file_assignments_are_stored(assigned, company):
    assert assigned is not None
    policies = stored_policies(company)
    assert policies.default == "standard"
    assert sorted(policies.policies) == ["gentle", "standard", "strict"]
    assert policies.customer == {cust("C3").pk: "strict", cust("C4").pk: "standard"}
    vip = CustomerGroup.objects.get(code="vip")
    partner = CustomerGroup.objects.get(code="partner")
    assert policies.group == {vip.pk: (100, "gentle"), partner.pk: (10, "strict")}


def test_a_run_with_a_policy_file_uses_it_without_storing_it(ledger, standard, company, actor, tmp_path):
    ledger(
        customers=[customer_row("C1", "Anna", "anna@example.cz")],
        invoices=[["I1", "C1", "2026-10-23", "2026-11-06", "CZK", "1000.00"]],
    )
    # A trial of a later first reminder: 20 days after the due date instead of 7.
    trial = write_policy(tmp_path, STANDARD.replace("days_after_due = 7", "days_after_due = 20"), "trial.toml")
    stored_before = list(Level.objects.order_by("number").values_list("number", "days_after_due"))
    parsed = read_policy_file(trial)

    result = start_run(company, FRIDAY, file_policies(company, parsed), actor)

    # 14 days overdue: the stored policy would remind, the trial not before 2026-11-26.
    assert decisions(result)["I1"] == ("too_soon", 0, date(2026, 11, 26), "2026-11-26")
    assert result.notices == 0
    assert result.run.policy_versions == {"source": f"file sha256:{parsed.sha256[:12]}", "standard": 1}
    assert list(Level.objects.order_by("number").values_list("number", "days_after_due")) == stored_before
    assert (Policy.objects.count(), Policy.objects.get().version) == (1, 1)

    # The next ordinary run uses the stored policy again: 17 days overdue, first reminder.
    ordinary = run(company, date(2026, 11, 23), actor)
    assert items(notices(ordinary)["C1"]) == [("I1", 1, "level", "CZK", 100000)]
    assert ordinary.run.policy_versions == {"source": "database", "standard": 1}


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (SATURDAY, "Saturday is not a sending day"),
        (date(2026, 11, 22), "Sunday is not a sending day"),
        (HOLIDAY, "2026-11-17 is a public holiday"),
    ],
)
def test_no_reminders_on_a_weekend_or_a_public_holiday(assigned, company, actor, day, why):
    result = run(company, day, actor)

    message = f"not a sending day: {why}; no reminders on {day}"
    assert (result.status, result.message, result.decisions, result.notices) == ("nothing", message, 0, 0)
    row = Run.objects.get()
    assert (row.status, row.message, row.as_of) == ("nothing", message, day)
    assert not RunDecision.objects.exists()
    assert not row.notices.exists()


def test_a_key_account_is_reminded_only_on_its_sending_days(ledger, load_policy, company, actor):
    ledger(
        customers=[
            customer_row("C1", "Anna", "anna@example.cz"),
            customer_row("C2", "Bohdan", "bohdan@example.cz", "vip"),
        ],
        invoices=[
            ["I1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"],
            ["I2", "C2", "2026-10-01", "2026-10-15", "CZK", "1000.00"],
        ],
    )
    load_policy(STANDARD, GENTLE, '[assign]\ngroups = { vip = "gentle" }')

    friday = run(company, FRIDAY, actor)
    assert friday.status == "done"
    assert sorted(notices(friday)) == ["C1"]
    assert decisions(friday)["I2"] == ("not_sending_day", 0, None, "Friday is not a sending day")

    tuesday = run(company, TUESDAY, actor)
    assert sorted(notices(tuesday)) == ["C2"]
    assert items(notices(tuesday)["C2"]) == [("I2", 1, "level", "CZK", 100000)]
    assert notices(tuesday)["C2"].deadline == date(2026, 12, 8)
    assert decisions(tuesday)["I1"] == ("too_soon", 1, date(2026, 12, 4), "2026-12-04")


def test_a_tuesday_only_policy_sends_on_tuesdays_only(ledger, load_policy, company, actor):
    ledger(
        customers=[customer_row("C1", "Anna", "anna@example.cz")],
        invoices=[["I1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"]],
    )
    load_policy(STANDARD.replace('weekdays = ["mon", "tue", "wed", "thu", "fri"]', 'weekdays = ["tue"]'))

    monday = run(company, date(2026, 11, 23), actor)
    assert (monday.status, monday.message) == (
        "nothing",
        "not a sending day: Monday is not a sending day; no reminders on 2026-11-23",
    )
    # Tuesday 2026-11-17 is a Tuesday, but a public holiday.
    assert run(company, HOLIDAY, actor).status == "nothing"
    tuesday = run(company, TUESDAY, actor)
    assert tuesday.status == "done"
    assert items(notices(tuesday)["C1"]) == [("I1", 1, "level", "CZK", 100000)]
    assert [r.status for r in Run.objects.order_by("id")] == ["nothing", "nothing", "done"]
    assert reasons(tuesday) == {"I1": "level"}


def test_without_any_policy_a_run_is_refused(ledger, company, actor):
    ledger(
        customers=[customer_row("C1", "Anna", "anna@example.cz")],
        invoices=[["I1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"]],
    )

    with pytest.raises(RunRefused, match=r"^no dunning policy: load one with 'arrears policy load FILE'"):
        run(company, FRIDAY, actor)
    assert not Run.objects.exists()


def test_a_customer_no_policy_applies_to_is_not_reminded_and_the_report_says_so(ledger, load_policy, company, actor):
    # Only key accounts are reminded: a gentle policy for the vip group, no default.
    ledger(
        customers=[
            customer_row("C1", "Anna", "anna@example.cz"),
            customer_row("C2", "Bohdan", "bohdan@example.cz", "vip"),
        ],
        invoices=[
            ["I1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"],
            ["I2", "C2", "2026-10-01", "2026-10-15", "CZK", "1000.00"],
        ],
    )
    load_policy(GENTLE, '[assign]\ngroups = { vip = "gentle" }')

    result = run(company, TUESDAY, actor)

    assert decisions(result) == {
        "I1": ("excluded_customer", 0, None, "no policy"),
        "I2": ("level", 1, date(2026, 12, 24), ""),
    }
    assert sorted(notices(result)) == ["C2"]
    assert RunDecision.objects.get(invoice__number="I1").policy_code == ""


@pytest.mark.parametrize(
    "text",
    [
        '[[policy]]\ncode = "x"\npre_due = 3\n[[policy.level]]\ndays_after_due = 7\n',
        '[[policy]]\ncode = "x"\nweekdays = 5\n[[policy.level]]\ndays_after_due = 7\n',
        '[[policy]]\ncode = "x"\nlevel = [1]\n',
        '[[policy]]\ncode = "x"\n[[policy.level]]\ndays_after_due = 7\n[assign]\ngroups = "vip"\n',
    ],
    ids=["pre_due-number", "weekdays-number", "level-list", "assign-string"],
)
def test_a_malformed_policy_file_is_an_error_not_a_crash(tmp_path, text):
    # Found in review: each of these ended in a traceback.
    from arrears.dunning.policies import PolicyFileError, read_policy_file

    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PolicyFileError, match=r"bad\.toml"):
        read_policy_file(path)
