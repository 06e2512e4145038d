"""Lists come in pages: ?limit=N&offset=M, with the total count, newest or oldest first as each
list says. A page costs two queries (the count and the rows) whatever its size: every list's
related rows are joined or prefetched, never fetched one row at a time."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Far beyond any ledger, and small enough for every database's OFFSET.
MAX_OFFSET = 2**31 - 1


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"rows per page, at most {MAX_LIMIT}")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="rows to skip")


def page(rows: QuerySet[Any], params: PageParams) -> tuple[int, list[Any]]:
    """(total count, the rows of the page)."""
    return rows.count(), list(rows[params.offset : params.offset + params.limit])
