"""Invoices and credit notes: list with filters, read one, create or update one or many."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from arrears.api.auth import CLERK, VIEWER, api_actor, company_of
from arrears.api.errors import ERRORS, ApiError
from arrears.api.idempotency import Answer, KeyHeader, run_once
from arrears.api.ledger_io import import_records, result_of
from arrears.api.paging import PageParams, page
from arrears.api.types import Amount, DayText, Text, YesNo
from arrears.api.written import BulkWritten, bulk_written
from arrears.companies.models import Company
from arrears.core.money import format_minor
from arrears.ledger.models import Invoice

router = Router(tags=["invoices"])
MAX_BULK = 5000


class InvoiceFields(Schema):
    """The fields of the import's invoices file (docs/import-format.md): an optional field left out
    keeps its stored value; null or "" empties it."""

    model_config = ConfigDict(extra="forbid")

    variable_symbol: Text | None = Field(None, max_length=20, description="payment reference (VS)")
    reference: Text | None = Field(None, max_length=64, description="a credit note: the invoice it corrects")
    document_url: Text | None = Field(None, max_length=500, description="http(s) link to the document")
    dunning_enabled: YesNo | None = Field(None, description="false: never reminded automatically")
    paused_until: DayText | None = Field(None, description="no reminders up to and including this day")


class InvoiceIn(InvoiceFields):
    number: Text = Field(max_length=64, description="the invoice number (the key)")
    customer_id: Text = Field(max_length=64, description="a stored customer's id")
    issue_date: DayText
    due_date: DayText
    currency: Text = Field(max_length=10, description="ISO 4217 code")
    amount: Amount = Field(description='"1250.50"; negative for a credit note; never rounded')


class InvoicePatch(InvoiceFields):
    customer_id: Text | None = Field(None, max_length=64)
    issue_date: DayText | None = None
    due_date: DayText | None = None
    currency: Text | None = Field(None, max_length=10)
    amount: Amount | None = None


class InvoicesIn(Schema):
    model_config = ConfigDict(extra="forbid")

    invoices: list[InvoiceIn] = Field(min_length=1, max_length=MAX_BULK)


class InvoiceOut(Schema):
    number: str
    customer_id: str
    kind: Literal["invoice", "credit_note"]
    issue_date: date
    due_date: date
    currency: str
    amount: str
    paid: str = Field(description="paid or credited so far (a credit note: applied to invoices)")
    outstanding: str
    settled_on: date | None
    days_overdue: int = Field(description="0 when not yet due, settled or a credit note")
    variable_symbol: str
    reference: str
    document_url: str
    dunning_enabled: bool
    paused_until: date | None
    disputed: bool
    level: int = Field(description="the highest reminder level sent for it (0: none)")
    last_notice_on: date | None
    updated_at: datetime


class InvoicePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[InvoiceOut]


class InvoiceWritten(Schema):
    result: Literal["created", "updated", "unchanged"]
    import_batch: int
    invoice: InvoiceOut


class InvoiceFilters(Schema):
    customer: Text | None = Field(None, max_length=64, description="a customer's id")
    status: Literal["open", "paid"] | None = Field(None, description="open: something outstanding; paid: nothing")
    overdue: bool | None = Field(None, description="true: open invoices past their due date")
    currency: Text | None = Field(None, max_length=10)


def _rows(company_id: int) -> QuerySet[Invoice]:
    return Invoice.objects.filter(company_id=company_id).select_related("customer", "dunning")


def invoice_out(i: Invoice, today: date) -> InvoiceOut:
    cur = i.currency
    overdue = i.outstanding_minor and i.kind == Invoice.Kind.INVOICE and i.due_date < today
    state = getattr(i, "dunning", None)
    return InvoiceOut(
        number=i.number,
        customer_id=i.customer.external_id,
        kind=i.kind,  # type: ignore[arg-type]
        issue_date=i.issue_date,
        due_date=i.due_date,
        currency=cur,
        amount=format_minor(i.amount_minor, cur),
        paid=format_minor(i.allocated_minor, cur),
        outstanding=format_minor(i.outstanding_minor, cur),
        settled_on=i.settled_on,
        days_overdue=(today - i.due_date).days if overdue else 0,
        variable_symbol=i.variable_symbol,
        reference=i.reference,
        document_url=i.document_url,
        dunning_enabled=i.dunning_enabled,
        paused_until=i.paused_until,
        disputed=i.disputed,
        level=state.level if state else 0,
        last_notice_on=state.last_notice_on if state else None,
        updated_at=i.updated_at,
    )


def _invoice(company_id: int, number: str) -> Invoice:
    found = _rows(company_id).filter(number=number).first()
    if found is None:
        raise ApiError(404, f"there is no invoice {number!r}")
    return found


@router.get("/companies/{code}/invoices", response={200: InvoicePage, **ERRORS}, auth=VIEWER)
def list_invoices(
    request: HttpRequest, code: Text, paging: Query[PageParams], filters: Query[InvoiceFilters]
) -> InvoicePage:
    """Invoices and credit notes by due date. Viewer or higher."""
    company = company_of(code)
    today = company.today()
    rows = _rows(company.pk).order_by("due_date", "number")
    if filters.customer is not None:
        rows = rows.filter(customer__external_id=filters.customer)
    if filters.status == "open":
        rows = rows.filter(outstanding_minor__gt=0)
    elif filters.status == "paid":
        rows = rows.filter(outstanding_minor=0)
    if filters.overdue is not None:
        overdue = Q(kind=Invoice.Kind.INVOICE, outstanding_minor__gt=0, due_date__lt=today)
        rows = rows.filter(overdue if filters.overdue else ~overdue)
    if filters.currency:
        rows = rows.filter(currency=filters.currency.strip().upper())
    count, items = page(rows, paging)
    return InvoicePage(
        count=count, limit=paging.limit, offset=paging.offset, items=[invoice_out(i, today) for i in items]
    )


def _write_one(request: HttpRequest, company: Company, record: dict[str, Any]) -> Answer:
    report = import_records(company, "invoices", [record], api_actor(request), single=True)
    result = result_of(report, "invoices")
    written = InvoiceWritten(
        result=result,  # type: ignore[arg-type]
        import_batch=report.batch_id,
        invoice=invoice_out(_invoice(company.pk, record["number"].strip()), company.today()),
    )
    return (201 if result == "created" else 200), written.model_dump(mode="json")


@router.post("/companies/{code}/invoices/bulk", response={200: BulkWritten, **ERRORS}, auth=CLERK)
def put_invoices(
    request: HttpRequest,
    response: HttpResponse,
    code: Text,
    payload: InvoicesIn,
    idempotency_key: KeyHeader = None,
) -> Status[dict[str, Any]]:
    """Create or update up to 5,000 invoices and credit notes at once: all of them or, on any
    error, none (the 422 lists each refused record by its index). New credit notes are applied
    as in an import. Clerk or higher."""
    records = [i.model_dump(exclude_unset=True) for i in payload.invoices]

    def write() -> Answer:
        report = import_records(company_of(code), "invoices", records, api_actor(request))
        return 200, bulk_written(report, "invoices")

    return run_once(request, response, idempotency_key, records, write)


@router.get("/companies/{code}/invoices/{anytext:number}", response={200: InvoiceOut, **ERRORS}, auth=VIEWER)
def get_invoice(request: HttpRequest, code: Text, number: Text) -> InvoiceOut:
    """One invoice or credit note. Viewer or higher."""
    company = company_of(code)
    return invoice_out(_invoice(company.pk, number), company.today())


@router.post("/companies/{code}/invoices", response={200: InvoiceWritten, 201: InvoiceWritten, **ERRORS}, auth=CLERK)
def put_invoice(
    request: HttpRequest,
    response: HttpResponse,
    code: Text,
    payload: InvoiceIn,
    idempotency_key: KeyHeader = None,
) -> Status[dict[str, Any]]:
    """Create an invoice (a negative amount: a credit note), or update the one with this number
    (201 created, 200 updated or unchanged), as a row of an import file: once money is allocated
    to it, its customer, currency and kind are fixed. Clerk or higher."""
    record = payload.model_dump(exclude_unset=True)
    return run_once(request, response, idempotency_key, record, lambda: _write_one(request, company_of(code), record))


@router.patch("/companies/{code}/invoices/{anytext:number}", response={200: InvoiceWritten, **ERRORS}, auth=CLERK)
def patch_invoice(
    request: HttpRequest,
    response: HttpResponse,
    code: Text,
    number: Text,
    payload: InvoicePatch,
    idempotency_key: KeyHeader = None,
) -> Status[dict[str, Any]]:
    """Change some fields of a stored invoice; the others stay. Clerk or higher."""
    changes = payload.model_dump(exclude_unset=True)

    def write() -> Answer:
        company = company_of(code)
        stored = _invoice(company.pk, number)
        # The import needs every required field: those not sent are the stored ones.
        record = {
            "number": stored.number,
            "customer_id": stored.customer.external_id,
            "issue_date": stored.issue_date.isoformat(),
            "due_date": stored.due_date.isoformat(),
            "currency": stored.currency,
            "amount": format_minor(stored.amount_minor, stored.currency),
            **changes,
        }
        return _write_one(request, company, record)

    return run_once(request, response, idempotency_key, changes, write)
