"""Live runs side by side (`seatrial run --jobs N` against a live target): what one worker
process does with one run, and who may be shared.

Each run plays in a process of its own, with its own simulator stack (ephemeral loopback
ports), its own SUT process for `--target-cmd` (its own $PORT and $SEATRIAL_STATE_DIR) and its
own live clock, so nothing a run measures of itself (its lag, its pace) is another run's. The
world and its ledger stay in the worker: only the verdict and what the caller reads of the
world (its drift report) come back.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TypeVar

import httpx

from seatrial.eventlog.format import EventLog
from seatrial.judge.result import RunResult
from seatrial.live.amqp_channel import BrokerChannel
from seatrial.live.runner import LiveOptions, LiveTarget, LiveTargetError, play_live
from seatrial.run import judge
from seatrial.scenario import Scenario
from seatrial.world import World

R = TypeVar("R")
INTERRUPTED = 130  # a worker's exit status once an interrupt has stopped its SUT and simulators
#: What a running SUT answers in GET /health when it keeps one world per configuration, so that
#: runs side by side can share it (docs/live-protocol.md#runs-side-by-side).
WORLDS, PER_CONFIGURATION = "worlds", "per-configuration"


def run_live(options: LiveOptions, read: Callable[[World], R], log: EventLog | None,
             scenario: Scenario, target: LiveTarget,
             say: Callable[[str], None] = lambda _line: None) -> tuple[RunResult, R]:
    """One live run played and judged by the same `judge` as in-process, with the pace it
    played at (told to `say` once chosen) beside the lag in its live figures, and what `read`
    takes from its world (the caller's drift report) where the world was made: a world never
    crosses processes, only the verdict and what `read` returns do."""
    started = time.perf_counter()
    world, end, pace = play_live(scenario, target, options, log, say)
    result = judge(world, end, target.label, started)
    live = {**(result.live or {}), "pace": pace.to_json()}
    if isinstance(world.channel, BrokerChannel):
        live["amqp"] = world.channel.summary()
    return replace(result, live=live), read(world)


def longest_first(plan: list[Scenario], options: LiveOptions) -> list[int]:
    """The order to start runs side by side in (indexes into `plan`): those capped at the
    slowest pace first. A lifecycle takes days of simulated time at any pace, so they are the
    longest, and started last they would leave the batch waiting on them alone (quiet gate
    suite, 4 at a time, alphabetical: rate-limit-squeeze, 284 s at 900x at most, started among
    the last)."""
    return sorted(range(len(plan)), key=lambda index: options.pace(plan[index]))


def pooled(options: LiveOptions, read: Callable[[World], R], log: EventLog | None,
           scenario: Scenario, target: LiveTarget) -> tuple[RunResult, R]:
    """`run_live` in a pool worker. The parent ends its workers with SIGTERM, which a live run
    turns into stopping its SUT and simulators; then the worker exits, rather than wait for
    work the parent will never send (and keep the parent, which waits for it, from exiting)."""
    try:
        return run_live(options, read, log, scenario, target)
    except KeyboardInterrupt:
        os._exit(INTERRUPTED)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM to the parent of live workers stops the batch as Ctrl-C does, so it ends every
    worker (and so every SUT and simulator) instead of dying and leaving them behind."""
    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def check_shareable(url: str, jobs: int) -> None:
    """A running SUT is one process with one state, and each configure wipes it: runs side by
    side may share it only if its GET /health says it keeps one world per configuration."""
    try:
        answer = httpx.get(f"{url}/health", timeout=5.0)
        health = answer.json() if answer.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        raise LiveTargetError(f"--target {url}: cannot read GET /health; start the SUT first") \
            from None
    if isinstance(health, dict) and health.get(WORLDS) == PER_CONFIGURATION:
        return
    raise LiveTargetError(
        f"--jobs {jobs} with --target {url}: a running SUT has one state, and each run's "
        "configure wipes it, so it cannot take runs side by side; use --target-cmd (Seatrial "
        "starts a SUT per run), or --jobs 1, or a SUT whose GET /health says "
        f'"{WORLDS}": "{PER_CONFIGURATION}" (docs/live-protocol.md#runs-side-by-side)')
