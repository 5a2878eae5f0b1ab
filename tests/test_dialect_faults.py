"""The faults only a vendor dialect has, each against the faulty implementation it exists for.

The built-in reference speaks the vendor dialects through its connectors
(sync_implementations/connectors/): it fetches a CSRF token and fetches it again when refused,
reads an order again on a 412, reads each `$batch` changeset's answer and sends a failed one
again, waits for an order a thin event announced before it was readable, registers an Onfleet
webhook again when its validation failed or Onfleet disabled it (and reads back the tasks
whose events it missed), and honours the organisation's 429. It must hold every invariant
under each fault (no false positive); each faulty variant leaves exactly one of those
recoveries out, in its connector (the shipped `faulty-sap-*` and `faulty-onfleet-*`), and must be
caught by its fault's scenario and by no other dialect scenario
(`test_each_dialect_scenario_catches_its_own_faulty_implementation_only`).
"""

from __future__ import annotations

import pytest

from seatrial.catalogue import catalogue
from seatrial.faults.kinds import KINDS
from seatrial.faults.reach import unreached
from seatrial.judge.verdict import verdict
from seatrial.run import observe
from seatrial.scenario import Scenario
from seatrial.scenario_yaml import ScenarioError, load_scenario
from seatrial.sync_implementations.faulty_onfleet import (
    HammersOnfleet,
    MissesDisabledWebhooks,
    ReadsNothingBack,
    TakesRefusalAsFinal,
)
from seatrial.sync_implementations.faulty_sap_s4 import (
    GivesUpOnLocks,
    KeepsItsToken,
    ReadsAgainOnce,
    TakesNotFoundAsGone,
    TrustsItsEtag,
    TrustsTheBatch,
)
from seatrial.sync_implementations.reference import ReferenceSync
from seatrial.world import World


def scenario(*faults: str, dialects: str = "{erp: sap-s4}", orders: int = 30,
             seed: int = 11) -> Scenario:
    """A 2-hour morning in `dialects` under `faults` (each a YAML flow mapping)."""
    listed = "".join(f"\n  - {fault}" for fault in faults)
    return load_scenario(f"""
name: dialect-test
seed: {seed}
duration: 2h
workload: {{orders_per_hour: {orders}}}
dialects: {dialects}
faults:{listed or " []"}
expect: {{converge_within: 2h}}
""", "dialect-test.yaml")


def judged(sut, made: Scenario):
    world = World(made, sut)
    end = world.run()
    return world, verdict(observe(world, end), sut.name, 0.0, world.messages,
                          world.drive.summary())


CASES = {
    "batch_failure": ("{kind: batch_failure, at: 10m, changesets: 5}", GivesUpOnLocks),
    "csrf_expiry": ("{kind: csrf_expiry, at: 30m, every: 20m}", KeepsItsToken),
    "etag_conflict": ("{kind: etag_conflict, at: 10m, probability: 0.3}", TrustsItsEtag),
    "thin_event_early": ("{kind: thin_event_early, probability: 0.5, readable_after: 2m}",
                         TakesNotFoundAsGone),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_sap_reference_holds_every_invariant_under_each_fault(kind):
    world, result = judged(ReferenceSync, scenario(CASES[kind][0]))
    assert not result.violations, [v["message"] for v in result.violations[:3]]
    assert not [e for e in world.ledger.entries if e.kind == "crash"]


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_fault_catches_the_implementation_it_exists_for(kind):
    fault, faulty = CASES[kind]
    _world, clean = judged(faulty, scenario())
    assert not clean.violations, "the faulty variant fails without its fault: proves nothing"
    _world, caught = judged(faulty, scenario(fault))
    assert caught.violations, f"{faulty.name} passed under {kind}"


EVERY_SAP_KIND = """
name: every-sap-kind
seed: 5
duration: 30m
workload: {orders_per_hour: 120}
dialects: {erp: sap-s4}
faults:
  - {kind: batch_failure, at: AT, changesets: 3}
  - {kind: csrf_expiry, at: AT, every: 10m}
  - {kind: etag_conflict, at: AT, probability: 0.5}
  - {kind: thin_event_early, at: AT, probability: 0.5}
"""


@pytest.mark.parametrize(("at", "idle"), [("0s", False), ("13d", True)])
def test_every_sap_kind_leaves_a_trace_where_it_acts_and_none_where_nothing_happens(at, idle):
    made = load_scenario(EVERY_SAP_KIND.replace("AT", at), "every-sap-kind.yaml")
    assert {fault.kind for fault in made.faults} == set(CASES)
    world = World(made, ReferenceSync)
    world.run()
    expected = list(made.faults) if idle else []
    assert unreached(made, world.ledger.entries, world.horizon) == expected





# --- Onfleet ------------------------------------------------------------------------------------


def onfleet_scenario(*faults: str) -> Scenario:
    return scenario(*faults, dialects="{lastmile: onfleet}", orders=60, seed=13)


ONFLEET_CASES = {
    "webhook_validation_fails": ("{kind: webhook_validation_fails, times: 3}",
                                 TakesRefusalAsFinal),
    "org_rate_limit": ("{kind: org_rate_limit, others: 0.999, burst: 1}",
                       HammersOnfleet),
    # the tasks' deliveries come the next morning; 20 failures in a row, not Onfleet's 300,
    # for this smaller day (onfleet-webhook-auto-disable plays the 300)
    "webhook_auto_disable": ("{kind: webhook_auto_disable, at: 26h, for: 2h, "
                             "disable_after: 20}", MissesDisabledWebhooks),
}


@pytest.mark.parametrize(("reference", "made"), [(ReferenceSync, scenario),
                                                 (ReferenceSync, onfleet_scenario)])
def test_each_reference_in_a_dialect_holds_every_invariant_without_faults(reference, made):
    world, result = judged(reference, made())
    assert not result.violations, [v["message"] for v in result.violations[:3]]
    assert world.erp.invoices  # the whole path, to the invoice


@pytest.mark.parametrize("kind", sorted(ONFLEET_CASES))
def test_each_onfleet_fault_holds_for_the_reference_and_catches_its_faulty_one(kind):
    fault, faulty = ONFLEET_CASES[kind]
    made = onfleet_scenario(fault)
    world, result = judged(ReferenceSync, made)
    assert not result.violations, [v["message"] for v in result.violations[:3]]
    assert unreached(made, world.ledger.entries, world.horizon) == []
    _world, clean = judged(faulty, onfleet_scenario())
    assert not clean.violations, "the faulty variant fails without its fault: proves nothing"
    _world, caught = judged(faulty, made)
    assert caught.violations, f"{faulty.name} passed under {kind}"


# --- the catalogue's scenarios in the dialects --------------------------------------------------

CATALOGUED = {"sap-batch-failures": (ReferenceSync, GivesUpOnLocks),
           "onfleet-webhook-auto-disable": (ReferenceSync, MissesDisabledWebhooks),
           "sap-csrf-expiry": (ReferenceSync, KeepsItsToken),
           "sap-etag-conflicts": (ReferenceSync, TrustsItsEtag),
           "sap-thin-events": (ReferenceSync, TakesNotFoundAsGone),
           "onfleet-webhook-validation": (ReferenceSync, TakesRefusalAsFinal),
           "onfleet-org-rate-limit": (ReferenceSync, HammersOnfleet)}
SEEDS = 3


def test_every_dialect_fault_kind_has_its_scenario_in_the_catalogue():
    # the x12 faults' faulty implementations are shipped: tests/test_faulty.py runs them
    edi = {name for name in catalogue() if name.startswith("x12-")}
    carried = {fault.kind for name in (*CATALOGUED, *edi) for fault in catalogue()[name].faults
               if fault.needs is not None}  # x12-mailbox-down carries a general outage too
    assert carried == {name for name, kind in KINDS.items() if kind.model.needs is not None}
    assert {kind for kind in carried if KINDS[kind].model.needs[1] != "x12"} == \
        set(CASES) | set(ONFLEET_CASES)
    assert {name for name in catalogue() if name.startswith(("sap-", "onfleet-"))} == \
        set(CATALOGUED)


#: make test plays each scenario's own seed; the 2 after are a sweep (slow)
@pytest.mark.parametrize(("name", "offset"), [
    pytest.param(name, i, marks=[pytest.mark.slow] if i else [])
    for name in sorted(CATALOGUED) for i in range(SEEDS)])
def test_each_dialect_scenario_holds_for_its_reference_and_its_fault_reaches_it(name, offset):
    made = catalogue()[name]
    made = made.with_seed(made.seed + offset)
    world, result = judged(CATALOGUED[name][0], made)
    assert not result.violations, [v["message"] for v in result.violations[:3]]
    assert unreached(made, world.ledger.entries, world.horizon) == []


#: which dialect scenarios catch each faulty variant: its own only, but for the one that never
#: reads a changeset's answer, which misses a stale ETag's 412 in it as well as a lock's 409
CAUGHT_BY = {faulty: {name} for name, (_reference, faulty) in CATALOGUED.items()} | {
    TrustsTheBatch: {"sap-batch-failures", "sap-etag-conflicts"},
    ReadsAgainOnce: {"sap-etag-conflicts"}}


@pytest.mark.parametrize("faulty", list(CAUGHT_BY), ids=lambda faulty: faulty.name)
def test_each_dialect_scenario_catches_its_own_faulty_implementation_only(faulty):
    caught = {name for name in CATALOGUED if judged(faulty, catalogue()[name])[1].violations}
    assert caught == CAUGHT_BY[faulty]


def test_one_conflict_at_a_time_shows_a_trusted_etag_but_not_one_read_again_once():
    """address-churn in sap-s4 makes ETags stale by real concurrent changes, one at a time: a
    connector that never reads again is caught there too, one that reads again once is not;
    only `etag_conflict`, stale again and again, catches the second (it exists for that)."""
    churn = catalogue()["address-churn"].model_copy(update={"dialects": scenario().dialects})
    assert judged(TrustsItsEtag, churn)[1].violations
    assert not judged(ReadsAgainOnce, churn)[1].violations


def test_registering_a_disabled_webhook_anew_is_not_enough_without_reading_back():
    _world, result = judged(ReadsNothingBack, catalogue()["onfleet-webhook-auto-disable"])
    assert {v["invariant"] for v in result.violations} == {"stages-converge"}


def test_a_dialect_fault_is_refused_where_its_dialect_is_not_spoken():
    with pytest.raises(ScenarioError) as caught:
        load_scenario("name: x\nfaults:\n  - {kind: csrf_expiry, at: 1h}\n", "x.yaml")
    message = str(caught.value)
    assert "x.yaml:3: faults[0].kind" in message, message
    assert "add `dialects: {erp: sap-s4}`" in message
