"""The gate suite: reference holds everything on every seed; naive is caught where it should be."""

import pytest

from seatrial.catalogue import catalogue, gate_suite
from seatrial.judge.observation import OMITTED
from seatrial.run import run_scenario
from seatrial.targets import resolve

# The invariant each fault scenario exists for: naive must break at least one of them.
CAUGHT_BY = {
    "duplicate-webhooks": {"effect-once", "shipment-per-order"},
    "tms-outage": {"shipment-per-order", "effect-once"},
    "lost-responses": {"effect-once", "shipment-per-order"},
    "out-of-order-milestones": {"status-monotonic"},
    "erp-maintenance-window": {"converge"},
    "rate-limit-squeeze": {"converge", "rate-limit-respected"},
    "carrier-api-slowdown": {"effect-once", "idempotency-key-on-create"},
    "lastmile-payload-v2": {"converge"},
    "poison-in-busy-stream": {"poison-isolated"},
    "unknown-status-codes": {"status-monotonic", "converge"},
    "forged-webhooks": {"signed-only"},
    "carrier-retractions": {"status-monotonic", "terminal-sticky", "effect-once"},
    "carrier-local-time": {"converge", "status-monotonic"},
    "late-confirmations": {"terminal-sticky", "status-monotonic"},
    "cancellation-races": {"cancel-compensates", "shipment-per-order"},
    "sut-crash-restart": {"converge", "effect-once"},
    "sut-crash-mid-backlog": {"shipment-per-order", "effect-once"},
    "backlog-replay": {"effect-once", "shipment-per-order", "invoice-once"},
    "erp-hang-and-refuse": {"converge", "effect-once"},
    "business-exceptions": {"terminal-sticky", "invoice-after-POD", "converge"},
    "address-churn": {"converge"},
}


# Gate scenarios naive has no defect for: happy-path proves the whole path; long-day exists for
# cost-flat, which faulty-dedupe-by-scanning meets (tests/test_faulty.py).
NOT_FOR_NAIVE = {"happy-path", "long-day"}


def test_gate_suite_is_marked_and_covers_every_fault_scenario():
    names = {s.name for s in gate_suite()}
    assert names == {*CAUGHT_BY, *NOT_FOR_NAIVE}
    assert not catalogue()["peak-day"].gate


@pytest.mark.parametrize("name", sorted(CAUGHT_BY))
def test_naive_is_caught_by_the_invariant_the_scenario_exists_for(name):
    result = run_scenario(catalogue()[name], resolve("naive"))
    assert CAUGHT_BY[name] & set(result.violated()), result.violated()


def test_every_violation_names_keys_and_evidence():
    result = run_scenario(catalogue()["duplicate-webhooks"], resolve("naive"))
    assert result.violations
    for violation in result.violations:
        assert violation["keys"]["order_id"].startswith("SO-")
        assert violation["evidence"], violation["message"]
        assert all(e["summary"] for e in violation["evidence"])
        seqs = [e["seq"] for e in violation["evidence"] if e["kind"] != OMITTED]
        assert seqs == sorted(seqs)
