"""Invoices and payments through the API: checked, stored and allocated exactly as by an import."""

from __future__ import annotations

from arrears.customers.models import Customer
from arrears.ledger.models import Allocation, ImportBatch, Invoice, Payment


def _invoice(number: str, customer: str = "N1", amount: object = "1000.00", **more: object) -> dict[str, object]:
    return {
        "number": number,
        "customer_id": customer,
        "issue_date": "2026-10-01",
        "due_date": "2026-10-15",
        "currency": "CZK",
        "amount": amount,
        **more,
    }


def _payment(payment_id: str, amount: object = "1000.00", **more: object) -> dict[str, object]:
    return {"id": payment_id, "customer_id": "N1", "date": "2026-11-02", "currency": "CZK", "amount": amount, **more}


def _customer(api, acme) -> None:
    assert api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "One"}).status_code == 201


def test_invoices_are_listed_by_due_date_with_filters(api, acme, world):
    everything = api.get("viewer", f"{acme}/invoices", limit=500).json()
    assert everything["count"] == Invoice.objects.count()
    dues = [i["due_date"] for i in everything["items"]]
    assert dues == sorted(dues)
    mine = api.get("viewer", f"{acme}/invoices", customer="C0001").json()["items"]
    assert {i["customer_id"] for i in mine} == {"C0001"}
    assert len(mine) == Invoice.objects.filter(customer__external_id="C0001").count()
    open_ = api.get("viewer", f"{acme}/invoices", status="open", limit=500).json()
    assert open_["count"] == Invoice.objects.filter(outstanding_minor__gt=0).count()
    assert all(i["outstanding"] != "0.00" for i in open_["items"])
    paid = api.get("viewer", f"{acme}/invoices", status="paid", limit=500).json()
    assert paid["count"] + open_["count"] == everything["count"]
    overdue = api.get("viewer", f"{acme}/invoices", overdue="true", limit=500).json()
    not_overdue = api.get("viewer", f"{acme}/invoices", overdue="false", limit=500).json()
    assert overdue["count"] + not_overdue["count"] == everything["count"]
    assert all(i["days_overdue"] > 0 and i["kind"] == "invoice" for i in overdue["items"])
    assert all(i["days_overdue"] == 0 for i in not_overdue["items"])
    eur = api.get("viewer", f"{acme}/invoices", currency="eur", limit=500).json()
    assert eur["count"] == Invoice.objects.filter(currency="EUR").count() > 0
    assert api.get("viewer", f"{acme}/invoices", status="late").status_code == 422


def test_one_invoice(api, acme, world):
    body = api.get("viewer", f"{acme}/invoices/202600001").json()
    assert (body["number"], body["customer_id"], body["amount"], body["variable_symbol"]) == (
        "202600001",
        "C0001",
        "48098.32",
        "1",
    )
    assert api.get("viewer", f"{acme}/invoices/NOPE").status_code == 404


def test_an_invoice_and_a_credit_note_are_created_and_the_credit_note_is_applied(api, acme, world):
    _customer(api, acme)
    response = api.post("clerk", f"{acme}/invoices", _invoice("FV/2026/1", variable_symbol="0042"))
    assert response.status_code == 201
    invoice = response.json()["invoice"]
    assert (invoice["kind"], invoice["outstanding"], invoice["variable_symbol"]) == ("invoice", "1000.00", "42")
    assert api.get("viewer", f"{acme}/invoices/FV/2026/1").json()["number"] == "FV/2026/1"
    note = api.post("clerk", f"{acme}/invoices", _invoice("CN-1", amount="-250.00", reference="FV/2026/1"))
    assert note.status_code == 201
    assert note.json()["invoice"]["kind"] == "credit_note"
    assert api.get("viewer", f"{acme}/invoices/FV/2026/1").json()["outstanding"] == "750.00"


def test_an_amount_sent_as_a_json_number_is_read_exactly(api, acme, world):
    _customer(api, acme)
    response = api.client.post(
        f"{acme}/invoices",
        '{"number": "X1", "customer_id": "N1", "issue_date": "2026-10-01", "due_date": "2026-10-15",'
        ' "currency": "CZK", "amount": 1234567890123.10}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.tokens['clerk']}"},
    )
    assert response.status_code == 201
    assert Invoice.objects.get(number="X1").amount_minor == 123456789012310
    too_fine = api.post("clerk", f"{acme}/invoices", _invoice("X2", amount=10.001))
    assert too_fine.status_code == 422
    assert "more decimal places than CZK allows" in too_fine.json()["errors"][0]["message"]


def test_patch_of_an_invoice_keeps_the_fields_not_sent(api, acme, world):
    response = api.patch(
        "clerk", f"{acme}/invoices/202600001", {"paused_until": "2026-12-31", "dunning_enabled": False}
    )
    assert response.status_code == 200
    stored = Invoice.objects.get(number="202600001")
    assert (stored.amount_minor, str(stored.paused_until), stored.dunning_enabled) == (4809832, "2026-12-31", False)
    assert api.patch("clerk", f"{acme}/invoices/NOPE", {}).status_code == 404


def test_a_paid_invoice_keeps_its_customer_as_in_an_import(api, acme, world):
    paid = Invoice.objects.filter(allocated_minor__gt=0, customer__external_id="C0001").first()
    assert paid is not None
    response = api.patch("clerk", f"{acme}/invoices/{paid.number}", {"customer_id": "C0002"})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "customer_id"
    assert "its customer cannot change; un-pair first" in error["message"]


def test_bulk_invoices_are_all_or_nothing(api, acme, world):
    _customer(api, acme)
    invoices = [_invoice(f"B-{i}") for i in range(20)]
    assert api.post("clerk", f"{acme}/invoices/bulk", {"invoices": invoices}).json()["counts"]["created"] == 20
    batches = ImportBatch.objects.count()
    more = [_invoice("B-20"), _invoice("B-21", customer="NOPE"), _invoice("B-22", due_date="2026-09-01")]
    response = api.post("clerk", f"{acme}/invoices/bulk", {"invoices": more})
    assert response.status_code == 422
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(1, "customer_id"), (2, "due_date")]
    assert response.json()["errors"][0]["message"].startswith("unknown customer 'NOPE'")
    assert not Invoice.objects.filter(number="B-20").exists()
    assert ImportBatch.objects.count() == batches


def test_bulk_takes_at_most_5000_invoices(api, acme, world):
    response = api.post("clerk", f"{acme}/invoices/bulk", {"invoices": [_invoice(f"B-{i}") for i in range(5001)]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "invoices"


def test_a_payment_is_allocated_to_the_invoice_and_the_balance_changes(api, acme, world):
    _customer(api, acme)
    api.post("clerk", f"{acme}/invoices", _invoice("FV-1"))
    api.post("clerk", f"{acme}/invoices", _invoice("FV-2", amount="300.00"))
    before = api.get("viewer", f"{acme}/customers/N1").json()["balance"]
    assert before[0]["total_due"] == "1300.00"
    response = api.post("clerk", f"{acme}/payments", _payment("P-1", amount="1000.00", invoice_number="FV-1"))
    assert response.status_code == 201
    written = response.json()
    assert written["payment"]["allocations"] == [{"invoice": "FV-1", "amount": "1000.00", "method": "reference"}]
    assert written["payment"]["unallocated"] == "0.00"
    assert written["allocation"] == {"allocations": 1, "settled_invoices": 1, "credit_receipts": 0}
    after = api.get("viewer", f"{acme}/customers/N1").json()
    assert (after["balance"][0]["paid"], after["balance"][0]["total_due"]) == ("1000.00", "300.00")
    assert [d["invoice"] for d in after["dunning"]] == ["FV-2"]
    assert api.get("viewer", f"{acme}/invoices/FV-1").json()["outstanding"] == "0.00"


def test_a_payment_without_a_reference_is_matched_by_amount_or_kept_as_credit(api, acme, world):
    _customer(api, acme)
    api.post("clerk", f"{acme}/invoices", _invoice("FV-1", amount="300.00"))
    by_amount = api.post("clerk", f"{acme}/payments", _payment("P-1", amount="300.00")).json()
    assert by_amount["payment"]["allocations"][0]["method"] == "exact_amount"
    credit = api.post("clerk", f"{acme}/payments", _payment("P-2", amount="55.00")).json()
    assert (credit["payment"]["unallocated"], credit["allocation"]["credit_receipts"]) == ("55.00", 1)
    assert api.get("viewer", f"{acme}/payments", unallocated="true", customer="N1").json()["count"] == 1


def test_a_payment_sent_again_is_unchanged_and_its_amount_cannot_change(api, acme, world):
    _customer(api, acme)
    api.post("clerk", f"{acme}/invoices", _invoice("FV-1"))
    assert api.post("clerk", f"{acme}/payments", _payment("P-1", invoice_number="FV-1")).status_code == 201
    again = api.post("clerk", f"{acme}/payments", _payment("P-1", invoice_number="FV-1"))
    assert (again.status_code, again.json()["result"]) == (200, "unchanged")
    changed = api.post("clerk", f"{acme}/payments", _payment("P-1", amount="999.00", invoice_number="FV-1"))
    assert changed.status_code == 422
    assert changed.json()["errors"][0]["field"] == "amount"
    assert Payment.objects.get(external_id="P-1").amount_minor == 100000
    assert Allocation.objects.filter(payment__external_id="P-1").count() == 1


def test_a_refund_is_not_a_payment(api, acme, world):
    _customer(api, acme)
    response = api.post("clerk", f"{acme}/payments", _payment("P-1", amount="-5.00"))
    assert response.status_code == 422
    assert "is not positive" in response.json()["errors"][0]["message"]


def test_bulk_payments_are_allocated_and_all_or_nothing(api, acme, world):
    _customer(api, acme)
    api.post("clerk", f"{acme}/invoices/bulk", {"invoices": [_invoice(f"FV-{i}") for i in range(3)]})
    good = [_payment(f"P-{i}", invoice_number=f"FV-{i}") for i in range(3)]
    bad = [*good, _payment("P-9", currency="XXY")]
    refused = api.post("clerk", f"{acme}/payments/bulk", {"payments": bad})
    assert refused.status_code == 422
    assert [(e["index"], e["field"]) for e in refused.json()["errors"]] == [(3, "currency")]
    assert not Payment.objects.filter(customer__external_id="N1").exists()
    done = api.post("clerk", f"{acme}/payments/bulk", {"payments": good}).json()
    assert done["counts"]["created"] == 3
    assert done["allocation"] == {"allocations": 3, "settled_invoices": 3, "credit_receipts": 0}
    assert not Invoice.objects.filter(customer__external_id="N1", outstanding_minor__gt=0).exists()


def test_payments_are_listed_and_read_with_their_allocations(api, acme, world):
    listed = api.get("viewer", f"{acme}/payments", customer="C0001").json()
    assert listed["count"] == Payment.objects.filter(customer__external_id="C0001").count()
    one = api.get("viewer", f"{acme}/payments/P00001").json()
    assert one["allocations"] == [{"invoice": "202600002", "amount": "39272.05", "method": "reference"}]
    assert api.get("viewer", f"{acme}/payments/NOPE").status_code == 404


def test_days_outside_1900_to_2999_are_refused_before_the_import(api, acme, world):
    _customer(api, acme)
    response = api.post("clerk", f"{acme}/invoices", _invoice("X1", due_date="9999-12-31"))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "location": "body",
            "index": None,
            "field": "due_date",
            "message": "must be between 1900-01-01 and 2999-12-31",
        }
    ]
    wrong = api.post("clerk", f"{acme}/invoices", _invoice("X1", due_date="15.10.2026"))
    assert (
        wrong.json()["errors"][0]["message"]
        == "'15.10.2026' is not a date: expected YYYY-MM-DD, for example 2026-11-20"
    )
    assert not Invoice.objects.filter(number="X1").exists()
    assert Customer.objects.filter(external_id="N1").exists()


def test_an_amount_too_large_to_store_is_refused_before_the_import(api, acme, world):
    _customer(api, acme)
    for amount in ("100000000000000000000", 10**20, "-123456789012345.00"):
        response = api.post("clerk", f"{acme}/invoices", _invoice("X1", amount=amount))
        assert response.status_code == 422
        assert response.json()["errors"][0]["message"] == "is too large: at most 14 digits before the decimal point"
    assert api.post("clerk", f"{acme}/invoices", _invoice("X1", amount="99999999999999.99")).status_code == 201
    assert api.post("clerk", f"{acme}/payments", _payment("P-1", amount="1" + "0" * 15)).status_code == 422
