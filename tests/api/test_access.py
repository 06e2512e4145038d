"""Who may call what: every operation needs a token and a role; each role is refused what it may
not do; the company in the path must exist."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from arrears.accounts.models import ApiToken
from arrears.accounts.roles import Role
from arrears.accounts.tokens import issue_token, revoke_token
from arrears.api.api import ROUTERS, fallback
from arrears.api.auth import TokenAuth
from arrears.delivery.models import OutboxMessage
from arrears.dunning.models import Notice
from arrears.dunning.runs import approve_run
from arrears.history.services import Actor
from tests.web.conftest import World

ROLE_NAMES = {Role.VIEWER: "viewer", Role.CLERK: "clerk", Role.MANAGER: "manager"}


def _operations() -> list[tuple[str, str, Role]]:
    """(method, path, role) of every operation of the API but the 404 for unknown paths; each
    one's documentation ends with the role it needs."""
    found = []
    for router in ROUTERS:
        if router is fallback:
            continue
        for path, view in router.path_operations.items():
            for op in view.operations:
                assert len(op.auth_callbacks) == 1, f"{op.methods} {path}: no auth"
                auth = op.auth_callbacks[0]
                assert isinstance(auth, TokenAuth), f"{op.methods} {path}: not a token with a role"
                words = " ".join((op.view_func.__doc__ or "").split())
                assert words.endswith(f"{auth.role.group_name.capitalize()} or higher."), f"{path}: say the role"
                found.extend((method, path, auth.role) for method in op.methods)
    return found


OPERATIONS = _operations()


@pytest.fixture
def sent(world: World) -> World:
    """The demo world with its run approved: notices created, messages queued."""
    approve_run(world.run, Actor("test"))
    return world


def _url(path: str, world: World) -> str:
    values = {
        "code": world.company.code,
        "customer_id": "C0001",
        "number": "202600001",
        "payment_id": "P00001",
        "run_id": str(world.run.pk),
        "notice_id": str(Notice.objects.filter(run=world.run).values_list("pk", flat=True).first()),
        "message_id": str(OutboxMessage.objects.values_list("pk", flat=True).first()),
    }
    return "/api" + re.sub(r"{(?:\w+:)?(\w+)}", lambda m: values[m.group(1)], path)


CUSTOMER = {"id": "Z1", "name": "Zeta"}
INVOICE = {
    "number": "Z-1",
    "customer_id": "C0001",
    "issue_date": "2026-11-01",
    "due_date": "2026-11-15",
    "currency": "CZK",
    "amount": "100.00",
}
PAYMENT = {"id": "ZP-1", "customer_id": "C0001", "date": "2026-11-02", "currency": "CZK", "amount": "1.00"}
# A valid body for each write (the others take {}): a refusal must not be a 422 in disguise.
BODIES = {
    "/companies/{code}/customers": CUSTOMER,
    "/companies/{code}/customers/bulk": {"customers": [CUSTOMER]},
    "/companies/{code}/invoices": INVOICE,
    "/companies/{code}/invoices/bulk": {"invoices": [INVOICE]},
    "/companies/{code}/payments": PAYMENT,
    "/companies/{code}/payments/bulk": {"payments": [PAYMENT]},
}


def _call(api, method: str, role: str | None, url: str, path: str):
    if method == "GET":
        return api.get(role, url)
    return api.send(method.lower(), role, url, BODIES.get(path, {}))


def test_every_operation_needs_a_role_and_writes_need_a_clerk():
    assert len(OPERATIONS) >= 25
    for method, path, role in OPERATIONS:
        if method == "GET":
            assert role is Role.VIEWER, f"{method} {path}: reads are for viewers"
        else:
            assert role is Role.CLERK, f"{method} {path}: ledger writes and runs are for clerks"


@pytest.mark.parametrize(("method", "path", "role"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_each_role_is_refused_what_it_may_not_do_and_allowed_the_rest(api, sent, method, path, role):
    url = _url(path, sent)
    for held in Role:
        response = _call(api, method, ROLE_NAMES[held], url, path)
        if held < role:
            assert response.status_code == 403, (held, response.content)
            assert response.json() == {"detail": f"this needs the role {role.group_name} or higher", "errors": []}
        else:  # allowed: done, or refused for what the run is (approving an approved run)
            assert response.status_code in (200, 201, 409), (held, response.content)
    assert _call(api, method, "nobody", url, path).status_code == 403  # a user without a role
    assert _call(api, method, None, url, path).status_code == 401


def test_without_a_token_the_answer_is_401_and_says_how_to_authenticate(api, company):
    response = api.get(None, "/api/companies")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="arrears"'
    assert "Authorization: Bearer" in response.json()["detail"]
    assert response.json()["errors"] == []


@pytest.mark.parametrize("header", ["Bearer arr_nope", "Bearer ", "Basic dXNlcjpwYXNz", "arr_x", "Bearer \x7f"])
def test_a_wrong_token_or_scheme_is_401(api, company, header):
    response = api.client.get("/api/companies", headers={"Authorization": header})
    assert response.status_code == 401


def test_a_revoked_token_and_a_deactivated_user_are_401(api, users, tokens):
    assert api.get("viewer", "/api/me").status_code == 200
    revoke_token(ApiToken.objects.get(user=users["viewer"]))
    assert api.get("viewer", "/api/me").status_code == 401
    assert api.get("clerk", "/api/me").status_code == 200
    User.objects.filter(pk=users["clerk"].pk).update(is_active=False)
    assert api.get("clerk", "/api/me").status_code == 401


def test_a_token_is_marked_used(api, users, tokens):
    token = ApiToken.objects.get(user=users["manager"])
    assert token.last_used_at is None
    api.get("manager", "/api/me")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)


def test_me_tells_the_user_and_the_role(api, users):
    _, key = issue_token(User.objects.create_superuser("root", "", "x"), "tests")
    api.tokens["root"] = key
    assert api.get("clerk", "/api/me").json() == {"username": "clerk", "role": "clerk"}
    assert api.get("root", "/api/me").json() == {"username": "root", "role": "manager"}


@pytest.mark.parametrize(("method", "path", "role"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_an_unknown_company_is_404(api, sent, method, path, role):
    if "{code}" not in path:
        return
    url = _url(path, sent).replace(f"/companies/{sent.company.code}/", "/companies/nope/")
    response = _call(api, method, "manager", url, path)
    assert response.status_code == 404
    assert response.json() == {"detail": "there is no company 'nope'", "errors": []}


def test_companies_lists_every_company(api, world):
    assert api.get("viewer", "/api/companies").json() == [
        {
            "code": "acme",
            "name": "ACME s.r.o.",
            "country": "CZ",
            "default_currency": "CZK",
            "default_language": "cs",
            "time_zone": "Europe/Prague",
        }
    ]
