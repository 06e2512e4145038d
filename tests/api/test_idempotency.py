"""Idempotency-Key: a retried request never writes twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from arrears.api import idempotency
from arrears.api.models import IdempotencyKey
from arrears.customers.models import Customer
from arrears.ledger.models import ImportBatch, Payment

PAYMENT = {"id": "P-1", "customer_id": "C0001", "date": "2026-11-02", "currency": "CZK", "amount": "100.00"}


def _key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def test_the_same_key_twice_writes_once_and_answers_the_same(api, acme, world):
    first = api.post("clerk", f"{acme}/payments", PAYMENT, headers=_key("k-1"))
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    batches = ImportBatch.objects.count()
    second = api.post("clerk", f"{acme}/payments", PAYMENT, headers=_key("k-1"))
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert second.json()["result"] == "created"  # the first answer, not "unchanged"
    assert Payment.objects.filter(external_id="P-1").count() == 1
    assert ImportBatch.objects.count() == batches  # the import did not even run again


def test_the_body_counts_as_parsed_not_as_spelled(api, acme, world):
    api.post("clerk", f"{acme}/payments", PAYMENT, headers=_key("k-1"))
    reordered = dict(reversed(list(PAYMENT.items())))
    assert api.post("clerk", f"{acme}/payments", reordered, headers=_key("k-1"))["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_or_path_is_refused(api, acme, world):
    api.post("clerk", f"{acme}/payments", PAYMENT, headers=_key("k-1"))
    other = api.post("clerk", f"{acme}/payments", {**PAYMENT, "id": "P-2"}, headers=_key("k-1"))
    assert other.status_code == 422
    body = other.json()
    assert "the Idempotency-Key 'k-1' was used" in body["detail"]
    assert "a new request needs a new key" in body["detail"]
    assert body["errors"] == [
        {"location": "header", "index": None, "field": "Idempotency-Key", "message": "already used for another request"}
    ]
    elsewhere = api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "One"}, headers=_key("k-1"))
    assert elsewhere.status_code == 422
    assert not Payment.objects.filter(external_id="P-2").exists()
    assert not Customer.objects.filter(external_id="N1").exists()


def test_keys_belong_to_their_user(api, acme, world):
    api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "One"}, headers=_key("shared"))
    other_user = api.post("manager", f"{acme}/customers", {"id": "N2", "name": "Two"}, headers=_key("shared"))
    assert other_user.status_code == 201
    assert "Idempotent-Replayed" not in other_user
    assert IdempotencyKey.objects.filter(key="shared").count() == 2


def test_a_refused_request_stores_no_key_and_may_be_sent_again_corrected(api, acme, world):
    refused = api.post("clerk", f"{acme}/payments", {**PAYMENT, "amount": "1,00"}, headers=_key("k-1"))
    assert refused.status_code == 422
    assert not IdempotencyKey.objects.exists()
    corrected = api.post("clerk", f"{acme}/payments", PAYMENT, headers=_key("k-1"))
    assert corrected.status_code == 201


def test_bulk_and_patch_take_a_key_too(api, acme, world):
    body = {"customers": [{"id": "N1", "name": "One"}, {"id": "N2", "name": "Two"}]}
    first = api.post("clerk", f"{acme}/customers/bulk", body, headers=_key("bulk-1"))
    again = api.post("clerk", f"{acme}/customers/bulk", body, headers=_key("bulk-1"))
    assert first.json() == again.json()
    assert again.json()["counts"]["created"] == 2
    patched = api.patch("clerk", f"{acme}/customers/N1", {"city": "Brno"}, headers=_key("patch-1"))
    Customer.objects.filter(external_id="N1").update(city="Praha")
    replayed = api.patch("clerk", f"{acme}/customers/N1", {"city": "Brno"}, headers=_key("patch-1"))
    assert replayed.json() == patched.json()
    assert Customer.objects.get(external_id="N1").city == "Praha"  # not written a second time


def test_a_key_is_kept_for_24_hours(api, acme, world):
    api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "One"}, headers=_key("old"))
    IdempotencyKey.objects.update(created_at=timezone.now() - idempotency.KEEP - timedelta(seconds=1))
    # Expired: the key is free again, and the next write clears the expired ones.
    response = api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "Renamed"}, headers=_key("old"))
    assert response.status_code == 200
    assert response.json()["result"] == "updated"
    assert IdempotencyKey.objects.get(key="old").response["customer"]["name"] == "Renamed"


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_a_key_has_1_to_255_characters(api, acme, world, key):
    response = api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "One"}, headers=_key(key))
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "header"
    assert not Customer.objects.filter(external_id="N1").exists()


def test_two_requests_with_one_key_at_the_same_time_write_once(api, acme, world, monkeypatch):
    """The second request looked for the key before the first stored it: its own write is rolled
    back when the key turns out taken, and it answers with the first request's answer."""
    first = api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "One"}, headers=_key("race"))
    looked = []
    real = idempotency._stored

    def not_yet_stored(request, key):
        if not looked:
            looked.append(key)
            return None  # as if the first request had not committed yet
        return real(request, key)

    monkeypatch.setattr(idempotency, "_stored", not_yet_stored)
    batches = ImportBatch.objects.count()
    second = api.post("clerk", f"{acme}/customers", {"id": "N1", "name": "One"}, headers=_key("race"))
    assert looked == ["race"]
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert ImportBatch.objects.count() == batches  # the second import was rolled back
