"""Ledger writes of the API go through the file import, so that a record sent to the API is
checked, stored and allocated exactly as the same record in an import file.

The records are written as JSON Lines (one record a line, so line N is record N-1) into a
temporary folder and imported from there: one transaction, all or nothing, payments allocated
as they are written. An import error names a file and a line; here it names the record's index.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from arrears.api.errors import ApiError, ErrorItem
from arrears.companies.models import Company
from arrears.history.services import Actor
from arrears.ledger.imports.errors import ImportFailed
from arrears.ledger.imports.readers import KINDS
from arrears.ledger.imports.runner import ImportReport, run_import


def import_records(
    company: Company, kind: str, rows: Sequence[Mapping[str, Any]], actor: Actor, *, single: bool = False
) -> ImportReport:
    """Import `rows` of one kind (customers, invoices or payments); raise a 422 ApiError that lists
    every refused record by its index in `rows` (`single`: the body is the one record, no index)."""
    assert kind in KINDS
    with tempfile.TemporaryDirectory(prefix="arrears-api-") as folder:
        path = Path(folder) / f"{kind}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        try:
            return run_import(company, [path], actor)
        except ImportFailed as exc:
            errors = [
                ErrorItem(
                    location="body",
                    index=None if single or not e.line else e.line - 1,
                    field=e.field,
                    message=_in_records(e.message),
                )
                for e in exc.errors
            ]
            more = f" (the first {len(errors)} are listed)" if exc.total > len(errors) else ""
            what = "the record was refused" if single else f"{exc.total} problem(s) in the records{more}"
            raise ApiError(422, f"{what}; nothing was written", errors) from None


def _in_records(message: str) -> str:
    """The import speaks of lines of a file ("also on line 3"); here they are records of a list."""
    message = re.sub(r"\bon line (\d+)", lambda m: f"at index {int(m[1]) - 1}", message)
    return message.replace("an earlier line", "an earlier record")


def result_of(report: ImportReport, kind: str) -> str:
    """'created', 'updated' or 'unchanged' for an import of one record of `kind`."""
    counts = report.counts.get(kind, {})
    return next((what for what in ("created", "updated") if counts.get(what)), "unchanged")
