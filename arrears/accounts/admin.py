"""Users' records in the admin: API tokens (the digest never shown), e-mails sent to users (the
password reset) and refused logins. All read-only: tokens are made and revoked on the "API tokens"
page or with `arrears user token`; the other two are written by arrears itself."""

from __future__ import annotations

from django.contrib import admin

from arrears.accounts.models import AccountMail, ApiToken, LoginFailure
from arrears.history.admin import ReadOnlyAdminMixin


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[ApiToken]):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "user__username"]
    list_select_related = ["user"]
    exclude = ["digest"]


@admin.register(AccountMail)
class AccountMailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[AccountMail]):
    list_display = ["created_at", "recipients", "subject", "status", "account", "reply"]
    list_filter = ["status"]
    search_fields = ["recipients", "subject"]
    list_select_related = ["account"]
    date_hierarchy = "created_at"


@admin.register(LoginFailure)
class LoginFailureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[LoginFailure]):
    list_display = ["at", "username", "ip"]
    search_fields = ["username", "ip"]
    date_hierarchy = "at"
