"""Delivery in the admin: sender accounts (the password is write-only), the journal of messages
with its two actions (send again now, cancel), blocked addresses, print batches, the schedule,
webhook endpoints (the secret is write-only) and their event deliveries."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from arrears.delivery.events import REAL_EVENTS
from arrears.delivery.models import (
    SPAM_SAFE_INTERVAL,
    BlockedAddress,
    DeliveryAttempt,
    EventDelivery,
    OutboxMessage,
    PrintBatch,
    RunSchedule,
    SenderAccount,
    WebhookCall,
    WebhookEndpoint,
)
from arrears.delivery.outbox import JournalRefused, cancel, send_again
from arrears.delivery.printing import NothingToPrint, confirm_printed
from arrears.delivery.webhooks import send_test_event
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


class WebhookEndpointForm(forms.ModelForm):  # type: ignore[type-arg]
    # Never rendered back into the page: an empty field keeps the stored secret.
    secret = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=(
            "Write-only: it signs every event (HMAC-SHA256); give the receiver the same secret. At least 16 "
            "characters, e.g. from 'python3 -c \"import secrets; print(secrets.token_urlsafe(32))\"', or let "
            "'arrears webhook add' make one. Leave empty to keep the current secret."
        ),
    )
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where events are POSTed (https:// in production).",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEndpoint.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The events sent to this endpoint.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["company", "url", "description", "events", "active", "secret"]

    def clean_secret(self) -> str:
        value: str = self.cleaned_data.get("secret") or ""
        if not value and self.instance.pk:
            return str(self.instance.secret)
        if len(value) < 16:
            raise forms.ValidationError("A secret of at least 16 characters is needed.")
        return value


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    form = WebhookEndpointForm
    list_display = ["id", "url", "company", "event_list", "active", "description", "pending", "failed", "created_at"]
    list_filter = ["company", "active"]
    search_fields = ["url", "description"]
    actions = ["send_test"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEndpoint]:
        return (
            super()
            .get_queryset(request)
            .select_related("company")
            .annotate(
                pending_count=Count(
                    "deliveries",
                    filter=Q(deliveries__status=EventDelivery.Status.PENDING, deliveries__event_type__in=REAL_EVENTS),
                ),
                failed_count=Count(
                    "deliveries",
                    filter=Q(deliveries__status=EventDelivery.Status.FAILED, deliveries__event_type__in=REAL_EVENTS),
                ),
            )
        )

    @admin.display(description="events")
    def event_list(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.events or [])

    @admin.display(description="pending", ordering="pending_count")
    def pending(self, obj: WebhookEndpoint) -> int:
        return int(getattr(obj, "pending_count", 0))

    @admin.display(description="failed", ordering="failed_count")
    def failed(self, obj: WebhookEndpoint) -> int:
        return int(getattr(obj, "failed_count", 0))

    @admin.action(description="Send a test event now (webhook.test, once)", permissions=["change"])
    def send_test(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        actor = Actor.of_user(request.user)  # type: ignore[arg-type]
        for endpoint in queryset:
            delivery = send_test_event(endpoint, actor)
            if delivery.status == EventDelivery.Status.DELIVERED:
                self.message_user(request, f"Webhook #{endpoint.pk}: delivered, HTTP {delivery.last_status}.")
            else:
                self.message_user(
                    request, f"Webhook #{endpoint.pk}: not delivered: {delivery.last_error}", messages.WARNING
                )


@admin.register(EventDelivery)
class EventDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[EventDelivery]):
    list_display = ["id", "created_at", "event_type", "endpoint", "status", "attempts", "last_status",
                    "next_attempt_at", "finished_at", "last_error"]  # fmt: skip
    list_filter = ["status", "event_type", "endpoint__company"]
    search_fields = ["event_id", "delivery_id"]
    list_select_related = ["endpoint"]
    readonly_fields = [f.name for f in EventDelivery._meta.fields]
    actions = ["send_again_now"]

    @admin.action(description="Send again now (failed deliveries: one more try)", permissions=["journal"])
    def send_again_now(self, request: HttpRequest, queryset: QuerySet[EventDelivery]) -> None:
        count = queryset.filter(status=EventDelivery.Status.FAILED).update(
            status=EventDelivery.Status.PENDING, next_attempt_at=timezone.now(), finished_at=None
        )
        self.message_user(request, f"{count} failed delivery(ies) queued to be sent again by the worker.")

    def has_journal_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("delivery.change_eventdelivery"))
