"""Bulk writes without building ORM objects: for imports and other paths over millions of rows.

Column names come from the models' metadata, so renaming a field cannot silently break SQL here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection, models


def columns(model: type[models.Model], field_names: Sequence[str]) -> list[str]:
    result = []
    for name in field_names:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field), f"{model.__name__}.{name} is not a concrete field"
        assert field.column is not None
        result.append(connection.ops.quote_name(field.column))
    return result


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def insert_rows(model: type[models.Model], field_names: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """INSERT many rows of plain values (already in database form): COPY on PostgreSQL, one prepared
    statement on SQLite (where executemany runs in C without a round trip per row)."""
    if not rows:
        return 0
    cols = columns(model, field_names)
    if connection.vendor == "postgresql":
        # wrap_database_errors: a violated constraint surfaces as Django's IntegrityError, as it
        # does for every other statement, not as psycopg's own class.
        with connection.cursor() as cursor, connection.wrap_database_errors:
            raw = cursor.cursor  # the psycopg cursor behind Django's wrapper
            with raw.copy(f"COPY {table(model)} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return len(rows)
    placeholders = ", ".join(["%s"] * len(cols))
    sql = f"INSERT INTO {table(model)} ({', '.join(cols)}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def update_from_values(
    model: type[models.Model],
    key: str,
    value_columns: Sequence[tuple[str, str]],
    assignments: str,
    rows: Sequence[Sequence[Any]],
    batch: int = 2000,
) -> None:
    """Many row-wise UPDATEs as one statement per batch: UPDATE t SET ... FROM (VALUES ...) AS v.

    value_columns names and types the VALUES columns after the key, e.g. [("delta", "bigint")];
    assignments uses them as v.delta. PostgreSQL only (SQLite keeps its prepared-statement loop).
    """
    names = ", ".join(["id", *(name for name, _ in value_columns)])
    width = 1 + len(value_columns)
    first = "(" + ", ".join(["%s::bigint", *(f"%s::{kind}" for _, kind in value_columns)]) + ")"
    other = "(" + ", ".join(["%s"] * width) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            values = ", ".join([first, *[other] * (len(part) - 1)])
            params = [v for row in part for v in row]
            cursor.execute(
                f"UPDATE {table(model)} AS t SET {assignments} FROM (VALUES {values}) AS v({names}) "
                f"WHERE t.{connection.ops.quote_name(key)} = v.id",
                params,
            )


def db_date(value: date | None) -> Any:
    """A date in the form the current database backend stores it (ISO text on SQLite: a value
    handed over as text needs no adapter call when a row is bound)."""
    return connection.ops.adapt_datefield_value(value)


def db_datetime(value: datetime) -> Any:
    """A timestamp in the form the current database backend stores it."""
    return connection.ops.adapt_datetimefield_value(value)


def db_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
