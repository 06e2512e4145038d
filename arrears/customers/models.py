"""Customers (debtors), their groups and contacts."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from arrears.companies.models import Company


class CustomerGroup(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="customer_groups")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["company", "code"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="customer_group_code_unique")]

    def __str__(self) -> str:
        return self.name or self.code


class Customer(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="customers")
    external_id = models.CharField(max_length=64, help_text="The customer's id in the billing system.")
    name = models.CharField(max_length=200)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code")
    language = models.CharField(max_length=10, blank=True, help_text="Language of letters; empty: company's")
    registration_no = models.CharField("registration number", max_length=40, blank=True)
    vat_no = models.CharField("VAT number", max_length=40, blank=True)
    groups = models.ManyToManyField(CustomerGroup, blank=True, related_name="customers")
    dunning_enabled = models.BooleanField(default=True)
    paused_until = models.DateField(null=True, blank=True, help_text="No reminders up to and including this day.")
    disputed = models.BooleanField(default=False)
    dispute_reason = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True, help_text="Free text shown on the customer card.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["company", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "external_id"], name="customer_external_id_unique"),
            models.CheckConstraint(
                condition=Q(disputed=False) | ~Q(dispute_reason=""), name="customer_dispute_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["company", "name"])]

    def __str__(self) -> str:
        return f"{self.external_id} {self.name}"


class Contact(models.Model):
    """A person or mailbox at the customer; one address may serve several roles."""

    class Source(models.TextChoices):
        MANUAL = "manual", "entered by hand"
        IMPORT = "import", "from an import (replaced by the next import)"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    role_billing = models.BooleanField("billing", default=False, help_text="Receives invoices.")
    role_dunning = models.BooleanField("dunning", default=False, help_text="Receives reminders.")
    role_contact = models.BooleanField("contact person", default=False, help_text="Named in letters.")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        ordering = ["customer", "id"]

    def __str__(self) -> str:
        return self.name or self.email
