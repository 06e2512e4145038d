"""A company's own texts per template key and language; anything it leaves empty comes from the
shipped defaults (arrears/documents/defaults/*.toml)."""

from __future__ import annotations

from django.db import models

from arrears.companies.models import Company

FIELDS = ("subject", "opening", "closing", "body")


class MessageTemplate(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="message_templates")
    key = models.SlugField(max_length=64, help_text="pre_due, level1, level2, level3, final, invoice_resend, ...")
    language = models.CharField(max_length=10)
    subject = models.CharField(max_length=500, blank=True)
    opening = models.TextField(blank=True)
    closing = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text="The plain-text e-mail; empty: the shipped default.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["company", "key", "language"]
        constraints = [
            models.UniqueConstraint(fields=["company", "key", "language"], name="message_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"


class ArchivedDocument(models.Model):
    """An exact copy of what was produced for a customer (PDF letter, e-mail as MIME bytes), stored
    once by its sha256 and never changed: the file name is the hash, and rows are never updated."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF letter"
        EMAIL = "eml", "e-mail (MIME)"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    notice = models.ForeignKey("dunning.Notice", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    path = models.CharField(max_length=200, help_text="Name in the archive storage.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["notice", "kind", "sha256"], name="archived_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.sha256[:12]} of notice {self.notice_id}"
