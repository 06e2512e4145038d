"""The forms of the customer card's actions. Every form is bound to one customer: the invoices,
payments and allocations it accepts are that customer's only, so an id from another customer (or
another company) is a form error, never an action on someone else's data."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from arrears.core.money import AmountError, parse_minor
from arrears.customers.models import Customer
from arrears.dunning.services import NOTE_MAX
from arrears.ledger.models import Allocation, Invoice, Payment


class _InvoiceChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.number)


class CustomerForm(forms.Form):
    """A form about one customer, optionally about one of its invoices."""

    invoice = _InvoiceChoice(queryset=Invoice.objects.none(), required=False, label=_("Invoice"))

    def __init__(self, customer: Customer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["invoice"].queryset = Invoice.objects.filter(  # type: ignore[attr-defined]
            customer=customer, kind=Invoice.Kind.INVOICE
        ).order_by("due_date", "number")


class ManualNoticeForm(forms.Form):
    invoices = forms.ModelMultipleChoiceField(
        queryset=Invoice.objects.none(),
        label=_("Invoices"),
        error_messages={"required": _("Choose at least one invoice.")},
    )
    deadline = forms.DateField(label=_("Pay by"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(
        label=_("Note in the reminder"),
        max_length=NOTE_MAX,
        required=False,
        help_text=_("At most 50 characters; printed in the reminder."),
    )

    def __init__(self, customer: Customer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["invoices"].queryset = Invoice.objects.filter(  # type: ignore[attr-defined]
            customer=customer, kind=Invoice.Kind.INVOICE, outstanding_minor__gt=0
        ).order_by("due_date", "number")


class PairForm(forms.Form):
    payment = forms.ModelChoiceField(queryset=Payment.objects.none(), label=_("Payment"))
    invoice = _InvoiceChoice(queryset=Invoice.objects.none(), label=_("Invoice"))
    amount = forms.CharField(
        label=_("Amount"), required=False, max_length=30, help_text=_("Empty: as much as both allow.")
    )

    def __init__(self, customer: Customer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["payment"].queryset = Payment.objects.filter(customer=customer)  # type: ignore[attr-defined]
        self.fields["invoice"].queryset = Invoice.objects.filter(  # type: ignore[attr-defined]
            customer=customer, kind=Invoice.Kind.INVOICE
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        payment, text = data.get("payment"), (data.get("amount") or "").strip()
        data["amount_minor"] = None
        if payment is not None and text:
            try:
                text = text.replace(" ", "").replace("\u00a0", "")
                text = text.replace(",", "") if "." in text else text.replace(",", ".")
                amount = parse_minor(text, payment.currency)
            except AmountError as exc:
                self.add_error("amount", str(exc))
            else:
                if amount <= 0:
                    self.add_error("amount", _("The amount must be more than zero."))
                data["amount_minor"] = amount
        return data


class UnpairForm(forms.Form):
    allocation = forms.ModelChoiceField(queryset=Allocation.objects.none(), widget=forms.HiddenInput)

    def __init__(self, customer: Customer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["allocation"].queryset = Allocation.objects.filter(  # type: ignore[attr-defined]
            invoice__customer=customer
        )


class PauseForm(CustomerForm):
    until = forms.DateField(
        label=_("Paused until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("No reminders up to and including this day; empty: resume now."),
    )


class DisputeForm(CustomerForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, required=False, help_text=_("Empty: the dispute is settled.")
    )


class ExcludeForm(CustomerForm):
    enabled = forms.TypedChoiceField(
        choices=[("0", _("Exclude")), ("1", _("Include"))], coerce=lambda v: v == "1", label=_("Automatic dunning")
    )


class HandOverForm(CustomerForm):
    pass


class NoteForm(CustomerForm):
    text = forms.CharField(label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
