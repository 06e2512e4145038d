"""Delivery in the admin: sender accounts (the password is write-only), the journal of messages
with its two actions (send again now, cancel), blocked addresses, print batches, the schedule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from arrears.delivery.models import (
    SPAM_SAFE_INTERVAL,
    BlockedAddress,
    DeliveryAttempt,
    OutboxMessage,
    PrintBatch,
    RunSchedule,
    SenderAccount,
    WebhookCall,
)
from arrears.delivery.outbox import JournalRefused, cancel, send_again
from arrears.delivery.printing import NothingToPrint, confirm_printed
from arrears.history.admin import ReadOnlyAdminMixin
from arrears.history.services import Actor


class SenderAccountForm(forms.ModelForm):  # type: ignore[type-arg]
    # Never rendered back into the page: an empty field keeps the stored password.
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave empty to keep the current password.",
    )

    class Meta:
        model = SenderAccount
        fields = [
            "company", "code", "is_default", "display_name", "address", "host", "port", "security", "username",
            "password", "timeout_seconds", "send_interval_seconds", "reply_to", "cc", "bcc",
            "request_delivery_receipt", "request_read_receipt", "debug", "test_address", "test_customers",
        ]  # fmt: skip

    def clean_password(self) -> str:
        value: str = self.cleaned_data.get("password") or ""
        if not value and self.instance.pk:
            return str(self.instance.password)
        return value


@admin.register(SenderAccount)
class SenderAccountAdmin(admin.ModelAdmin[SenderAccount]):
    form = SenderAccountForm
    list_display = ["code", "company", "address", "host", "port", "security", "send_interval_seconds", "is_default"]
    list_filter = ["company", "security", "is_default"]
    fieldsets = [
        (None, {"fields": ["company", "code", "is_default", "display_name", "address"]}),
        ("Server", {"fields": ["host", "port", "security", "username", "password", "timeout_seconds"]}),
        ("Sending", {"fields": ["send_interval_seconds", "reply_to", "cc", "bcc"]}),
        ("Receipts and diagnostics", {"fields": ["request_delivery_receipt", "request_read_receipt", "debug"]}),
        ("Test mode", {"fields": ["test_address", "test_customers"]}),
    ]

    def save_model(self, request: HttpRequest, obj: SenderAccount, form: Any, change: bool) -> None:
        obj.paused_until = None  # a changed account (a new password) is tried again at once
        super().save_model(request, obj, form, change)
        if obj.send_interval_seconds < SPAM_SAFE_INTERVAL:
            self.message_user(
                request,
                f"One e-mail every {obj.send_interval_seconds} s: below {SPAM_SAFE_INTERVAL} s receiving servers "
                "may take the mail for spam. Check your provider's sending limits.",
                messages.WARNING,
            )
        if obj.in_test_mode:
            self.message_user(request, "Test mode is on: customers do not receive these e-mails.", messages.WARNING)


class AttemptInline(admin.TabularInline[DeliveryAttempt, OutboxMessage]):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "finished_at", "outcome", "smtp_code", "reply", "worker"]
    readonly_fields = ["number", "started_at", "finished_at", "outcome", "smtp_code", "reply", "worker"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[OutboxMessage]):
    list_display = ["id", "status", "channel", "recipient", "notice", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "channel", "kind", "company"]
    search_fields = ["recipient", "message_id", "subject", "notice__customer__external_id"]
    list_select_related = ["notice"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    inlines = [AttemptInline]
    # Nothing is edited by hand; the two journal actions need the change permission.
    actions = ["send_again_now", "cancel_messages"]

    @admin.action(description="Send again now", permissions=["journal"])
    def send_again_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        self._each(request, queryset, send_again, "queued to be sent again")

    @admin.action(description="Cancel (do not send)", permissions=["journal"])
    def cancel_messages(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        self._each(request, queryset, cancel, "cancelled")

    def has_journal_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("delivery.change_outboxmessage"))

    def _each(self, request: HttpRequest, queryset: QuerySet[OutboxMessage], do: Any, done: str) -> None:
        actor = Actor.of_user(request.user)  # type: ignore[arg-type]
        count = 0
        for message in queryset:
            try:
                do(message, actor)
                count += 1
            except JournalRefused as exc:
                self.message_user(request, str(exc), messages.WARNING)
        if count:
            self.message_user(request, f"{count} message(s) {done}.")


@admin.register(BlockedAddress)
class BlockedAddressAdmin(admin.ModelAdmin[BlockedAddress]):
    """Deleting a row unblocks the address."""

    list_display = ["address", "company", "blocked_at", "reason"]
    search_fields = ["address"]
    readonly_fields = ["company", "address", "reason", "message", "blocked_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PrintBatch)
class PrintBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[PrintBatch]):
    list_display = ["id", "company", "created_at", "letters", "pages", "printed_at", "printed_by"]
    actions = ["mark_printed"]

    @admin.action(description="Mark printed (the letters count as sent)", permissions=["confirm"])
    def mark_printed(self, request: HttpRequest, queryset: QuerySet[PrintBatch]) -> None:
        actor = Actor.of_user(request.user)  # type: ignore[arg-type]
        for batch in queryset:
            try:
                count = confirm_printed(batch, actor)
                self.message_user(request, f"Print batch #{batch.pk}: {count} letters marked printed.")
            except NothingToPrint as exc:
                self.message_user(request, str(exc), messages.WARNING)

    def has_confirm_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("delivery.change_printbatch"))


@admin.register(RunSchedule)
class RunScheduleAdmin(admin.ModelAdmin[RunSchedule]):
    list_display = ["company", "enabled", "time_of_day", "review_first", "send_report", "last_started_on"]


@admin.register(WebhookCall)
class WebhookCallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[WebhookCall]):
    list_display = ["action", "attempts", "last_status", "next_attempt_at", "finished_at", "last_error"]
