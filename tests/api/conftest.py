"""Fixtures for the REST API: a token per role and a client that speaks JSON with one of them.

The users, the demo world and the run waiting for review come from tests/web/conftest.py, shared
by the web UI's tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from arrears.accounts.tokens import issue_token
from arrears.companies.models import Company
from tests.web.conftest import PASSWORD, World, users, world  # noqa: F401 - fixtures used here

ROLES = ("viewer", "clerk", "manager")


@pytest.fixture
def tokens(users: dict[str, User]) -> dict[str, str]:  # noqa: F811
    """A live token per role, and one for "nobody", a user without a role."""
    made = {role: issue_token(user, "tests")[1] for role, user in users.items()}
    made["nobody"] = issue_token(User.objects.create_user("nobody", "", PASSWORD), "tests")[1]
    return made


class Api:
    """client.get("viewer", "/api/me") -> response; .post/.patch send a JSON body."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens
        self.client = Client()

    def _headers(self, role: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        sent = dict(headers or {})
        if role is not None:
            sent["Authorization"] = f"Bearer {self.tokens.get(role, role)}"
        return sent

    def get(self, role: str | None, path: str, headers: dict[str, str] | None = None, **query: Any) -> Any:
        return self.client.get(path, query, headers=self._headers(role, headers))

    def send(self, method: str, role: str | None, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        call: Callable[..., Any] = getattr(self.client, method)
        return call(path, json.dumps(body), content_type="application/json", headers=self._headers(role, headers))

    def post(self, role: str | None, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.send("post", role, path, {} if body is None else body, headers)

    def patch(self, role: str | None, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.send("patch", role, path, body, headers)


@pytest.fixture
def api(tokens: dict[str, str]) -> Api:
    return Api(tokens)


@pytest.fixture
def acme(company: Company) -> str:
    """The path of the company of the tests."""
    return f"/api/companies/{company.code}"
