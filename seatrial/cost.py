"""The SUT's own cost: CPU time its code spends, per delivery, over the run.

In-process, a handler's work costs no simulated time, so an implementation whose work per event
grows with everything it has seen (a list scan, an unindexed query) plays the same ledger as one
that does not, only slower. The host charges every call into the SUT's code here (authenticate,
on_event, each step of a handler or spawned task), and notes the total at each delivery;
`seatrial.judge.invariants.cost_flat` judges the growth.

CPU time of this thread, not wall time: a busy machine stretches wall time but hardly the CPU
a piece of code needs. Hardly is not never: a neighbour sharing the core's caches, or a slower
clock, can make the same code 1.5x dearer for a stretch of the run. So the meter also notes the
thread's whole CPU time at each delivery, the harness's work included: the harness's own cost
per delivery is the yardstick the SUT's is read against, and both slow down together.

Live, the meter holds each delivery's round-trip wall time, recorded but not judged (`judged`):
on a busy loopback a round trip is mostly queueing, not the SUT's work. The meter lives beside
the ledger, never in it: the same seed plays the same ledger however fast the machine is.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CostMeter:
    """Seconds spent in the SUT's code, and the running total at each delivery."""

    __slots__ = ("_clock", "_depth", "judged", "per_delivery", "spent", "whole")

    def __init__(self, clock: Callable[[], float] = time.thread_time,
                 judged: bool = True) -> None:
        self._clock = clock
        self._depth = 0
        self.spent = 0.0
        #: whether cost-flat judges what this meter saw (not live round trips)
        self.judged = judged
        #: the total spent when each delivery arrived, in delivery order
        self.per_delivery: list[float] = []
        #: the clock when each delivery arrived: the SUT's and the harness's work together
        self.whole: list[float] = []

    def delivered(self) -> None:
        self.per_delivery.append(self.spent)
        self.whole.append(self._clock())

    def start(self) -> float | None:
        """Entering the SUT's code; None when already inside it (io.spawn runs a task's first
        step inside the caller's), so nested work is charged once."""
        self._depth += 1
        return self._clock() if self._depth == 1 else None

    def stop(self, started: float | None) -> None:
        self._depth -= 1
        if started is not None:
            self.spent += self._clock() - started

    def charge(self, seconds: float) -> None:
        """A delivery's whole cost at once (live: its round trip), noted as a delivery."""
        self.delivered()
        self.spent += seconds
