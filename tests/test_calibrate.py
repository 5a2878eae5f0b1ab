"""`seatrial calibrate`: the detection matrix, mutation score and false positives."""

import json

import pytest
from click.testing import CliRunner

from seatrial import targets
from seatrial.calibrate import (
    CalibrationError,
    Implementation,
    build,
    choose,
    run_json,
    shipped,
    unmet,
)
from seatrial.catalogue import catalogue
from seatrial.cli import main
from seatrial.judge.result import RunResult, slim

REFERENCE = Implementation("reference")
CAUGHT = Implementation("faulty-caught", "loses every second event")
ESCAPED = Implementation("faulty-escaped", "forgets Retry-After")


def result(target: str, scenario: str, seed: int, *violated: str) -> RunResult:
    violations = [{"invariant": name, "message": f"{name} broke", "keys": {"order_id": "SO-1"},
                   "evidence": [{"summary": "x" * 100}] * 5} for name in violated]
    return RunResult(scenario, seed, target, "hash", 10, 12, 3600.0, 0.5,
                     ["effect-once", "invoice-once"], violations, {"orders": 3})


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_matrix_score_and_false_positives_from_results():
    results = [
        result("reference", "happy-path", 1), result("reference", "happy-path", 2),
        result("reference", "tms-outage", 7), result("reference", "tms-outage", 8, "converge"),
        result("faulty-caught", "happy-path", 1), result("faulty-caught", "happy-path", 2),
        result("faulty-caught", "tms-outage", 7, "invoice-once"),
        result("faulty-caught", "tms-outage", 8, "invoice-once", "effect-once", "invoice-once"),
        result("faulty-escaped", "happy-path", 1), result("faulty-escaped", "happy-path", 2),
        result("faulty-escaped", "tms-outage", 7), result("faulty-escaped", "tms-outage", 8),
        result("someone-else", "tms-outage", 7, "converge"),  # not calibrated: ignored
    ]
    calibration = build([REFERENCE, CAUGHT, ESCAPED], ["happy-path", "tms-outage"], results)

    assert [row.name for row in calibration.rows] == [
        "reference", "faulty-caught", "faulty-escaped"]
    caught = calibration.rows[1]
    # union over the seeds, once each, in catalogue order (effect-once before invoice-once)
    assert caught.violated == {"happy-path": [], "tms-outage": ["effect-once", "invoice-once"]}
    assert caught.caught and not calibration.rows[2].caught
    assert calibration.rows[2].violated == {"happy-path": [], "tms-outage": []}
    assert calibration.score == (1, 2)
    assert calibration.escaped == ["faulty-escaped"]
    assert calibration.false_positives == [
        {"scenario": "tms-outage", "seed": 8, "invariants": ["converge"]}]
    assert calibration.seeds == {"happy-path": [1, 2], "tms-outage": [7, 8]}
    assert not calibration.passed


@pytest.mark.parametrize(("reference_violates", "escaped_violates", "passed"), [
    ((), ("converge",), True),              # all caught, reference clean
    ((), (), False),                        # one escaped
    (("invoice-once",), ("converge",), False),  # all caught, but a false positive
])
def test_exit_decision_needs_every_fault_caught_and_a_clean_reference(
        reference_violates, escaped_violates, passed):
    results = [result("reference", "s", 1, *reference_violates),
               result("faulty-caught", "s", 1, "effect-once"),
               result("faulty-escaped", "s", 1, *escaped_violates)]
    assert build([REFERENCE, CAUGHT, ESCAPED], ["s"], results).passed is passed


def test_caught_only_by_another_invariant_is_luck_and_fails_the_calibration():
    meant = Implementation("faulty-meant", "posts charges twice", exists_for="effect-once")
    by_luck = [result("reference", "s", 1), result("faulty-meant", "s", 1, "converge")]
    calibration = build([REFERENCE, meant], ["s"], by_luck)
    assert calibration.rows[1].caught and not calibration.rows[1].caught_as_meant
    assert calibration.missed_as_meant == ["faulty-meant"] and not calibration.passed
    assert calibration.to_json()["mutation_score"]["missed_as_meant"] == ["faulty-meant"]

    as_meant = [result("reference", "s", 1), result("faulty-meant", "s", 2, "effect-once")]
    assert build([REFERENCE, meant], ["s"], as_meant).passed


def test_json_keeps_counts_and_one_example_per_invariant():
    results = [slim(result("reference", "s", 1), chains=1),
               slim(result("faulty-caught", "s", 1, "invoice-once", "effect-once",
                           "invoice-once"), chains=1)]
    document = build([REFERENCE, CAUGHT], ["s"], results).to_json()
    assert document["passed"] is True
    assert document["scenarios"] == ["s"]
    assert document["seeds"] == [{"scenario": "s", "seeds": [1]}]
    assert document["mutation_score"] == {"caught": 1, "total": 1, "ratio": 1.0, "escaped": [],
                                          "missed_as_meant": []}
    assert document["false_positives"] == []
    faulty = document["implementations"][1]
    assert faulty["name"] == "faulty-caught" and faulty["defect"] == CAUGHT.defect
    assert faulty["caught"] is True
    assert faulty["violated"] == {"s": ["effect-once", "invoice-once"]}
    run = faulty["runs"][0]
    assert [v["invariant"] for v in run["violations"]] == ["invoice-once", "effect-once"]
    assert all(v["evidence"] for v in run["violations"])
    assert run["violation_counts"] == {"effect-once": 1, "invoice-once": 2}
    assert run["violated"] == ["effect-once", "invoice-once"] and run["passed"] is False
    json.dumps(document)  # serialisable as is


def test_slim_keeps_one_evidence_chain_per_invariant_and_the_verdict():
    full = result("naive", "s", 1, "effect-once", "effect-once", "converge")
    thin = slim(full, chains=1)
    assert ["evidence" in v for v in thin.violations] == [True, False, True]
    assert not thin.passed and thin.violated() == full.violated()
    assert run_json(thin)["violation_counts"] == {"effect-once": 2, "converge": 1}


def test_implementations_come_from_the_registry_at_call_time(monkeypatch):
    monkeypatch.setitem(targets.BUILTIN, "faulty-late-addition",
                        "seatrial.sync_implementations.naive:X")
    names = shipped()
    assert names[0] == "reference"
    assert names[-1] == "faulty-late-addition"
    assert set(names) == set(targets.BUILTIN)
    # --only keeps registry order, reference first, whatever order it was given in
    assert choose(["faulty-late-addition", "naive", "reference"]) == [
        "reference", "naive", "faulty-late-addition"]
    assert choose([]) == names
    with pytest.raises(CalibrationError, match="known: reference, naive"):
        choose(["naive", "nonsense"])


def test_cli_calibrates_reference_and_naive(tmp_path):
    report = tmp_path / "out.json"
    outcome = invoke("calibrate", "duplicate-webhooks", "--seeds", "1", "--only", "reference",
                     "--only", "naive", "--json", str(report))
    assert outcome.exit_code == 0, outcome.output
    assert "Mutation score: 1/1" in outcome.output
    assert "False positives: none" in outcome.output
    document = json.loads(report.read_text())
    assert document["passed"] is True
    assert document["scenarios"] == ["duplicate-webhooks"]
    assert [impl["name"] for impl in document["implementations"]] == ["reference", "naive"]
    reference, naive = document["implementations"]
    assert reference["caught"] is False and reference["violated"] == {"duplicate-webhooks": []}
    assert reference["defect"] is None
    assert naive["caught"] is True and naive["defect"]
    assert "effect-once" in naive["violated"]["duplicate-webhooks"]
    assert len(naive["runs"]) == 1
    run = naive["runs"][0]
    assert run["violation_counts"]["effect-once"] > 1
    assert [v["invariant"] for v in run["violations"]] == run["violated"]  # one example each
    assert document["mutation_score"] == {"caught": 1, "total": 1, "ratio": 1.0, "escaped": [],
                                          "missed_as_meant": []}
    assert document["false_positives"] == []


QUIET = """\
name: quiet-minute
duration: 20m
workload: {orders_per_hour: 30}
expect:
  invariants: [signed-only]
"""

IMPOSSIBLE_SLO = """\
name: impossible-slo
duration: 20m
workload: {orders_per_hour: 30}
expect:
  invariants: [latency-slo]
  slo: {order_to_shipment_p95: 1s}
faults:
  - {kind: latency, channel: tms.api, dist: fixed, value: 2m}
"""


def test_an_escaped_implementation_fails_with_exit_1(tmp_path):
    scenario = tmp_path / "quiet.yaml"
    scenario.write_text(QUIET)
    outcome = invoke("calibrate", str(scenario), "--seed", "3", "--only", "naive")
    assert outcome.exit_code == 1, outcome.output
    assert "escaped naive" in outcome.output
    assert "Mutation score: 0/1" in outcome.output
    assert "reference not run" in outcome.output


def test_a_reference_violation_is_a_false_positive_with_exit_1(tmp_path):
    scenario = tmp_path / "slo.yaml"
    scenario.write_text(IMPOSSIBLE_SLO)
    report = tmp_path / "r.json"
    outcome = invoke("calibrate", str(scenario), "--seed", "3", "--only", "reference",
                     "--json", str(report))
    assert outcome.exit_code == 1, outcome.output
    assert json.loads(report.read_text())["false_positives"] == [
        {"scenario": "impossible-slo", "seed": 3, "invariants": ["latency-slo"]}]
    assert "1 false positive run(s)" in outcome.output


@pytest.mark.parametrize(("args", "message"), [
    (("--only", "nonsense"), "known: reference, naive"),
    (("no-such-scenario",), "unknown scenario 'no-such-scenario'"),
    (("--seed", "1", "--seeds", "2"), "not both"),
    (("--seeds", "0"), "--seeds"),
    (("--json", "/no/such/dir/r.json"), "does not exist"),
])
def test_bad_input_exits_2_with_a_message(args, message):
    outcome = invoke("calibrate", *args)
    assert outcome.exit_code == 2
    assert message in outcome.output
    assert "Traceback" not in outcome.output


def test_an_implementation_meets_only_scenarios_in_the_dialect_its_defect_needs():
    collector = Implementation("faulty-collector", "loses files", "converge", ("tms", "x12"))
    canonical, in_x12 = catalogue()["happy-path"], catalogue()["x12-happy-path"]
    assert unmet([REFERENCE, collector], [canonical]) == [collector]
    assert unmet([REFERENCE, collector], [canonical, in_x12]) == []
    document = build([REFERENCE], ["happy-path"], [result("reference", "happy-path", 1)],
                     [collector]).to_json()
    assert document["left_out"] == [{"name": "faulty-collector",
                                     "needs": {"system": "tms", "dialect": "x12"}}]


def test_calibrate_leaves_out_the_dialect_faulty_ones_where_no_scenario_speaks_theirs(tmp_path):
    scenario = tmp_path / "quiet.yaml"
    scenario.write_text(QUIET)
    report = tmp_path / "r.json"
    outcome = invoke("calibrate", str(scenario), "--seed", "3", "--json", str(report))
    document = json.loads(report.read_text())
    needing = {name for name in shipped()  # a vendor dialect's, where everything is canonical
               if (targets.resolve(name).needs or ("", "canonical"))[1] != "canonical"}
    assert {"faulty-x12-no-997", "faulty-sap-keeps-its-token",
            "faulty-onfleet-hammers"} <= needing
    assert {impl["name"] for impl in document["left_out"]} == needing
    assert not needing & {impl["name"] for impl in document["implementations"]}
    assert not needing & set(document["mutation_score"]["escaped"])
    assert "left out faulty-x12-no-997: its defect needs the tms speaking x12" in \
        " ".join(outcome.output.split())


def test_naming_an_implementation_no_scenario_can_meet_exits_2():
    outcome = invoke("calibrate", "happy-path", "--seed", "1", "--only", "faulty-x12-no-997")
    assert outcome.exit_code == 2
    assert "--only faulty-x12-no-997: its defect needs the tms speaking x12" in outcome.output
    assert "--dialect tms=x12" in outcome.output
