"""The customer balance ("saldo"): what a customer owes, per currency, as of a day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from arrears.customers.models import Customer
from arrears.ledger.models import Allocation, Invoice, Payment


@dataclass(frozen=True)
class InvoiceLine:
    id: int
    number: str
    kind: str
    issue_date: date
    due_date: date
    amount: int
    allocated: int
    outstanding: int
    days_overdue: int  # 0 when not yet due or settled
    settled_on: date | None


@dataclass(frozen=True)
class AllocationLine:
    invoice_number: str
    amount: int
    method: str


@dataclass(frozen=True)
class PaymentLine:
    id: int
    external_id: str
    received_on: date
    amount: int
    unallocated: int
    reference: str
    allocations: tuple[AllocationLine, ...]


@dataclass
class CurrencyBalance:
    currency: str
    invoices: list[InvoiceLine] = field(default_factory=list)
    payments: list[PaymentLine] = field(default_factory=list)
    billed: int = 0  # invoices, before credit notes
    credited: int = 0  # credit notes, as a positive number
    paid: int = 0  # payments received
    total_due: int = 0  # outstanding on invoices
    total_overdue: int = 0  # outstanding on invoices past their due date
    unallocated_credit: int = 0  # payments and credit notes not applied to any invoice

    @property
    def net_due(self) -> int:
        """What the customer owes once unallocated credit is netted against it (negative: we owe them)."""
        return self.total_due - self.unallocated_credit

    @property
    def net_overdue(self) -> int:
        return max(self.total_overdue - self.unallocated_credit, 0)


@dataclass
class CustomerBalance:
    customer: Customer
    as_of: date
    currencies: dict[str, CurrencyBalance]


def customer_balance(customer: Customer, as_of: date, *, include_settled: bool = True) -> CustomerBalance:
    per: dict[str, CurrencyBalance] = {}

    def bucket(currency: str) -> CurrencyBalance:
        return per.setdefault(currency, CurrencyBalance(currency))

    # include_settled only hides the lines of settled documents: the totals always cover all of
    # them, so that billed - credited - paid == net_due whichever lines are shown.
    invoices = Invoice.objects.filter(customer=customer).order_by("due_date", "number")
    for inv in invoices.values_list(
        "id",
        "number",
        "kind",
        "issue_date",
        "due_date",
        "currency",
        "amount_minor",
        "allocated_minor",
        "outstanding_minor",
        "settled_on",
    ):
        inv_id, number, kind, issued, due, currency, amount, allocated, outstanding, settled = inv
        b = bucket(currency)
        overdue_days = (as_of - due).days if outstanding and kind == Invoice.Kind.INVOICE and due < as_of else 0
        if include_settled or outstanding:
            b.invoices.append(
                InvoiceLine(inv_id, number, kind, issued, due, amount, allocated, outstanding, overdue_days, settled)
            )
        if kind == Invoice.Kind.CREDIT_NOTE:
            b.credited += -amount
            b.unallocated_credit += outstanding
        else:
            b.billed += amount
            b.total_due += outstanding
            if overdue_days:
                b.total_overdue += outstanding

    allocations: dict[int, list[AllocationLine]] = defaultdict(list)
    for payment_id, number, amount, method in (
        Allocation.objects.filter(payment__customer=customer)
        .values_list("payment_id", "invoice__number", "amount_minor", "method")
        .order_by("id")
    ):
        allocations[payment_id].append(AllocationLine(number, amount, method))
    for pay_id, ext, received, currency, amount, unallocated, reference in (
        Payment.objects.filter(customer=customer)
        .order_by("received_on", "external_id")
        .values_list("id", "external_id", "received_on", "currency", "amount_minor", "unallocated_minor", "reference")
    ):
        b = bucket(currency)
        b.payments.append(
            PaymentLine(pay_id, ext, received, amount, unallocated, reference, tuple(allocations.get(pay_id, ())))
        )
        b.paid += amount
        b.unallocated_credit += unallocated
    return CustomerBalance(customer, as_of, dict(sorted(per.items())))
