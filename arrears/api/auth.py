"""Who may call what: a bearer token names the user, the user's role decides.

Every operation is declared with one of `VIEWER`, `CLERK` or `MANAGER` as its `auth`: without a
live token the answer is 401, with a token whose user has a lower role it is 403. The role is
kept on the auth object, so a test can walk every operation and prove none was forgotten.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import HttpBearer

from arrears.accounts.roles import Role, has_role
from arrears.accounts.tokens import user_for_token
from arrears.api.errors import ApiError
from arrears.companies.models import Company
from arrears.history.services import Actor


class TokenAuth(HttpBearer):
    def __init__(self, role: Role) -> None:
        super().__init__()
        self.role = role

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token.strip())
        if user is None:
            return None
        if not has_role(user, self.role):
            raise ApiError(403, f"this needs the role {self.role.group_name} or higher")
        return user


VIEWER = TokenAuth(Role.VIEWER)
CLERK = TokenAuth(Role.CLERK)
MANAGER = TokenAuth(Role.MANAGER)


def api_user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)  # TokenAuth ran before the endpoint
    return user


def api_actor(request: HttpRequest) -> Actor:
    """The history's actor for the token's user: 'api:NAME', so that a change shows where it came from."""
    user = api_user(request)
    return Actor(f"api:{user.get_username()}", user)


def company_of(code: str) -> Company:
    company = Company.objects.filter(code=code).first()
    if company is None:
        raise ApiError(404, f"there is no company {code!r}")
    return company
