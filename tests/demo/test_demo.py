"""The demo command, end to end on the test database: what `python3 dev.py demo` prints."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command

from arrears.accounts.roles import Role, role_of
from arrears.companies.models import Company
from arrears.ledger.models import Allocation, Invoice, Payment


@pytest.mark.django_db
def test_the_demo_sets_up_a_company_imports_the_sample_and_reports(tmp_path):
    out = io.StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()

    company = Company.objects.get(code="demo")
    assert company.bank_accounts.count() == 3
    assert Invoice.objects.filter(company=company).count() == 154
    assert Payment.objects.filter(company=company).count() == 98
    assert Allocation.objects.filter(company=company).exists()
    assert "customers  26 created, 0 updated, 0 unchanged" in text
    assert "Receivables as of 2026-11-20" in text
    assert "largest overdue debts:" in text
    # The customer card of C0002 shows its credit note applied and its overdue invoice.
    assert "CN-2026-001 (CN)" in text
    assert "117 d" in text
    assert len(list((tmp_path / "letters").glob("*.pdf"))) == 18
    # Delivery: the worker sent the e-mails to the capture server; C0008 has no address: paper.
    assert len(list((tmp_path / "messages").glob("*.eml"))) == 18
    assert "worker: 18 e-mails sent over SMTP" in text
    assert "outbox: 1 paper, 18 sent" in text
    assert re.search(r"print batch #\d+: 1 paper letters \(1 pages\)", text)
    assert "Content-Language: cs" in text or "Subject: Upomínka" in text
    # It ends with the way into the web UI: the command, the URL and a login that works.
    web = re.search(
        r"Web UI: run `ARREARS_HOME=(\S+) \.venv/bin/arrears web` and open http://127\.0\.0\.1:8000/ "
        r"— log in as demo / (\S+)$",
        text.rstrip().splitlines()[-2],
    )
    assert web is not None, text[-600:]
    assert web.group(1) == str(tmp_path)
    assert role_of(User.objects.get(username="demo")) is Role.MANAGER
    assert authenticate(username="demo", password=web.group(2)) is not None


@pytest.mark.django_db
def test_running_the_demo_twice_changes_nothing_the_second_time():
    call_command("demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "invoices   0 created, 0 updated, 154 unchanged" in out.getvalue()
    assert Invoice.objects.count() == 154
    # One demo user; the password printed by this run is the one that works now.
    assert User.objects.filter(username="demo").count() == 1
    password = re.search(r"log in as demo / (\S+)", out.getvalue())
    assert password is not None
    assert authenticate(username="demo", password=password.group(1)) is not None
