"""The gate suite: reference holds everything on every seed; naive is caught where it should be."""

import pytest

from seatrial.catalogue import catalogue, gate_suite
from seatrial.run import run_scenario
from seatrial.targets import resolve

# The invariant each fault scenario exists for: naive must break at least one of them.
CAUGHT_BY = {
    "duplicate-webhooks": {"effect-once", "shipment-per-order"},
    "tms-outage": {"shipment-per-order", "effect-once"},
    "lost-responses": {"effect-once", "shipment-per-order"},
    "out-of-order-milestones": {"status-monotonic"},
    "erp-maintenance-window": {"converge"},
    "rate-limit-squeeze": {"converge"},
}


def test_gate_suite_is_marked_and_covers_every_fault_scenario():
    names = {s.name for s in gate_suite()}
    assert names == {*CAUGHT_BY, "happy-path"}
    assert not catalogue()["peak-day"].gate


@pytest.mark.parametrize("name", sorted(CAUGHT_BY))
def test_naive_is_caught_by_the_invariant_the_scenario_exists_for(name):
    scenario = catalogue()[name]
    for seed in (scenario.seed, scenario.seed + 1):
        result = run_scenario(scenario.with_seed(seed), resolve("naive"))
        assert CAUGHT_BY[name] & set(result.violated()), (seed, result.violated())


def test_every_violation_names_keys_and_evidence():
    result = run_scenario(catalogue()["duplicate-webhooks"], resolve("naive"))
    assert result.violations
    for violation in result.violations:
        assert violation["keys"]["order_id"].startswith("SO-")
        assert violation["evidence"], violation["message"]
        assert all(e["summary"] for e in violation["evidence"])
        seqs = [e["seq"] for e in violation["evidence"]]
        assert seqs == sorted(seqs)
