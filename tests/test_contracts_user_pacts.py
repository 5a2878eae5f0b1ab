"""`seatrial contracts verify-simulators` on a team's own pacts: written here by a consumer named
`acme-middleware` with pact-python, as the team's own consumer tests would write them."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import httpx
import pytest
from pact import Pact, match
from suts import SEATRIAL

from seatrial.contracts import DIALECT_PACT_DIR
from seatrial.contracts.expectations import ISO_TIME
from seatrial.contracts.onfleet import TASK_REF
from seatrial.contracts.provider_states import STATES

ORDER, SHIPMENT = "SO-4711", "SH-000001"
BEARER = {"Authorization": "Bearer acme-token"}
UNKNOWN_STATE = "the customer is on credit hold"


def acme_pacts(directory: Path, *, unsupported: bool) -> None:
    """The ERP API as `acme-erp`, the TMS webhooks under its canonical name; `unsupported`
    adds an interaction with an unknown provider state and one with an endpoint the ERP
    simulator does not serve."""
    erp = Pact("acme-middleware", "acme-erp")
    (erp.upon_receiving("a released order")
     .given("an order is released", {"order_id": ORDER})
     .with_request("GET", f"/orders/{ORDER}")
     .with_header("Authorization", match.regex(BEARER["Authorization"], regex=r"^Bearer \S+$"))
     .will_respond_with(200)
     .with_body({"status": match.str("REL"), "ship_to": match.like({"city": "Felixstowe"}),
                 "lines": match.each_like({"sku": match.str("SKU-1"), "quantity": match.int(1)})},
                content_type="application/json"))
    calls = [f"/orders/{ORDER}"]
    if unsupported:
        (erp.upon_receiving("a customer on credit hold")
         .given(UNKNOWN_STATE, {"customer_id": "C-1"})
         .with_request("GET", "/customers/C-1")
         .will_respond_with(200)
         .with_body({"credit_hold": match.bool(True)}, content_type="application/json"))
        (erp.upon_receiving("a credit limit")
         .given("an order is released", {"order_id": ORDER})
         .with_request("GET", f"/orders/{ORDER}/credit-limit")
         .will_respond_with(200)
         .with_body({"limit": match.number(1000.0)}, content_type="application/json"))
        calls += ["/customers/C-1", f"/orders/{ORDER}/credit-limit"]
    with erp.serve() as server:
        for path in calls:
            httpx.get(f"{server.url}{path}", headers=BEARER)
    erp.write_file(directory)

    tms = Pact("acme-middleware", "seatrial-tms-webhooks")
    (tms.upon_receiving("a shipment at the hub", "Async")
     .given("a shipment exists", {"shipment_id": SHIPMENT, "order_id": ORDER})
     .given("the shipment reached the hub", {"shipment_id": SHIPMENT})
     .with_body({"type": "shipment.status", "shipment_id": match.str(SHIPMENT),
                 "event_time": match.regex("2026-01-05T08:00:00+00:00", regex=ISO_TIME),
                 "payload": {"status_code": match.str("X4")}}, content_type="application/json"))
    tms.verify(lambda _body, _metadata: None, "Async")
    tms.write_file(directory)


def verify_simulators(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SEATRIAL, "contracts", "verify-simulators", *args],
                          capture_output=True, text=True, timeout=120)


def test_another_consumers_pacts_pass_where_the_simulators_support_them(tmp_path):
    acme_pacts(tmp_path, unsupported=False)
    done = verify_simulators("--pacts", str(tmp_path), "--provider-name", "erp-api=acme-erp")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed  acme-erp (erp-api, 1 interaction(s))" in done.stdout
    assert "passed  seatrial-tms-webhooks (tms-webhooks, 1 interaction(s))" in done.stdout
    assert "the simulators honour every interaction" in done.stdout


def test_what_the_simulators_cannot_verify_is_explained(tmp_path):
    acme_pacts(tmp_path, unsupported=True)
    done = verify_simulators("--pacts", str(tmp_path), "--provider-name", "erp-api=acme-erp")
    assert done.returncode == 1, done.stdout + done.stderr
    report = done.stdout
    assert "passed  acme-erp (erp-api, 1 interaction(s))" in report  # the supported one
    assert "passed  seatrial-tms-webhooks" in report
    assert "not verifiable (2 interaction(s), left out)" in report
    unknown = next(line for line in report.splitlines() if "'a customer on credit hold'" in line)
    assert f"unknown provider state(s) '{UNKNOWN_STATE}'" in unknown
    assert all(state in unknown for state in STATES)  # the ones the simulators know
    assert ("GET /orders/SO-4711/credit-limit: the erp simulator serves no such endpoint"
            in report)


def test_an_unmapped_provider_name_is_explained(tmp_path):
    acme_pacts(tmp_path, unsupported=False)
    done = verify_simulators("--pacts", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "no simulator is called 'acme-erp': map it with --provider-name FACE=acme-erp" \
        in done.stdout
    assert "passed  seatrial-tms-webhooks" in done.stdout


@pytest.mark.parametrize(("args", "says"), [
    (["--pacts", "/nonexistent"], "no pact files"),
    (["--pacts", ".", "--provider-name", "crm-api=acme"], "FACE one of erp-api"),
    (["--pacts", ".", "--include-pending"], "go with --broker-url"),
    (["--broker-url", "http://127.0.0.1:9"], "cannot reach it"),
    (["--broker-url", "http://127.0.0.1:9", "--consumer-version-selector", "{mainBranch"],
     "not JSON"),
    (["--broker-url", "http://127.0.0.1:9", "--consumer-version-selector", '{"main": true}'],
     "unknown key(s) main"),
    (["--broker-url", "http://127.0.0.1:9", "--include-wip-since", "last week"], "YYYY-MM-DD"),
    ([], "exactly one"),
])
def test_bad_input_exits_2_with_a_message(args, says):
    done = verify_simulators(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_the_dialect_pacts_pass_against_the_simulators_speaking_their_dialects():
    done = verify_simulators("--pacts", str(DIALECT_PACT_DIR))
    assert done.returncode == 0, done.stdout + done.stderr
    for face in ("erp-sap-s4-api", "erp-sap-s4-webhooks", "lastmile-onfleet-api",
                 "lastmile-onfleet-webhooks"):
        assert f"passed  seatrial-{face} ({face}, " in done.stdout


def test_a_teams_own_onfleet_pact_is_verified_in_the_onfleet_dialect(tmp_path):
    """Mapped onto the onfleet face, a team's pact is checked against Onfleet's paths: a task
    read by Onfleet's path passes, one by Seatrial's canonical path is explained."""
    key = "Basic " + base64.b64encode(b"acme-key:").decode()
    onfleet = Pact("acme-middleware", "acme-onfleet")
    task = {"task_id": "T-000001", "shipment_id": SHIPMENT, "order_id": ORDER}
    for description, path in (("a task by its Onfleet id", f"/api/v2/tasks/{TASK_REF}"),
                              ("a task by a canonical path", "/tasks/T-000001")):
        (onfleet.upon_receiving(description)
         .given("a delivery task exists", task)
         .with_request("GET", path)
         .with_header("Authorization", match.regex(key, regex=r"^Basic \S+$"))
         .will_respond_with(200)
         .with_body({"id": match.str(TASK_REF), "state": match.int(0)},
                    content_type="application/json"))
    with onfleet.serve() as server:
        for path in (f"/api/v2/tasks/{TASK_REF}", "/tasks/T-000001"):
            httpx.get(f"{server.url}{path}", headers={"Authorization": key})
    onfleet.write_file(tmp_path)
    done = verify_simulators("--pacts", str(tmp_path), "--provider-name",
                             "lastmile-onfleet-api=acme-onfleet")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "passed  acme-onfleet (lastmile-onfleet-api, 1 interaction(s))" in done.stdout
    assert ("GET /tasks/T-000001: the lastmile simulator in the onfleet dialect serves no such "
            "endpoint (contracts/openapi/lastmile-onfleet.json" in done.stdout)
