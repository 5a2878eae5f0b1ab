"""cost-flat: the SUT's own cost per delivery does not grow with the history it has seen.

Reads the cost meter kept beside the ledger (`seatrial.cost`: CPU time in-process), not the
ledger itself, so the ledger hash stays the same on any machine. The run's deliveries are taken
in order; the dearest tenth from half-way on is compared with the deliveries from 5 % to 15 %
(after the warm-up, with little history yet). Each stretch's cost is the SUT's CPU time per
delivery over the harness's own in the same stretch: when the machine slows down (a neighbour
on the core's caches, a lower clock) both slow down together, and the ratio does not move.

An implementation that scans everything it has seen on each event (a list, an unindexed
table) grows with every delivery: faulty-dedupe-by-scanning by 3.3x to 3.6x over long-day's
26,000 deliveries (seeds 41 to 43, quiet and beside two CPU hogs). The reference's ratio moves
1.45x to 1.80x over seeds 41 to 60 of the same scenario, quiet and beside two hogs, as the day's
mix moves on to the drain: hence a factor of 2.5.

Judged only with at least `MIN_DELIVERIES` deliveries: in a short run the mix of events (a
morning of releases, an afternoon of deliveries) moves the cost more than a slow growth does.
Not judged live (the meter's `judged`): a round trip over a busy loopback is mostly queueing.
A violation's evidence is the figures: the ledger holds no time that is the machine's.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from seatrial.cost import CostMeter
from seatrial.judge.observation import Observation, Violation

NAME = "cost-flat"
ORDER = 200  # where it stands in reports and the catalogue of invariants
LAG_WINDOW = "run"  # a figure over the whole run: lag anywhere in it moves it
MIN_DELIVERIES = 20_000
FACTOR = 2.5  # late over early, each the SUT's cost per delivery over the harness's, at most


@dataclass(frozen=True)
class Stretch:
    """Seconds per delivery over a stretch of deliveries: the SUT's, and the harness's."""

    sut: float
    harness: float

    @property
    def ratio(self) -> float:
        return self.sut / self.harness if self.harness > 0 else 0.0


def growth(meter: CostMeter) -> tuple[Stretch, Stretch] | None:
    """(early, the dearest late) stretch, or None for too short a history."""
    count = len(meter.per_delivery)
    if count < MIN_DELIVERIES:
        return None

    def stretch(first: int, last: int) -> Stretch:
        sut = meter.per_delivery[last] - meter.per_delivery[first]
        whole = meter.whole[last] - meter.whole[first]
        return Stretch(sut / (last - first), (whole - sut) / (last - first))

    tenths = [(count * tenth // 10, count * (tenth + 1) // 10 - 1) for tenth in range(5, 10)]
    late = max((stretch(first, last) for first, last in tenths), key=lambda s: s.ratio)
    return stretch(count // 20, count * 3 // 20), late


def check(obs: Observation) -> Iterator[Violation]:
    meter = obs.cost
    if meter is None or not meter.judged:
        return
    measured = growth(meter)
    if measured is None:
        return
    early, late = measured
    if early.ratio > 0 and late.ratio > FACTOR * early.ratio:
        count = len(meter.per_delivery)
        yield Violation(
            NAME, f"the SUT's cost per delivery grew {late.ratio / early.ratio:.1f}x against "
                  f"the harness's own over {count:,} deliveries, from {early.sut * 1e6:.0f} to "
                  f"{late.sut * 1e6:.0f} microseconds (the harness's {early.harness * 1e6:.0f} "
                  f"to {late.harness * 1e6:.0f}; at most {FACTOR:g}x): its work per event "
                  f"grows with what it has seen",
            {"deliveries": str(count)}, [])
