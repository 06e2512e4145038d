"""Dunning policies: levels, the pre-due reminder, tolerance and sending days, and their validation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from arrears.core.currencies import is_known_currency


class Channel(StrEnum):
    EMAIL = "email"  # falls back to a letter when the customer has no usable address
    LETTER = "letter"
    BOTH = "both"


class Action(StrEnum):
    NONE = "none"
    HANDOVER = "handover"  # the invoice leaves automatic dunning for external collection
    WEBHOOK = "webhook"  # call a URL, e.g. to block the customer's service


@dataclass(frozen=True, slots=True)
class Level:
    """One step of the reminder ladder (1 = first reminder)."""

    number: int
    name: str
    days_after_due: int  # reachable once the invoice is this many days overdue
    min_days_since_previous: int = 0  # since the previous notice about the same invoice
    repeat_every_days: int | None = None  # send this level again every N days ...
    repeat_max: int = 0  # ... at most this many more times
    min_amounts: Mapping[str, int] = field(default_factory=dict)  # per currency, minor units
    channel: Channel = Channel.EMAIL
    template: str = ""
    action: Action = Action.NONE
    webhook_url: str = ""

    def min_amount(self, currency: str) -> int:
        return self.min_amounts.get(currency, 0)


@dataclass(frozen=True, slots=True)
class PreDue:
    """A friendly reminder N days before the due date, for invoices of at least a minimum amount."""

    days_before: int
    min_amounts: Mapping[str, int] = field(default_factory=dict)
    channel: Channel = Channel.EMAIL
    template: str = "pre_due"

    def min_amount(self, currency: str) -> int:
        return self.min_amounts.get(currency, 0)


@dataclass(frozen=True, slots=True)
class Policy:
    code: str
    name: str
    levels: tuple[Level, ...]
    version: int = 1
    pre_due: PreDue | None = None
    # Tolerance: an invoice whose outstanding amount is below this is never reminded.
    min_amounts: Mapping[str, int] = field(default_factory=dict)
    weekdays: frozenset[int] = frozenset(range(5))
    business_days_only: bool = True
    payment_days: int = 10  # the deadline a notice gives: notice date + this many days

    def min_amount(self, currency: str) -> int:
        return self.min_amounts.get(currency, 0)

    def level(self, number: int) -> Level:
        return self.levels[number - 1]

    @property
    def last_level(self) -> int:
        return len(self.levels)


class PolicyError(ValueError):
    """A policy that cannot work; the message names the level and the field."""


def validate(policy: Policy) -> list[str]:
    """Every problem of a policy, in words; an empty list for a policy that can run."""
    problems: list[str] = []
    where = f"policy {policy.code!r}"
    if not policy.levels:
        problems.append(f"{where}: needs at least one level")
    for index, level in enumerate(policy.levels, 1):
        at = f"{where}, level {index}"
        if level.number != index:
            problems.append(f"{at}: levels must be numbered 1, 2, 3, ... in order (found {level.number})")
        if level.days_after_due < 0:
            problems.append(f"{at}: days after due cannot be negative")
        if index > 1 and level.days_after_due < policy.levels[index - 2].days_after_due:
            problems.append(f"{at}: reached earlier ({level.days_after_due} days) than level {index - 1}")
        if level.min_days_since_previous < 0:
            problems.append(f"{at}: minimum days since the previous notice cannot be negative")
        if level.repeat_max < 0:
            problems.append(f"{at}: the number of repetitions cannot be negative")
        if level.repeat_max and not (level.repeat_every_days and level.repeat_every_days > 0):
            problems.append(f"{at}: repetitions need 'repeat every N days' with N of at least 1")
        if level.action == Action.WEBHOOK and not level.webhook_url.startswith(("https://", "http://")):
            problems.append(f"{at}: a webhook action needs an http(s) URL")
        problems.extend(_amount_problems(at, level.min_amounts))
    if policy.pre_due is not None:
        if policy.pre_due.days_before < 1:
            problems.append(f"{where}, pre-due reminder: days before the due date must be at least 1")
        problems.extend(_amount_problems(f"{where}, pre-due reminder", policy.pre_due.min_amounts))
    problems.extend(_amount_problems(where, policy.min_amounts))
    if not policy.weekdays or not policy.weekdays <= frozenset(range(7)):
        problems.append(f"{where}: sending days must be a non-empty set of 0 (Monday) to 6 (Sunday)")
    if policy.payment_days < 0:
        problems.append(f"{where}: payment days cannot be negative")
    return problems


def _amount_problems(where: str, amounts: Mapping[str, int]) -> list[str]:
    problems = []
    for currency, minor in amounts.items():
        if not is_known_currency(currency):
            problems.append(f"{where}: minimum amount in {currency!r}, which is not an ISO 4217 currency")
        if minor < 0:
            problems.append(f"{where}: minimum amount in {currency} cannot be negative")
    return problems


def checked(policy: Policy) -> Policy:
    problems = validate(policy)
    if problems:
        raise PolicyError("; ".join(problems))
    return policy
