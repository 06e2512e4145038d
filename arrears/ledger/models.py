"""Invoices, credit notes, payments and the allocations between them.

Amounts are integer minor units (`*_minor`) of the row's ISO 4217 currency. The outstanding
amount of every document is stored, not computed on each read, because the dunning engine
selects millions of open invoices by it; check constraints keep it equal to
|amount| - allocated, so it can never drift.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from arrears.companies.models import Company, validate_currency
from arrears.customers.models import Customer


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        DONE = "done"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="import_batches")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    actor_label = models.CharField(max_length=150, blank=True)
    files = models.JSONField(default=list, help_text="Name and sha256 of each file imported.")
    counts = models.JSONField(default=dict, help_text="Rows created, updated and unchanged per kind.")

    class Meta:
        ordering = ["-started_at"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"import #{self.pk} ({self.started_at:%Y-%m-%d %H:%M})"


class Invoice(models.Model):
    """An invoice (positive amount) or a credit note (negative amount) issued to a customer."""

    class Kind(models.TextChoices):
        INVOICE = "invoice"
        CREDIT_NOTE = "credit_note", "credit note"

    # Foreign keys without their own index where a composite index below starts with them:
    # every index costs time on each of a million inserts.
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="invoices", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices", db_index=False)
    number = models.CharField(max_length=64)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    issue_date = models.DateField()
    due_date = models.DateField()
    currency = models.CharField(max_length=3, validators=[validate_currency])
    amount_minor = models.BigIntegerField(help_text="Total in minor units; negative for a credit note.")
    allocated_minor = models.BigIntegerField(
        default=0, help_text="Paid or credited so far (for a credit note: applied to invoices)."
    )
    outstanding_minor = models.BigIntegerField(
        help_text="Still owed (for a credit note: still to be applied); |amount| - allocated."
    )
    settled_on = models.DateField(null=True, blank=True, help_text="Day the outstanding amount reached zero.")
    last_receipt_on = models.DateField(
        null=True,
        blank=True,
        help_text="Date of the latest payment or credit note applied (for a credit note: its own date once applied).",
    )
    variable_symbol = models.CharField(max_length=20, blank=True, help_text="Payment reference / VS.")
    reference = models.CharField(
        max_length=64, blank=True, help_text="For a credit note: the number of the invoice it corrects."
    )
    dunning_enabled = models.BooleanField(default=True)
    paused_until = models.DateField(null=True, blank=True)
    disputed = models.BooleanField(default=False)
    dispute_reason = models.CharField(max_length=500, blank=True)
    document_url = models.URLField(max_length=500, blank=True, help_text="Link to the invoice document.")
    document_file = models.FileField(upload_to="invoices/%Y/%m/", blank=True)
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["company", "due_date", "number"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="invoice_number_unique"),
            models.CheckConstraint(
                condition=(Q(kind="invoice", amount_minor__gte=0) | Q(kind="credit_note", amount_minor__lt=0)),
                name="invoice_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(allocated_minor__gte=0) & Q(outstanding_minor__gte=0),
                name="invoice_never_overallocated",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="invoice", outstanding_minor=F("amount_minor") - F("allocated_minor"))
                    | Q(kind="credit_note", outstanding_minor=-F("amount_minor") - F("allocated_minor"))
                ),
                name="invoice_outstanding_consistent",
            ),
            models.CheckConstraint(condition=Q(due_date__gte=F("issue_date")), name="invoice_due_after_issue"),
        ]
        indexes = [
            models.Index(fields=["customer", "due_date"], name="invoice_customer_due"),
            # The dashboard's DSO: what a company invoiced in the last 90 days.
            models.Index(fields=["company", "issue_date"], name="invoice_company_issued"),
            models.Index(
                fields=["company", "variable_symbol"], condition=~Q(variable_symbol=""), name="invoice_variable_symbol"
            ),
            # The dunning engine's candidate scan: open documents of a company, customer by customer.
            models.Index(
                fields=["company", "customer", "due_date"],
                condition=Q(outstanding_minor__gt=0),
                name="invoice_open_by_customer",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE


class Payment(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="payments", db_index=False)
    external_id = models.CharField(max_length=64, help_text="The payment's id in the bank or accounting system.")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments", db_index=False)
    received_on = models.DateField()
    currency = models.CharField(max_length=3, validators=[validate_currency])
    amount_minor = models.BigIntegerField()
    allocated_minor = models.BigIntegerField(default=0)
    unallocated_minor = models.BigIntegerField(help_text="Customer credit left from this payment.")
    reference = models.CharField(max_length=140, blank=True, help_text="Invoice number or VS given by the payer.")
    payer_name = models.CharField(max_length=200, blank=True)
    payer_account = models.CharField(max_length=64, blank=True)
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="payments", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["company", "received_on", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "external_id"], name="payment_external_id_unique"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=Q(allocated_minor__gte=0)
                & Q(unallocated_minor__gte=0)
                & Q(unallocated_minor=F("amount_minor") - F("allocated_minor")),
                name="payment_allocation_consistent",
            ),
        ]
        indexes = [models.Index(fields=["customer", "received_on"], name="payment_customer_received")]

    def __str__(self) -> str:
        return self.external_id


class Allocation(models.Model):
    """Money from a payment or a credit note applied to an invoice."""

    class Method(models.TextChoices):
        REFERENCE = "reference", "by reference"
        EXACT_AMOUNT = "exact_amount", "by exact amount"
        MANUAL = "manual", "paired by hand"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", db_index=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations")
    credit_note = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="applications", db_index=False
    )
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    method = models.CharField(max_length=12, choices=Method.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations", db_index=False
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="allocation_positive"),
            models.CheckConstraint(
                condition=(
                    Q(payment__isnull=False, credit_note__isnull=True)
                    | Q(payment__isnull=True, credit_note__isnull=False)
                ),
                name="allocation_has_one_source",
            ),
        ]
        indexes = [
            models.Index(fields=["credit_note"], condition=Q(credit_note__isnull=False), name="allocation_credit_note"),
        ]

    def __str__(self) -> str:
        return f"{self.amount_minor} {self.currency} -> {self.invoice_id}"
