"""The three roles of arrears and what each may do.

viewer  reads everything;
clerk   also writes notes, pauses and stops reminding, creates manual reminders, approves runs,
        sends again / cancels messages;
manager also changes policies, templates, sender accounts, companies and users.

A role is a Django group (so the admin honours it through model permissions) and the roles are
ordered: a manager may do all a clerk may, a clerk all a viewer may. A superuser is a manager.
Roles hold for every company of the installation.
"""

from __future__ import annotations

import enum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission, User
from django.db import transaction


class Role(enum.IntEnum):
    VIEWER = 1
    CLERK = 2
    MANAGER = 3

    @property
    def group_name(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"{text!r} is not a role: expected viewer, clerk or manager") from None


ARREARS_APPS = ("companies", "customers", "ledger", "dunning", "documents", "delivery", "history", "accounts")
# Model permissions a clerk holds beyond viewing: the day-to-day work on debtors and messages.
CLERK_CHANGES = (
    "history.add_note",
    "dunning.change_run",
    "dunning.change_notice",
    "dunning.add_notice",
    "dunning.change_invoicedunning",
    "delivery.change_outboxmessage",
    "delivery.change_printbatch",
    "ledger.add_allocation",
    "ledger.change_allocation",
    "customers.change_customer",
)


def role_of(user: AbstractBaseUser | AnonymousUser | None) -> Role | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if getattr(user, "is_superuser", False):
        return Role.MANAGER
    if not isinstance(user, User):
        return None
    # Asked by the view's guard and again by the menu: the groups are read once per user object
    # (request.user lives one request), as Django's own backend keeps its permission cache.
    names = user.__dict__.get("_arrears_groups")
    if names is None:
        names = user.__dict__["_arrears_groups"] = frozenset(g.name for g in user.groups.all())
    held = [role for role in Role if role.group_name in names]
    return max(held) if held else None


def has_role(user: AbstractBaseUser | AnonymousUser | None, role: Role) -> bool:
    held = role_of(user)
    return held is not None and held >= role


def _permissions(codes: list[tuple[str, str]]) -> list[Permission]:
    wanted = set(codes)
    return [
        p for p in Permission.objects.select_related("content_type") if (p.content_type.app_label, p.codename) in wanted
    ]


def ensure_roles() -> None:
    """Create or update the three groups with their permissions (idempotent; runs after migrate)."""
    every = list(Permission.objects.select_related("content_type"))
    ours = [p for p in every if p.content_type.app_label in ARREARS_APPS]
    views = [p for p in ours if p.codename.startswith("view_")]
    clerk_codes = {tuple(code.split(".")) for code in CLERK_CHANGES}
    clerk = views + [p for p in ours if (p.content_type.app_label, p.codename) in clerk_codes]
    auth = [p for p in every if p.content_type.app_label == "auth"]
    with transaction.atomic():
        for role, perms in ((Role.VIEWER, views), (Role.CLERK, clerk), (Role.MANAGER, ours + auth)):
            group, _ = Group.objects.get_or_create(name=role.group_name)
            group.permissions.set(perms)


def set_role(user: User, role: Role) -> None:
    """Give `user` exactly one role. Managers reach the configuration admin, the others do not."""
    ensure_roles()
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name__in=[r.group_name for r in Role]))
        user.groups.add(Group.objects.get(name=role.group_name))
        user.__dict__.pop("_arrears_groups", None)
        user.is_staff = role is Role.MANAGER
        user.save(update_fields=["is_staff"])
