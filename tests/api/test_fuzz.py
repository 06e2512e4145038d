"""The API fuzzed against its own OpenAPI schema: whatever comes in, no 500; every answer is what
the schema says (status, content type, body); and a request the schema calls invalid is refused.

Schemathesis loads the schema from the app and calls the WSGI app in this process, so every
request runs inside the test's own transaction (pytest-django's `db`): no live server is needed,
and what the fuzzer writes is rolled back after each operation. It authenticates as a manager, so
every operation is reached (the refusals of each role are tested in test_access.py); the company
is always the demo world's (an unknown company is tested there too), and in about half of the
valid cases a generated id is replaced by a real one, so that reads and writes reach real rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
schema.config.update(parameters={"path.code": "acme"})
# The token is sent by the test, never generated (nor made invalid) by the fuzzer.
schema.config.generation.update(with_security_parameters=False)

# Real ids of the demo world (tests/web/conftest.py).
KNOWN = {"customer_id": "C0001", "number": "202600001", "payment_id": "P00001", "run_id": 1, "notice_id": 1}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def _connection_kept() -> Iterator[None]:
    """As Django's test client does: a request must not close the connection that holds the
    test's transaction (on PostgreSQL, Django closes a connection left inside a transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.usefixtures("_connection_kept")
def test_no_input_gives_a_server_error_and_every_answer_matches_the_schema(case, world, tokens):
    path = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
    if path is not None and path.mode is GenerationMode.POSITIVE:
        for name, value in KNOWN.items():
            if name in case.path_parameters and hash(repr(case.path_parameters[name])) % 2:
                case.path_parameters[name] = value
    case.call_and_validate(headers={"Authorization": f"Bearer {tokens['manager']}"}, checks=CHECKS)
