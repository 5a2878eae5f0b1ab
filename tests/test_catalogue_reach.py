"""Every fault of every catalogue scenario acts on something the sync implementation sees or
does, on every seed the gate runs it on (issue 17): a fault whose window misses the traffic
proves nothing, and its scenario's description then claims what the gate never tested.

What counts as a trace is each kind's `reached` (seatrial/faults/kinds/<kind>.py).
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from seatrial.catalogue import catalogue
from seatrial.faults.base import Fault
from seatrial.faults.kinds import FAULT_KINDS, KINDS
from seatrial.faults.reach import unreached
from seatrial.run import judge, play
from seatrial.scenario import Scenario
from seatrial.scenario_yaml import load_scenario
from seatrial.targets import resolve

#: `make gate` runs each scenario on its own seed and the 4 after (`--seeds 5`); peak-day,
#: outside the gate, is held to the same 5.
GATE_SEEDS = 5
EVERYDAY = sorted(name for name, scenario in catalogue().items() if scenario.gate)


def describe(scenario: Scenario, fault: Fault) -> str:
    index = scenario.faults.index(fault)
    fields = {"kind": fault.kind,
              **fault.model_dump(mode="json", by_alias=True, exclude_defaults=True)}
    return f"faults[{index}] {{{', '.join(f'{key}: {value}' for key, value in fields.items())}}}"


def idle(name: str, seed: int) -> list[str]:
    """The faults of catalogue scenario `name` that did nothing on `seed`, described."""
    scenario = catalogue()[name].with_seed(seed)
    world, _end = play(scenario, resolve("reference"))
    return [f"{name} seed {seed}: {describe(scenario, fault)} never reached the SUT"
            for fault in unreached(scenario, world.ledger.entries, world.horizon)]


def idle_and_violated(name: str, seed: int) -> tuple[list[str], list[str]]:
    """`idle`, and the reference's violations on the same run, judged: the gate's verdict (what
    `seatrial run --target reference --seeds 5` gives, tests/test_cli.py) at no second play."""
    scenario = catalogue()[name].with_seed(seed)
    started = time.perf_counter()
    world, end = play(scenario, resolve("reference"))
    idle_faults = [f"{name} seed {seed}: {describe(scenario, fault)} never reached the SUT"
                   for fault in unreached(scenario, world.ledger.entries, world.horizon)]
    result = judge(world, end, "reference", started)
    return idle_faults, [f"{name} seed {seed}: {v['message']}" for v in result.violations[:5]]


def runs(names: list[str]) -> list[tuple[str, int]]:
    return [(name, catalogue()[name].seed + i) for name in names for i in range(GATE_SEEDS)]


@pytest.fixture(scope="module")
def the_gate() -> dict[str, tuple[list[str], list[str]]]:
    """Each gate scenario over its gate seeds against the reference, some 100 runs on two
    processes (the test suite's two cores): its idle faults, and the violations judged."""
    plan = runs(EVERYDAY)
    with ProcessPoolExecutor(max_workers=2) as pool:
        found = list(pool.map(idle_and_violated, *zip(*plan, strict=True)))
    by_name: dict[str, tuple[list[str], list[str]]] = {name: ([], []) for name in EVERYDAY}
    for (name, _seed), (idle_faults, violations) in zip(plan, found, strict=True):
        by_name[name][0].extend(idle_faults)
        by_name[name][1].extend(violations)
    return by_name


@pytest.mark.parametrize("name", EVERYDAY)
def test_every_fault_of_a_gate_scenario_reaches_the_sut_on_every_gate_seed(
        name: str, the_gate: dict[str, tuple[list[str], list[str]]]) -> None:
    idle_faults, _violations = the_gate[name]
    assert not idle_faults, "\n".join(idle_faults)


@pytest.mark.parametrize("name", EVERYDAY)
def test_the_reference_holds_every_gate_scenario_on_every_gate_seed(
        name: str, the_gate: dict[str, tuple[list[str], list[str]]]) -> None:
    """`make gate`'s verdict for the reference, in process, on the same runs."""
    _idle_faults, violations = the_gate[name]
    assert not violations, "\n".join(violations)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "seed"), runs(
    [name for name, scenario in catalogue().items() if not scenario.gate]))
def test_every_fault_of_a_scenario_outside_the_gate_reaches_the_sut(name: str, seed: int) -> None:
    messages = idle(name, seed)
    assert not messages, "\n".join(messages)


# Every kind once, at full strength in a short busy morning: each must leave its trace. The
# same faults a fortnight later, when the run has long gone quiet, must each be named idle.
EVERY_KIND = """
name: every-kind
seed: 5
duration: 20m
workload: {orders_per_hour: 120}
faults:
  - {kind: latency, channel: tms.api, at: AT, dist: fixed, value: 2s}
  - {kind: latency, channel: erp.webhooks, at: AT, dist: fixed, value: 5s}
  - {kind: outage, system: tms, at: AT, for: 10m, mode: refused}
  - {kind: lost_response, system: erp, at: AT, probability: 0.5}
  - {kind: rate_limit, system: lastmile, at: AT, rate: 0.001, burst: 1}
  - {kind: duplicate, channel: erp.webhooks, at: AT, probability: 0.3}
  - {kind: reorder, channel: lastmile.webhooks, at: AT, probability: 0.3}
  - {kind: redelivery, channel: erp.webhooks, at: AT, schedule: [1m, 5m]}
  - {kind: replay, channel: tms.webhooks, at: REPLAY, window: 4h}
  - {kind: poison, channel: lastmile.webhooks, at: AT, probability: 0.2}
  - {kind: schema_drift, channel: tms.webhooks, at: AT, mode: unknown_code, probability: 0.2}
  - {kind: schema_drift, channel: lastmile.webhooks, at: AT, mode: v2}
  - {kind: retraction, channel: tms.webhooks, at: AT, probability: 0.3}
  - {kind: clock_skew, channel: tms.webhooks, at: AT, mode: skew}
  - {kind: forged, channel: tms.webhooks, at: AT, probability: 0.2, mode: stale_timestamp}
  - {kind: crash, at: CRASH, restart_after: 5m}
"""


def every_kind(at: str, replay: str, crash: str) -> Scenario:
    text = EVERY_KIND.replace("REPLAY", replay).replace("CRASH", crash).replace("AT", at)
    return load_scenario(text, "every-kind.yaml")


# The broker's own kinds, on the amqp channel: the same busy morning, the same fortnight later.
EVERY_BROKER_KIND = """
name: every-broker-kind
seed: 5
duration: 20m
channel: amqp
workload: {orders_per_hour: 120}
faults:
  - {kind: connection_closed, at: AT, for: 15m, every: 3m}
  - {kind: broker_down, at: AT, for: 2m}
  # the SUT down past the node's restart: the ERP's queue fills over its cap meanwhile
  - {kind: crash, at: AT, restart_after: 10m}
  - {kind: queue_length_limit, system: erp, at: AT, max_length: 1}
"""


def every_broker_kind(at: str) -> Scenario:
    return load_scenario(EVERY_BROKER_KIND.replace("AT", at), "every-broker-kind.yaml")


def test_every_kind_leaves_a_trace_where_it_acts() -> None:
    scenario = every_kind(at="0s", replay="4h", crash="10m")
    broker = every_broker_kind(at="2m")
    # every kind but a vendor dialect's (their trace: tests/test_dialect_faults.py)
    assert {fault.kind for fault in (*scenario.faults, *broker.faults)} == {
        name for name in FAULT_KINDS if KINDS[name].model.needs is None}
    for played in (scenario, broker):
        world, _end = play(played, resolve("reference"))
        assert unreached(played, world.ledger.entries, world.horizon) == []


def test_every_kind_is_named_idle_where_nothing_happens() -> None:
    for scenario in (every_kind(at="13d", replay="13d", crash="13d"), every_broker_kind("13d")):
        world, _end = play(scenario, resolve("reference"))
        assert unreached(scenario, world.ledger.entries, world.horizon) == list(scenario.faults)



def test_a_call_slower_than_its_timeout_is_no_lost_response() -> None:
    """Both commit a write whose answer the SUT never sees; only a lost response commits
    before the caller gives up, and only that is the lost_response fault's doing."""
    scenario = load_scenario("""
name: slow-not-lost
seed: 5
duration: 20m
workload: {orders_per_hour: 120}
faults:
  - {kind: latency, channel: tms.api, for: 10m, dist: fixed, value: 40s}
  - {kind: lost_response, system: tms, probability: 0.0}
""", "slow-not-lost.yaml")
    world, _end = play(scenario, resolve("reference"))
    assert any(entry.kind == "response" and not entry.data["delivered"]
               for entry in world.ledger.entries)  # slow writes did commit unseen
    assert unreached(scenario, world.ledger.entries, world.horizon) == [scenario.faults[1]]
