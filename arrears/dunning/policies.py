"""Policies in and out: stored rows to core policies, and the policy file (TOML) that a company
can keep in version control.

A policy file looks like this (amounts are decimal strings per currency, never floats):

    [[policy]]
    code = "standard"
    name = "Standard reminders"
    default = true
    weekdays = ["mon", "tue", "wed", "thu", "fri"]
    business_days_only = true
    payment_days = 10
    min_amount = { EUR = "5.00", CZK = "100.00" }
    pre_due = { days_before = 3, min_amount = { EUR = "50.00" } }

    [[policy.level]]
    name = "First reminder"
    days_after_due = 7
    template = "level1"

    [[policy.level]]
    name = "Final notice"
    days_after_due = 45
    min_days_since_previous = 14
    repeat_every_days = 14
    repeat_max = 1
    channel = "both"
    action = "handover"

    [assign]
    groups = { vip = "gentle" }
    customers = { C0000042 = "gentle" }
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from arrears.companies.models import Company
from arrears.core import policy as core
from arrears.core.calendar import WEEKDAY_NAMES
from arrears.core.money import AmountError, parse_minor
from arrears.customers.models import Customer, CustomerGroup
from arrears.dunning.models import Level, Policy, PolicyAssignment

_DAY = {name[:3]: i for i, name in enumerate(WEEKDAY_NAMES)}
_LEVEL_KEYS = {
    "name",
    "days_after_due",
    "min_days_since_previous",
    "repeat_every_days",
    "repeat_max",
    "min_amount",
    "channel",
    "template",
    "action",
    "webhook_url",
}
_POLICY_KEYS = {
    "code",
    "name",
    "default",
    "weekdays",
    "business_days_only",
    "payment_days",
    "min_amount",
    "pre_due",
    "level",
}


class PolicyFileError(ValueError):
    pass


def to_core(policy: Policy) -> core.Policy:
    levels = tuple(
        core.Level(
            number=lv.number,
            name=lv.name,
            days_after_due=lv.days_after_due,
            min_days_since_previous=lv.min_days_since_previous,
            repeat_every_days=lv.repeat_every_days,
            repeat_max=lv.repeat_max,
            min_amounts=dict(lv.min_amounts),
            channel=core.Channel(lv.channel),
            template=lv.template,
            action=core.Action(lv.action),
            webhook_url=lv.webhook_url,
        )
        for lv in sorted(policy.levels.all(), key=lambda lv: lv.number)
    )
    pre_due = None
    if policy.pre_due_days:
        pre_due = core.PreDue(
            policy.pre_due_days,
            dict(policy.pre_due_min_amounts),
            core.Channel(policy.pre_due_channel),
            policy.pre_due_template,
        )
    return core.Policy(
        code=policy.code,
        name=policy.name,
        levels=levels,
        version=policy.version,
        pre_due=pre_due,
        min_amounts=dict(policy.min_amounts),
        weekdays=frozenset(policy.weekdays or range(5)),
        business_days_only=policy.business_days_only,
        payment_days=policy.payment_days,
    )


@dataclass
class PolicySet:
    """The policies a run uses, and who gets which."""

    policies: dict[str, core.Policy]
    default: str | None
    customer: dict[int, str] = field(default_factory=dict)  # customer id -> policy code
    group: dict[int, tuple[int, str]] = field(default_factory=dict)  # group id -> (priority, code)
    invoice: dict[int, str] = field(default_factory=dict)  # invoice id -> code
    source: str = "database"

    def versions(self) -> dict[str, int]:
        return {code: p.version for code, p in sorted(self.policies.items())}


def stored_policies(company: Company) -> PolicySet:
    rows = list(Policy.objects.filter(company=company).prefetch_related("levels"))
    policies = {p.code: to_core(p) for p in rows}
    default = next((p.code for p in rows if p.is_default), None)
    result = PolicySet(policies, default)
    for a in PolicyAssignment.objects.filter(company=company).select_related("policy"):
        if a.customer_id:
            result.customer[a.customer_id] = a.policy.code
        elif a.group_id:
            result.group[a.group_id] = (a.priority, a.policy.code)
        elif a.invoice_id:
            result.invoice[a.invoice_id] = a.policy.code
    return result


# --- The policy file -------------------------------------------------------------------------------


@dataclass
class ParsedFile:
    policies: list[tuple[core.Policy, bool]]  # (policy, is default)
    groups: dict[str, str]
    customers: dict[str, str]
    sha256: str


def read_policy_file(path: Path) -> ParsedFile:
    """Parse and validate a policy file; PolicyFileError names the file, policy, level and field."""
    raw_bytes = path.read_bytes()
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyFileError(f"{path.name}: not a valid TOML file: {exc}") from None
    unknown = set(data) - {"policy", "assign"}
    if unknown:
        raise PolicyFileError(f"{path.name}: unknown section {sorted(unknown)[0]!r}: expected [[policy]] and [assign]")
    if not isinstance(data.get("policy", []), list):
        raise PolicyFileError(f"{path.name}: 'policy' must be [[policy]] tables, one per policy")
    policies = []
    problems: list[str] = []
    for index, item in enumerate(data.get("policy", []), 1):
        try:
            if not isinstance(item, dict):
                raise PolicyFileError(f"{path.name}, policy #{index}: expected a [[policy]] table")
            policies.append(_policy_from(item, f"{path.name}, policy #{index}"))
        except PolicyFileError as exc:
            problems.append(str(exc))
        except (TypeError, AttributeError, ValueError, KeyError) as exc:
            # A value of the wrong shape (pre_due = 3, weekdays = 5, level = [1]): say where, not crash.
            problems.append(f"{path.name}, policy #{index}: a value has the wrong type ({exc})")
    for parsed, _ in policies:
        problems.extend(f"{path.name}: {p}" for p in core.validate(parsed))
    codes = [p.code for p, _ in policies]
    if len(set(codes)) != len(codes):
        problems.append(f"{path.name}: a policy code appears twice")
    if sum(1 for _, is_default in policies if is_default) > 1:
        problems.append(f"{path.name}: more than one policy has default = true")
    assign = data.get("assign", {})
    if not isinstance(assign, dict) or not all(isinstance(assign.get(k, {}), dict) for k in ("groups", "customers")):
        raise PolicyFileError(
            f'{path.name}, [assign]: expected groups = {{ code = "policy" }} and customers = {{ ... }}'
        )
    groups = dict(assign.get("groups", {}))
    customers = dict(assign.get("customers", {}))
    for kind, mapping in (("groups", groups), ("customers", customers)):
        for target, code in mapping.items():
            if code not in codes and not Policy.objects.filter(code=code).exists():
                problems.append(f"{path.name}, [assign] {kind}.{target}: unknown policy {code!r}")
    if problems:
        raise PolicyFileError("\n".join(problems))
    return ParsedFile(policies, groups, customers, hashlib.sha256(raw_bytes).hexdigest())


def _amounts(value: Any, where: str) -> dict[str, int]:
    if not isinstance(value, dict):
        raise PolicyFileError(f'{where}: expected a table of currency = "amount", e.g. {{ EUR = "5.00" }}')
    result = {}
    for currency, text in value.items():
        if not isinstance(text, str):
            raise PolicyFileError(f'{where}.{currency}: write the amount as a string, e.g. "5.00" (never a float)')
        try:
            result[currency] = parse_minor(text, currency)
        except (AmountError, ValueError) as exc:
            raise PolicyFileError(f"{where}.{currency}: {exc}") from None
    return result


def _int(item: dict[str, Any], key: str, where: str, default: int | None = None) -> int | None:
    value = item.get(key, default)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise PolicyFileError(f"{where}, {key}: expected a whole number, got {value!r}")
    return value


def _choice(enum: Any, item: dict[str, Any], key: str, where: str, default: str) -> Any:
    value = item.get(key, default)
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise PolicyFileError(f"{where}, {key}: {value!r} is not one of {allowed}") from None


def _policy_from(item: dict[str, Any], where: str) -> tuple[core.Policy, bool]:
    unknown = set(item) - _POLICY_KEYS
    if unknown:
        raise PolicyFileError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    code = item.get("code")
    if not isinstance(code, str) or not code:
        raise PolicyFileError(f"{where}: code is required")
    where = f"{where.split(',')[0]}, policy {code!r}"
    days = item.get("weekdays", ["mon", "tue", "wed", "thu", "fri"])
    try:
        weekdays = frozenset(_DAY[str(d).lower()[:3]] for d in days)
    except KeyError:
        raise PolicyFileError(f"{where}, weekdays: use mon, tue, wed, thu, fri, sat, sun") from None
    levels = []
    for number, lv in enumerate(item.get("level", []), 1):
        at = f"{where}, level {number}"
        unknown = set(lv) - _LEVEL_KEYS
        if unknown:
            raise PolicyFileError(f"{at}: unknown key {sorted(unknown)[0]!r}")
        days_after = _int(lv, "days_after_due", at)
        if days_after is None:
            raise PolicyFileError(f"{at}: days_after_due is required")
        levels.append(
            core.Level(
                number=number,
                name=str(lv.get("name", f"Level {number}")),
                days_after_due=days_after,
                min_days_since_previous=_int(lv, "min_days_since_previous", at, 0) or 0,
                repeat_every_days=_int(lv, "repeat_every_days", at),
                repeat_max=_int(lv, "repeat_max", at, 0) or 0,
                min_amounts=_amounts(lv.get("min_amount", {}), f"{at}, min_amount"),
                channel=_choice(core.Channel, lv, "channel", at, "email"),
                template=str(lv.get("template", f"level{number}")),
                action=_choice(core.Action, lv, "action", at, "none"),
                webhook_url=str(lv.get("webhook_url", "")),
            )
        )
    pre_due = None
    if "pre_due" in item:
        pd = item["pre_due"]
        at = f"{where}, pre_due"
        pre_due = core.PreDue(
            days_before=_int(pd, "days_before", at, 0) or 0,
            min_amounts=_amounts(pd.get("min_amount", {}), f"{at}, min_amount"),
            channel=_choice(core.Channel, pd, "channel", at, "email"),
            template=str(pd.get("template", "pre_due")),
        )
    policy = core.Policy(
        code=code,
        name=str(item.get("name", code)),
        levels=tuple(levels),
        pre_due=pre_due,
        min_amounts=_amounts(item.get("min_amount", {}), f"{where}, min_amount"),
        weekdays=weekdays,
        business_days_only=bool(item.get("business_days_only", True)),
        payment_days=_int(item, "payment_days", where, 10) or 0,
    )
    return policy, bool(item.get("default", False))


def file_policies(company: Company, parsed: ParsedFile) -> PolicySet:
    """The stored policies with the file's laid over them, for a run with --policy-file."""
    result = stored_policies(company)
    for policy, is_default in parsed.policies:
        result.policies[policy.code] = policy
        if is_default:
            result.default = policy.code
    groups = dict(CustomerGroup.objects.filter(company=company).values_list("code", "id"))
    for code, policy_code in parsed.groups.items():
        if code in groups:
            result.group[groups[code]] = (100, policy_code)
    customers = dict(
        Customer.objects.filter(company=company, external_id__in=list(parsed.customers)).values_list(
            "external_id", "id"
        )
    )
    for ext, policy_code in parsed.customers.items():
        if ext in customers:
            result.customer[customers[ext]] = policy_code
    result.source = f"file sha256:{parsed.sha256[:12]}"
    return result


@transaction.atomic
def load_policy_file(company: Company, parsed: ParsedFile) -> list[str]:
    """Store the file's policies (a changed policy gets a new version) and assignments; returns what changed."""
    changes: list[str] = []
    for policy, is_default in parsed.policies:
        row = Policy.objects.filter(company=company, code=policy.code).first()
        if row is not None and to_core(row) == _with_version(policy, row.version) and row.is_default == is_default:
            continue
        if is_default:
            Policy.objects.filter(company=company, is_default=True).exclude(code=policy.code).update(is_default=False)
        version = row.version + 1 if row is not None else 1
        row, _ = Policy.objects.update_or_create(
            company=company,
            code=policy.code,
            defaults={
                "name": policy.name,
                "is_default": is_default,
                "version": version,
                "min_amounts": dict(policy.min_amounts),
                "weekdays": sorted(policy.weekdays),
                "business_days_only": policy.business_days_only,
                "payment_days": policy.payment_days,
                "pre_due_days": policy.pre_due.days_before if policy.pre_due else None,
                "pre_due_min_amounts": dict(policy.pre_due.min_amounts) if policy.pre_due else {},
                "pre_due_channel": policy.pre_due.channel.value if policy.pre_due else "email",
                "pre_due_template": policy.pre_due.template if policy.pre_due else "pre_due",
            },
        )
        row.levels.all().delete()
        Level.objects.bulk_create(
            Level(
                policy=row,
                number=lv.number,
                name=lv.name,
                days_after_due=lv.days_after_due,
                min_days_since_previous=lv.min_days_since_previous,
                repeat_every_days=lv.repeat_every_days,
                repeat_max=lv.repeat_max,
                min_amounts=dict(lv.min_amounts),
                channel=lv.channel.value,
                template=lv.template,
                action=lv.action.value,
                webhook_url=lv.webhook_url,
            )
            for lv in policy.levels
        )
        changes.append(f"policy {policy.code} stored as version {version}")
    by_code = {p.code: p for p in Policy.objects.filter(company=company)}
    known_groups = set(CustomerGroup.objects.filter(company=company).values_list("code", flat=True))
    known_customers = set(
        Customer.objects.filter(company=company, external_id__in=list(parsed.customers)).values_list(
            "external_id", flat=True
        )
    )
    changes.extend(
        f"group {code} does not exist (yet): its assignment to {policy} was skipped; load the file again "
        "after the import"
        for code, policy in parsed.groups.items()
        if code not in known_groups
    )
    changes.extend(
        f"customer {ext} does not exist (yet): its assignment to {policy} was skipped"
        for ext, policy in parsed.customers.items()
        if ext not in known_customers
    )
    unknown = sorted({code for code in [*parsed.groups.values(), *parsed.customers.values()] if code not in by_code})
    if unknown:
        raise PolicyFileError(f"unknown policy {', '.join(unknown)} for company {company.code}: define it in the file")
    for group in CustomerGroup.objects.filter(company=company, code__in=list(parsed.groups)):
        PolicyAssignment.objects.update_or_create(
            group=group, defaults={"company": company, "policy": by_code[parsed.groups[group.code]]}
        )
        changes.append(f"group {group.code} -> {parsed.groups[group.code]}")
    for customer in Customer.objects.filter(company=company, external_id__in=list(parsed.customers)):
        PolicyAssignment.objects.update_or_create(
            customer=customer, defaults={"company": company, "policy": by_code[parsed.customers[customer.external_id]]}
        )
        changes.append(f"customer {customer.external_id} -> {parsed.customers[customer.external_id]}")
    return changes


def _with_version(policy: core.Policy, version: int) -> core.Policy:
    from dataclasses import replace

    return replace(policy, version=version)
