"""Schemathesis against /api/schema/, in process, with a real store token over a small data set.

Every operation gets generated requests, bounded by a number of examples (never by time, so a slow
machine runs the same cases, derandomized, as a fast one); every answer must be no 5xx and match the
schema: status code, content type, headers and body. Each operation must really have been called.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
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

from portal.wsgi import application

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
