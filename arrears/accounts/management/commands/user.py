from __future__ import annotations

import os
import secrets
import sys
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from arrears.accounts.models import ApiToken
from arrears.accounts.roles import Role, role_of, set_role
from arrears.accounts.tokens import issue_token, revoke_token


def _password(options: dict[str, Any]) -> tuple[str, bool]:
    """The password from stdin or an environment variable, or a generated one (then shown once)."""
    if options.get("password_stdin"):
        return sys.stdin.readline().rstrip("\n"), False
    if options.get("password_env"):
        value = os.environ.get(options["password_env"])
        if not value:
            raise CommandError(f"the environment variable {options['password_env']} is not set")
        return value, False
    return secrets.token_urlsafe(12), True


class Command(BaseCommand):
    help = "Users of the web UI and the API: add, role, password, list, deactivate, and API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a user with a role")
        add.add_argument("username")
        add.add_argument("--role", required=True, help="viewer, clerk or manager")
        add.add_argument("--email", default="")
        add.add_argument("--name", default="", help="full name")
        for p in (add, sub.add_parser("password", help="set a user's password")):
            if p is not add:
                p.add_argument("username")
            p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
            p.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")
        role = sub.add_parser("role", help="change a user's role")
        role.add_argument("username")
        role.add_argument("role", help="viewer, clerk or manager")
        sub.add_parser("list", help="users with their roles")
        deactivate = sub.add_parser("deactivate", help="block a user from logging in (history keeps the name)")
        deactivate.add_argument("username")
        token = sub.add_parser("token", help="API tokens")
        tsub = token.add_subparsers(dest="token_action", required=True)
        tadd = tsub.add_parser("add", help="issue a token (shown once)")
        tadd.add_argument("username")
        tadd.add_argument("--name", default="api", help="what the token is for, e.g. the billing system")
        tlist = tsub.add_parser("list", help="a user's tokens (their prefixes, never the tokens)")
        tlist.add_argument("username")
        trevoke = tsub.add_parser("revoke", help="revoke a token by its prefix")
        trevoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        actions = {
            "add": self._add,
            "password": self._password,
            "role": self._role_action,
            "list": self._list,
            "deactivate": self._deactivate,
            "token": self._token,
        }
        actions[options["action"]](options)

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"there is no user {username!r} (arrears user list shows them)") from None

    def _role(self, text: str) -> Role:
        try:
            return Role.parse(text)
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    def _checked(self, password: str, user: User) -> None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("the password is refused: " + " ".join(exc.messages)) from None

    def _add(self, options: dict[str, Any]) -> None:
        role = self._role(options["role"])
        if User.objects.filter(username=options["username"]).exists():
            raise CommandError(f"the user {options['username']!r} exists already")
        password, generated = _password(options)
        first, _, last = options["name"].partition(" ")
        user = User(username=options["username"], email=options["email"], first_name=first, last_name=last)
        self._checked(password, user)
        with transaction.atomic():
            user.set_password(password)
            user.save()
            set_role(user, role)
        self.stdout.write(f"user {user.username} added as {role.group_name}")
        if generated:
            self.stdout.write(f"password (shown once): {password}")

    def _password(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        password, generated = _password(options)
        self._checked(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        self.stdout.write(f"password of {user.username} changed")
        if generated:
            self.stdout.write(f"password (shown once): {password}")

    def _role_action(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        role = self._role(options["role"])
        set_role(user, role)
        self.stdout.write(f"{user.username} is now {role.group_name}")

    def _list(self, options: dict[str, Any]) -> None:
        for user in User.objects.order_by("username").prefetch_related("groups"):
            role = role_of(user) if user.is_active else None
            state = "" if user.is_active else "  (deactivated)"
            self.stdout.write(f"{user.username:<20} {role.group_name if role else '-':<8} {user.email}{state}")

    def _deactivate(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        user.is_active = False
        user.save(update_fields=["is_active"])
        self.stdout.write(f"{user.username} can no longer log in; their tokens no longer work")

    def _token(self, options: dict[str, Any]) -> None:
        what = options["token_action"]
        if what == "add":
            user = self._user(options["username"])
            token, key = issue_token(user, options["name"])
            self.stdout.write(f"token {token.prefix} for {user.username} ({token.name}); shown once:\n{key}")
        elif what == "list":
            user = self._user(options["username"])
            for token in ApiToken.objects.filter(user=user):
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
                self.stdout.write(f"{token.prefix}  {token.name:<20} {state:<18} {used}")
        else:
            found = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if found is None:
                raise CommandError(f"there is no token with the prefix {options['prefix']!r}")
            revoke_token(found)
            self.stdout.write(f"token {found.prefix} revoked")
