"""Schemathesis over contracts/openapi/lastmile-onfleet.json against the last-mile platform
served live in the `onfleet` dialect: bad input gets Onfleet's error shape and a 4xx, never a
5xx, and what it answers is what the document says.

As tests/test_live_fuzz.py does for the canonical APIs: a real `seatrial.live.stack` (uvicorn
on loopback, the live clock), every check schemathesis enables by default, per operation with
positive and negative data, then statefully along the document's links. On top, every answer
of 400 or more must be Onfleet's error body (`onfleet_error_shape`).
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis.errors import Flaky
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import allow_header_conformance, positive_data_acceptance
from test_live_fuzz import FUZZ, SCALE, STATEFUL

from seatrial.catalogue import catalogue
from seatrial.live.stack import SimulatorStack, running
from seatrial.scenario import Dialects
from seatrial.simulators.lastmile.dialects.onfleet.errors import SHAPES

DOCUMENT = Path(__file__).resolve().parents[1] / "contracts" / "openapi" / "lastmile-onfleet.json"
SCHEMA = schemathesis.openapi.from_path(DOCUMENT)
CODES = {code for _status, code, _number, _message in SHAPES.values()}
NUMBERS = {number for _status, _code, number, _message in SHAPES.values()}
# 400s to schema-valid requests that no JSON Schema can rule out, by (error number, the field
# its cause begins with; None: any): the registered URL did not echo the check string (no SUT
# serves the URLs the fuzzer registers, so the platform's `?check=` request finds nobody), and
# a time window that closes before it opens.
BUSINESS_RULES = {(1008, None), (1000, "completeBefore")}


def onfleet_error_shape(_ctx: Any, response: Any, _case: Any) -> None:
    """A refusal is `{"code", "message": {"error", "message", "cause", "request"}}`, with one of
    the dialect's codes and error numbers, as pyonfleet reads it."""
    if response.status_code < 400:
        return
    body = response.json()
    assert isinstance(body, dict) and body.get("code") in CODES, (
        f"{response.status_code} not in Onfleet's error shape: {body}")
    detail = body["message"]
    assert set(detail) == {"error", "message", "cause", "request"}, body
    assert detail["error"] in NUMBERS and isinstance(detail["cause"], str), body


def positive_data_accepted(_ctx: Any, response: Any, case: Any) -> None:
    """positive_data_acceptance, but for the BUSINESS_RULES 400s. Any other refusal of a
    schema-valid request, other than for credentials, a missing record, a state conflict or a
    rate limit, fails."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    status = response.status_code
    if status < 400 or status in (401, 403, 404, 409, 429) or status >= 500:
        return
    detail = response.json()["message"]
    field = detail["cause"].partition(":")[0]
    assert status == 400 and ({(detail["error"], None), (detail["error"], field)}
                              & BUSINESS_RULES), (
        f"schema-valid request refused with {status}: {response.text}")


CHECKS = {"excluded_checks": [positive_data_acceptance],
          "additional_checks": [positive_data_accepted, onfleet_error_shape]}
# Onfleet's own paths overlap: /tasks/metadata is also /tasks/{task_id} with the id "metadata"
# (GET, PUT and DELETE of it answer 404, no such task), so its Allow names those methods too.
OVERLAPPING = {"/api/v2/tasks/metadata"}


def checks(case: Any) -> dict[str, Any]:
    if case.operation.path not in OVERLAPPING:
        return CHECKS
    return {**CHECKS, "excluded_checks": [*CHECKS["excluded_checks"], allow_header_conformance]}


@pytest.fixture(scope="module")
def stack() -> Iterator[SimulatorStack]:
    scenario = catalogue()["happy-path"].model_copy(
        update={"dialects": Dialects(lastmile="onfleet")})
    stack = SimulatorStack(scenario, SCALE)  # no SUT: only the platform's API counts
    with running(stack) as live:
        yield live


@pytest.fixture(scope="module")
def auth(stack: SimulatorStack) -> dict[str, str]:
    """Onfleet's scheme: HTTP Basic, the API key (the live client secret) as the user name."""
    key = base64.b64encode(f"{stack.tokens.client_secret}:".encode()).decode()
    return {"Authorization": f"Basic {key}"}


@SCHEMA.parametrize()
@FUZZ
def test_the_onfleet_api_refuses_bad_input_in_onfleets_shape(case, stack, auth):
    case.call_and_validate(base_url=stack.urls["lastmile"], headers=auth, **checks(case))


def test_the_onfleet_api_holds_up_along_its_links(stack, auth):
    """Create a task, then read, change and delete it by the ids its answer links to."""
    failures: list[FailureGroup] = []

    class Machine(SCHEMA.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": stack.urls["lastmile"], "headers": auth}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            try:
                case.validate_response(response, headers=auth, transport_kwargs=kwargs,
                                       recorder=self.recorder, **checks(case))
            except FailureGroup as failure:
                failures.append(failure)
                raise

    with contextlib.suppress(Flaky):  # the world is not reset between scenarios
        Machine.run(settings=STATEFUL)
    if failures:
        raise failures[0]


def test_the_shape_check_fails_on_a_problem_json_body():
    """The check above is not vacuous: the canonical error body is no Onfleet error."""
    class Answer:
        status_code = 400

        @staticmethod
        def json() -> dict[str, Any]:
            return {"type": "https://seatrial.dev/problems/invalid-field", "title": "Invalid",
                    "status": 400, "field": "destination"}

    with pytest.raises(AssertionError, match="not in Onfleet's error shape"):
        onfleet_error_shape(None, Answer(), None)
