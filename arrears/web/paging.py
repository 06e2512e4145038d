"""Pagination for lists that hold 100,000 rows: a page of rows and the links around it."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE = 50


def page_of(request: HttpRequest, rows: QuerySet[Any], per_page: int = PER_PAGE) -> Page[Any]:
    """The requested page (?page=N); a number out of range gives the last page, junk the first."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))
