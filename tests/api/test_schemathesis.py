"""Schemathesis against /api/schema/, in process, with a real store token over a small data set.

Every operation gets generated requests, bounded by a number of examples (never by time, so a slow
machine runs the same cases, derandomized, as a fast one); every answer must be no 5xx and match the
schema: status code, content type, headers and body. Each operation must really have been called.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cancellations.rules.services import create_rule
from portal.wsgi import application
from tests.factories import make_order
from tests.requests.helpers import pending_request

pytestmark = pytest.mark.django_db

# Examples per operation: schema-valid requests, and requests the schema says are invalid. This, not a
# clock, bounds the run; no deadline either, as a slow example on a busy machine is not a bug.
EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 10}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def world(store_a, store_b, token_a) -> dict[str, Any]:
    """A few orders and requests in store A (the token's) and B (never reachable)."""
    orders = [make_order(store_a, email=f"buyer{n}@example.com") for n in range(3)]
    requests = [pending_request(store_a, orders[0]), pending_request(store_a, orders[1], kind="reorder")]
    make_order(store_b)
    rule = create_rule(
        store=store_a,
        actor=None,
        values={
            "name": "Hold risky orders",
            "triggers": ["order_created"],
            "conditions": [{"type": "risk_level", "values": ["high"]}],
            "actions": [{"type": "hold"}],
        },
    )
    return {
        "token": token_a,
        "values": {
            "store_slug": store_a.slug,
            "order_id": orders[2].pk,
            "request_id": requests[0].pk,
            "rule_id": rule.pk,
        },
    }


@pytest.fixture
def _keep_the_test_connection():
    """Run the WSGI app as Django's test client does: without closing the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("_keep_the_test_connection")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_answer_matches_the_schema(world, settings, mode):
    settings.API_RATE_LIMIT = ""  # the fuzzer's pace is not what this test is about
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    headers = {"Authorization": f"Bearer {world['token']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    calls: Counter[str] = Counter()
    answers: Counter[int] = Counter()
    for operation in operations:
        # Paths point at the token's store and at objects that exist, so the handlers run.
        fixed = {name: value for name, value in world["values"].items() if name in operation.path_parameters}

        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        @hypothesis_settings(
            max_examples=EXAMPLES[mode],
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        def check(case) -> None:
            if isinstance(case.body, dict) and isinstance(case.body.get("order_id"), int):
                case.body["order_id"] = world["values"]["order_id"]  # so a request can be made
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            calls[case.operation.label] += 1
            answers[response.status_code // 100] += 1

        check()
    # Not vacuous: every operation was called, within its bound, and some calls got past validation.
    assert {operation.label for operation in operations} == set(calls)
    assert max(calls.values()) <= EXAMPLES[mode]
    assert answers[2] > 0, answers
