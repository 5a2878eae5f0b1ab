"""Schemathesis against the live HTTP apps: what they answer is what their OpenAPI documents say.

- The three simulator APIs, served by a real `seatrial.live.stack` (uvicorn on loopback, the
  live clock, an hour of released orders to read), fuzzed per operation with positive and
  negative data (examples, coverage and fuzzing phases), and statefully along the documents'
  OpenAPI links (create or read a record, then use its id).
- The service of `seatrial sut` (the reference implementation), in-process over ASGI: bad
  settings and bad webhook deliveries are refused with a 4xx, never a 5xx. (Properly signed
  and forged deliveries over real HTTP: `seatrial fuzz-sut`, tests/test_fuzz_sut.py; its
  schema of the SUT's document is the one used here.)

Every check schemathesis 4.32 enables by default runs (not_a_server_error,
status_code_conformance, content_type_conformance, response_headers_conformance,
response_schema_conformance, negative_data_rejection, positive_data_acceptance,
missing_required_header, unsupported_method, allow_header_conformance, use_after_free,
ensure_resource_availability, ignored_auth, object_level_authorization; max_response_time has
no limit set). The one exception: on the simulator operations that answer 422 for business
rules, positive_data_acceptance is replaced by a narrower check (`positive_data_accepted`).

SEATRIAL_FUZZ_EXAMPLES=300 makes a deeper run with fresh random examples.
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.testclient import TestClient

from seatrial.catalogue import catalogue
from seatrial.live.fuzz_sut import sut_schema
from seatrial.live.serve import issue_tokens
from seatrial.live.settings import CONTROL_SECRET
from seatrial.live.stack import SYSTEMS, SimulatorStack, running
from seatrial.live.sut import SETTINGS, parse_settings, sut_app
from seatrial.simulators.dialect import dialect
from seatrial.simulators.openapi import api_spec
from seatrial.targets import resolve

SCALE = 60.0  # simulated seconds per wall second: the world moves on a little while we fuzz
# A fixed, modest run by default (the same examples every time: a gate, not a lottery);
# SEATRIAL_FUZZ_EXAMPLES=300 explores further with fresh random examples on each run.
DEEP = int(os.environ.get("SEATRIAL_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=DEEP or 30, derandomize=not DEEP, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])
# As schemathesis runs state machines: no shrinking (a live server cannot replay a scenario).
STATEFUL = settings(max_examples=DEEP // 2 or 15, derandomize=not DEEP, deadline=None,
                    stateful_step_count=8, phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck))

SCHEMAS = {system: schemathesis.openapi.from_dict(api_spec(system)) for system in SYSTEMS}

# 422 answers to schema-valid requests that no JSON Schema can rule out, by (problem type slug,
# field): the request is well formed, but the server's state or a cross-field rule refuses it.
BUSINESS_RULES = {
    ("idempotency-key-reused", "Idempotency-Key"),  # a key the fuzzer used for another body
    ("invalid-field", "total"),  # freight charges: total must equal the sum of the lines
}


def positive_data_accepted(_ctx: Any, response: Any, case: Any) -> None:
    """positive_data_acceptance, except for the BUSINESS_RULES 422s.

    Like the built-in check, a schema-valid request must not be refused, other than for
    credentials (401, 403), a missing record (404), a state conflict (409) or a rate limit
    (429); 5xx is not_a_server_error's. Any other refusal, a 400 or another 422, fails."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    status = response.status_code
    if status < 400 or status in (401, 403, 404, 409, 429) or status >= 500:
        return
    body = response.json()
    rule = (str(body.get("type", "")).rsplit("/", 1)[-1], body.get("field"))
    assert status == 422 and rule in BUSINESS_RULES, (
        f"schema-valid request refused with {status}: {body}")


def answers_business_rules(operation: Any) -> bool:
    """Idempotent operations (Idempotency-Key reuse) and those with a cross-field rule."""
    return "422" in operation.definition.raw["responses"]


def checks(operation: Any) -> dict[str, Any]:
    """call_and_validate / validate_response arguments: the default checks, but for business
    rules (see `positive_data_accepted`)."""
    if not answers_business_rules(operation):
        return {}
    return {"excluded_checks": [positive_data_acceptance],
            "additional_checks": [positive_data_accepted]}


@pytest.fixture(scope="module")
def stack() -> Iterator[SimulatorStack]:
    stack = SimulatorStack(catalogue()["happy-path"], SCALE)  # no SUT: only the APIs count
    stack.world.env.run(until=3600.0)  # an hour of releases: orders and customers to read
    with running(stack) as live:
        yield live


@pytest.fixture(scope="module")
def auth(stack: SimulatorStack) -> dict[str, dict[str, str]]:
    """An Authorization header per system, from the stack's token issuer (lives an hour)."""
    return {system: {"Authorization": f"Bearer {token}"}
            for system, token in issue_tokens(stack).items()}


def fuzz(case: Any, live: SimulatorStack, auth: dict[str, dict[str, str]], system: str) -> None:
    case.call_and_validate(base_url=live.urls[system], headers=auth[system],
                           **checks(case.operation))


@SCHEMAS["erp"].parametrize()
@FUZZ
def test_erp_api_matches_its_document(case, stack, auth):
    fuzz(case, stack, auth, "erp")


@SCHEMAS["tms"].parametrize()
@FUZZ
def test_tms_api_matches_its_document(case, stack, auth):
    fuzz(case, stack, auth, "tms")


@SCHEMAS["lastmile"].parametrize()
@FUZZ
def test_lastmile_api_matches_its_document(case, stack, auth):
    fuzz(case, stack, auth, "lastmile")


@pytest.mark.parametrize("system", SYSTEMS)
def test_api_holds_up_along_its_links(system, stack, auth):
    """Create (or read) a record, then follow the document's links with its id."""
    headers = auth[system]
    failures: list[FailureGroup] = []

    class Machine(SCHEMAS[system].as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": stack.urls[system], "headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            try:
                case.validate_response(response, headers=headers, transport_kwargs=kwargs,
                                       recorder=self.recorder, **checks(case.operation))
            except FailureGroup as failure:
                failures.append(failure)
                raise

    # The world is never reset between scenarios (records pile up, the clock moves tasks on,
    # Idempotency-Keys stay taken), so a scenario replayed can meet other answers, and
    # Hypothesis calls its generation flaky; schemathesis' own runner shrugs that off too.
    # A failure seen on the way is still a failure (below).
    with contextlib.suppress(Flaky):
        Machine.run(settings=STATEFUL)
    if failures:
        raise failures[0]


def test_links_name_real_operations_and_parameters():
    for system in SYSTEMS:
        doc = api_spec(system)
        operations = {op["operationId"]: op for item in doc["paths"].values()
                      for op in item.values()}
        for endpoint in dialect(system).endpoints:
            links = endpoint.links
            if not links:
                continue
            success = next(iter(doc["paths"][endpoint.template][endpoint.method.lower()]
                                ["responses"].values()))
            assert set(success["links"]) == set(links)
            for target, parameters in links.values():
                names = {p["name"] for p in operations[target]["parameters"] if "name" in p}
                assert set(parameters) <= names, (system, target, parameters)


# --- the service of `seatrial sut` ----------------------------------------------------------


def sut_settings() -> dict[str, str]:
    """Valid settings (nothing listens at the URLs: no delivery gets as far as a call)."""
    secret = "whsec_" + base64.b64encode(bytes(range(24))).decode()
    return {**{f"SEATRIAL_{s.upper()}_URL": "http://127.0.0.1:9" for s in SYSTEMS},
            "SEATRIAL_CLIENT_ID": "seatrial-sut", "SEATRIAL_CLIENT_SECRET": "secret",
            **{f"SEATRIAL_{s.upper()}_WEBHOOK_SECRET": secret for s in SYSTEMS},
            "SEATRIAL_TIME_SCALE": "3600"}


SUT = sut_schema()  # importing seatrial.live.fuzz_sut registers the date-time-local format
# Configured at startup from its environment, as `--target-cmd` starts it (with its control
# secret); the fuzzer sends new settings too, with the secret (a SUT that is already running),
# and schemathesis' ignored_auth check sends them without it and with a wrong one (401).
SUT.app = sut_app(resolve("reference").factory, {**sut_settings(), CONTROL_SECRET: "fuzz-control"})


@SUT.auth()
class ControlSecret:
    """POST /seatrial/configure's security scheme (controlSecret, a bearer token)."""

    def get(self, _case: Any, _context: Any) -> str:
        return "fuzz-control"

    def set(self, case: Any, data: str, _context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@SUT.parametrize()
@FUZZ
def test_sut_service_refuses_bad_input_with_a_4xx(case):
    case.call_and_validate()


def test_sut_fixture_settings_are_valid():
    assert set(sut_settings()) == set(SETTINGS)
    assert parse_settings(sut_settings())["SEATRIAL_TIME_SCALE"] == 3600.0


# --- bodies a JSON Schema cannot describe -----------------------------------------------------


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"statement_id": "ST-1", "lines": [], '
                                  b'"total": NaN}', b'{"total": Infinity}', b"\xff"])
def test_simulators_refuse_bodies_that_are_not_json_with_a_400(stack, auth, body):
    answer = httpx.post(f"{stack.urls['erp']}/orders/SO-000001/freight-charges", content=body,
                        headers={**auth["erp"], "content-type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == "body"


@pytest.mark.parametrize("path", ["/seatrial/configure", "/webhooks/erp"])
def test_sut_refuses_a_body_nested_too_deeply_with_a_400(path):
    with TestClient(sut_app(resolve("reference").factory, sut_settings(), secret="s")) as client:
        answer = client.post(path, content=b"[" * 100_000,
                             headers={"content-type": "application/json",
                                      "authorization": "Bearer s"})
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


# --- what the fuzzing found, pinned: each is a 422 naming the field ---------------------------

ORDER = "/orders/SO-000001"
FOUND = [
    ("erp", f"{ORDER}/logistics-status", {"status": "REL", "shipment_id": 5}, "shipment_id"),
    ("erp", f"{ORDER}/freight-charges",
     {"statement_id": "ST-1", "lines": [{"amount": True}], "total": 1}, "lines[0].amount"),
    ("erp", f"{ORDER}/freight-charges",
     {"statement_id": "ST-1", "lines": [{"code": 1, "amount": 1}], "total": 1}, "lines[0].code"),
    ("erp", f"{ORDER}/invoice", {"pod_reference": 7}, "pod_reference"),
    ("tms", "/shipments", {"order_id": "SO-1", "ship_to": {"name": None}}, "ship_to.name"),
    ("tms", "/shipments", {"order_id": "SO-1", "ship_to": {}, "lines": "all"}, "lines"),
    ("lastmile", "/tasks", {"shipment_id": "SH-1", "order_id": "SO-1",
                            "destination": {"city": 5}}, "destination.city"),
]


@pytest.mark.parametrize(("system", "path", "body", "field"), FOUND)
def test_malformed_fields_are_named_in_a_422(stack, auth, system, path, body, field):
    answer = httpx.post(stack.urls[system] + path, json=body, headers=auth[system])
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field


def test_an_empty_idempotency_key_is_refused(stack, auth):
    answer = httpx.post(stack.urls["tms"] + "/shipments", headers={**auth["tms"],
                        "Idempotency-Key": ""}, json={"order_id": "SO-1", "ship_to": {}})
    assert answer.status_code == 422 and answer.json()["field"] == "Idempotency-Key"


def test_a_cancel_takes_an_object_or_nothing(stack, auth):
    created = httpx.post(stack.urls["tms"] + "/shipments", headers=auth["tms"],
                         json={"order_id": "SO-1", "ship_to": {}}).json()
    cancel = f"{stack.urls['tms']}/shipments/{created['id']}/cancel"
    refused = httpx.post(cancel, headers=auth["tms"], json=["now"])
    assert refused.status_code == 422 and refused.json()["field"] == "body"
    assert httpx.post(cancel, headers=auth["tms"]).json()["state"] == "cancelled"


def test_a_wrong_method_names_the_allowed_ones(stack, auth):
    answer = httpx.delete(stack.urls["erp"] + ORDER, headers=auth["erp"])
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"
