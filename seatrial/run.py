"""One run: build the world for a scenario and seed, play it out, and have it judged."""

from __future__ import annotations

import time

from seatrial.budget import WALL_BUDGET, Runaway
from seatrial.eventlog.format import EventLog
from seatrial.eventlog.player import Player
from seatrial.judge.observation import Observation
from seatrial.judge.result import RunResult
from seatrial.judge.verdict import selected_invariants, verdict
from seatrial.scenario import Scenario
from seatrial.targets import Target
from seatrial.world import World
from seatrial.world.host import SutStartError
from seatrial.world.ports import Drive


class RunAborted(Exception):
    """A run that cannot be judged: the sync implementation could not start, or a handler
    never finished. The CLI exits 2 with the message (never 0, never 1: nothing was judged)."""


def run_scenario(scenario: Scenario, target: Target, log: EventLog | None = None,
                 budget: float = WALL_BUDGET) -> RunResult:
    """Play `scenario` (or, with `log`, the log under the scenario's faults) and judge it."""
    started = time.perf_counter()
    world, end = play(scenario, target, log=log, budget=budget)
    return judge(world, end, target.label, started)


def work_times(scenario: Scenario, log: EventLog | None, target: Target) -> list[float]:
    """When a SUT has work in the scenario, played in virtual time against `target`: each
    delivery it answers and each call it makes, sorted; the shape of a live run's load
    (`seatrial.live.pace.surge`: a second or two of CPU for long-day). None at all if `target`
    cannot play it."""
    try:
        world, _end = play(scenario, target, log)
    except RunAborted:
        return []
    return sorted(entry.time for entry in world.ledger.entries
                  if entry.kind in ("deliver", "request"))


def play(scenario: Scenario, target: Target, log: EventLog | None = None, record: bool = False,
         budget: float = WALL_BUDGET) -> tuple[World, float]:
    """Build the world and run it in-process: (the world, its simulated end time), or
    `RunAborted` naming what kept it from being judged."""
    try:
        selected_invariants(scenario)  # before the run: a misspelt check is an input error
    except ValueError as error:
        raise RunAborted(f"{scenario.name}: {error}") from None
    try:
        world = World(scenario, target.factory, drive=replaying(log), record=record)
        return world, world.run(budget)
    except (SutStartError, Runaway) as error:
        raise RunAborted(f"{scenario.name} seed {scenario.seed} against {target.label}: "
                         f"{error}") from None


def replaying(log: EventLog | None) -> Drive | None:
    """The drive that plays `log`, or None (the world's default: the simulators' lifecycles)."""
    return None if log is None else Player(log)


def observe(world: World, end: float) -> Observation:
    """What the checks read: the ledger and the simulators' records, at simulated time end."""
    return Observation(world.scenario, world.ledger, world.erp, world.tms, world.lastmile, end,
                       world.receiver.cost, world.receiver.lag)


def judge(world: World, end: float, label: str, started: float,
          obs: Observation | None = None) -> RunResult:
    """A played world (in-process or live) judged: what it left behind (`obs`, or observed
    here), the messages across the SUT's boundary and a replay's summary, to the verdict."""
    return verdict(obs or observe(world, end), label, started, world.messages,
                   world.drive.summary())
