from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from arrears.companies.models import Company
from arrears.customers.models import Customer
from arrears.history.services import Actor
from arrears.ledger.imports.errors import RowError
from arrears.ledger.models import ImportBatch

MAX_REPORTED_ERRORS = 100


@dataclass
class ImportContext:
    """State shared by the handlers of one import: one company, one transaction, one batch."""

    company: Company
    actor: Actor
    batch: ImportBatch
    chunk_size: int
    errors: list[RowError] = field(default_factory=list)
    error_total: int = 0
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    # Customers named in this import's files, valid or not: an invoice of a customer whose row had
    # an error is not reported a second time as "unknown customer".
    customers_in_files: set[str] = field(default_factory=set)
    _customer_ids: dict[str, int] | None = None

    @property
    def writing(self) -> bool:
        """After the first error nothing more is written; the files are still checked to the end."""
        return self.error_total == 0

    def error(self, file: str, line: int, field_name: str, message: str) -> None:
        self.error_total += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(file, line, field_name, message))

    def count(self, kind: str, what: str, n: int = 1) -> None:
        self.counts.setdefault(kind, Counter())[what] += n

    @property
    def customer_ids(self) -> dict[str, int]:
        if self._customer_ids is None:
            self._customer_ids = dict(Customer.objects.filter(company=self.company).values_list("external_id", "id"))
        return self._customer_ids

    def knows_customer(self, external_id: str) -> bool:
        return external_id in self.customers_in_files or external_id in self.customer_ids
