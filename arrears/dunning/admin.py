"""Dunning configuration in the admin: policies with their levels, and who gets which policy.
Runs, decisions and notices are shown read-only: they change only through runs and review."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms import BaseInlineFormSet
from django.http import HttpRequest

from arrears.core.policy import validate
from arrears.dunning.models import DunningAction, Level, Notice, NoticeItem, Policy, PolicyAssignment, Run
from arrears.dunning.policies import to_core
from arrears.history.admin import ReadOnlyAdminMixin


class LevelFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        numbers = sorted(
            form.cleaned_data["number"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        )
        if numbers and numbers != list(range(1, len(numbers) + 1)):
            raise ValidationError("levels must be numbered 1, 2, 3, ... without gaps")


class LevelInline(admin.TabularInline[Level, Policy]):
    model = Level
    formset = LevelFormSet
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = [
        "number",
        "name",
        "days_after_due",
        "min_days_since_previous",
        "repeat_every_days",
        "repeat_max",
        "min_amounts",
        "channel",
        "template",
        "action",
        "webhook_url",
    ]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin[Policy]):
    list_display = ["code", "name", "company", "is_default", "version", "payment_days", "pre_due_days"]
    list_filter = ["company", "is_default"]
    readonly_fields = ["version"]
    inlines = [LevelInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        policy = form.instance
        problems = validate(to_core(policy))
        if problems:
            self.message_user(request, "This policy cannot run as it is: " + "; ".join(problems), level="error")
        # Every change is a new version: runs record the version they used.
        if change:
            Policy.objects.filter(pk=policy.pk).update(version=policy.version + 1)


@admin.register(PolicyAssignment)
class PolicyAssignmentAdmin(admin.ModelAdmin[PolicyAssignment]):
    list_display = ["policy", "customer", "group", "invoice", "priority"]
    list_filter = ["company", "policy"]
    raw_id_fields = ["customer", "invoice"]


_ITEM_FIELDS = [
    "invoice",
    "level",
    "repetition",
    "reason",
    "currency",
    "outstanding_minor",
    "days_overdue",
    "excluded",
    "action",
]


class NoticeItemInline(ReadOnlyAdminMixin, admin.TabularInline[NoticeItem, Notice]):
    model = NoticeItem
    extra = 0
    fields = tuple(_ITEM_FIELDS)
    readonly_fields = tuple(_ITEM_FIELDS)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Notice]):
    list_display = ["id", "notice_date", "customer", "level", "channel", "status", "deadline", "manual", "run"]
    list_filter = ["status", "level", "channel", "manual"]
    search_fields = ["customer__external_id", "customer__name", "items__invoice__number"]
    list_select_related = ["customer", "run"]
    inlines = [NoticeItemInline]
    show_full_result_count = False


@admin.register(Run)
class RunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Run]):
    list_display = ["id", "company", "as_of", "status", "message", "started_at", "finished_at", "approved_by"]
    list_filter = ["company", "status"]


@admin.register(DunningAction)
class DunningActionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[DunningAction]):
    list_display = ["created_at", "action", "url", "invoice", "notice", "status"]
    list_filter = ["status", "action"]
