"""One run: build the world for a scenario and seed, play it out, judge it, report it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from seatrial.budget import WALL_BUDGET, Runaway
from seatrial.eventlog.format import EventLog
from seatrial.flows import measure
from seatrial.invariants import MODULES, NAMES
from seatrial.invariants.observation import Observation
from seatrial.kpis import measure_kpis
from seatrial.report.timeline import timeline
from seatrial.scenario import Scenario
from seatrial.targets import Target
from seatrial.world import World, paused_gc
from seatrial.world.host import SutStartError


class RunAborted(Exception):
    """A run that cannot be judged: the sync implementation could not start, or a handler
    never finished. The CLI exits 2 with the message (never 0, never 1: nothing was judged)."""


@dataclass
class RunResult:
    scenario: str
    seed: int
    target: str
    ledger_hash: str
    messages: int
    ledger_entries: int
    sim_seconds: float
    wall_seconds: float
    checked: list[str]
    violations: list[dict[str, Any]]
    kpis: dict[str, Any] = field(default_factory=dict)
    replay: dict[str, int] | None = None  # a replayed log: what became of its events
    timeline: dict[str, Any] | None = None  # what the HTML report charts

    @property
    def passed(self) -> bool:
        return not self.violations

    def violated(self) -> list[str]:
        """Names of the invariants that failed, in catalogue order."""
        failed = {v["invariant"] for v in self.violations}
        return [name for name in NAMES if name in failed]

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "seed": self.seed, "target": self.target,
                "passed": self.passed, "ledger_hash": self.ledger_hash,
                "messages": self.messages, "ledger_entries": self.ledger_entries,
                "sim_seconds": round(self.sim_seconds, 3),
                "wall_seconds": round(self.wall_seconds, 3), "checked": self.checked,
                "violated": self.violated(), "violations": self.violations, "kpis": self.kpis,
                **({} if self.replay is None else {"replay": self.replay}),
                **({} if self.timeline is None else {"timeline": self.timeline})}


EVIDENCE_CHAINS = 3  # per invariant and run, in reports: the first ones show how it broke


def slim(result: RunResult, chains: int = EVIDENCE_CHAINS) -> RunResult:
    """The result with the evidence chains of only the first `chains` violations of each
    invariant (the rest keep their message and keys): every chain of a faulty run would make
    a gate's report a gigabyte."""
    seen: dict[str, int] = {}
    kept = []
    for violation in result.violations:
        name = violation["invariant"]
        seen[name] = seen.get(name, 0) + 1
        kept.append(violation if seen[name] <= chains else
                    {k: v for k, v in violation.items() if k != "evidence"})
    return replace(result, violations=kept)


def selected_invariants(scenario: Scenario) -> list[str]:
    wanted = scenario.expect.invariants
    return list(NAMES) if wanted == "all" else [n for n in NAMES if n in wanted]


def run_scenario(scenario: Scenario, target: Target, log: EventLog | None = None,
                 budget: float = WALL_BUDGET) -> RunResult:
    """Play `scenario` (or, with `log`, the log under the scenario's faults) and judge it."""
    started = time.perf_counter()
    world, end = play(scenario, target, log=log, budget=budget)
    return judge(world, end, target.label, started)


def play(scenario: Scenario, target: Target, log: EventLog | None = None, record: bool = False,
         budget: float = WALL_BUDGET) -> tuple[World, float]:
    """Build the world and run it in-process: (the world, its simulated end time), or
    `RunAborted` naming what kept it from being judged."""
    try:
        world = World(scenario, target.factory, log=log, record=record)
        return world, world.run(budget)
    except (SutStartError, Runaway) as error:
        raise RunAborted(f"{scenario.name} seed {scenario.seed} against {target.label}: "
                         f"{error}") from None


def observe(world: World, end: float) -> Observation:
    """What the checks read: the ledger and the simulators' records, at simulated time end."""
    return Observation(world.scenario, world.ledger, world.erp, world.tms, world.lastmile, end)


def judge(world: World, end: float, label: str, started: float,
          obs: Observation | None = None) -> RunResult:
    """The one verdict for every face: the same checks over the ledger and the records."""
    scenario = world.scenario
    obs = obs or observe(world, end)
    checked = selected_invariants(scenario)
    with paused_gc():  # judging builds indexes over the same large history
        violations = [violation.to_json(obs.describe)
                      for module in MODULES if module.NAME in checked
                      for violation in module.check(obs)]
        flows = measure(obs)
        kpis = measure_kpis(obs, flows)
        chart = timeline(obs, flows)
        digest = world.ledger.digest()
    replay = None if world.player is None else world.player.finish().to_json()
    return RunResult(scenario.name, scenario.seed, label, digest, world.messages,
                     len(world.ledger), end, time.perf_counter() - started, checked,
                     violations, kpis, replay, chart)
