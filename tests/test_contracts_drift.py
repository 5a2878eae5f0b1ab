"""The drift report: a run's ledger against a directory of pacts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from seatrial.catalogue import catalogue
from seatrial.cli import main
from seatrial.contracts import PACT_DIR
from seatrial.contracts.drift import (
    NO_ENDPOINT,
    NO_TYPE,
    DriftError,
    DriftReport,
    drift,
    drift_report,
    load_pacts,
)
from seatrial.ledger import Entry, Ledger
from seatrial.scenario_yaml import dump_scenario
from seatrial.targets import resolve
from seatrial.world import World

pytestmark = pytest.mark.wall_clock


@pytest.fixture(scope="module")
def happy() -> list[Entry]:
    world = World(catalogue()["happy-path"], resolve("reference").factory)
    world.run()
    return world.ledger.entries


def uncovered(report: DriftReport) -> dict[tuple[str, str], tuple[int, dict[str, int]]]:
    return {(u.provider, u.name): (u.count, dict(u.reasons)) for u in report.uncovered}


def unexercised(report: DriftReport) -> set[tuple[str, str]]:
    return {(i.provider, i.description) for i in report.unexercised}


def test_the_reference_on_happy_path_makes_only_calls_the_canonical_pacts_cover(happy):
    report = drift_report(happy)
    shipments = sum(e.kind == "request" and e.data["path"] == "/shipments" for e in happy)
    assert uncovered(report) == {}
    assert report.requests > 2000 and report.deliveries > 2000 and report.sabotaged == 0
    # no address changes on a normal morning
    assert unexercised(report) == {
        ("seatrial-erp-webhooks", "a delivery address change"),
        ("seatrial-lastmile-api", "a destination change")}
    counts = {(i.provider, i.description): n for i, n in report.exercised}
    assert counts[("seatrial-erp-api", "a token request")] is None  # not in the ledger
    assert counts[("seatrial-erp-api", "an actual logistics status")] > 200
    assert counts[("seatrial-erp-webhooks", "an order released")] == shipments
    assert counts[("seatrial-tms-api", "a shipment request")] == shipments


def test_a_call_and_an_event_type_no_pact_covers_are_named_by_kind_with_counts():
    ledger = Ledger()
    request = {"query": None, "body": None, "idempotency_key": None, "correlation_id": "c-1"}
    ledger.record(0, "request", "erp", "c1", None,
                  {**request, "method": "GET", "path": "/orders/SO-000007"})
    for n in (1, 2):
        ledger.record(n, "request", "erp", f"c{n + 1}", None,
                      {**request, "method": "GET", "path": f"/customers/C-0000{n}"})
    ledger.record(3, "request", "tms", "c4", None,
                  {**request, "method": "DELETE", "path": "/shipments/SH-000001"})
    ledger.record(4, "request", "erp", "c5", None, {
        **request, "method": "POST", "path": "/orders/SO-000007/invoice",
        "body": {"pod_reference": "pod/T-1.jpg", "task_id": "T-000001"}})
    ledger.record(5, "emit", "tms", "evt_tms_9", "SO-000007",
                  {"type": "tender.accepted", "classifier": "ACT"})
    ledger.record(6, "deliver", "tms", "evt_tms_9", "SO-000007", {"attempt": 1})
    ledger.record(7, "emit", "erp", "evt_erp_1", "SO-000007",
                  {"type": "order.released", "classifier": "ACT"})
    ledger.record(8, "deliver", "erp", "evt_erp_1", "SO-000007", {"attempt": 1})
    ledger.record(9, "deliver", "erp", "evt_erp_1-forged", "SO-000007",
                  {"attempt": 1, "forged": "bad_signature"})

    report = drift_report(ledger.entries)
    assert uncovered(report) == {
        ("seatrial-erp-api", "GET /customers/{customer_id}"): (2, {NO_ENDPOINT: 2}),
        ("seatrial-tms-api", "DELETE /shipments/{shipment_id}"): (1, {NO_ENDPOINT: 1}),
        ("seatrial-erp-api", "POST /orders/{order_id}/invoice"): (
            1, {"an invoice release: header Idempotency-Key: missing": 1}),
        ("seatrial-tms-webhooks", "tender.accepted"): (1, {NO_TYPE: 1})}
    assert report.uncovered[0].first_seq == 1  # sorted by provider and name: the customers
    counts = {i.description: n for i, n in report.exercised}
    assert counts["a request for a released order"] == 1
    assert counts["an order released"] == 1
    assert (report.requests, report.deliveries, report.sabotaged) == (5, 2, 1)


def test_a_body_that_breaks_a_matcher_is_uncovered_with_the_field_named():
    ledger = Ledger()
    body = {"status": "DLV", "classifier": "ACT", "shipment_id": "SH-000001",
            "event_time": "2026-01-05T17:00:00"}  # no offset: the pact's pattern wants one
    ledger.record(0, "request", "erp", "c1", None, {
        "method": "POST", "path": "/orders/SO-000001/logistics-status", "query": None,
        "body": body, "idempotency_key": "status-SO-000001-DLV", "correlation_id": "c"})
    (miss,) = drift_report(ledger.entries).uncovered
    assert miss.name == "POST /orders/{order_id}/logistics-status"
    (reason,) = miss.reasons
    assert reason.startswith("an actual logistics status: body $.event_time: does not match")
    assert reason.endswith(" | an estimated logistics status: body $: missing eta; "
                           "unexpected shipment_id")


def test_a_pact_interaction_the_run_never_makes_is_unexercised(happy, tmp_path):
    pacts = tmp_path / "pacts"
    shutil.copytree(PACT_DIR, pacts)
    erp = pacts / "seatrial-sync-seatrial-erp-api.json"
    pact = json.loads(erp.read_text())
    read_order = next(i for i in pact["interactions"]
                      if i["description"] == "a request for a released order")
    customer = json.loads(json.dumps(read_order))
    customer["description"] = "a request for a customer"
    customer["request"]["path"] = "/customers/C-00001"
    customer["request"]["matchingRules"]["path"]["matchers"][0]["regex"] = "^/customers/[^/]+$"
    pact["interactions"].append(customer)
    erp.write_text(json.dumps(pact))
    (pacts / "someone-else-billing.json").write_text(json.dumps(
        {"consumer": {"name": "a"}, "provider": {"name": "billing"}, "interactions": []}))

    report = drift(happy, load_pacts(pacts))
    assert ("seatrial-erp-api", "a request for a customer") in unexercised(report)
    assert next(i.name for i in report.unexercised
                if i.description == "a request for a customer") == "GET /customers/{customer_id}"
    assert report.skipped == ("someone-else-billing.json",)


def test_unreadable_pact_directories_say_what_to_fix(tmp_path):
    with pytest.raises(DriftError, match="not a directory"):
        load_pacts(tmp_path / "missing")
    with pytest.raises(DriftError, match="no pact for a Seatrial provider"):
        load_pacts(tmp_path)
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(DriftError, match=r"broken\.json: not a pact file"):
        load_pacts(tmp_path)


def test_cli_prints_the_drift_and_adds_it_to_the_json_report(tmp_path):
    report = tmp_path / "report.json"
    done = CliRunner(env={"COLUMNS": "250"}).invoke(main, [
        "run", "happy-path", "-t", "reference", "--drift", "--json", str(report), "-j", "1"])
    assert done.exit_code == 0, done.output  # drift informs; it does not fail a run
    assert "Drift: happy-path seed 1 against reference" in done.output
    assert "0 uncovered; 17 of 19 pact interactions exercised" in done.output
    (run,) = json.loads(report.read_text())["runs"]
    found = run["drift"]
    assert found["uncovered"] == []
    assert {u["description"] for u in found["unexercised"]} == {
        "a delivery address change", "a destination change"}
    assert not found["clean"] and found["pacts"] == str(PACT_DIR)


def test_cli_without_drift_leaves_the_report_alone_and_bad_pacts_are_input_errors(tmp_path):
    report = tmp_path / "report.json"
    done = CliRunner().invoke(main, ["run", "happy-path", "-t", "reference", "--json",
                                     str(report), "-j", "1"])
    assert done.exit_code == 0 and "Drift" not in done.output
    assert "drift" not in json.loads(report.read_text())["runs"][0]
    bad = CliRunner().invoke(main, ["run", "happy-path", "-t", "reference", "--pacts",
                                    str(tmp_path / "nowhere")])
    assert bad.exit_code == 2
    assert "--pacts" in bad.output and "not a directory" in bad.output


def test_a_live_run_reports_the_same_drift_over_http(tmp_path):
    """The live ledger has the same entries: judged early (--drain 1), the reference's
    shipment requests are already there, covered as in-process."""
    happy = catalogue()["happy-path"]
    small = happy.model_copy(update={
        "duration": 900.0, "workload": happy.workload.model_copy(update={"orders_per_hour": 40.0})})
    scenario = tmp_path / "small.yaml"
    scenario.write_text(dump_scenario(small))
    report = tmp_path / "report.json"
    seatrial = str(Path(sys.executable).with_name("seatrial"))
    done = subprocess.run([seatrial, "run", str(scenario), "--target-cmd",
                           f"{seatrial} sut reference", "--time-scale", "12000", "--drain", "1",
                           "--drift", "--json", str(report)],
                          capture_output=True, text=True, timeout=120)
    assert "Drift: happy-path seed 1 against cmd:" in done.stdout, done.stdout + done.stderr
    found = json.loads(report.read_text())["runs"][0]["drift"]
    assert found["uncovered"] == [] and found["requests"] > 0
    assert "a shipment request" not in {u["description"] for u in found["unexercised"]}
