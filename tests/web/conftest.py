"""Fixtures for the web UI and the API: a user per role, a logged-in client per role, and a
world with the demo company's customers, invoices, payments, policy and a run waiting for review."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from arrears.accounts.roles import Role, set_role
from arrears.companies.models import Company
from arrears.dunning.models import Run
from arrears.dunning.policies import load_policy_file, read_policy_file, stored_policies
from arrears.dunning.runs import start_run
from arrears.history.services import Actor
from arrears.ledger.imports.runner import run_import

DEMO_DATA = Path(__file__).resolve().parents[2] / "arrears" / "demo" / "data"
AS_OF = date(2026, 11, 20)
PASSWORD = "a-Str0ng-passphrase"


@pytest.fixture
def users(db: None) -> dict[str, User]:
    """One user per role: viewer, clerk, manager (password PASSWORD)."""
    made = {}
    for role in Role:
        user = User.objects.create_user(role.group_name, f"{role.group_name}@acme.example", PASSWORD)
        set_role(user, role)
        made[role.group_name] = user
    return made


@pytest.fixture
def client_for(users: dict[str, User]) -> Callable[[str], Client]:
    """client_for("clerk") -> a test client logged in as the clerk."""

    def make(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    return make


@dataclass
class World:
    company: Company
    run: Run


@pytest.fixture
def world(company: Company, actor: Actor) -> World:
    """The demo data set in the company "acme": 18 customers, invoices in CZK, EUR and PLN, payments,
    the demo policy, and a run on 2026-11-20 stopped at its proposal."""
    run_import(company, [DEMO_DATA], actor)
    load_policy_file(company, read_policy_file(DEMO_DATA / "policy.toml"))
    result = start_run(company, AS_OF, stored_policies(company), actor, review=True)
    assert result.run is not None
    return World(company, result.run)
