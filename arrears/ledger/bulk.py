"""Bulk writes without building ORM objects: for imports and other paths over millions of rows.

Column names come from the models' metadata, so renaming a field cannot silently break SQL here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
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
    """INSERT many rows of plain values (already in database form) with one prepared statement."""
    if not rows:
        return 0
    cols = columns(model, field_names)
    placeholders = ", ".join(["%s"] * len(cols))
    sql = f"INSERT INTO {table(model)} ({', '.join(cols)}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def db_datetime(value: datetime) -> Any:
    """A timestamp in the form the current database backend stores it."""
    return connection.ops.adapt_datetimefield_value(value)


def db_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
