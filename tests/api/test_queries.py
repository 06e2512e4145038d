"""A page of a list costs the same number of queries whatever the number of rows: related rows
are joined or prefetched, never fetched one row at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from arrears.dunning.policies import stored_policies
from arrears.dunning.runs import approve_run, start_run
from arrears.history.services import Actor
from tests.web.conftest import AS_OF

# Per request: the token, its user's role, the company, then the list's count and its rows with
# what they prefetch. A bounded number; the point is that it does not grow with the page.
MAX_QUERIES = {
    "customers": 7,
    "invoices": 5,
    "payments": 6,
    "notices": 7,
    "messages": 5,
    "runs": 5,
}


@pytest.fixture
def sent(world):
    """The demo world's run approved (notices, messages) and a second run (runs)."""
    approve_run(world.run, Actor("test"))
    start_run(world.company, AS_OF + timedelta(days=3), stored_policies(world.company), Actor("test"))
    return world


@pytest.mark.parametrize("name", list(MAX_QUERIES))
def test_a_list_page_costs_a_fixed_number_of_queries(api, acme, sent, name, django_assert_max_num_queries):
    url = f"{acme}/{name}"
    api.get("viewer", url, limit=1)  # the token is marked used once a minute: not in the counts below
    with django_assert_max_num_queries(MAX_QUERIES[name]) as one_row:
        small = api.get("viewer", url, limit=1).json()
    with django_assert_max_num_queries(MAX_QUERIES[name]) as many_rows:
        large = api.get("viewer", url, limit=500).json()
    assert len(small["items"]) == 1
    assert len(large["items"]) == min(large["count"], 500)
    assert len(large["items"]) > 1
    assert len(many_rows.captured_queries) == len(one_row.captured_queries)
