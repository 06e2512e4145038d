"""Shared fixtures. Database tests run twice by dev.py: on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from arrears.companies.models import Company
from arrears.companies.services import create_company
from arrears.history.services import Actor

CORE_DIR = Path(__file__).parent / "core"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The pure core needs no database: dev.py runs it once, not again on PostgreSQL.
    for item in items:
        if CORE_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.core)


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    return f"arrears database: {settings.DATABASES['default']['ENGINE']} ({os.environ.get('ARREARS_TEST_DB', '?')})"


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path: Path) -> None:
    """Whatever a test writes (the archive, demo output) goes to its own temporary folder, never
    into the working tree."""
    settings.WORK_DIR = tmp_path
    # Each test starts with an empty cache (the dashboard keeps its figures there for minutes).
    from django.core.cache import cache

    cache.clear()
    # Passwords hashed for speed in tests only (PBKDF2's cost is the point in production).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def company(db: None) -> Company:
    return create_company(
        code="acme",
        name="ACME s.r.o.",
        country="CZ",
        default_currency="CZK",
        default_language="cs",
        time_zone="Europe/Prague",
        address_line1="Náměstí 1",
        postal_code="110 00",
        city="Praha",
        bank_accounts=[{"iban": "CZ6508000000192000145399", "currency": "CZK", "bic": "GIBACZPX"}],
    )


@pytest.fixture
def actor() -> Actor:
    return Actor("test")


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """write_csv("invoices.csv", header, rows...) -> path; the folder is tmp_path/"in"."""
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)

    def write(name: str, header: list[str], *rows: list[str]) -> Path:
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return path

    return write


CUSTOMER_HEADER = ["id", "name", "email", "language", "country", "group"]
INVOICE_HEADER = ["number", "customer_id", "issue_date", "due_date", "currency", "amount"]
PAYMENT_HEADER = ["id", "customer_id", "date", "currency", "amount", "invoice_number"]
