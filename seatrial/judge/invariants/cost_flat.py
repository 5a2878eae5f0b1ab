"""cost-flat: the SUT's own cost per delivery does not grow with the history it has seen.

Reads the cost meter kept beside the ledger (`seatrial.cost`: CPU time in-process, round-trip
wall time live), not the ledger itself, so the ledger hash stays the same on any machine. The
run's deliveries are taken in order and cut in tenths; the dearest tenth from half-way on (cost
per delivery) is compared with the deliveries from 5 % to 15 % (after the warm-up, with little
history yet). An implementation that scans everything it has seen on each event (a list, an
unindexed table) costs more with every delivery, until the day's mix moves on; the reference's
cost stays within about 1.2x over a peak day (peak-day seed 29: 51 to 61 microseconds a
delivery).

Judged only with at least `MIN_DELIVERIES` deliveries: in a short run, the mix of events (a
morning of releases, an afternoon of deliveries) moves the cost more than a slow growth does.
A violation's evidence is the figures: the ledger holds no time that is the machine's.
"""

from collections.abc import Iterator

from seatrial.judge.observation import Observation, Violation

NAME = "cost-flat"
ORDER = 200  # where it stands in reports and the catalogue of invariants
MIN_DELIVERIES = 20_000
FACTOR = 2.0  # late cost per delivery over early cost per delivery, at most


def growth(per_delivery: list[float], spent: float) -> tuple[float, float] | None:
    """(early, late) seconds per delivery, or None for too short a history."""
    totals = [*per_delivery, spent]
    count = len(per_delivery)
    if count < MIN_DELIVERIES:
        return None

    def per(first: int, last: int) -> float:
        return (totals[last] - totals[first]) / (last - first)

    tenths = [(count * tenth // 10, count * (tenth + 1) // 10) for tenth in range(5, 10)]
    return per(count // 20, count * 3 // 20), max(per(a, b) for a, b in tenths)


def check(obs: Observation) -> Iterator[Violation]:
    meter = obs.cost
    if meter is None:
        return
    measured = growth(meter.per_delivery, meter.spent)
    if measured is None:
        return
    early, late = measured
    if early > 0 and late > FACTOR * early:
        count = len(meter.per_delivery)
        yield Violation(
            NAME, f"the SUT's cost per delivery grew {late / early:.1f}x over {count:,} "
                  f"deliveries, from {early * 1e6:.0f} to {late * 1e6:.0f} microseconds (at "
                  f"most {FACTOR:g}x): its work per event grows with what it has seen",
            {"deliveries": str(count)}, [])
