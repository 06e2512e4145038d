"""The creditor: the company whose invoices arrears collects. Every ledger row belongs to one."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date

from babel import Locale, UnknownLocaleError
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from arrears.core.countries import is_country
from arrears.core.currencies import is_known_currency
from arrears.core.iban import iban_problem, normalize_iban


def validate_currency(value: str) -> None:
    if not is_known_currency(value):
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code such as EUR or CZK")


def validate_country(value: str) -> None:
    if not is_country(value):
        raise ValidationError(f"{value!r} is not an ISO 3166 country code such as CZ, DE or PL")


_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def validate_bic(value: str) -> None:
    if value and not _BIC.match(value):
        raise ValidationError(f"{value!r} is not a BIC: expected 8 or 11 letters and digits, e.g. GIBACZPX")


def validate_language(value: str) -> None:
    try:
        Locale.parse(value.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise ValidationError(f"{value!r} is not a language: expected a code such as en, cs, de, pl or ru") from None


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/Prague") from None


def validate_iban(value: str) -> None:
    problem = iban_problem(value)
    if problem:
        raise ValidationError(problem)


class Company(models.Model):
    code = models.SlugField(max_length=32, unique=True, help_text="Short name used on the command line.")
    name = models.CharField(max_length=200)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(
        max_length=2, validators=[validate_country], help_text="ISO 3166 code; decides the public holidays."
    )
    registration_no = models.CharField("registration number", max_length=40, blank=True)
    vat_no = models.CharField("VAT number", max_length=40, blank=True)
    default_currency = models.CharField(max_length=3, validators=[validate_currency])
    default_language = models.CharField(max_length=10, default="en", validators=[validate_language])
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    credit_controller_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def today(self) -> date:
        """Today where the company is: a run at 00:30 in Prague is already tomorrow in UTC terms."""
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(self.time_zone))


class BankAccount(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="bank_accounts")
    iban = models.CharField("IBAN", max_length=34, validators=[validate_iban])
    bic = models.CharField("BIC", max_length=11, blank=True, validators=[validate_bic])
    bank_name = models.CharField(max_length=100, blank=True)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    # Domestic account number where the IBAN is not what customers type (CZ: 123456789/0800).
    local_account_number = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["company", "currency", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "iban", "currency"], name="bank_account_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.iban} ({self.currency})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.iban = normalize_iban(self.iban)
        self.bic = self.bic.replace(" ", "").upper()
        super().save(*args, **kwargs)  # type: ignore[arg-type]
