"""Payments: list, read one with its allocations, record one or many (matched to invoices at once)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from arrears.api.auth import CLERK, VIEWER, api_actor, company_of
from arrears.api.errors import ERRORS, ApiError
from arrears.api.idempotency import Answer, KeyHeader, run_once
from arrears.api.ledger_io import import_records, result_of
from arrears.api.paging import PageParams, page
from arrears.api.types import Amount, DayText, Text
from arrears.api.written import AllocationOut, BulkWritten, allocation_out, bulk_written
from arrears.core.money import format_minor
from arrears.ledger.models import Allocation, Payment

router = Router(tags=["payments"])
MAX_BULK = 5000


class PaymentIn(Schema):
    """A row of the import's payments file (docs/import-format.md). A payment's customer, date,
    currency and amount never change once it is paired; sent again with the same id, only the
    descriptive fields are replaced (a descriptive field left out is emptied, as in the file)."""

    model_config = ConfigDict(extra="forbid")

    id: Text = Field(max_length=64, description="the payment's id in your bank or accounting system (the key)")
    customer_id: Text = Field(max_length=64, description="a stored customer's id")
    date: DayText = Field(description="the day the money arrived")
    currency: Text = Field(max_length=10, description="ISO 4217 code")
    amount: Amount = Field(description='"1000.00"; greater than zero')
    invoice_number: Text | None = Field(None, max_length=64, description="the invoice it pays, if known")
    reference: Text | None = Field(None, max_length=140, description="the payer's reference: numbers, VS, text")
    payer_name: Text | None = Field(None, max_length=200)
    payer_account: Text | None = Field(None, max_length=64)


class PaymentsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    payments: list[PaymentIn] = Field(min_length=1, max_length=MAX_BULK)


class AllocationLine(Schema):
    invoice: str
    amount: str
    method: str = Field(description="reference, exact_amount or manual")


class PaymentOut(Schema):
    id: str
    customer_id: str
    date: date
    currency: str
    amount: str
    allocated: str
    unallocated: str = Field(description="left as the customer's credit")
    reference: str
    payer_name: str
    payer_account: str
    allocations: list[AllocationLine]


class PaymentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PaymentOut]


class PaymentWritten(Schema):
    result: Literal["created", "updated", "unchanged"]
    import_batch: int
    payment: PaymentOut
    allocation: AllocationOut


class PaymentFilters(Schema):
    customer: Text | None = Field(None, max_length=64, description="a customer's id")
    unallocated: bool | None = Field(None, description="true: payments with credit left")


def _rows(company_id: int) -> QuerySet[Payment]:
    allocations = Allocation.objects.select_related("invoice").order_by("id")
    return (
        Payment.objects.filter(company_id=company_id)
        .select_related("customer")
        .prefetch_related(Prefetch("allocations", queryset=allocations))
    )


def payment_out(p: Payment) -> PaymentOut:
    cur = p.currency
    return PaymentOut(
        id=p.external_id,
        customer_id=p.customer.external_id,
        date=p.received_on,
        currency=cur,
        amount=format_minor(p.amount_minor, cur),
        allocated=format_minor(p.allocated_minor, cur),
        unallocated=format_minor(p.unallocated_minor, cur),
        reference=p.reference,
        payer_name=p.payer_name,
        payer_account=p.payer_account,
        allocations=[
            AllocationLine(invoice=a.invoice.number, amount=format_minor(a.amount_minor, cur), method=a.method)
            for a in p.allocations.all()
        ],
    )


def _payment(company_id: int, external_id: str) -> Payment:
    found = _rows(company_id).filter(external_id=external_id).first()
    if found is None:
        raise ApiError(404, f"there is no payment {external_id!r}")
    return found


@router.get("/companies/{code}/payments", response={200: PaymentPage, **ERRORS}, auth=VIEWER)
def list_payments(
    request: HttpRequest, code: Text, paging: Query[PageParams], filters: Query[PaymentFilters]
) -> PaymentPage:
    """Payments by the day received. Viewer or higher."""
    company = company_of(code)
    rows = _rows(company.pk).order_by("received_on", "external_id")
    if filters.customer is not None:
        rows = rows.filter(customer__external_id=filters.customer)
    if filters.unallocated is not None:
        rows = rows.filter(unallocated_minor__gt=0) if filters.unallocated else rows.filter(unallocated_minor=0)
    count, items = page(rows, paging)
    return PaymentPage(count=count, limit=paging.limit, offset=paging.offset, items=[payment_out(p) for p in items])


@router.post("/companies/{code}/payments/bulk", response={200: BulkWritten, **ERRORS}, auth=CLERK)
def put_payments(
    request: HttpRequest,
    response: HttpResponse,
    code: Text,
    payload: PaymentsIn,
    idempotency_key: KeyHeader = None,
) -> Status[dict[str, Any]]:
    """Record up to 5,000 payments at once: all of them or, on any error, none (the 422 lists each
    refused record by its index). New payments are matched to invoices as in an import.
    Clerk or higher."""
    records = [p.model_dump(exclude_unset=True) for p in payload.payments]

    def write() -> Answer:
        report = import_records(company_of(code), "payments", records, api_actor(request))
        return 200, bulk_written(report, "payments")

    return run_once(request, response, idempotency_key, records, write)


@router.get("/companies/{code}/payments/{anytext:payment_id}", response={200: PaymentOut, **ERRORS}, auth=VIEWER)
def get_payment(request: HttpRequest, code: Text, payment_id: Text) -> PaymentOut:
    """One payment with the invoices it paid. Viewer or higher."""
    return payment_out(_payment(company_of(code).pk, payment_id))


@router.post("/companies/{code}/payments", response={200: PaymentWritten, 201: PaymentWritten, **ERRORS}, auth=CLERK)
def put_payment(
    request: HttpRequest,
    response: HttpResponse,
    code: Text,
    payload: PaymentIn,
    idempotency_key: KeyHeader = None,
) -> Status[dict[str, Any]]:
    """Record a payment (201): it is matched to the customer's invoices at once (by reference, else
    by exact amount, else kept as credit), and the answer shows where the money went. The same id
    again changes nothing but its descriptive fields (200). Clerk or higher."""
    record = payload.model_dump(exclude_unset=True)

    def write() -> Answer:
        company = company_of(code)
        report = import_records(company, "payments", [record], api_actor(request), single=True)
        result = result_of(report, "payments")
        written = PaymentWritten(
            result=result,  # type: ignore[arg-type]
            import_batch=report.batch_id,
            payment=payment_out(_payment(company.pk, record["id"].strip())),
            allocation=allocation_out(report),
        )
        return (201 if result == "created" else 200), written.model_dump(mode="json")

    return run_once(request, response, idempotency_key, record, write)
