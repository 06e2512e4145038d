"""The customer balance ("saldo") as the credit controller reads it on 20 November 2026.

Jana (C1) was billed four CZK invoices and one EUR invoice:
  F4  800.00 CZK due 2026-10-01, paid exactly by P2 (found by its amount): settled
  F1 1210.00 CZK due 2026-10-15, 1000.00 paid by P1 (reference F1): 210.00 overdue 36 days
  F2  500.00 CZK due 2026-11-20, the day itself: due, not overdue
  F3  300.00 CZK due 2026-11-30: not yet due
  E1  100.00 EUR due 2026-11-01: overdue 19 days
She also has a credit note D1 of 150.00 CZK not yet applied, and paid 99.00 CZK (P3) that matched nothing.
"""

from __future__ import annotations

from datetime import date

import pytest

from arrears.customers.models import Customer
from arrears.ledger.imports.runner import run_import
from arrears.ledger.selectors.balance import AllocationLine, customer_balance
from tests.conftest import CUSTOMER_HEADER, INVOICE_HEADER, PAYMENT_HEADER

AS_OF = date(2026, 11, 20)


@pytest.fixture
def jana(company, actor, write_csv, tmp_path) -> Customer:
    write_csv(
        "customers.csv",
        CUSTOMER_HEADER,
        ["C1", "Jana Nováková", "jana@example.cz", "cs", "CZ", "retail"],
        ["C2", "Petr Svoboda", "petr@example.cz", "cs", "CZ", "retail"],
    )
    write_csv(
        "invoices.csv",
        INVOICE_HEADER,
        ["F4", "C1", "2026-09-17", "2026-10-01", "CZK", "800.00"],
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00"],
        ["F2", "C1", "2026-11-06", "2026-11-20", "CZK", "500.00"],
        ["F3", "C1", "2026-11-16", "2026-11-30", "CZK", "300.00"],
        ["E1", "C1", "2026-10-18", "2026-11-01", "EUR", "100.00"],
        ["D1", "C1", "2026-11-02", "2026-11-02", "CZK", "-150.00"],
        # Another customer's debt must not leak into Jana's balance.
        ["G1", "C2", "2026-09-01", "2026-09-15", "CZK", "7000.00"],
    )
    write_csv(
        "payments.csv",
        PAYMENT_HEADER,
        ["P1", "C1", "2026-10-20", "CZK", "1000.00", "F1"],
        ["P2", "C1", "2026-10-02", "CZK", "800.00", ""],
        ["P3", "C1", "2026-11-10", "CZK", "99.00", ""],
        ["Q1", "C2", "2026-10-02", "CZK", "55.00", ""],
    )
    run_import(company, [tmp_path / "in"], actor)
    return Customer.objects.get(external_id="C1")


def test_the_czk_figures(jana):
    czk = customer_balance(jana, AS_OF).currencies["CZK"]

    assert czk.billed == 281000  # 800 + 1210 + 500 + 300
    assert czk.credited == 15000  # the credit note, as a positive number
    assert czk.paid == 189900  # 1000 + 800 + 99
    assert czk.total_due == 101000  # 210 + 500 + 300
    assert czk.total_overdue == 21000  # only F1 is past its due date
    assert czk.unallocated_credit == 24900  # 99 of P3 + 150 of D1
    assert czk.net_due == 76100
    assert czk.net_overdue == 0  # the credit covers the overdue 210.00


def test_currencies_are_kept_apart(jana):
    balance = customer_balance(jana, AS_OF)

    assert list(balance.currencies) == ["CZK", "EUR"]
    eur = balance.currencies["EUR"]
    assert (eur.billed, eur.credited, eur.paid) == (10000, 0, 0)
    assert (eur.total_due, eur.total_overdue, eur.unallocated_credit) == (10000, 10000, 0)
    assert (eur.net_due, eur.net_overdue) == (10000, 10000)
    assert [i.number for i in eur.invoices] == ["E1"]
    assert eur.payments == []


def test_invoice_lines_with_days_overdue(jana):
    czk = customer_balance(jana, AS_OF).currencies["CZK"]

    lines = {i.number: i for i in czk.invoices}
    assert [i.number for i in czk.invoices] == ["F4", "F1", "D1", "F2", "F3"]  # by due date
    assert {n: line.days_overdue for n, line in lines.items()} == {"F4": 0, "F1": 36, "D1": 0, "F2": 0, "F3": 0}
    assert (lines["F1"].amount, lines["F1"].allocated, lines["F1"].outstanding) == (121000, 100000, 21000)
    assert (lines["F4"].outstanding, lines["F4"].settled_on) == (0, date(2026, 10, 2))
    assert (lines["D1"].kind, lines["D1"].amount, lines["D1"].outstanding) == ("credit_note", -15000, 15000)
    assert customer_balance(jana, AS_OF).currencies["EUR"].invoices[0].days_overdue == 19


def test_the_day_after_the_due_date_an_invoice_is_one_day_overdue(jana):
    czk = customer_balance(jana, date(2026, 11, 21)).currencies["CZK"]

    lines = {i.number: i.days_overdue for i in czk.invoices}
    assert (lines["F1"], lines["F2"], lines["F3"]) == (37, 1, 0)
    assert czk.total_overdue == 71000  # F1 210.00 + F2 500.00
    assert czk.net_overdue == 46100  # less the 249.00 of credit


def test_before_anything_was_due_nothing_is_overdue(jana):
    czk = customer_balance(jana, date(2026, 9, 30)).currencies["CZK"]

    assert czk.total_overdue == 0
    assert {i.days_overdue for i in czk.invoices} == {0}
    assert czk.total_due == 101000  # what is owed does not depend on the day asked


def test_payment_lines_show_where_the_money_went(jana):
    czk = customer_balance(jana, AS_OF).currencies["CZK"]

    payments = {p.external_id: p for p in czk.payments}
    assert [p.external_id for p in czk.payments] == ["P2", "P1", "P3"]  # by date received
    assert payments["P1"].allocations == (AllocationLine("F1", 100000, "reference"),)
    assert payments["P2"].allocations == (AllocationLine("F4", 80000, "exact_amount"),)
    assert (payments["P3"].allocations, payments["P3"].unallocated) == ((), 9900)
    assert payments["P1"].reference == "F1"


def test_open_only_leaves_settled_invoices_out(jana):
    everything = customer_balance(jana, AS_OF).currencies["CZK"]
    open_only = customer_balance(jana, AS_OF, include_settled=False).currencies["CZK"]

    assert [i.number for i in everything.invoices] == ["F4", "F1", "D1", "F2", "F3"]
    assert [i.number for i in open_only.invoices] == ["F1", "D1", "F2", "F3"]
    assert open_only.payments == everything.payments


def test_open_only_hides_lines_but_not_money(jana):
    # The figures must not change with what is listed: F4's 800.00 was billed and paid either way.
    # (It used to be left out of "billed" while P2, which paid it, stayed in "paid".)
    everything = customer_balance(jana, AS_OF).currencies["CZK"]
    open_only = customer_balance(jana, AS_OF, include_settled=False).currencies["CZK"]

    figures = (
        "billed",
        "credited",
        "paid",
        "total_due",
        "total_overdue",
        "unallocated_credit",
        "net_due",
        "net_overdue",
    )
    assert {f: getattr(open_only, f) for f in figures} == {f: getattr(everything, f) for f in figures}
    assert (open_only.billed, open_only.net_due) == (281000, 76100)


@pytest.mark.parametrize("include_settled", [True, False])
def test_billed_less_credited_less_paid_is_the_net_due(jana, include_settled):
    for b in customer_balance(jana, AS_OF, include_settled=include_settled).currencies.values():
        assert b.billed - b.credited - b.paid == b.net_due, b.currency


def test_overpayment_makes_net_due_negative(company, actor, write_csv, tmp_path):
    # Karel paid 500.00 on a 300.00 invoice: we owe him 200.00.
    write_csv("customers.csv", CUSTOMER_HEADER, ["K1", "Karel Dvořák", "", "cs", "CZ", ""])
    write_csv("invoices.csv", INVOICE_HEADER, ["K-1", "K1", "2026-10-01", "2026-10-15", "CZK", "300.00"])
    write_csv("payments.csv", PAYMENT_HEADER, ["PK", "K1", "2026-10-10", "CZK", "500.00", "K-1"])
    run_import(company, [tmp_path / "in"], actor)

    czk = customer_balance(Customer.objects.get(external_id="K1"), AS_OF).currencies["CZK"]

    assert (czk.total_due, czk.total_overdue, czk.unallocated_credit) == (0, 0, 20000)
    assert (czk.net_due, czk.net_overdue) == (-20000, 0)
    assert czk.invoices[0].days_overdue == 0  # settled before the due date, never overdue


def test_a_customer_without_documents_has_no_currencies(company):
    customer = Customer.objects.create(company=company, external_id="N1", name="Nový zákazník")

    balance = customer_balance(customer, AS_OF)

    assert balance.currencies == {}
    assert (balance.customer, balance.as_of) == (customer, AS_OF)


def test_a_credit_note_larger_than_the_invoice_leaves_credit(company, actor, write_csv, tmp_path):
    # The credit note corrects F1 by 300.00, but only 210.00 of F1 is still unpaid: 90.00 stays as credit.
    write_csv("customers.csv", CUSTOMER_HEADER, ["C1", "Jana Nováková", "", "cs", "CZ", ""])
    write_csv(
        "invoices.csv",
        [*INVOICE_HEADER, "reference"],
        ["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1210.00", ""],
        ["D1", "C1", "2026-10-25", "2026-10-25", "CZK", "-300.00", "F1"],
    )
    write_csv("payments.csv", PAYMENT_HEADER, ["P1", "C1", "2026-10-20", "CZK", "1000.00", "F1"])
    run_import(company, [tmp_path / "in"], actor)

    czk = customer_balance(Customer.objects.get(external_id="C1"), AS_OF).currencies["CZK"]

    lines = {i.number: i for i in czk.invoices}
    assert (lines["F1"].allocated, lines["F1"].outstanding, lines["F1"].days_overdue) == (121000, 0, 0)
    assert (lines["D1"].allocated, lines["D1"].outstanding) == (21000, 9000)
    assert (czk.billed, czk.credited, czk.paid) == (121000, 30000, 100000)
    assert (czk.total_due, czk.unallocated_credit, czk.net_due) == (0, 9000, -9000)
