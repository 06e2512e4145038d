"""Customers through the API: read with balance and dunning state, written as the import writes them."""

from __future__ import annotations

from arrears.customers.models import Customer
from arrears.history.models import Event
from arrears.ledger.models import ImportBatch


def test_the_list_is_paged_by_id_and_searchable(api, acme, world):
    first = api.get("viewer", f"{acme}/customers", limit=2).json()
    assert first["count"] == Customer.objects.count() == 26
    assert (first["limit"], first["offset"]) == (2, 0)
    assert [c["id"] for c in first["items"]] == ["C0001", "C0002"]
    assert first["items"][0]["emails"] == ["billing@novakstavbysro.example"]
    assert first["items"][0]["groups"] == ["wholesale"]
    second = api.get("viewer", f"{acme}/customers", limit=2, offset=2).json()
    assert [c["id"] for c in second["items"]] == ["C0003", "C0004"]
    beyond = api.get("viewer", f"{acme}/customers", offset=1000).json()
    assert (beyond["count"], beyond["items"]) == (26, [])
    found = api.get("viewer", f"{acme}/customers", q="novák").json()
    assert [c["id"] for c in found["items"]] == ["C0001"]
    assert api.get("viewer", f"{acme}/customers", q="c0002").json()["items"][0]["id"] == "C0002"


def test_a_page_has_at_most_500_rows(api, acme, world):
    response = api.get("viewer", f"{acme}/customers", limit=501)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"location": "query", "index": None, "field": "limit", "message": "Input should be less than or equal to 500"}
    ]


def test_a_customer_shows_the_balance_per_currency_and_where_each_open_invoice_stands(api, acme, world):
    body = api.get("viewer", f"{acme}/customers/C0001").json()
    assert body["id"] == "C0001"
    assert body["name"] == "Novák stavby s.r.o."
    by_currency = {b["currency"]: b for b in body["balance"]}
    assert set(by_currency) == {"CZK", "EUR"}
    czk = by_currency["CZK"]
    assert (czk["billed"], czk["paid"], czk["total_due"]) == ("219369.61", "161055.90", "58313.71")
    assert by_currency["EUR"]["net_due"] == "0.00"
    dunning = {d["invoice"]: d for d in body["dunning"]}
    assert set(dunning) == {"202600001", "202600006"}
    first = dunning["202600001"]
    assert (first["currency"], first["outstanding"], first["due_date"]) == ("CZK", "48098.32", "2026-07-25")
    assert first["policy"] == "standard"
    assert first["level"] == 0  # the run of the demo world is still a proposal
    assert first["today"]["reason"]
    assert first["today"]["words"]


def test_an_unknown_customer_is_404(api, acme, world):
    response = api.get("viewer", f"{acme}/customers/NOPE")
    assert response.status_code == 404
    assert response.json() == {"detail": "there is no customer 'NOPE'", "errors": []}


def test_a_customer_id_with_a_slash_or_a_line_break_is_reachable(api, acme, world):
    assert api.post("clerk", f"{acme}/customers", {"id": "K/1", "name": "Slash"}).status_code == 201
    assert api.get("viewer", f"{acme}/customers/K/1").json()["name"] == "Slash"
    assert api.get("viewer", f"{acme}/customers/K%2F1").json()["name"] == "Slash"
    assert api.post("clerk", f"{acme}/customers", {"id": "K\n2", "name": "Break"}).status_code == 201
    assert api.get("viewer", f"{acme}/customers/K%0A2").json()["name"] == "Break"
    missing = api.get("viewer", f"{acme}/customers/%0Anope")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "there is no customer '\\nnope'"


def test_a_new_customer_is_created_as_an_import_would_create_it(api, acme, world, users):
    body = {"id": "N1", "name": "Nová s.r.o.", "email": ["a@nova.example", "b@nova.example"], "group": "vip; retail"}
    body |= {"language": "cs", "country": "cz", "city": "Brno", "paused_until": "2026-12-31"}
    response = api.post("clerk", f"{acme}/customers", body)
    assert response.status_code == 201
    written = response.json()
    assert written["result"] == "created"
    customer = written["customer"]
    assert customer["emails"] == ["a@nova.example", "b@nova.example"]
    assert customer["groups"] == ["retail", "vip"]
    assert (customer["country"], customer["paused_until"]) == ("CZ", "2026-12-31")
    batch = ImportBatch.objects.get(pk=written["import_batch"])
    assert batch.actor_label == "api:clerk"
    assert batch.counts == {"customers": {"created": 1, "updated": 0, "unchanged": 0}}


def test_spaces_around_an_id_are_dropped_as_in_a_file(api, acme, world):
    response = api.post("clerk", f"{acme}/customers", {"id": " N1 ", "name": " One "})
    assert response.status_code == 201
    assert (response.json()["customer"]["id"], response.json()["customer"]["name"]) == ("N1", "One")


def test_the_same_customer_again_is_unchanged_and_a_change_is_an_update(api, acme, world):
    assert api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "One"}).status_code == 201
    again = api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "One"})
    assert (again.status_code, again.json()["result"]) == (200, "unchanged")
    changed = api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "One Ltd", "city": "Praha"})
    assert (changed.status_code, changed.json()["result"]) == (200, "updated")
    assert Customer.objects.get(external_id="N1").city == "Praha"
    event = Event.objects.filter(kind="customer.updated", customer__external_id="N1").get()
    assert event.actor_label == "api:clerk"
    assert "name: One -> One Ltd" in event.summary


def test_a_field_left_out_keeps_its_value_and_null_empties_it(api, acme, world):
    api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "One", "city": "Brno", "vat_no": "CZ1"})
    api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "One", "city": None})
    stored = Customer.objects.get(external_id="N1")
    assert (stored.city, stored.vat_no) == ("", "CZ1")


def test_patch_changes_only_the_fields_sent(api, acme, world):
    response = api.patch("clerk", f"{acme}/customers/C0001", {"paused_until": "2026-12-24", "dunning_enabled": "no"})
    assert response.status_code == 200
    assert response.json()["result"] == "updated"
    stored = Customer.objects.get(external_id="C0001")
    assert (stored.name, str(stored.paused_until), stored.dunning_enabled) == (
        "Novák stavby s.r.o.",
        "2026-12-24",
        False,
    )
    assert api.patch("clerk", f"{acme}/customers/C0001", {}).json()["result"] == "unchanged"
    assert api.patch("clerk", f"{acme}/customers/NOPE", {"city": "x"}).status_code == 404


def test_patch_refuses_an_empty_name_as_the_import_does(api, acme, world):
    response = api.patch("clerk", f"{acme}/customers/C0001", {"name": None})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"location": "body", "index": None, "field": "name", "message": "is empty: a value is required"}
    ]


def test_a_bad_value_gets_the_import_s_message_and_nothing_is_written(api, acme, world):
    response = api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "One", "language": "xx"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "the record was refused; nothing was written",
        "errors": [
            {
                "location": "body",
                "index": None,
                "field": "language",
                "message": "'xx' is not a language: expected a code such as en, cs, de, pl or ru",
            }
        ],
    }
    assert not Customer.objects.filter(external_id="N1").exists()


def test_unknown_fields_and_wrong_types_are_refused_by_the_schema(api, acme, world):
    response = api.post("clerk", f"{acme}/customers", {"id": "N1", "name": 5, "colour": "red", "group": {"a": 1}})
    assert response.status_code == 422
    fields = sorted(e["field"] for e in response.json()["errors"])
    assert "colour" in fields
    assert "name" in fields
    assert response.json()["detail"].startswith("the request is not valid")


def test_bulk_writes_all_of_them(api, acme, world):
    customers = [{"id": f"B{i}", "name": f"Bulk {i}"} for i in range(30)] + [{"id": "C0001", "name": "Novák"}]
    response = api.post("clerk", f"{acme}/customers/bulk", {"customers": customers})
    assert response.status_code == 200
    assert response.json()["counts"] == {"created": 30, "updated": 1, "unchanged": 0}
    assert Customer.objects.filter(external_id__startswith="B").count() == 30


def test_bulk_with_one_bad_record_writes_nothing_and_names_each_bad_record(api, acme, world):
    customers = [
        {"id": "B0", "name": "Good"},
        {"id": "B1", "name": "Bad mail", "email": "nobody@"},
        {"id": "B2", "name": "Good"},
        {"id": "B3", "name": ""},
        {"id": "B0", "name": "Again"},
    ]
    before = (Customer.objects.count(), ImportBatch.objects.count(), Event.objects.count())
    response = api.post("clerk", f"{acme}/customers/bulk", {"customers": customers})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "3 problem(s) in the records; nothing was written",
        "errors": [
            {"location": "body", "index": 1, "field": "email", "message": "'nobody@' is not an e-mail address"},
            {"location": "body", "index": 3, "field": "name", "message": "is empty: a value is required"},
            {"location": "body", "index": 4, "field": "id", "message": "duplicate customer id 'B0': also at index 0"},
        ],
    }
    assert (Customer.objects.count(), ImportBatch.objects.count(), Event.objects.count()) == before


def test_bulk_takes_at_most_1000_customers_and_at_least_one(api, acme, world):
    too_many = [{"id": f"B{i}", "name": "x"} for i in range(1001)]
    response = api.post("clerk", f"{acme}/customers/bulk", {"customers": too_many})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "customers"
    assert api.post("clerk", f"{acme}/customers/bulk", {"customers": []}).status_code == 422
    assert not Customer.objects.filter(external_id="B0").exists()
