"""Customers: list, read with balance and dunning state, create or update one or many."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.params import P, QueryEx
from pydantic import ConfigDict, Field

from arrears.api.auth import CLERK, VIEWER, api_actor, company_of
from arrears.api.errors import ERRORS, ApiError
from arrears.api.idempotency import Answer, KeyHeader, run_once
from arrears.api.ledger_io import import_records, result_of
from arrears.api.paging import PageParams, page
from arrears.api.types import DayText, Text, TextList, YesNo
from arrears.api.written import BulkWritten, bulk_written
from arrears.companies.models import Company
from arrears.core.engine import explain
from arrears.core.money import format_minor
from arrears.customers.models import Contact, Customer
from arrears.dunning.services import dunning_status
from arrears.ledger.selectors.balance import customer_balance

router = Router(tags=["customers"])
MAX_BULK = 1000


class CustomerFields(Schema):
    """The fields of the import's customers file (docs/import-format.md): a field left out keeps
    its stored value; null or "" empties it."""

    model_config = ConfigDict(extra="forbid")

    email: TextList | None = Field(None, description="dunning e-mail addresses: a list, or one string split by ;,|")
    language: Text | None = Field(None, max_length=10, description="en, cs, de, pl, ru, pt-BR ...")
    country: Text | None = Field(None, max_length=10, description="ISO 3166 code: CZ, DE ...")
    group: TextList | None = Field(None, description="customer group codes")
    address_line1: Text | None = Field(None, max_length=200)
    address_line2: Text | None = Field(None, max_length=200)
    postal_code: Text | None = Field(None, max_length=20)
    city: Text | None = Field(None, max_length=100)
    registration_no: Text | None = Field(None, max_length=40)
    vat_no: Text | None = Field(None, max_length=40)
    dunning_enabled: YesNo | None = Field(None, description="false: never reminded automatically")
    paused_until: DayText | None = Field(None, description="no reminders up to and including this day")


class CustomerIn(CustomerFields):
    id: Text = Field(max_length=64, description="the customer's id in your billing system (the key)")
    name: Text = Field(max_length=200)


class CustomerPatch(CustomerFields):
    name: Text | None = Field(None, max_length=200)


class CustomersIn(Schema):
    model_config = ConfigDict(extra="forbid")

    customers: list[CustomerIn] = Field(min_length=1, max_length=MAX_BULK)


class CustomerOut(Schema):
    id: str
    name: str
    language: str
    country: str
    address_line1: str
    address_line2: str
    postal_code: str
    city: str
    registration_no: str
    vat_no: str
    emails: list[str]
    groups: list[str]
    dunning_enabled: bool
    paused_until: date | None
    disputed: bool
    dispute_reason: str
    created_at: datetime
    updated_at: datetime


class CustomerPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CustomerOut]


class CurrencyBalanceOut(Schema):
    currency: str
    billed: str
    credited: str
    paid: str
    total_due: str
    total_overdue: str
    unallocated_credit: str
    net_due: str
    net_overdue: str


class DecisionOut(Schema):
    reason: str
    words: str
    sends: bool
    level: int
    repetition: int
    next_possible_on: date | None


class InvoiceDunningOut(Schema):
    invoice: str
    currency: str
    outstanding: str
    due_date: date
    policy: str
    level: int
    repetitions: int
    last_notice_on: date | None
    stopped_on: date | None
    handed_over_on: date | None
    today: DecisionOut


class CustomerDetail(CustomerOut):
    as_of: date
    balance: list[CurrencyBalanceOut]
    dunning: list[InvoiceDunningOut]


class CustomerWritten(Schema):
    result: Literal["created", "updated", "unchanged"]
    import_batch: int
    customer: CustomerOut


def _with_relations(rows: QuerySet[Customer]) -> QuerySet[Customer]:
    dunning_contacts = Contact.objects.filter(role_dunning=True).exclude(email="").order_by("id")
    return rows.prefetch_related(Prefetch("contacts", queryset=dunning_contacts), "groups")


def customer_out(c: Customer) -> CustomerOut:
    return CustomerOut(
        id=c.external_id,
        name=c.name,
        language=c.language,
        country=c.country,
        address_line1=c.address_line1,
        address_line2=c.address_line2,
        postal_code=c.postal_code,
        city=c.city,
        registration_no=c.registration_no,
        vat_no=c.vat_no,
        emails=[contact.email for contact in c.contacts.all()],
        groups=sorted(g.code for g in c.groups.all()),
        dunning_enabled=c.dunning_enabled,
        paused_until=c.paused_until,
        disputed=c.disputed,
        dispute_reason=c.dispute_reason,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def _customer(company_id: int, external_id: str) -> Customer:
    found = _with_relations(Customer.objects.filter(company_id=company_id, external_id=external_id)).first()
    if found is None:
        raise ApiError(404, f"there is no customer {external_id!r}")
    return found


@router.get("/companies/{code}/customers", response={200: CustomerPage, **ERRORS}, auth=VIEWER)
def list_customers(
    request: HttpRequest,
    code: Text,
    paging: Query[PageParams],
    q: QueryEx[Text | None, P(max_length=200, description="part of the id or the name")] = None,
) -> CustomerPage:
    """Customers by id. Viewer or higher."""
    company = company_of(code)
    rows = Customer.objects.filter(company=company).order_by("external_id")
    if q:
        rows = rows.filter(Q(external_id__icontains=q) | Q(name__icontains=q))
    count, items = page(_with_relations(rows), paging)
    return CustomerPage(count=count, limit=paging.limit, offset=paging.offset, items=[customer_out(c) for c in items])


@router.post("/companies/{code}/customers/bulk", response={200: BulkWritten, **ERRORS}, auth=CLERK)
def put_customers(
    request: HttpRequest,
    response: HttpResponse,
    code: Text,
    payload: CustomersIn,
    idempotency_key: KeyHeader = None,
) -> Status[dict[str, Any]]:
    """Create or update up to 1,000 customers at once: all of them or, on any error, none (the
    422 lists each refused record by its index). Clerk or higher."""
    records = [c.model_dump(exclude_unset=True) for c in payload.customers]

    def write() -> Answer:
        report = import_records(company_of(code), "customers", records, api_actor(request))
        return 200, bulk_written(report, "customers")

    return run_once(request, response, idempotency_key, records, write)


@router.get("/companies/{code}/customers/{anytext:customer_id}", response={200: CustomerDetail, **ERRORS}, auth=VIEWER)
def get_customer(request: HttpRequest, code: Text, customer_id: Text) -> CustomerDetail:
    """A customer with the balance per currency and, for every open invoice, where it stands in
    the reminder process and what a run would decide for it today. Viewer or higher."""
    company = company_of(code)
    customer = _customer(company.pk, customer_id)
    today = company.today()
    balance = customer_balance(customer, today, include_settled=False)
    dunning = []
    for looked, state in dunning_status(customer, today):
        d, facts = looked.decision, looked.facts
        dunning.append(
            InvoiceDunningOut(
                invoice=looked.number,
                currency=facts.currency,
                outstanding=format_minor(facts.outstanding, facts.currency),
                due_date=facts.due_date,
                policy=looked.policy,
                level=state.level if state else 0,
                repetitions=state.repetitions if state else 0,
                last_notice_on=state.last_notice_on if state else None,
                stopped_on=state.stopped_on if state else None,
                handed_over_on=state.handed_over_on if state else None,
                today=DecisionOut(
                    reason=d.reason.value,
                    words=explain(d, facts.currency),
                    sends=d.sends,
                    level=d.level,
                    repetition=d.repetition,
                    next_possible_on=d.next_possible_on,
                ),
            )
        )
    return CustomerDetail(
        **customer_out(customer).model_dump(),
        as_of=today,
        balance=[
            CurrencyBalanceOut(
                currency=cur,
                billed=format_minor(b.billed, cur),
                credited=format_minor(b.credited, cur),
                paid=format_minor(b.paid, cur),
                total_due=format_minor(b.total_due, cur),
                total_overdue=format_minor(b.total_overdue, cur),
                unallocated_credit=format_minor(b.unallocated_credit, cur),
                net_due=format_minor(b.net_due, cur),
                net_overdue=format_minor(b.net_overdue, cur),
            )
            for cur, b in balance.currencies.items()
        ],
        dunning=dunning,
    )


def _write_one(request: HttpRequest, company: Company, record: dict[str, Any]) -> Answer:
    report = import_records(company, "customers", [record], api_actor(request), single=True)
    result = result_of(report, "customers")
    written = CustomerWritten(
        result=result,  # type: ignore[arg-type]
        import_batch=report.batch_id,
        customer=customer_out(_customer(company.pk, record["id"].strip())),
    )
    return (201 if result == "created" else 200), written.model_dump(mode="json")


@router.post("/companies/{code}/customers", response={200: CustomerWritten, 201: CustomerWritten, **ERRORS}, auth=CLERK)
def put_customer(
    request: HttpRequest,
    response: HttpResponse,
    code: Text,
    payload: CustomerIn,
    idempotency_key: KeyHeader = None,
) -> Status[dict[str, Any]]:
    """Create a customer, or update the one with this id (201 created, 200 updated or unchanged).
    Checked and stored exactly as a row of an import file. Clerk or higher."""
    record = payload.model_dump(exclude_unset=True)
    return run_once(request, response, idempotency_key, record, lambda: _write_one(request, company_of(code), record))


@router.patch(
    "/companies/{code}/customers/{anytext:customer_id}", response={200: CustomerWritten, **ERRORS}, auth=CLERK
)
def patch_customer(
    request: HttpRequest,
    response: HttpResponse,
    code: Text,
    customer_id: Text,
    payload: CustomerPatch,
    idempotency_key: KeyHeader = None,
) -> Status[dict[str, Any]]:
    """Change some fields of a stored customer; the others stay. Clerk or higher."""
    changes = payload.model_dump(exclude_unset=True)

    def write() -> Answer:
        company = company_of(code)
        stored = _customer(company.pk, customer_id)
        # The import needs the id and the name; a name sent (even null, refused as empty) wins.
        return _write_one(request, company, {"id": stored.external_id, "name": stored.name, **changes})

    return run_once(request, response, idempotency_key, changes, write)
