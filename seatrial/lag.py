"""The harness's own lag in a live run: how late it played its schedule, moment by moment.

Live, simulated time is the wall clock times the pace, so every wall millisecond the harness
itself is behind (its own CPU, a garbage collection, a noisy neighbour taking the core) is
`pace` simulated milliseconds charged to whoever is measured across it: a latency SLO, a
convergence deadline, a Retry-After pause. The live clock notes here how late it played each
batch of due events and how late its event loop woke from a short sleep (the servers answer on
the same loop, so that is also how long a request could wait before the harness read it).

A SUT Seatrial started is slowed the same way when it waits for a core while other processes
run (runs side by side, a noisy neighbour): `seatrial.live.cores` notes that wait here too, with
its own cause, since it is the machine's doing and not the SUT's.

The verdict reads it (`seatrial.judge.verdict`): a violation that depends on time, in a stretch
where the harness was behind (or kept the SUT waiting) by more than a bound, convicts nobody: it
is inconclusive, with these figures. In virtual time there is no lag, and no meter.
"""

from __future__ import annotations

from typing import Any

#: simulated seconds per stretch: the worst lag is kept per stretch, not per event
STRETCH = 60.0
#: what made the lag: the harness played late, or the SUT waited for a core while others ran
HARNESS, CORES = "harness", "cores"


class HarnessLag:
    """The worst lag (simulated seconds) per stretch of simulated time and what made it, at
    pace `scale`."""

    __slots__ = ("scale", "worst")

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.worst: dict[int, tuple[float, str]] = {}

    def note(self, at: float, late: float, cause: str = HARNESS) -> None:
        """Something due at simulated time `at` was played (`HARNESS`), or the SUT's work
        around `at` was held up (`CORES`), `late` simulated seconds late."""
        if late > 0:
            stretch = int(at // STRETCH)
            if late > self.worst.get(stretch, (0.0, cause))[0]:
                self.worst[stretch] = (late, cause)

    def during(self, start: float, end: float) -> tuple[float, float, str]:
        """(the worst lag, when, its cause) over simulated times start..end; (0, start,
        HARNESS) if none."""
        first, last = int(start // STRETCH), int(end // STRETCH)
        found = [(late, stretch * STRETCH, cause)
                 for stretch, (late, cause) in self.worst.items() if first <= stretch <= last]
        return max(found, default=(0.0, start, HARNESS))

    def summary(self, bound: float) -> dict[str, Any]:
        """The run's figures for reports: the worst lag (simulated seconds and wall ms) and its
        cause, the bound, and how many simulated minutes were behind by more than it, by
        cause."""
        worst, at, cause = max(((late, stretch * STRETCH, cause)
                                for stretch, (late, cause) in self.worst.items()),
                               default=(0.0, 0.0, HARNESS))
        over = [cause for late, cause in self.worst.values() if late > bound]
        return {"worst_sim_seconds": round(worst, 3), "worst_wall_ms": round(
                    worst / self.scale * 1000, 1), "worst_at": round(at, 3), "cause": cause,
                "bound_sim_seconds": round(bound, 3),
                "bound_wall_ms": round(bound / self.scale * 1000, 1),
                "stretches_over_bound": len(over),
                "stretches_over_bound_by_cause": {
                    name: over.count(name) for name in (HARNESS, CORES)},
                "stretch_sim_seconds": STRETCH}
