"""The harness's own lag in a live run: how late it played its schedule, moment by moment.

Live, simulated time is the wall clock times the pace, so every wall millisecond the harness
itself is behind (its own CPU, a garbage collection, a noisy neighbour taking the core) is
`pace` simulated milliseconds charged to whoever is measured across it: a latency SLO, a
convergence deadline, a Retry-After pause. The live clock notes here how late it played each
batch of due events and how late its event loop woke from a short sleep (the servers answer on
the same loop, so that is also how long a request could wait before the harness read it).

The verdict reads it (`seatrial.judge.verdict`): a violation that depends on time, in a stretch
where the harness was behind by more than a bound, convicts nobody: it is inconclusive, with
these figures. In virtual time there is no lag, and no meter.
"""

from __future__ import annotations

from typing import Any

#: simulated seconds per stretch: the worst lag is kept per stretch, not per event
STRETCH = 60.0


class HarnessLag:
    """The worst lag (simulated seconds) per stretch of simulated time, at pace `scale`."""

    __slots__ = ("scale", "worst")

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.worst: dict[int, float] = {}

    def note(self, at: float, late: float) -> None:
        """The harness played something due at simulated time `at`, `late` simulated seconds
        after it was due."""
        if late > 0:
            stretch = int(at // STRETCH)
            if late > self.worst.get(stretch, 0.0):
                self.worst[stretch] = late

    def during(self, start: float, end: float) -> tuple[float, float]:
        """(the worst lag, when) over simulated times start..end; (0, start) if none."""
        first, last = int(start // STRETCH), int(end // STRETCH)
        found = [(late, stretch * STRETCH) for stretch, late in self.worst.items()
                 if first <= stretch <= last]
        return max(found, default=(0.0, start))

    def summary(self, bound: float) -> dict[str, Any]:
        """The run's figures for reports: the worst lag (simulated seconds and wall ms), the
        bound, and how many simulated minutes were behind by more than it."""
        worst, at = max(((late, stretch * STRETCH) for stretch, late in self.worst.items()),
                        default=(0.0, 0.0))
        return {"worst_sim_seconds": round(worst, 3), "worst_wall_ms": round(
                    worst / self.scale * 1000, 1), "worst_at": round(at, 3),
                "bound_sim_seconds": round(bound, 3),
                "bound_wall_ms": round(bound / self.scale * 1000, 1),
                "stretches_over_bound": sum(late > bound for late in self.worst.values()),
                "stretch_sim_seconds": STRETCH}
