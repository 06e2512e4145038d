"""The OpenAPI schema and the documentation page, and the one shape of every error."""

from __future__ import annotations

import json
import typing

import pytest
from django.test import Client

from arrears.api import dunning, messages
from arrears.customers.models import Customer
from arrears.delivery.models import OutboxMessage
from arrears.dunning.models import Notice, Run


def test_the_schema_and_the_documentation_are_served_without_a_token(company):
    client = Client()
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/companies/{code}/customers/{customer_id}" in paths
    assert paths["/api/companies/{code}/payments"]["post"]["security"] == [{"TokenAuth": []}]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"/api/openapi.json" in docs.content


def test_the_choices_in_the_schema_are_the_models_choices():
    """A status added to a model must be added to the API's answers, or reading it would fail."""
    assert typing.get_args(messages.Status) == tuple(OutboxMessage.Status.values)
    assert typing.get_args(messages.MessageOut.model_fields["kind"].annotation) == tuple(OutboxMessage.Kind.values)
    assert typing.get_args(messages.MessageOut.model_fields["channel"].annotation) == tuple(
        OutboxMessage.Channel.values
    )
    assert typing.get_args(dunning.RunOut.model_fields["status"].annotation) == tuple(Run.Status.values)
    assert typing.get_args(dunning.NoticeOut.model_fields["status"].annotation) == tuple(Notice.Status.values)


def test_a_field_name_that_is_not_text_is_answered_in_json(api, acme, world):
    """Answers are ASCII JSON (non-ASCII letters escaped): even a refused key that is no valid
    Unicode can be answered."""
    body = '{"id": "N1", "name": "Nov\\u00e1k", "\\ud800": 1}'
    response = api.client.post(
        f"{acme}/customers",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.tokens['clerk']}"},
    )
    assert response.status_code == 422
    assert response.content.isascii()
    assert response.json()["errors"][0]["location"] == "body"


def test_an_unknown_path_under_api_is_a_404_in_the_api_s_shape(api, company):
    response = api.get("viewer", "/api/no/such/thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {"detail": "there is no API path /api/no/such/thing: see /api/docs", "errors": []}
    assert api.get(None, "/api/no/such/thing").status_code == 404
    assert api.get(None, "/api/%0A/line/break")["Content-Type"] == "application/json; charset=utf-8"


def test_a_wrong_method_is_405(api, acme, world):
    assert api.client.delete(f"{acme}/customers", headers={"Authorization": "Bearer x"}).status_code == 405


def test_a_body_that_is_not_json_is_400(api, acme, world):
    for body in (b"{not json", b"\xff\xfe", b"[1, 2"):
        response = api.client.post(
            f"{acme}/customers",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {api.tokens['clerk']}"},
        )
        assert response.status_code == 400
        assert response.json() == {"detail": "the request body is not valid JSON (UTF-8)", "errors": []}


def test_a_body_over_the_size_limit_is_413(api, acme, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    customers = [{"id": f"B{i}", "name": "x" * 50} for i in range(50)]
    response = api.post("clerk", f"{acme}/customers/bulk", {"customers": customers})
    assert response.status_code == 413
    assert response.json()["detail"].startswith("the request body is too large")
    assert not Customer.objects.filter(external_id="B0").exists()


@pytest.mark.parametrize("text", ["nul\x00byte", "lone \ud800 surrogate"])
def test_text_a_database_cannot_store_is_refused_everywhere(api, acme, world, text):
    body = json.dumps({"id": "N1", "name": text})  # json.dumps escapes both: valid JSON
    response = api.client.post(
        f"{acme}/customers",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.tokens['clerk']}"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"
    assert not Customer.objects.filter(external_id="N1").exists()


def test_a_nul_character_in_a_query_is_refused(api, acme, world):
    assert api.get("viewer", f"{acme}/customers", q="a\x00b").status_code == 422
    assert api.get("viewer", f"{acme}/invoices", customer="a\x00b").status_code == 422


def test_a_validation_error_names_each_place(api, acme, world):
    response = api.post(
        "clerk",
        f"{acme}/invoices/bulk",
        {"invoices": [{"number": "X"}, {"number": "Y", "customer_id": "N1", "amount": True, "extra": 1}]},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {(e["index"], e["field"], e["message"]) for e in errors} >= {
        (0, "customer_id", "Field required"),
        (0, "amount", "Field required"),
        (1, "issue_date", "Field required"),
        (1, "amount", 'is not an amount: expected a decimal string such as "1250.50" or a number'),
        (1, "extra", "Extra inputs are not permitted"),
    }
    assert all(e["location"] == "body" for e in errors)
    query = api.get("viewer", f"{acme}/invoices", limit=0, overdue="maybe").json()
    assert {(e["location"], e["field"]) for e in query["errors"]} == {("query", "limit"), ("query", "overdue")}


def test_at_most_100_problems_are_listed_and_the_total_is_told(api, acme, world):
    response = api.post("clerk", f"{acme}/customers/bulk", {"customers": [{"id": i} for i in range(150)]})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == (
        "the request is not valid: 300 problem(s) (the first 100 are listed), nothing was written"
    )
    assert len(body["errors"]) == 100
