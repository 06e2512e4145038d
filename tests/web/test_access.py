"""Who may open what: every page needs a role, login is throttled, passwords can be reset by e-mail."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import URLPattern, reverse

from arrears.accounts.models import LoginFailure
from arrears.accounts.roles import Role, has_role, role_of, set_role
from arrears.web import urls as web_urls
from tests.web.conftest import PASSWORD


def _patterns() -> list[URLPattern]:
    return [p for p in web_urls.urlpatterns if isinstance(p, URLPattern)]


def test_every_page_but_the_login_pages_needs_a_role():
    unguarded = [
        p.name for p in _patterns() if p.name not in web_urls.PUBLIC and not hasattr(p.callback, "required_role")
    ]
    assert unguarded == []
    assert len([p for p in _patterns() if p.name not in web_urls.PUBLIC]) >= 8


def _url(pattern: URLPattern) -> str:
    # Fill every path parameter with 1 (ints) or "x" (strings): enough to reach the guard.
    kwargs = dict.fromkeys(pattern.pattern.regex.groupindex, 1)
    converters = getattr(pattern.pattern, "converters", {})
    kwargs = {
        k: ("x" if type(converters.get(k)).__name__ in {"StringConverter", "SlugConverter"} else 1) for k in kwargs
    }
    return reverse(f"web:{pattern.name}", kwargs=kwargs)


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_the_login_from_every_page(client):
    for pattern in _patterns():
        if pattern.name in web_urls.PUBLIC:
            continue
        response = client.get(_url(pattern))
        assert response.status_code == 302, pattern.name
        assert response["Location"].startswith("/login/?next="), pattern.name


@pytest.mark.django_db
def test_a_user_without_a_role_is_refused_every_page(client):
    client.force_login(User.objects.create_user("nobody", "", PASSWORD))
    for pattern in _patterns():
        if pattern.name in web_urls.PUBLIC:
            continue
        assert client.get(_url(pattern)).status_code == 403, pattern.name


def test_roles_are_ordered_and_a_superuser_is_a_manager(users):
    assert role_of(users["viewer"]) is Role.VIEWER
    assert has_role(users["manager"], Role.CLERK)
    assert has_role(users["clerk"], Role.VIEWER)
    assert not has_role(users["viewer"], Role.CLERK)
    assert not has_role(users["clerk"], Role.MANAGER)
    assert role_of(User.objects.create_superuser("root", "", PASSWORD)) is Role.MANAGER
    users["viewer"].is_active = False
    assert role_of(users["viewer"]) is None


def test_only_a_manager_reaches_the_configuration_admin(users):
    assert users["manager"].is_staff
    assert not users["clerk"].is_staff
    assert not users["viewer"].is_staff
    set_role(users["manager"], Role.CLERK)
    assert not User.objects.get(pk=users["manager"].pk).is_staff
    assert users["manager"].groups.get().name == "clerk"


def test_the_admin_honours_the_role_permissions(users):
    client = Client()
    client.force_login(users["manager"])
    assert client.get("/admin/delivery/senderaccount/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200
    client.force_login(users["clerk"])
    assert client.get("/admin/delivery/senderaccount/").status_code == 302  # not staff: the admin's login


def test_login_with_the_right_password_opens_the_dashboard(users):
    client = Client()
    page = client.get("/login/")
    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content
    response = client.post("/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_is_refused_after_five_wrong_passwords_even_with_the_right_one(users):
    client = Client()
    for _ in range(5):
        response = client.post("/login/", {"username": "clerk", "password": "wrong"})
        assert response.status_code == 200
    assert LoginFailure.objects.filter(username="clerk").count() == 5
    response = client.post("/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 200
    assert b"Too many failed logins" in response.content
    assert "_auth_user_id" not in client.session


def test_a_successful_login_clears_the_failures(users):
    client = Client()
    for _ in range(3):
        client.post("/login/", {"username": "clerk", "password": "wrong"})
    assert client.post("/login/", {"username": "clerk", "password": PASSWORD}).status_code == 302
    assert not LoginFailure.objects.filter(username="clerk").exists()


def test_forms_without_a_csrf_token_are_refused(users):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/login/", {"username": "clerk", "password": PASSWORD}).status_code == 403


def test_logout_needs_a_post_and_ends_the_session(client_for):
    client = client_for("viewer")
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_a_password_is_reset_through_the_link_in_the_e_mail(users):
    client = Client()
    response = client.post("/password-reset/", {"email": "clerk@acme.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    assert b"new_password1" in form.content
    new = "another-Str0ng-passphrase"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert User.objects.get(username="clerk").check_password(new)


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(users):
    response = Client().post("/password-reset/", {"email": "nobody@acme.example"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_the_company_switch_keeps_the_user_on_the_page_and_refuses_other_sites(client_for, company):
    client = client_for("viewer")
    response = client.post("/company/", {"company": "acme", "next": "/customers/"})
    assert response["Location"] == "/customers/"
    assert client.post("/company/", {"company": "acme", "next": "//evil.example/"})["Location"] == "/"
    assert client.post("/company/", {"company": "nope"}).status_code == 404


def test_a_user_s_role_is_read_once_per_request_and_follows_a_change(users, django_assert_num_queries):
    clerk = User.objects.get(username="clerk")
    with django_assert_num_queries(1):
        assert role_of(clerk) is Role.CLERK
        assert has_role(clerk, Role.VIEWER)
    set_role(clerk, Role.MANAGER)
    assert role_of(clerk) is Role.MANAGER
