"""Dunning: policies and levels, where each invoice stands, runs, their decisions and notices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from arrears.companies.models import Company
from arrears.core.policy import Action, Channel
from arrears.customers.models import Customer, CustomerGroup
from arrears.ledger.models import Invoice

CHANNELS = [(c.value, c.value) for c in Channel]
ACTIONS = [(a.value, a.value) for a in Action]


class Policy(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="dunning_policies")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    is_default = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1, help_text="Raised on every change; runs record it.")
    min_amounts = models.JSONField(
        default=dict, blank=True, help_text='Tolerance per currency in minor units, e.g. {"EUR": 500}.'
    )
    weekdays = models.JSONField(default=list, help_text="Sending days, 0 = Monday ... 6 = Sunday.")
    business_days_only = models.BooleanField(default=True, help_text="Skip the public holidays of the company.")
    payment_days = models.PositiveIntegerField(default=10, help_text="Deadline in a notice: notice date + days.")
    pre_due_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Send a reminder this many days before the due date (empty: none)."
    )
    pre_due_min_amounts = models.JSONField(default=dict, blank=True)
    pre_due_channel = models.CharField(max_length=10, choices=CHANNELS, default=Channel.EMAIL.value)
    pre_due_template = models.CharField(max_length=64, default="pre_due")

    class Meta:
        ordering = ["company", "code"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="policy_code_unique"),
            models.UniqueConstraint(fields=["company"], condition=Q(is_default=True), name="policy_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class Level(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    days_after_due = models.PositiveIntegerField()
    min_days_since_previous = models.PositiveIntegerField(default=0)
    repeat_every_days = models.PositiveIntegerField(null=True, blank=True)
    repeat_max = models.PositiveIntegerField(default=0)
    min_amounts = models.JSONField(default=dict, blank=True)
    channel = models.CharField(max_length=10, choices=CHANNELS, default=Channel.EMAIL.value)
    template = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=10, choices=ACTIONS, default=Action.NONE.value)
    webhook_url = models.URLField(blank=True)

    class Meta:
        ordering = ["policy", "number"]
        constraints = [models.UniqueConstraint(fields=["policy", "number"], name="level_number_unique")]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class PolicyAssignment(models.Model):
    """A policy for one customer, one customer group or one invoice (invoice beats customer beats group)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="assignments")
    customer = models.OneToOneField(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="dunning_policy"
    )
    group = models.OneToOneField(
        CustomerGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="dunning_policy"
    )
    invoice = models.OneToOneField(Invoice, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # A customer in several groups with policies gets the group assignment with the lowest priority.
    priority = models.PositiveSmallIntegerField(default=100)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(customer__isnull=False, group__isnull=True, invoice__isnull=True)
                    | Q(customer__isnull=True, group__isnull=False, invoice__isnull=True)
                    | Q(customer__isnull=True, group__isnull=True, invoice__isnull=False)
                ),
                name="assignment_has_one_target",
            )
        ]

    def __str__(self) -> str:
        target = self.customer or self.group or self.invoice
        return f"{self.policy.code} for {target}"


class InvoiceDunning(models.Model):
    """Where an invoice stands in the reminder process. Absent: never reminded."""

    invoice = models.OneToOneField(Invoice, primary_key=True, on_delete=models.CASCADE, related_name="dunning")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", db_index=False)
    level = models.PositiveSmallIntegerField(default=0)
    repetitions = models.PositiveSmallIntegerField(default=0)
    last_notice_on = models.DateField(null=True, blank=True)
    pre_due_sent_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True, help_text="Stopped by hand; a manual reminder restarts.")
    handed_over_on = models.DateField(null=True, blank=True, help_text="Given to external collection.")

    class Meta:
        indexes = [
            models.Index(fields=["company", "handed_over_on"], name="dunning_handed_over"),
            # The customers list's "stopped" filter. Partial: most invoices are never stopped, and
            # the run's writes of states stay as cheap as without it.
            models.Index(fields=["company"], condition=Q(stopped_on__isnull=False), name="dunning_stopped"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: level {self.level}"


class Run(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        PROPOSAL = "proposal", "proposal, waiting for review"
        DONE = "done"
        NOTHING = "nothing", "nothing to do"
        FAILED = "failed"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="dunning_runs")
    as_of = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    customer_ids = models.JSONField(default=list, blank=True, help_text="External ids a run was limited to.")
    policy_versions = models.JSONField(default=dict)
    counts = models.JSONField(default=dict)
    message = models.CharField(max_length=500, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        constraints = [
            # Two runs at the same time for one company are refused by the database itself.
            models.UniqueConstraint(fields=["company"], condition=Q(status="running"), name="run_one_at_a_time"),
        ]

    def __str__(self) -> str:
        return f"run #{self.pk} {self.as_of} ({self.status})"


class RunDecision(models.Model):
    """What a run decided for one open invoice, and why."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="decisions", db_index=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", db_index=False)
    reason = models.CharField(max_length=24)
    level = models.PositiveSmallIntegerField(default=0)
    repetition = models.PositiveSmallIntegerField(default=0)
    next_possible_on = models.DateField(null=True, blank=True)
    detail = models.CharField(max_length=40, blank=True)
    policy_code = models.CharField(max_length=40)

    class Meta:
        indexes = [
            models.Index(fields=["run", "customer"], name="decision_run_customer"),
            models.Index(fields=["invoice", "run"], name="decision_invoice_run"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id}, invoice {self.invoice_id}: {self.reason}"


class Notice(models.Model):
    """One reminder to one customer, covering one or more invoices in one or more currencies."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "proposed, waiting for review"
        EXCLUDED = "excluded", "excluded in review"
        CREATED = "created", "created, to be delivered"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="notices")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.PROTECT, related_name="notices")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="notices")
    level = models.PositiveSmallIntegerField(help_text="Highest level among the items; 0 = pre-due reminder.")
    channel = models.CharField(max_length=10, choices=CHANNELS)
    status = models.CharField(max_length=10, choices=Status.choices)
    notice_date = models.DateField()
    deadline = models.DateField(help_text="Pay by this date.")
    totals = models.JSONField(default=list, help_text="Per currency: reminded, overdue, credit, demanded.")
    manual = models.BooleanField(default=False)
    note = models.CharField(max_length=50, blank=True)
    policy_code = models.CharField(max_length=40, blank=True)
    template = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-notice_date", "-id"]
        indexes = [
            models.Index(fields=["customer", "notice_date"], name="notice_customer_date"),
            # The reminder book: a company's notices, newest first, a page at a time.
            models.Index(fields=["company", "notice_date", "id"], name="notice_company_date"),
        ]

    def __str__(self) -> str:
        return f"notice #{self.pk} to {self.customer_id}, level {self.level}"


class NoticeItem(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="notice_items", db_index=False)
    level = models.PositiveSmallIntegerField()
    repetition = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=24)
    currency = models.CharField(max_length=3)
    outstanding_minor = models.BigIntegerField()
    days_overdue = models.IntegerField()
    excluded = models.BooleanField(default=False)
    action = models.CharField(max_length=10, choices=ACTIONS, default=Action.NONE.value)
    action_url = models.URLField(blank=True)

    class Meta:
        ordering = ["notice", "currency", "id"]
        constraints = [
            # A re-run on the same date can never remind the same invoice at the same step twice.
            # Items taken out in review (or of a discarded proposal) do not count: the step was
            # never sent, so a later run may propose it again.
            models.UniqueConstraint(
                fields=["invoice", "level", "repetition"],
                condition=Q(excluded=False),
                name="notice_item_once_per_step",
            ),
        ]

    def __str__(self) -> str:
        return f"invoice {self.invoice_id} at level {self.level}"


class DunningAction(models.Model):
    """An action a level triggers (a webhook call); carried out by the delivery worker."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="actions")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=ACTIONS)
    url = models.URLField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The collection actions overview: a company's actions, newest first.
        indexes = [models.Index(fields=["company", "-created_at"], name="action_company_created")]

    def __str__(self) -> str:
        return f"{self.action} for invoice {self.invoice_id} ({self.status})"
