"""Dunning policies and their validation (see arrears.core.policy)."""

import pytest

from arrears.core.policy import Action, Channel, Level, Policy, PolicyError, PreDue, checked, validate


def standard_policy(**changes):
    """Three levels at 7, 21 and 35 days; the third blocks the customer's service by webhook."""
    fields = {
        "code": "std",
        "name": "Standard",
        "levels": (
            Level(1, "Friendly reminder", 7),
            Level(2, "Second reminder", 21, min_days_since_previous=10, min_amounts={"EUR": 5000}),
            Level(
                3,
                "Final notice",
                35,
                min_days_since_previous=10,
                repeat_every_days=7,
                repeat_max=2,
                channel=Channel.BOTH,
                action=Action.WEBHOOK,
                webhook_url="https://billing.example.com/block",
            ),
        ),
        "pre_due": PreDue(3, {"CZK": 100000}),
        "min_amounts": {"EUR": 500, "CZK": 10000},
    }
    fields.update(changes)
    return Policy(**fields)


def test_a_valid_policy_has_no_problems():
    policy = standard_policy()
    assert validate(policy) == []
    assert checked(policy) is policy


def test_policy_helpers():
    policy = standard_policy()
    assert policy.last_level == 3
    assert policy.level(1).name == "Friendly reminder"
    assert policy.level(3).name == "Final notice"
    assert policy.min_amount("EUR") == 500
    assert policy.min_amount("USD") == 0
    assert policy.level(2).min_amount("EUR") == 5000
    assert policy.level(2).min_amount("CZK") == 0
    assert policy.pre_due.min_amount("CZK") == 100000
    assert policy.pre_due.min_amount("EUR") == 0
    assert policy.payment_days == 10
    assert policy.weekdays == frozenset(range(5))
    assert policy.business_days_only is True


def test_defaults_of_a_level_and_a_pre_due_reminder():
    level = Level(1, "Reminder", 14)
    assert (level.min_days_since_previous, level.repeat_every_days, level.repeat_max) == (0, None, 0)
    assert (level.channel, level.action, level.webhook_url, level.template) == (Channel.EMAIL, Action.NONE, "", "")
    assert PreDue(3).template == "pre_due"
    assert PreDue(3).channel == Channel.EMAIL


def test_no_levels():
    assert validate(standard_policy(levels=())) == ["policy 'std': needs at least one level"]


def test_levels_numbered_out_of_order():
    levels = (Level(1, "a", 7), Level(3, "b", 14), Level(2, "c", 21))
    assert validate(standard_policy(levels=levels)) == [
        "policy 'std', level 2: levels must be numbered 1, 2, 3, ... in order (found 3)",
        "policy 'std', level 3: levels must be numbered 1, 2, 3, ... in order (found 2)",
    ]


def test_levels_not_starting_at_one():
    assert validate(standard_policy(levels=(Level(0, "zero", 7),))) == [
        "policy 'std', level 1: levels must be numbered 1, 2, 3, ... in order (found 0)"
    ]


def test_a_level_reached_earlier_than_the_one_before():
    levels = (Level(1, "a", 14), Level(2, "b", 7))
    assert validate(standard_policy(levels=levels)) == ["policy 'std', level 2: reached earlier (7 days) than level 1"]


def test_two_levels_on_the_same_day_are_allowed():
    levels = (Level(1, "a", 14), Level(2, "b", 14, min_days_since_previous=7))
    assert validate(standard_policy(levels=levels)) == []


def test_negative_days_after_due():
    assert validate(standard_policy(levels=(Level(1, "a", -1),))) == [
        "policy 'std', level 1: days after due cannot be negative"
    ]


def test_negative_days_since_previous():
    assert validate(standard_policy(levels=(Level(1, "a", 7, min_days_since_previous=-3),))) == [
        "policy 'std', level 1: minimum days since the previous notice cannot be negative"
    ]


def test_negative_repetitions():
    assert validate(standard_policy(levels=(Level(1, "a", 7, repeat_every_days=7, repeat_max=-1),))) == [
        "policy 'std', level 1: the number of repetitions cannot be negative"
    ]


@pytest.mark.parametrize("every", [None, 0, -7])
def test_repetitions_without_an_interval(every):
    assert validate(standard_policy(levels=(Level(1, "a", 7, repeat_every_days=every, repeat_max=3),))) == [
        "policy 'std', level 1: repetitions need 'repeat every N days' with N of at least 1"
    ]


def test_an_interval_without_repetitions_is_harmless():
    assert validate(standard_policy(levels=(Level(1, "a", 7, repeat_every_days=7, repeat_max=0),))) == []


@pytest.mark.parametrize("url", ["", "ftp://example.com/block", "billing.example.com/block", "HTTPS://x"])
def test_webhook_without_an_http_url(url):
    level = Level(1, "a", 7, action=Action.WEBHOOK, webhook_url=url)
    assert validate(standard_policy(levels=(level,))) == [
        "policy 'std', level 1: a webhook action needs an http(s) URL"
    ]


@pytest.mark.parametrize("url", ["https://example.com/hook", "http://intranet/hook"])
def test_webhook_with_an_http_url(url):
    level = Level(1, "a", 7, action=Action.WEBHOOK, webhook_url=url)
    assert validate(standard_policy(levels=(level,))) == []


def test_a_handover_needs_no_url():
    assert validate(standard_policy(levels=(Level(1, "a", 7, action=Action.HANDOVER),))) == []


@pytest.mark.parametrize("currency", ["XYZ", "eur", "EURO", ""])
def test_unknown_currency_in_the_policy_minimum(currency):
    assert validate(standard_policy(min_amounts={currency: 100})) == [
        f"policy 'std': minimum amount in {currency!r}, which is not an ISO 4217 currency"
    ]


def test_unknown_currency_in_a_level_minimum():
    levels = (Level(1, "a", 7, min_amounts={"EUR": 100, "KCS": 100}),)
    assert validate(standard_policy(levels=levels)) == [
        "policy 'std', level 1: minimum amount in 'KCS', which is not an ISO 4217 currency"
    ]


def test_unknown_currency_in_the_pre_due_minimum():
    assert validate(standard_policy(pre_due=PreDue(3, {"czk": 100}))) == [
        "policy 'std', pre-due reminder: minimum amount in 'czk', which is not an ISO 4217 currency"
    ]


def test_negative_minimum_amounts_everywhere():
    policy = standard_policy(
        levels=(Level(1, "a", 7, min_amounts={"EUR": -1}),),
        pre_due=PreDue(3, {"CZK": -100}),
        min_amounts={"JPY": -5},
    )
    assert validate(policy) == [
        "policy 'std', level 1: minimum amount in EUR cannot be negative",
        "policy 'std', pre-due reminder: minimum amount in CZK cannot be negative",
        "policy 'std': minimum amount in JPY cannot be negative",
    ]


def test_unknown_and_negative_currency_reports_both():
    assert validate(standard_policy(min_amounts={"XXX": -1})) == [
        "policy 'std': minimum amount in 'XXX', which is not an ISO 4217 currency",
        "policy 'std': minimum amount in XXX cannot be negative",
    ]


@pytest.mark.parametrize("days_before", [0, -1])
def test_pre_due_days_below_one(days_before):
    assert validate(standard_policy(pre_due=PreDue(days_before))) == [
        "policy 'std', pre-due reminder: days before the due date must be at least 1"
    ]


def test_pre_due_one_day_before_is_fine():
    assert validate(standard_policy(pre_due=PreDue(1))) == []


@pytest.mark.parametrize("weekdays", [frozenset(), frozenset({7}), frozenset({-1, 0})])
def test_empty_or_invalid_sending_days(weekdays):
    assert validate(standard_policy(weekdays=weekdays)) == [
        "policy 'std': sending days must be a non-empty set of 0 (Monday) to 6 (Sunday)"
    ]


def test_negative_payment_days():
    assert validate(standard_policy(payment_days=-1)) == ["policy 'std': payment days cannot be negative"]


def test_zero_payment_days_is_allowed():
    assert validate(standard_policy(payment_days=0)) == []


def test_every_problem_is_reported_in_order():
    policy = standard_policy(
        code="broken",
        levels=(Level(2, "a", 14, repeat_max=1), Level(2, "b", 7, action=Action.WEBHOOK)),
        pre_due=PreDue(0),
        weekdays=frozenset(),
    )
    assert validate(policy) == [
        "policy 'broken', level 1: levels must be numbered 1, 2, 3, ... in order (found 2)",
        "policy 'broken', level 1: repetitions need 'repeat every N days' with N of at least 1",
        "policy 'broken', level 2: reached earlier (7 days) than level 1",
        "policy 'broken', level 2: a webhook action needs an http(s) URL",
        "policy 'broken', pre-due reminder: days before the due date must be at least 1",
        "policy 'broken': sending days must be a non-empty set of 0 (Monday) to 6 (Sunday)",
    ]


def test_checked_raises_policy_error_with_all_problems():
    policy = standard_policy(levels=(Level(1, "a", -1),), payment_days=-2)
    with pytest.raises(PolicyError) as raised:
        checked(policy)
    assert str(raised.value) == (
        "policy 'std', level 1: days after due cannot be negative; policy 'std': payment days cannot be negative"
    )
    assert isinstance(raised.value, ValueError)
