"""The web UI's pages. Each screen's module lists its own URLs; this file only joins them."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path, reverse_lazy

from arrears.web.views import actions, auth, config, customers, dashboard, imports, notices, outbox, printing, runs

app_name = "web"

_reset = "web/registration/"
urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page=reverse_lazy("web:login")), name="logout"),
    path("company/", auth.choose_company, name="choose_company"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name=_reset + "password_reset_form.html",
            email_template_name=_reset + "password_reset_email.txt",
            subject_template_name=_reset + "password_reset_subject.txt",
            success_url=reverse_lazy("web:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name=_reset + "password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name=_reset + "password_reset_confirm.html",
            success_url=reverse_lazy("web:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name=_reset + "password_reset_complete.html"),
        name="password_reset_complete",
    ),
    *dashboard.urlpatterns,
    *customers.urlpatterns,
    *notices.urlpatterns,
    *runs.urlpatterns,
    *outbox.urlpatterns,
    *printing.urlpatterns,
    *actions.urlpatterns,
    *config.urlpatterns,
    *imports.urlpatterns,
]

# Pages anyone may open: the login and the password reset. Every other page needs a role
# (tests/web/test_access.py walks them all).
PUBLIC = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
