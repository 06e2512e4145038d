"""What the customer screens read: the list (filtered in the database, then one query per kind of
figure for the page shown) and the customer card (balance, dunning state, allocations, history)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from arrears.companies.models import Company
from arrears.customers.models import Contact, Customer, CustomerGroup
from arrears.dunning.models import InvoiceDunning, Notice, NoticeItem
from arrears.dunning.services import dunning_status
from arrears.history.models import Event, Note
from arrears.ledger.models import Allocation, Invoice, Payment
from arrears.ledger.selectors.balance import CustomerBalance, InvoiceLine, customer_balance
from arrears.web.reasons import decision_words

# --- The list ------------------------------------------------------------------------------------------

STATES = ("overdue", "paused", "stopped", "handed_over", "disputed", "excluded")
STATE_LABELS = {
    "overdue": _("Has overdue invoices"),
    "paused": _("Paused"),
    "stopped": _("Reminding stopped"),
    "handed_over": _("Handed over"),
    "disputed": _("Disputed"),
    "excluded": _("Excluded from dunning"),
}


@dataclass
class CustomerFilters:
    q: str = ""
    state: str = ""
    group: str = ""

    @property
    def any(self) -> bool:
        return bool(self.q or self.state or self.group)


def read_filters(params: Any) -> CustomerFilters:
    """The filters from a query string; values that are not choices are ignored."""
    state = params.get("state", "")
    return CustomerFilters(
        q=(params.get("q") or "").strip()[:100],
        state=state if state in STATES else "",
        group=(params.get("group") or "").strip()[:64],
    )


def _open_invoices(today: date | None = None) -> QuerySet[Invoice]:
    """Open invoices of the outer customer (the partial index invoice_open_by_customer serves it)."""
    rows = Invoice.objects.filter(
        company_id=OuterRef("company_id"),
        customer_id=OuterRef("pk"),
        outstanding_minor__gt=0,
        kind=Invoice.Kind.INVOICE,
    )
    return rows.filter(due_date__lt=today) if today else rows


def _with_open_invoice(company: Company, **where: Any) -> QuerySet[Invoice, Any]:
    """Ids of customers with an open invoice matching `where`: one (hashed) subquery, not one probe
    per customer, where it is OR-ed with a condition on the customer itself."""
    return Invoice.objects.filter(company=company, outstanding_minor__gt=0, kind=Invoice.Kind.INVOICE, **where).values(
        "customer_id"
    )


def customer_rows(company: Company, filters: CustomerFilters, today: date) -> QuerySet[Customer]:
    """Customers of a company matching the filters, by external id; filtered entirely in the database."""
    rows = Customer.objects.filter(company=company)
    if filters.q:
        q = filters.q
        by_mail = Contact.objects.filter(customer__company=company, email__icontains=q).values("customer_id")
        rows = rows.filter(Q(external_id__istartswith=q) | Q(name__icontains=q) | Q(pk__in=by_mail))
    if filters.group:
        rows = rows.filter(groups__code=filters.group)
    state = filters.state
    if state == "overdue":
        rows = rows.filter(Exists(_open_invoices(today)))
    elif state == "paused":
        rows = rows.filter(Q(paused_until__gte=today) | Q(pk__in=_with_open_invoice(company, paused_until__gte=today)))
    elif state == "disputed":
        rows = rows.filter(Q(disputed=True) | Q(pk__in=_with_open_invoice(company, disputed=True)))
    elif state == "excluded":
        rows = rows.filter(Q(dunning_enabled=False) | Q(pk__in=_with_open_invoice(company, dunning_enabled=False)))
    elif state in ("stopped", "handed_over"):
        column = "stopped_on" if state == "stopped" else "handed_over_on"
        marked = InvoiceDunning.objects.filter(
            company_id=OuterRef("company_id"),
            invoice__customer_id=OuterRef("pk"),
            invoice__outstanding_minor__gt=0,
            **{f"{column}__isnull": False},
        )
        rows = rows.filter(Exists(marked))
    return rows.order_by("external_id").prefetch_related("groups")


@dataclass
class ListFigures:
    """What a row of the list shows beyond the customer itself."""

    open: list[tuple[str, int]] = field(default_factory=list)  # (currency, outstanding) on invoices
    overdue: list[tuple[str, int]] = field(default_factory=list)
    credit: list[tuple[str, int]] = field(default_factory=list)  # unallocated payments and credit notes
    level: int = 0
    stopped: bool = False
    handed_over: bool = False
    invoice_paused: bool = False
    invoice_disputed: bool = False
    invoice_excluded: bool = False


def list_figures(customers: list[Customer], today: date) -> dict[int, ListFigures]:
    """Balances, levels and states of the customers on one page: four queries, whatever the page holds."""
    ids = [c.pk for c in customers]
    figures: dict[int, ListFigures] = {pk: ListFigures() for pk in ids}
    if not ids:
        return figures
    company_id = customers[0].company_id
    open_rows = Invoice.objects.filter(company_id=company_id, customer_id__in=ids, outstanding_minor__gt=0)
    for cid, kind, currency, total, overdue, paused, disputed, excluded in (
        open_rows.values("customer_id", "kind", "currency")
        .annotate(
            total=Sum("outstanding_minor"),
            overdue=Sum("outstanding_minor", filter=Q(due_date__lt=today)),
            paused=Count("id", filter=Q(paused_until__gte=today)),
            disputed=Count("id", filter=Q(disputed=True)),
            excluded=Count("id", filter=Q(dunning_enabled=False)),
        )
        .order_by("customer_id", "currency", "kind")
        .values_list("customer_id", "kind", "currency", "total", "overdue", "paused", "disputed", "excluded")
    ):
        f = figures[cid]
        if kind == Invoice.Kind.CREDIT_NOTE:
            f.credit.append((currency, int(total)))
            continue
        f.open.append((currency, int(total)))
        if overdue:
            f.overdue.append((currency, int(overdue)))
        f.invoice_paused = f.invoice_paused or bool(paused)
        f.invoice_disputed = f.invoice_disputed or bool(disputed)
        f.invoice_excluded = f.invoice_excluded or bool(excluded)
    for cid, currency, credit in (
        Payment.objects.filter(company_id=company_id, customer_id__in=ids, unallocated_minor__gt=0)
        .values("customer_id", "currency")
        .annotate(credit=Sum("unallocated_minor"))
        .order_by("customer_id", "currency")
        .values_list("customer_id", "currency", "credit")
    ):
        merged = dict(figures[cid].credit)
        merged[currency] = merged.get(currency, 0) + int(credit)
        figures[cid].credit = sorted(merged.items())
    for cid, level, stopped, handed in (
        InvoiceDunning.objects.filter(
            company_id=company_id, invoice__customer_id__in=ids, invoice__outstanding_minor__gt=0
        )
        .values("invoice__customer_id")
        .annotate(level=Max("level"), stopped=Max("stopped_on"), handed=Max("handed_over_on"))
        .order_by("invoice__customer_id")
        .values_list("invoice__customer_id", "level", "stopped", "handed")
    ):
        f = figures[cid]
        f.level, f.stopped, f.handed_over = level or 0, stopped is not None, handed is not None
    return figures


def groups_of(company: Company) -> QuerySet[CustomerGroup]:
    return CustomerGroup.objects.filter(company=company).order_by("code")


# --- The card ------------------------------------------------------------------------------------------


def find_customer(company: Company, key: str) -> Customer | None:
    """A customer of the company by its external id or, failing that, by its number in arrears."""
    customer = Customer.objects.filter(company=company, external_id=key).select_related("company").first()
    if customer is None and key.isdigit():
        customer = Customer.objects.filter(company=company, pk=int(key)).select_related("company").first()
    return customer


def customer_key(customer: Customer) -> str:
    """What the card's URL names a customer by: its external id, or its pk when the id holds a slash."""
    return customer.external_id if "/" not in customer.external_id and customer.external_id else str(customer.pk)


@dataclass
class AllocationRow:
    id: int
    invoice_number: str
    source: str  # payment external id or credit note number
    is_credit_note: bool
    amount: int
    currency: str
    method: str
    created_at: Any
    payment_id: int | None
    invoice_id: int


@dataclass
class InvoiceRow:
    """An open invoice with where it stands in the reminder process."""

    invoice: Invoice
    days_overdue: int
    level: int = 0
    repetitions: int = 0
    last_notice_on: date | None = None
    next_possible_on: date | None = None
    due_now: bool = False
    reason: str = ""
    reason_label: str = ""
    stopped_on: date | None = None
    handed_over_on: date | None = None
    waiting_notice: int | None = None  # a proposal waiting for review holds the invoice

    @property
    def paused(self) -> bool:
        return bool(self.invoice.paused_until and self.reason == "paused")

    @property
    def can_remind(self) -> bool:
        return self.days_overdue > 0 and self.handed_over_on is None and self.waiting_notice is None


@dataclass
class PaymentRow:
    payment: Payment
    allocations: list[AllocationRow]


@dataclass
class CurrencyCard:
    currency: str
    billed: int
    credited: int
    paid: int
    total_due: int
    total_overdue: int
    unallocated_credit: int
    net_due: int
    invoices: list[tuple[InvoiceLine, list[AllocationRow]]]  # every document, with what was applied to it
    payments: list[PaymentRow]
    open_invoices: list[Invoice]  # what a payment of this currency can be paired to

    @property
    def payable(self) -> list[Payment]:
        """Payments with money not yet applied: what can be paired."""
        return [p.payment for p in self.payments if p.payment.unallocated_minor > 0]

    @property
    def difference(self) -> int:
        """Billed minus credited minus paid: what the customer still owes (negative: we owe them)."""
        return self.billed - self.credited - self.paid


@dataclass
class CustomerCard:
    customer: Customer
    today: date
    balance: CustomerBalance
    currencies: list[CurrencyCard]
    open_invoices: list[InvoiceRow]
    settled_count: int
    contacts: list[Contact]
    groups: list[CustomerGroup]
    policy: str


def customer_card(customer: Customer, today: date) -> CustomerCard:
    balance = customer_balance(customer, today, include_settled=True)
    invoices = {inv.pk: inv for inv in Invoice.objects.filter(customer=customer).order_by("due_date", "number")}
    allocations: list[AllocationRow] = []
    for values in (
        Allocation.objects.filter(invoice__customer=customer)
        .order_by("created_at", "id")
        .values_list(
            "id",
            "invoice__number",
            "payment__external_id",
            "credit_note__number",
            "amount_minor",
            "currency",
            "method",
            "created_at",
            "payment_id",
            "invoice_id",
        )
    ):
        aid, number, pay_ext, cn_number, amount, currency, method, created, payment_id, invoice_id = values
        allocations.append(
            AllocationRow(
                aid,
                number,
                pay_ext or cn_number or "",
                payment_id is None,
                amount,
                currency,
                method,
                created,
                payment_id,
                invoice_id,
            )
        )
    by_payment: dict[int, list[AllocationRow]] = defaultdict(list)
    to_invoice: dict[int, list[AllocationRow]] = defaultdict(list)
    for a in allocations:
        if a.payment_id is not None:
            by_payment[a.payment_id].append(a)
        to_invoice[a.invoice_id].append(a)
    payments = list(Payment.objects.filter(customer=customer).order_by("received_on", "external_id"))

    status = dunning_status(customer, today)
    policy = next((lk.policy for lk, _state in status), "")
    looked = {lk.facts.invoice_id: (lk, state) for lk, state in status}
    states = {s.invoice_id: s for s in InvoiceDunning.objects.filter(invoice__customer=customer)}
    waiting = dict(
        NoticeItem.objects.filter(
            invoice__customer=customer, excluded=False, notice__status=Notice.Status.PROPOSED
        ).values_list("invoice_id", "notice_id")
    )
    open_rows: list[InvoiceRow] = []
    for inv in invoices.values():
        if inv.kind != Invoice.Kind.INVOICE or inv.outstanding_minor <= 0:
            continue
        state = states.get(inv.pk)
        row = InvoiceRow(inv, max((today - inv.due_date).days, 0))
        if state:
            row.level, row.repetitions = state.level, state.repetitions
            row.last_notice_on, row.stopped_on, row.handed_over_on = (
                state.last_notice_on,
                state.stopped_on,
                state.handed_over_on,
            )
        if inv.pk in looked:
            decision = looked[inv.pk][0].decision
            row.reason = decision.reason.value
            row.reason_label = decision_words(
                row.reason, decision.level, decision.repetition, decision.detail, inv.currency
            )
            row.due_now = decision.sends
            row.next_possible_on = today if decision.sends else decision.next_possible_on
        row.waiting_notice = waiting.get(inv.pk)
        open_rows.append(row)

    cards = []
    for currency, b in balance.currencies.items():
        cards.append(
            CurrencyCard(
                currency=currency,
                billed=b.billed,
                credited=b.credited,
                paid=b.paid,
                total_due=b.total_due,
                total_overdue=b.total_overdue,
                unallocated_credit=b.unallocated_credit,
                net_due=b.net_due,
                invoices=[(line, to_invoice.get(line.id, [])) for line in b.invoices],
                payments=[PaymentRow(p, by_payment.get(p.pk, [])) for p in payments if p.currency == currency],
                open_invoices=[
                    inv
                    for inv in invoices.values()
                    if inv.currency == currency and inv.kind == Invoice.Kind.INVOICE and inv.outstanding_minor > 0
                ],
            )
        )
    settled = sum(1 for inv in invoices.values() if inv.outstanding_minor == 0)
    return CustomerCard(
        customer=customer,
        today=today,
        balance=balance,
        currencies=cards,
        open_invoices=open_rows,
        settled_count=settled,
        contacts=list(customer.contacts.order_by("id")),
        groups=list(customer.groups.order_by("code")),
        policy=policy,
    )


def not_handed_over(customer: Customer) -> QuerySet[Invoice]:
    """The customer's open invoices not yet given to external collection."""
    return Invoice.objects.filter(customer=customer, kind=Invoice.Kind.INVOICE, outstanding_minor__gt=0).exclude(
        dunning__handed_over_on__isnull=False
    )


def history_rows(customer: Customer) -> QuerySet[Event]:
    """The customer's history, newest first (index history_event customer, at)."""
    return Event.objects.filter(customer=customer).select_related("invoice", "actor").order_by("-at", "-id")


def attach_notes(events: list[Event]) -> None:
    """Give every note event of a page its note's full text (one query for the page), and every
    event about a reminder the reminder's number (for a link to the reminder book)."""

    def note_id(event: Event) -> int | None:
        if event.kind != "note.added" or not isinstance(event.data, dict):
            return None
        value = event.data.get("note_id")
        return value if isinstance(value, int) else None

    ids = [i for i in map(note_id, events) if i is not None]
    notes = {n.pk: n for n in Note.objects.filter(pk__in=ids)} if ids else {}
    for e in events:
        found = note_id(e)
        e.note = notes.get(found) if found is not None else None  # type: ignore[attr-defined]
        notice = e.data.get("notice") if isinstance(e.data, dict) else None
        e.notice_ref = notice if isinstance(notice, int) else None  # type: ignore[attr-defined]
