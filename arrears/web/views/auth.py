"""Logging in and out, with throttling; password reset by e-mail uses Django's views and our pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from arrears.accounts.roles import Role
from arrears.accounts.throttle import login_blocked, record_failure, record_success
from arrears.companies.models import Company
from arrears.web.access import SESSION_COMPANY, local_next, role_required


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wants it to be unless a proxy we
    # trust sets it, and a throttle keyed on a forged header would be no throttle.
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed logins. Wait 15 minutes, or ask a manager to reset your password."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request else ""
        if login_blocked(username, ip):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            record_failure(username, ip)
            raise
        record_success(username)
        return cleaned


class LoginView(auth_views.LoginView):
    template_name = "web/registration/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


@role_required(Role.VIEWER)
@require_POST
def choose_company(request: HttpRequest) -> HttpResponse:
    company = get_object_or_404(Company, code=request.POST.get("company", ""))
    request.session[SESSION_COMPANY] = company.pk
    return HttpResponseRedirect(local_next(request) or "/")


def logout_done(request: HttpRequest) -> HttpResponse:
    return redirect("web:login")
