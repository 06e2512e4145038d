"""Delivery: sender accounts, the outbox (one row per message before anything leaves the process),
attempts, blocked addresses, print batches and the schedule of automatic runs."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q

from arrears.companies.models import Company
from arrears.dunning.models import Notice, Run

# Below this interval, mail may be taken for spam: the account form and `smtp add` warn.
SPAM_SAFE_INTERVAL = 60


class SenderAccount(models.Model):
    """An SMTP account the company sends from. The password is write-only: never logged, never shown."""

    class Security(models.TextChoices):
        NONE = "none", "none (plain SMTP)"
        STARTTLS = "starttls", "STARTTLS"
        SSL = "ssl", "SSL/TLS from the start"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="sender_accounts")
    code = models.SlugField(max_length=40)
    is_default = models.BooleanField(default=False)
    display_name = models.CharField(max_length=200, help_text="Shown as the sender's name.")
    address = models.EmailField(help_text="The From address.")
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(65535)])
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.STARTTLS)
    username = models.CharField(max_length=255, blank=True)
    password = models.CharField(max_length=255, blank=True, help_text="Write-only.")
    timeout_seconds = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    request_delivery_receipt = models.BooleanField(
        default=False, help_text="Ask for a DSN on failure and delay (when the server offers DSN)."
    )
    request_read_receipt = models.BooleanField(
        default=False, help_text="Add Disposition-Notification-To (the recipient's mail program may ask them)."
    )
    debug = models.BooleanField(default=False, help_text="Log the SMTP dialogue (passwords are never logged).")
    send_interval_seconds = models.PositiveIntegerField(
        default=SPAM_SAFE_INTERVAL,
        help_text="At most one e-mail every N seconds (0: as fast as the server takes them).",
    )
    reply_to = models.CharField(max_length=500, blank=True, help_text="Comma-separated addresses.")
    cc = models.CharField("CC", max_length=500, blank=True, help_text="Comma-separated addresses.")
    bcc = models.CharField("BCC", max_length=500, blank=True, help_text="Comma-separated addresses.")
    test_address = models.EmailField(
        blank=True, help_text="Test mode: every e-mail goes to this address instead of the customer."
    )
    test_customers = models.JSONField(
        default=list, blank=True, help_text="Test mode: only these customers (external ids) get e-mail; others skip."
    )
    # When the next e-mail may leave through this account: several workers share the interval.
    next_send_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when the server refused the password; changing the account or sending again lifts it.
    paused_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["company", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="sender_code_unique"),
            models.UniqueConstraint(fields=["company"], condition=Q(is_default=True), name="sender_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.code} <{self.address}> via {self.host}:{self.port}"

    @property
    def in_test_mode(self) -> bool:
        return bool(self.test_address or self.test_customers)


class OutboxMessage(models.Model):
    """One message to one recipient: written with its notice, before anything leaves the process."""

    class Kind(models.TextChoices):
        NOTICE = "notice", "reminder"
        REPORT = "report", "run report to the credit controller"

    class Channel(models.TextChoices):
        EMAIL = "email", "e-mail"
        LETTER = "letter", "paper letter"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"
        PAPER = "paper", "paper: to be printed"
        PRINTED = "printed", "printed"
        SKIPPED = "skipped", "skipped"
        CANCELLED = "cancelled", "cancelled"
        UNCERTAIN = "uncertain", "uncertain: check whether it arrived"

    class Phase(models.TextChoices):
        # Within "sending": "claimed" = the message body's end was not yet sent, so the server cannot
        # have accepted it; "committing" = the end is (about to be) sent: a crash now is uncertain.
        NONE = "", "-"
        CLAIMED = "claimed", "claimed"
        COMMITTING = "committing", "committing"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTICE)
    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="messages")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254, blank=True, help_text="The e-mail address; empty for paper.")
    message_id = models.CharField(max_length=200, unique=True)
    account = models.ForeignKey(SenderAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.NONE, blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text="Why it was skipped, went to paper or failed.")
    attempts = models.PositiveIntegerField(default=0)
    # Attempts made before the last "send again": temporary failures are counted from there.
    retry_base = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    subject = models.CharField(max_length=300, blank=True)
    envelope_to = models.TextField(blank=True, help_text="RCPT TO addresses, comma-separated (test mode changes them).")
    mime = models.ForeignKey(
        "documents.ArchivedDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    mime_path = models.CharField(max_length=200, blank=True, help_text="The archived MIME bytes (reports too).")
    print_batch = models.ForeignKey(
        "PrintBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The outbox key: one message per notice, channel and recipient, however often a notice
            # is queued (a retried approval, a second worker).
            models.UniqueConstraint(
                fields=["notice", "channel", "recipient"],
                condition=Q(notice__isnull=False),
                name="outbox_once_per_recipient",
            ),
            models.UniqueConstraint(
                fields=["run", "recipient"], condition=Q(kind="report"), name="outbox_one_report_per_run"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["notice"], name="outbox_notice"),
            models.Index(fields=["company", "status"], name="outbox_company_status"),
            # The dashboard's "this week" counts and the outbox list, newest first, per company.
            models.Index(fields=["company", "created_at"], name="outbox_company_created"),
        ]

    def __str__(self) -> str:
        to = self.recipient or "paper"
        return f"message #{self.pk} to {to} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try to deliver a message: the journal's line per attempt."""

    class Outcome(models.TextChoices):
        SENT = "sent", "sent"
        RETRY = "retry", "temporary failure, will retry"
        FAILED = "failed", "permanent failure"
        UNCERTAIN = "uncertain", "interrupted after the server may have accepted it"
        INTERRUPTED = "interrupted", "interrupted before the server could accept it"
        SKIPPED = "skipped", "skipped"

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    worker = models.CharField(max_length=100)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    smtp_code = models.PositiveIntegerField(null=True, blank=True)
    reply = models.TextField(blank=True)

    class Meta:
        ordering = ["message", "number", "id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of message {self.message_id}: {self.outcome}"


class BlockedAddress(models.Model):
    """An address that bounced hard: later notices to it go to paper."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(max_length=254, help_text="Lower case.")
    reason = models.TextField()
    message = models.ForeignKey(OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    blocked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["company", "address"]
        verbose_name_plural = "blocked addresses"
        constraints = [models.UniqueConstraint(fields=["company", "address"], name="blocked_once")]

    def __str__(self) -> str:
        return self.address


class PrintBatch(models.Model):
    """The paper letters of a day, merged into one PDF to print, with a list of what is in it."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)
    letters = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    pdf_path = models.CharField(max_length=200)
    list_path = models.CharField(max_length=200)
    printed_at = models.DateTimeField(null=True, blank=True)
    printed_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "print batches"

    def __str__(self) -> str:
        return f"print batch #{self.pk} ({self.letters} letters)"


class RunSchedule(models.Model):
    """The company's automatic dunning run: at a time of day in its time zone, on its sending days."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="run_schedule")
    enabled = models.BooleanField(default=True)
    time_of_day = models.TimeField(help_text="Local time in the company's time zone.")
    review_first = models.BooleanField(
        default=False, help_text="Stop at a proposal for review instead of sending at once."
    )
    send_report = models.BooleanField(default=True, help_text="E-mail the credit controller a report of each run.")
    last_started_on = models.DateField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"run of {self.company_id} at {self.time_of_day:%H:%M}"


class WebhookCall(models.Model):
    """The worker's calls of a level's webhook (a DunningAction): at least once, with an
    Idempotency-Key the receiver can use to ignore a repeat, retried with backoff."""

    action = models.OneToOneField("dunning.DunningAction", on_delete=models.CASCADE, related_name="call")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status = models.PositiveIntegerField(null=True, blank=True, help_text="HTTP status of the last reply.")
    last_error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"webhook call for action {self.action_id} ({self.attempts} attempts)"


class WebhookEndpoint(models.Model):
    """A receiver of the company's events (notice sent, message failed, invoice handed over): each
    event is POSTed as JSON, signed with HMAC-SHA256. The secret is write-only: never shown, never logged."""

    class Event(models.TextChoices):
        NOTICE_SENT = "notice.sent", "notice sent (an e-mail reminder was accepted by the mail server)"
        MESSAGE_FAILED = "message.failed", "message failed (an e-mail could not be delivered)"
        INVOICE_HANDED_OVER = "invoice.handed_over", "invoice handed over to external collection"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="webhook_endpoints")
    url = models.URLField(
        "URL",
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Where events are POSTed (https:// in production).",
    )
    secret = models.CharField(max_length=200, help_text="Write-only: signs every event (HMAC-SHA256).")
    events = models.JSONField(default=list, help_text="The event types sent to this endpoint.")
    active = models.BooleanField(default=True, help_text="An inactive endpoint gets nothing, not even retries.")
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["company", "id"]
        indexes = [models.Index(fields=["company", "active"], name="webhook_endpoint_company")]

    def __str__(self) -> str:  # never the secret
        return f"webhook #{self.pk} {self.url}"


class EventDelivery(models.Model):
    """One event for one endpoint: written in the transaction of the fact it reports (a
    transactional outbox), POSTed by the worker at least once, retried with backoff."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The event's id (the body's "id"): the same for every endpoint the event goes to.
    event_id = models.CharField(max_length=40)
    # This delivery's id (the X-Arrears-Delivery header): the same on every retry.
    delivery_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField(help_text="The body: id, type, created, company, data.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status = models.PositiveIntegerField(null=True, blank=True, help_text="HTTP status of the last reply.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "event deliveries"
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"], name="event_once_per_endpoint")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="event_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} to webhook #{self.endpoint_id} ({self.status})"
