"""Who may open a page: every view of the web UI is wrapped in `role_required`.

The decorator leaves a mark (`required_role`) on the view, so a test can walk every URL of the UI
and prove that none was forgotten."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from arrears.accounts.roles import Role, has_role
from arrears.companies.models import Company
from arrears.history.services import Actor

View = Callable[..., HttpResponse]
SESSION_COMPANY = "arrears_company_id"


def role_required(role: Role) -> Callable[[View], View]:
    """Anonymous visitors go to the login page; a user without the role gets 403. It must be the
    outermost decorator of a view, so that the guard answers before require_POST and the like."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, role):
                raise PermissionDenied(f"this needs the role {role.group_name}")
            return view(request, *args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]
        return wrapped

    return decorate


def current_company(request: HttpRequest) -> Company:
    """The company the user works on: the one chosen in the session, else the first by code.
    A 404 page tells an operator with no company yet what to do."""
    chosen = request.session.get(SESSION_COMPANY)
    company = Company.objects.filter(pk=chosen).first() if chosen else None
    if company is None:
        company = Company.objects.order_by("code").first()
    if company is None:
        from django.http import Http404

        raise Http404("There is no company yet: create one with `arrears company add` or in the configuration.")
    return company


def web_actor(request: HttpRequest) -> Actor:
    """The actor the history records for the logged-in user."""
    user = request.user
    assert user.is_authenticated  # role_required ran first
    return Actor.of_user(user)


def local_next(request: HttpRequest) -> str | None:
    """The POSTed "next" page when it is a path on this site, else None (no open redirects)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = str(request.POST.get("next", ""))
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None
