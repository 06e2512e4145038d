"""Upsert of customers, their groups and the contacts an import manages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from arrears.customers.models import Contact, Customer, CustomerGroup
from arrears.history.services import EventDraft
from arrears.ledger import bulk
from arrears.ledger.allocation_io import write_events
from arrears.ledger.imports import fields as f
from arrears.ledger.imports.context import ImportContext
from arrears.ledger.imports.errors import FieldError

COLUMNS = {
    "id": True,
    "name": True,
    "email": False,
    "language": False,
    "country": False,
    "group": False,
    "address_line1": False,
    "address_line2": False,
    "postal_code": False,
    "city": False,
    "registration_no": False,
    "vat_no": False,
    "dunning_enabled": False,
    "paused_until": False,
}
_TEXT_FIELDS = {
    "address_line1": 200,
    "address_line2": 200,
    "postal_code": 20,
    "city": 100,
    "registration_no": 40,
    "vat_no": 40,
}


@dataclass(slots=True)
class CustomerRecord:
    line: int
    external_id: str
    values: dict[str, Any]  # model fields present in the file, cleaned
    emails: list[str] | None  # None: the file has no e-mail column, contacts stay as they are
    groups: list[str] | None


class CustomerHandler:
    kind = "customers"
    columns = COLUMNS

    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self._group_ids: dict[str, int] | None = None
        # Every id of this import with the file and line it was first on: a customer's rows are few
        # enough (the context keeps their ids anyway) to catch a duplicate however far apart.
        self._seen: dict[str, tuple[str, int]] = {}

    def parse(self, raw: dict[str, Any]) -> CustomerRecord:
        external_id = self._field("id", f.text, raw, 64, True)
        # Known from here on, even if another field of the row is wrong: its invoices are not
        # reported again as belonging to an unknown customer.
        self.ctx.customers_in_files.add(external_id)
        values: dict[str, Any] = {"name": self._field("name", f.text, raw, 200, True)}
        if "language" in raw:
            values["language"] = self._field("language", f.language, raw)
        if "country" in raw:
            values["country"] = self._field("country", f.country, raw)
        for name, length in _TEXT_FIELDS.items():
            if name in raw:
                values[name] = self._field(name, f.text, raw, length)
        if "dunning_enabled" in raw:
            values["dunning_enabled"] = self._field("dunning_enabled", f.boolean, raw)
        if "paused_until" in raw:
            values["paused_until"] = self._field("paused_until", f.iso_date, raw, False)
        emails = self._field("email", f.email_list, raw) if "email" in raw else None
        groups = self._field("group", f.code_list, raw) if "group" in raw else None
        return CustomerRecord(0, external_id, values, emails, groups)

    @staticmethod
    def _field(name: str, parser: Any, raw: dict[str, Any], *args: Any) -> Any:
        try:
            return parser(raw.get(name, ""), *args)
        except FieldError as exc:
            exc.args = (name, str(exc))
            raise

    def accept(self, record: CustomerRecord, file: str) -> bool:
        """Checks that need more than the row itself; False when the row is refused."""
        first = self._seen.get(record.external_id)
        if first is not None:
            first_file, first_line = first
            where = f"line {first_line}" if first_file == file else f"{first_file}, line {first_line}"
            self.ctx.error(file, record.line, "id", f"duplicate customer id {record.external_id!r}: also on {where}")
            return False
        self._seen[record.external_id] = (file, record.line)
        return True

    def write(self, records: list[CustomerRecord], file: str) -> None:
        ctx = self.ctx
        keys = [r.external_id for r in records]
        existing = {c.external_id: c for c in Customer.objects.filter(company=ctx.company, external_id__in=keys)}
        new = [r for r in records if r.external_id not in existing]
        created = Customer.objects.bulk_create(
            [Customer(company=ctx.company, external_id=r.external_id, **r.values) for r in new],
            batch_size=ctx.chunk_size,
        )
        for customer in created:
            ctx.customer_ids[customer.external_id] = customer.pk
        ctx.count(self.kind, "created", len(created))

        events: list[EventDraft] = []
        changed_customers: list[Customer] = []
        changed_fields: set[str] = set()
        now = timezone.now()
        for record in records:
            found = existing.get(record.external_id)
            if found is None:
                continue
            customer = found
            diff = {k: (getattr(customer, k), v) for k, v in record.values.items() if getattr(customer, k) != v}
            if diff:
                for k, (_, v) in diff.items():
                    setattr(customer, k, v)
                customer.updated_at = now  # bulk_update() does not apply auto_now
                changed_customers.append(customer)
                changed_fields.update(diff)
                events.append(_updated_event(ctx, customer, diff))
        if changed_customers:
            Customer.objects.bulk_update(changed_customers, [*changed_fields, "updated_at"], batch_size=500)
        by_key = {**existing, **{c.external_id: c for c in created}}
        membership_changes = self._sync_groups(records, by_key, existing)
        contact_changes = self._sync_contacts(records, by_key, existing)
        touched = {c.external_id for c in changed_customers} | membership_changes | contact_changes
        untouched_existing = len(existing) - len(touched)
        ctx.count(self.kind, "updated", len(touched))
        ctx.count(self.kind, "unchanged", untouched_existing)
        for key in (membership_changes | contact_changes) - {c.external_id for c in changed_customers}:
            events.append(_updated_event(ctx, by_key[key], {}, note="groups or contacts changed"))
        write_events(events, ctx.actor, bulk.db_datetime(timezone.now()))

    def _group_id(self, code: str) -> int:
        if self._group_ids is None:
            self._group_ids = dict(CustomerGroup.objects.filter(company=self.ctx.company).values_list("code", "id"))
        if code not in self._group_ids:
            self._group_ids[code] = CustomerGroup.objects.create(company=self.ctx.company, code=code, name=code).pk
        return self._group_ids[code]

    def _sync_groups(
        self, records: list[CustomerRecord], by_key: dict[str, Customer], existing: dict[str, Customer]
    ) -> set[str]:
        """Make each customer's groups exactly those in the file; returns existing customers that changed."""
        wanted = {
            by_key[r.external_id].pk: (r.external_id, {self._group_id(g) for g in r.groups})
            for r in records
            if r.groups is not None
        }
        if not wanted:
            return set()
        through = Customer.groups.through
        current: dict[int, set[int]] = {pk: set() for pk in wanted}
        for customer_id, group_id in through.objects.filter(customer_id__in=wanted).values_list(
            "customer_id", "customergroup_id"
        ):
            current[customer_id].add(group_id)
        changed: set[str] = set()
        to_add: list[tuple[int, int]] = []
        to_remove: list[tuple[int, int]] = []
        for customer_id, (key, groups) in wanted.items():
            have = current[customer_id]
            if have != groups:
                if key in existing:
                    changed.add(key)
                to_add.extend((customer_id, g) for g in groups - have)
                to_remove.extend((customer_id, g) for g in have - groups)
        for customer_id, group_id in to_remove:
            through.objects.filter(customer_id=customer_id, customergroup_id=group_id).delete()
        bulk.insert_rows(through, ["customer", "customergroup"], to_add)
        return changed

    def _sync_contacts(
        self, records: list[CustomerRecord], by_key: dict[str, Customer], existing: dict[str, Customer]
    ) -> set[str]:
        wanted = {by_key[r.external_id].pk: (r.external_id, r.emails) for r in records if r.emails is not None}
        if not wanted:
            return set()
        current: dict[int, dict[str, int]] = {pk: {} for pk in wanted}
        for contact_id, customer_id, email in Contact.objects.filter(
            customer_id__in=wanted, source=Contact.Source.IMPORT
        ).values_list("id", "customer_id", "email"):
            current[customer_id][email.lower()] = contact_id
        changed: set[str] = set()
        stale: list[int] = []
        rows: list[tuple[Any, ...]] = []
        for customer_id, (key, emails) in wanted.items():
            have = current[customer_id]
            want = {e.lower(): e for e in emails or []}
            if set(have) != set(want):
                if key in existing:
                    changed.add(key)
                stale.extend(cid for email, cid in have.items() if email not in want)
                rows.extend(
                    (customer_id, "", email, "", True, True, False, Contact.Source.IMPORT.value)
                    for low, email in want.items()
                    if low not in have
                )
        if stale:
            Contact.objects.filter(pk__in=stale).delete()
        bulk.insert_rows(
            Contact,
            ["customer", "name", "email", "phone", "role_billing", "role_dunning", "role_contact", "source"],
            rows,
        )
        return changed


def _updated_event(ctx: ImportContext, customer: Customer, diff: dict[str, Any], note: str = "") -> EventDraft:
    changes = ", ".join(f"{k}: {old!s} -> {new!s}" for k, (old, new) in diff.items()) or note
    return EventDraft(
        company_id=ctx.company.pk,
        kind="customer.updated",
        summary=f"Customer {customer.external_id} updated by import #{ctx.batch.pk}: {changes}",
        customer_id=customer.pk,
        data={"import_batch": ctx.batch.pk, "changes": {k: [str(o), str(n)] for k, (o, n) in diff.items()}},
    )
