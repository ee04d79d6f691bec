"""Schemathesis's stateful run over the whole API: calls chained through the schema's OpenAPI links.

The store list's slug opens every store-scoped path; a list's first id or a create's id feeds the
detail and action operations (orders, requests and their approve / reject / bulk decision, rules
read, changed and deleted, the policy read and written back). Every answer is checked as in the
per-operation run (no 5xx, status code, content type, headers and body as the schema says), plus
the stateful checks: a deleted rule is a 404 afterwards (use_after_free), a created request or rule
is there when read back (ensure_resource_availability).

Bounded by counts, never by time: EXAMPLES scenarios of at most STEPS calls each, derandomized, so
a slow machine runs the same calls as a fast one (about 40 seconds on two busy cores).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.specs.openapi.checks import ensure_resource_availability, use_after_free

from portal.wsgi import application
from tests.api.test_schemathesis import CHECKS

pytestmark = pytest.mark.django_db

EXAMPLES = 100
STEPS = 12
STATEFUL_CHECKS = [use_after_free, ensure_resource_availability]


# Only the links the schema declares: no links guessed from names, so each chain is one a client may follow.
CONFIG = SchemathesisConfig.from_dict({"phases": {"stateful": {"inference": {"algorithms": []}}}})


def _load_schema() -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


@pytest.mark.usefixtures("_keep_the_test_connection")
def test_chained_calls_find_no_server_error_and_no_schema_mismatch(world, settings):
    settings.API_RATE_LIMIT = ""  # the fuzzer's pace is not what this test is about
    schema = _load_schema()
    headers = {"Authorization": f"Bearer {world['token']}"}
    followed: Counter[str] = Counter()
    answers: Counter[int] = Counter()

    machine = schema.as_state_machine()
    print(sorted(machine.root_rules))

    class Workflow(machine):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def step(self, input: Any) -> Any:
            if input.transition is not None and input.is_applied:
                followed[input.transition.id] += 1
            return super().step(input)

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            answers[response.status_code // 100] += 1
            case.validate_response(
                response,
                checks=CHECKS + STATEFUL_CHECKS,
                headers=headers,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    run_state_machine_as_test(
        Workflow,
        settings=hypothesis_settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    # Not vacuous: links were followed, many of them, and chained calls got past validation.
    print(sorted(followed.items()), answers)
    assert answers[5] == 0
    assert answers[2] > 0, answers
    assert len(followed) >= 10, followed
