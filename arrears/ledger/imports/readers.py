"""Reading import files into (line number, record) pairs, streaming where the format allows.

CSV and JSON Lines stream row by row. A JSON document is read whole (it cannot be streamed with
the standard library) but its records are still reported with the line they start on.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arrears.ledger.imports.errors import FieldError, RowError

KINDS = ("customers", "invoices", "payments")
# parse_float=str keeps "120.10" exact: money never passes through a float.
_DECODER = json.JSONDecoder(parse_float=str)


@dataclass(frozen=True)
class Source:
    kind: str  # customers, invoices, payments
    path: Path
    format: str  # csv, json, jsonl

    @property
    def name(self) -> str:
        return self.path.name


class SourceError(Exception):
    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error


def discover(paths: list[Path]) -> list[Source]:
    """Find the import files among paths (files or folders), in the order customers, invoices, payments."""
    found: list[Source] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and _kind_of(p) and _format_of(p))
            if not files:
                raise SourceError(
                    RowError(
                        str(path),
                        0,
                        "",
                        "no customers/invoices/payments .csv, .json or .jsonl files in this folder",
                    )
                )
            found.extend(_source(p) for p in files)
        elif path.is_file():
            found.append(_source(path))
        else:
            raise SourceError(RowError(str(path), 0, "", "no such file or folder"))
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(found, key=lambda s: (order.get(s.kind, -1), str(s.path)))


def _kind_of(path: Path) -> str | None:
    stem = path.name.lower()
    for kind in KINDS:
        if stem.startswith(kind) or stem.startswith(kind[:-1]):
            return kind
    return None


def _format_of(path: Path) -> str | None:
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in {"csv", "json", "jsonl"} else None


def _source(path: Path) -> Source:
    fmt = _format_of(path)
    if fmt is None:
        raise SourceError(RowError(path.name, 0, "", "unknown file type: expected .csv, .json or .jsonl"))
    kind = _kind_of(path)
    if kind is None and fmt != "json":
        raise SourceError(
            RowError(
                path.name,
                0,
                "",
                "cannot tell what the file holds: its name must start with customers, invoices or payments",
            )
        )
    # A .json file named otherwise may hold all kinds: {"customers": [...], "invoices": [...], ...}
    return Source(kind or "mixed", path, fmt)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def count_records(source: Source) -> int | None:
    """Rows to expect, for the progress bar (None when unknown without parsing)."""
    if source.format == "json":
        return None
    with source.path.open("rb") as handle:
        lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    return max(lines - 1, 0) if source.format == "csv" else lines


def read_csv(source: Source, columns: dict[str, bool]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as dicts; columns maps each accepted column to whether it is required."""
    with source.path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise SourceError(RowError(source.name, 1, "", "the file is empty: expected a header line")) from None
        except UnicodeDecodeError:
            raise _not_utf8(source) from None
        _check_header(source, header, columns)
        width = len(header)
        start = reader.line_num + 1
        try:
            for row in reader:
                line = start
                start = reader.line_num + 1
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != width:
                    raise SourceError(RowError(source.name, line, "", f"has {len(row)} values, the header has {width}"))
                yield line, dict(zip(header, row, strict=True))
        except UnicodeDecodeError:
            raise _not_utf8(source) from None
        except csv.Error as exc:
            raise SourceError(RowError(source.name, start, "", f"broken CSV: {exc}")) from None


def _check_header(source: Source, header: list[str], columns: dict[str, bool]) -> None:
    expected = ", ".join(c for c, required in columns.items() if required)
    for name in header:
        if name not in columns:
            raise SourceError(
                RowError(
                    source.name,
                    1,
                    name,
                    f"unknown column: the {source.kind} columns are {', '.join(columns)}",
                )
            )
    if len(set(header)) != len(header):
        raise SourceError(RowError(source.name, 1, "", "a column appears twice in the header"))
    for name, required in columns.items():
        if required and name not in header:
            raise SourceError(
                RowError(source.name, 1, name, f"missing column: a {source.kind} file needs at least {expected}")
            )


def _not_utf8(source: Source) -> SourceError:
    """The error for a file that is not UTF-8, on the line of its first undecodable byte.

    Text files are decoded a block at a time, so the decoder's position says nothing about the
    line; a UTF-8 sequence never contains a newline byte, so the lines can be checked one by one.
    """
    line = 1
    with source.path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                line = number
                break
    return SourceError(RowError(source.name, line, "", "not UTF-8 text"))


def read_jsonl(source: Source, columns: dict[str, bool]) -> Iterator[tuple[int, dict[str, Any]]]:
    with source.path.open(encoding="utf-8-sig") as handle:
        try:
            for line_no, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = _DECODER.decode(line)
                except json.JSONDecodeError as exc:
                    raise SourceError(RowError(source.name, line_no, "", f"not valid JSON: {exc.msg}")) from None
                except (RecursionError, ValueError) as exc:  # nested too deep; a number of 5,000 digits
                    raise SourceError(RowError(source.name, line_no, "", f"not usable JSON: {_why(exc)}")) from None
                yield line_no, _check_record(source, line_no, record, columns)
        except UnicodeDecodeError:
            raise _not_utf8(source) from None


def _why(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "values nested too deeply"
    return str(exc)


def read_json(source: Source, columns_by_kind: dict[str, dict[str, bool]]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(kind, line, record) from a JSON array (kind from the file name) or an object of arrays per kind."""
    try:
        text = source.path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise _not_utf8(source) from None
    scanner = _JsonScanner(source, text)
    pos = scanner.skip(0)
    if text.startswith("[", pos):
        if source.kind not in KINDS:
            raise SourceError(
                RowError(
                    source.name,
                    scanner.line(pos),
                    "",
                    "a JSON array needs a file name starting with customers, invoices or payments",
                )
            )
        for line, record in scanner.array(pos):
            yield source.kind, line, _check_record(source, line, record, columns_by_kind[source.kind])
        scanner.expect_end(scanner.end)
        return
    if not text.startswith("{", pos):
        raise SourceError(
            RowError(
                source.name,
                scanner.line(pos),
                "",
                "expected a JSON array or an object with customers, invoices and payments arrays",
            )
        )
    yield from scanner.object_of_arrays(pos, columns_by_kind)


class _JsonScanner:
    """Walks a JSON document element by element so that every record knows its line number."""

    def __init__(self, source: Source, text: str) -> None:
        self.source, self.text = source, text
        self._line_pos, self._line = 0, 1

    def line(self, pos: int) -> int:
        if pos < self._line_pos:
            self._line_pos, self._line = 0, 1
        self._line += self.text.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    def skip(self, pos: int) -> int:
        while pos < len(self.text) and self.text[pos] in " \t\r\n":
            pos += 1
        return pos

    def fail(self, pos: int, message: str) -> SourceError:
        return SourceError(RowError(self.source.name, self.line(pos), "", message))

    def expect_end(self, pos: int) -> None:
        """Nothing but white space may follow the document: a second one would be silently lost."""
        pos = self.skip(pos)
        if pos < len(self.text):
            raise self.fail(pos, "unexpected text after the end of the JSON document")

    def decode(self, pos: int) -> tuple[Any, int]:
        try:
            return _DECODER.raw_decode(self.text, pos)
        except json.JSONDecodeError as exc:
            raise self.fail(exc.pos, f"not valid JSON: {exc.msg}") from None
        except (RecursionError, ValueError) as exc:  # nested too deep; a number of 5,000 digits
            raise self.fail(pos, f"not usable JSON: {_why(exc)}") from None

    def array(self, pos: int) -> Iterator[tuple[int, Any]]:
        pos = self.skip(pos + 1)
        if self.text.startswith("]", pos):
            self.end = pos + 1
            return
        while True:
            start = pos
            value, pos = self.decode(pos)
            yield self.line(start), value
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos = self.skip(pos + 1)
            elif self.text.startswith("]", pos):
                self.end = pos + 1
                return
            else:
                raise self.fail(pos, "expected ',' or ']' after a record")

    def object_of_arrays(
        self, pos: int, columns_by_kind: dict[str, dict[str, bool]]
    ) -> Iterator[tuple[str, int, dict[str, Any]]]:
        seen: dict[str, int] = {}
        pos = self.skip(pos + 1)
        while not self.text.startswith("}", pos):
            key, pos = self.decode(pos)
            if key not in KINDS:
                raise self.fail(pos, f"unknown key {key!r}: expected customers, invoices or payments")
            pos = self.skip(pos)
            if not self.text.startswith(":", pos):
                raise self.fail(pos, "expected ':' after a key")
            pos = self.skip(pos + 1)
            if not self.text.startswith("[", pos):
                raise self.fail(pos, f"{key!r} must be an array of records")
            seen[key] = pos
            pos = self._skip_value(pos)
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos = self.skip(pos + 1)
            elif not self.text.startswith("}", pos):
                raise self.fail(pos, "expected ',' or '}'")
        self.expect_end(pos + 1)
        # Customers first, then invoices, then payments, whatever order the keys are written in.
        for kind in KINDS:
            if kind in seen:
                for line, record in self.array(seen[kind]):
                    yield kind, line, _check_record(self.source, line, record, columns_by_kind[kind])

    def _skip_value(self, pos: int) -> int:
        _, end = self.decode(pos)
        return end


def _check_record(source: Source, line: int, record: Any, columns: dict[str, bool]) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise SourceError(RowError(source.name, line, "", "expected a JSON object for each record"))
    for key in record:
        if key not in columns:
            raise SourceError(
                RowError(source.name, line, str(key), f"unknown field: accepted are {', '.join(columns)}")
            )
    for key, required in columns.items():
        if required and key not in record:
            raise SourceError(RowError(source.name, line, key, "missing: this field is required"))
    return {k: ("" if v is None else v) for k, v in record.items()}


__all__ = [
    "KINDS",
    "FieldError",
    "Source",
    "SourceError",
    "count_records",
    "discover",
    "read_csv",
    "read_json",
    "read_jsonl",
    "sha256_of",
]
