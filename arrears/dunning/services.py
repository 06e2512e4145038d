"""What a credit controller does by hand: review a proposal, remind now, stop, pause, hand over.

Every action writes a history event saying who did what, so the customer card can show why an
invoice is (or is no longer) being reminded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from django.db import transaction

from arrears.core.engine import DunningState
from arrears.core.money import format_minor
from arrears.core.notices import choose_channel, payment_deadline
from arrears.core.policy import Action, Channel, Policy
from arrears.customers.models import Customer
from arrears.dunning.engine_io import Looked, load_lookups, plan_customer, stream_customers
from arrears.dunning.models import InvoiceDunning, Notice, NoticeItem
from arrears.dunning.policies import PolicySet, stored_policies
from arrears.dunning.runs import _approve, sending_days, totals_left
from arrears.dunning.signals import invoices_handed_over
from arrears.history.services import Actor, EventDraft, record
from arrears.ledger.models import Invoice

NOTE_MAX = 50  # as on an ERP's customer card


class DunningActionError(ValueError):
    pass


def _event(
    company_id: int,
    kind: str,
    summary: str,
    actor: Actor,
    *,
    customer_id: int,
    invoice_id: int | None = None,
    **data: object,
) -> None:
    record(
        EventDraft(
            company_id=company_id,
            kind=kind,
            summary=summary,
            customer_id=customer_id,
            invoice_id=invoice_id,
            data=dict(data),
        ),
        actor,
    )


def _policy_code(customer: Customer, policies: PolicySet) -> str | None:
    """The customer's policy, chosen as a run chooses it: customer beats group beats default."""
    lookups = load_lookups(customer.company_id, policies, [customer.pk])
    return lookups.policy_of_customer.get(customer.pk, policies.default)


def _state(invoice: Invoice) -> InvoiceDunning:
    state, _ = InvoiceDunning.objects.get_or_create(invoice=invoice, defaults={"company_id": invoice.company_id})
    return state


# --- Review of a proposal -----------------------------------------------------------------------------


def _proposed(notice: Notice) -> Notice:
    locked = Notice.objects.select_for_update().get(pk=notice.pk)
    if locked.status != Notice.Status.PROPOSED:
        raise DunningActionError(f"notice #{notice.pk} is {locked.status}; only a proposed notice can be changed")
    return locked


@transaction.atomic
def exclude_notice(notice: Notice, actor: Actor) -> None:
    notice = _proposed(notice)
    Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.EXCLUDED)
    NoticeItem.objects.filter(notice=notice).update(excluded=True)
    _event(
        notice.company_id,
        "notice.excluded",
        f"Proposed notice #{notice.pk} excluded in review",
        actor,
        customer_id=notice.customer_id,
        notice=notice.pk,
    )


@transaction.atomic
def exclude_item(item: NoticeItem, actor: Actor) -> None:
    notice = _proposed(item.notice)
    NoticeItem.objects.filter(pk=item.pk).update(excluded=True)
    left = list(NoticeItem.objects.filter(notice=notice, excluded=False))
    if not left:
        Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.EXCLUDED)
    else:
        level = max(i.level for i in left)
        policy = _policy_of(notice)
        Notice.objects.filter(pk=notice.pk).update(
            level=level,
            totals=totals_left(notice, left),
            template=_template(notice, level, policy),
            channel=_channel(notice, level, policy),
        )
    _event(
        notice.company_id,
        "notice.item_excluded",
        f"{item.invoice.number} taken out of proposed notice #{notice.pk} in review",
        actor,
        customer_id=notice.customer_id,
        invoice_id=item.invoice_id,
        notice=notice.pk,
    )


def _policy_of(notice: Notice) -> Policy | None:
    """The stored policy a notice was made under (None after a --policy-file run)."""
    return stored_policies(notice.company).policies.get(notice.policy_code)


def _channel(notice: Notice, level: int, policy: Policy | None) -> str:
    """The channel of the notice's (new) top level, with the e-mail-to-letter fallback of a run."""
    if policy is None or not 1 <= level <= policy.last_level:
        return notice.channel
    has_email = notice.customer.contacts.filter(role_dunning=True).exclude(email="").exists()
    return choose_channel([policy.level(level).channel], has_email).value


def _template(notice: Notice, level: int, policy: Policy | None) -> str:
    """The template of the notice's policy for a level (as it was when the policy is not stored)."""
    if policy is None or level == notice.level:
        return notice.template
    if level == 0:
        return policy.pre_due.template if policy.pre_due else "pre_due"
    return policy.level(min(level, policy.last_level)).template


@transaction.atomic
def change_item_level(item: NoticeItem, level: int, actor: Actor) -> None:
    """Hold one proposed invoice at the level it already reached (the same letter again, as a
    repetition) instead of moving it up. Levels are never skipped and never go down, so that is
    the only other level a proposed item can have."""
    notice = _proposed(item.notice)
    state = InvoiceDunning.objects.filter(invoice_id=item.invoice_id).first()
    current, repetitions = (state.level, state.repetitions) if state else (0, 0)
    if level == item.level:
        return
    if item.reason != "level" or level != current or current < 1:
        choices = (
            f"{item.level} or {current} (hold at the current level)"
            if current >= 1 and item.reason == "level"
            else str(item.level)
        )
        raise DunningActionError(f"{item.invoice.number}: level {level} is not possible here; choose {choices}")
    NoticeItem.objects.filter(pk=item.pk).update(
        level=current, repetition=repetitions + 1, reason="repeat", action=Action.NONE.value, action_url=""
    )
    top = max(NoticeItem.objects.filter(notice=notice, excluded=False).values_list("level", flat=True))
    Notice.objects.filter(pk=notice.pk).update(level=top, template=_template(notice, top, _policy_of(notice)))
    _event(
        notice.company_id,
        "notice.level_changed",
        f"{item.invoice.number} in proposed notice #{notice.pk}: held at level {current} instead of {item.level}",
        actor,
        customer_id=notice.customer_id,
        invoice_id=item.invoice_id,
        notice=notice.pk,
    )


# --- Reminding by hand ---------------------------------------------------------------------------------


@transaction.atomic
def create_manual_notice(
    customer: Customer,
    invoices: Sequence[Invoice],
    actor: Actor,
    *,
    deadline: date,
    note: str = "",
    today: date | None = None,
) -> Notice:
    """A reminder now, for chosen invoices of one customer: each at its next level (a further repetition
    at the last level). It also restarts a reminder process that was stopped by hand."""
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise DunningActionError(f"the note has {len(note)} characters; at most {NOTE_MAX} are allowed")
    invoices = list({inv.pk: inv for inv in invoices}.values())  # the same invoice twice is one
    if not invoices:
        raise DunningActionError("choose at least one invoice")
    waiting = NoticeItem.objects.filter(
        invoice__in=invoices, excluded=False, notice__status=Notice.Status.PROPOSED
    ).values_list("invoice__number", "notice_id")
    if waiting:
        listed = ", ".join(f"{number} (notice #{nid})" for number, nid in waiting)
        raise DunningActionError(f"in a proposal waiting for review: {listed}; approve or discard it first")
    today = today or customer.company.today()
    if deadline < today:
        raise DunningActionError(f"the payment deadline {deadline} is in the past")
    policies = stored_policies(customer.company)
    code = _policy_code(customer, policies)
    policy = policies.policies.get(code or "")
    last = policy.last_level if policy else 1
    rows = []
    for invoice in invoices:
        if invoice.customer_id != customer.pk:
            raise DunningActionError(f"{invoice.number} belongs to another customer")
        if invoice.kind != Invoice.Kind.INVOICE or invoice.outstanding_minor <= 0:
            raise DunningActionError(f"{invoice.number} has nothing outstanding")
        if invoice.due_date >= today:
            raise DunningActionError(
                f"{invoice.number} is not overdue yet (due {invoice.due_date}): a reminder can "
                "only ask for what is late"
            )
        state = InvoiceDunning.objects.filter(invoice=invoice).first()
        s = DunningState(state.level, state.repetitions) if state else DunningState()
        if state and state.handed_over_on:
            raise DunningActionError(
                f"{invoice.number} was handed over to external collection on {state.handed_over_on}"
            )
        level, repetition, reason = (
            (s.level + 1, 0, "level") if s.level < last else (s.level, s.repetitions + 1, "repeat")
        )
        rows.append((invoice, level, repetition, reason))
    has_email = customer.contacts.filter(role_dunning=True).exclude(email="").exists()
    notice = Notice.objects.create(
        company=customer.company,
        customer=customer,
        level=max(r[1] for r in rows),
        channel=(Channel.EMAIL if has_email else Channel.LETTER).value,
        status=Notice.Status.PROPOSED,
        notice_date=today,
        deadline=deadline,
        manual=True,
        note=note,
        policy_code=code or "",
        template=(policy.level(min(max(r[1] for r in rows), last)).template if policy else ""),
        totals=_totals(
            [r[0] for r in rows], load_lookups(customer.company_id, policies, [customer.pk]).credit.get(customer.pk, {})
        ),
        created_by=actor.user,
    )
    NoticeItem.objects.bulk_create(
        NoticeItem(
            notice=notice,
            invoice=inv,
            level=level,
            repetition=rep,
            reason=reason,
            currency=inv.currency,
            outstanding_minor=inv.outstanding_minor,
            days_overdue=max((today - inv.due_date).days, 0),
        )
        for inv, level, rep, reason in rows
    )
    _approve(None, customer.company_id, today, actor, notice_id=notice.pk)
    notice.refresh_from_db()
    return notice


def _totals(invoices: Sequence[Invoice], credit: dict[str, int]) -> list[dict[str, object]]:
    """Per currency, with the customer's unallocated credit netted, as in a run's notices."""
    per: dict[str, int] = {}
    for inv in invoices:
        per[inv.currency] = per.get(inv.currency, 0) + inv.outstanding_minor
    return [
        {
            "currency": c,
            "reminded": v,
            "overdue": v,
            "credit": credit.get(c, 0),
            "demanded": max(v - credit.get(c, 0), 0),
        }
        for c, v in sorted(per.items())
    ]


def default_deadline(customer: Customer, today: date | None = None) -> date:
    policies = stored_policies(customer.company)
    code = _policy_code(customer, policies)
    days = policies.policies[code].payment_days if code in policies.policies else 10
    return payment_deadline(today or customer.company.today(), days)


# --- Stopping, pausing, disputing, handing over ------------------------------------------------------------


@transaction.atomic
def stop_reminding(customer: Customer, actor: Actor, today: date | None = None) -> int:
    """End the reminder process of every open invoice of the customer; a manual reminder restarts it."""
    today = today or customer.company.today()
    invoices = list(Invoice.objects.filter(customer=customer, kind=Invoice.Kind.INVOICE, outstanding_minor__gt=0))
    for invoice in invoices:
        InvoiceDunning.objects.update_or_create(
            invoice=invoice, defaults={"company_id": invoice.company_id, "stopped_on": today}
        )
    _event(
        customer.company_id,
        "dunning.stopped",
        f"Reminding stopped by hand for {len(invoices)} open invoice(s); a manual reminder restarts it",
        actor,
        customer_id=customer.pk,
    )
    return len(invoices)


def _set_on(
    customer: Customer,
    invoice: Invoice | None,
    fields: dict[str, object],
    kind: str,
    summary: Callable[[str], str],
    actor: Actor,
    **data: object,
) -> None:
    """Set dunning fields on the customer, or on one of its invoices, and record who did it."""
    target = invoice or customer
    type(target).objects.filter(pk=target.pk).update(**fields)
    what = f"invoice {invoice.number}" if invoice else "the customer"
    _event(
        customer.company_id,
        kind,
        summary(what),
        actor,
        customer_id=customer.pk,
        invoice_id=invoice.pk if invoice else None,
        **data,
    )


@transaction.atomic
def pause(customer: Customer, until: date | None, actor: Actor, invoice: Invoice | None = None) -> None:
    """Pause reminders up to and including `until` (None: resume now). It resumes by itself afterwards."""
    _set_on(
        customer,
        invoice,
        {"paused_until": until},
        "dunning.paused" if until else "dunning.resumed",
        lambda what: f"Reminders for {what} paused until {until}" if until else f"Reminders for {what} resumed",
        actor,
        until=until.isoformat() if until else None,
    )


@transaction.atomic
def set_dunning_enabled(customer: Customer, enabled: bool, actor: Actor, invoice: Invoice | None = None) -> None:
    """Exclude a customer or one invoice from automatic dunning (or include it again)."""
    _set_on(
        customer,
        invoice,
        {"dunning_enabled": enabled},
        "dunning.included" if enabled else "dunning.excluded",
        lambda what: f"{what[0].upper()}{what[1:]} {'included in' if enabled else 'excluded from'} automatic dunning",
        actor,
    )


@transaction.atomic
def set_disputed(customer: Customer, reason: str, actor: Actor, invoice: Invoice | None = None) -> None:
    """Mark disputed (with a reason) or, with an empty reason, no longer disputed."""
    reason = reason.strip()
    _set_on(
        customer,
        invoice,
        {"disputed": bool(reason), "dispute_reason": reason[:500]},
        "dunning.disputed" if reason else "dunning.dispute_settled",
        lambda what: f"{what[0].upper()}{what[1:]} disputed: {reason}" if reason else f"Dispute about {what} settled",
        actor,
    )


@transaction.atomic
def hand_over(
    customer: Customer, actor: Actor, today: date | None = None, invoices: Sequence[Invoice] | None = None
) -> int:
    """Hand open invoices over to external collection: they leave automatic dunning and appear in
    the handover export."""
    today = today or customer.company.today()
    chosen = (
        list(invoices)
        if invoices is not None
        else list(Invoice.objects.filter(customer=customer, kind=Invoice.Kind.INVOICE, outstanding_minor__gt=0))
    )
    already = dict(
        InvoiceDunning.objects.filter(invoice__in=chosen, handed_over_on__isnull=False).values_list(
            "invoice_id", "handed_over_on"
        )
    )
    for invoice in chosen:
        if invoice.customer_id != customer.pk:
            raise DunningActionError(f"{invoice.number} belongs to another customer")
        if invoice.kind != Invoice.Kind.INVOICE or invoice.outstanding_minor <= 0:
            raise DunningActionError(f"{invoice.number} has nothing outstanding to hand over")
        if invoice.pk in already:
            raise DunningActionError(f"{invoice.number} was already handed over on {already[invoice.pk]}")
    for invoice in chosen:
        InvoiceDunning.objects.update_or_create(
            invoice=invoice, defaults={"company_id": invoice.company_id, "handed_over_on": today}
        )
        money = f"{format_minor(invoice.outstanding_minor, invoice.currency)} {invoice.currency}"
        _event(
            customer.company_id,
            "invoice.handed_over",
            f"{invoice.number} ({money}) handed over to external collection by hand",
            actor,
            customer_id=customer.pk,
            invoice_id=invoice.pk,
        )
    if chosen:
        invoices_handed_over.send(
            sender=InvoiceDunning,
            company_id=customer.company_id,
            by="hand",
            items=[(invoice.pk, None, None) for invoice in chosen],
        )
    return len(chosen)


def handover_rows(company_id: int) -> list[dict[str, str]]:
    """The handover export: every open invoice handed over to external collection."""
    rows = []
    for state in (
        InvoiceDunning.objects.filter(
            company_id=company_id, handed_over_on__isnull=False, invoice__outstanding_minor__gt=0
        )
        .select_related("invoice", "invoice__customer")
        .order_by("invoice__customer__external_id", "invoice__due_date")
    ):
        inv, cust = state.invoice, state.invoice.customer
        rows.append(
            {
                "customer_id": cust.external_id,
                "customer_name": cust.name,
                "address": ", ".join(p for p in (cust.address_line1, cust.postal_code, cust.city, cust.country) if p),
                "invoice": inv.number,
                "issue_date": inv.issue_date.isoformat(),
                "due_date": inv.due_date.isoformat(),
                "currency": inv.currency,
                "amount": format_minor(inv.amount_minor, inv.currency),
                "outstanding": format_minor(inv.outstanding_minor, inv.currency),
                "level": str(state.level),
                "handed_over_on": state.handed_over_on.isoformat() if state.handed_over_on else "",
            }
        )
    return rows


def dunning_status(customer: Customer, today: date | None = None) -> list[tuple[Looked, InvoiceDunning | None]]:
    """Each open invoice of a customer with the decision a run would take today and its state."""
    today = today or customer.company.today()
    policies = stored_policies(customer.company)
    lookups = load_lookups(customer.company_id, policies, [customer.pk])
    sending = sending_days(customer.company, policies, today)
    states = {s.invoice_id: s for s in InvoiceDunning.objects.filter(invoice__customer=customer)}
    result: list[tuple[Looked, InvoiceDunning | None]] = []
    for customer_id, rows in stream_customers(customer.company_id, [customer.pk]):
        plan = plan_customer(customer_id, rows, today, policies, lookups, sending)
        result.extend((lk, states.get(lk.facts.invoice_id)) for lk in plan.looked)
    return result
