"""Admin views of the ledger. Money fields are read-only here: balances change only through
imports and pairing services, which keep allocations and history consistent."""

from django.contrib import admin

from arrears.history.admin import ReadOnlyAdminMixin
from arrears.ledger.models import Allocation, ImportBatch, Invoice, Payment

_MONEY = ["amount_minor", "allocated_minor", "outstanding_minor", "settled_on", "last_receipt_on", "currency", "kind"]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin[Invoice]):
    list_display = [
        "number",
        "customer",
        "kind",
        "issue_date",
        "due_date",
        "currency",
        "amount_minor",
        "outstanding_minor",
        "dunning_enabled",
        "paused_until",
    ]
    list_filter = ["company", "kind", "currency", "dunning_enabled", "disputed"]
    search_fields = ["number", "variable_symbol", "customer__external_id", "customer__name"]
    raw_id_fields = ["customer", "import_batch"]
    readonly_fields = [*_MONEY, "import_batch", "company", "customer", "number"]
    date_hierarchy = "due_date"
    list_select_related = ["customer"]
    show_full_result_count = False
    list_per_page = 50


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin[Payment]):
    list_display = [
        "external_id",
        "customer",
        "received_on",
        "currency",
        "amount_minor",
        "unallocated_minor",
        "reference",
    ]
    list_filter = ["company", "currency"]
    search_fields = ["external_id", "reference", "customer__external_id", "payer_name"]
    readonly_fields = [
        "company",
        "external_id",
        "customer",
        "received_on",
        "currency",
        "amount_minor",
        "allocated_minor",
        "unallocated_minor",
        "import_batch",
    ]
    list_select_related = ["customer"]
    show_full_result_count = False
    list_per_page = 50


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Allocation]):
    list_display = ["created_at", "invoice", "payment", "credit_note", "amount_minor", "currency", "method"]
    list_filter = ["method", "currency"]
    raw_id_fields = ["invoice", "payment", "credit_note", "import_batch"]
    list_select_related = ["invoice", "payment", "credit_note"]
    show_full_result_count = False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin[ImportBatch]):
    list_display = ["id", "company", "started_at", "finished_at", "status", "actor_label"]
    readonly_fields = ["company", "started_at", "finished_at", "status", "actor_label", "files", "counts"]
