"""schemathesis against /openapi.json: valid and invalid inputs alike, the node never answers 5xx,
and what it answers fits the response schema the document gives (crossings, gate decisions, bookings…).

(schemathesis' own pytest plugin does not load under pytest 9, so the strategies are
driven with hypothesis directly: one run per operation and generation mode.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.support.nodes import start_node

pytestmark = pytest.mark.slow
EXAMPLES = 25


@pytest.fixture(scope="module")
def fuzzed_node(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("fuzz")
    running = start_node(data_dir, f"sqlite:///{data_dir / 'fuzz.sqlite'}")
    yield running
    running.stop()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_no_server_errors_for_any_input(fuzzed_node, mode):
    schema = schemathesis.openapi.from_url(fuzzed_node.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    exercised = 0
    for operation in operations:
        role = "gate_operator" if "gate-events" in operation.path else "supervisor"
        headers = {"Authorization": f"Bearer {fuzzed_node.key(role)}"}

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))

        try:
            call()
            exercised += 1
        except Unsatisfiable:
            # An operation without parameters or body has no invalid input to send.
            assert mode is GenerationMode.NEGATIVE, operation.label
    assert exercised >= len(operations) // 2
