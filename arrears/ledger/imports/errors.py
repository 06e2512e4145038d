from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one place of an input file, worded for the person who has to fix it."""

    file: str
    line: int  # 1-based line in the file; 0 when the problem is the file as a whole
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}, field '{self.field}': {self.message}" if self.field else f"{where}: {self.message}"


class FieldError(ValueError):
    """Raised by a field parser; the reader adds file, line and field name."""


class ImportFailed(Exception):
    """The import found errors; nothing was written."""

    def __init__(self, errors: list[RowError], total: int) -> None:
        self.errors = errors
        self.total = total
        shown = "\n".join(f"  {e}" for e in errors)
        more = f"\n  ... and {total - len(errors)} more" if total > len(errors) else ""
        super().__init__(f"import failed with {total} error(s); nothing was written:\n{shown}{more}")
