"""The checks at scale: every invariant, the KPIs and the timeline over ledgers of 100 k to over
a million entries, and whether the time per entry stays flat.

Plays `peak-day` against the built-in `reference` at several durations (the release wave
lengthened so the ledger grows: about 22,000 entries per simulated hour), then times judging
each world as `seatrial run` judges it (`seatrial.judge.verdict.verdict`: every invariant, the
KPIs, the timeline and the ledger's digest; building the world is not timed). Prints entries,
seconds, microseconds per entry, the slope of time over entries between the smallest and the
largest ledger, and PASS/BELOW against TARGET_SECONDS at the largest. Always exits 0.

Run from the repository root (a few minutes: the worlds are the slow part):

    .venv/bin/python bench/checks.py [--hours 4.5 9 18 48]
"""

from __future__ import annotations

import argparse
import gc
import time

from seatrial.catalogue import catalogue
from seatrial.judge.verdict import verdict
from seatrial.run import observe, play
from seatrial.targets import resolve

TARGET_SECONDS = 5.0       # every check over >= 1,000,000 entries
TARGET_ENTRIES = 1_000_000


def judged(hours: float) -> tuple[int, float]:
    """(ledger entries, wall seconds to judge them) for peak-day with an `hours`-long wave."""
    base = catalogue()["peak-day"]
    scenario = base.model_copy(update={"duration": hours * 3600.0})
    world, end = play(scenario, resolve("reference"))
    obs = observe(world, end)
    gc.collect()
    started = time.perf_counter()
    verdict(obs, "reference", started, world.messages)
    return len(world.ledger), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, nargs="+", default=[4.5, 9.0, 18.0, 48.0],
                        help="release-wave lengths to judge (simulated hours)")
    args = parser.parse_args()
    rows = []
    for hours in args.hours:
        entries, seconds = judged(hours)
        rows.append((entries, seconds))
        print(f"wave {hours:g} h: {entries:>9,} entries judged in {seconds:6.2f} s "
              f"({seconds / entries * 1e6:.2f} us per entry)", flush=True)
    (small, t_small), (large, t_large) = rows[0], rows[-1]
    slope = (t_large - t_small) / (large - small) * 1e6
    per_small, per_large = t_small / small * 1e6, t_large / large * 1e6
    print(f"slope {slope:.2f} us per added entry; per entry {per_small:.2f} -> {per_large:.2f} us "
          f"({per_large / per_small:.2f}x from {small:,} to {large:,} entries)")
    verdict_word = "PASS" if large >= TARGET_ENTRIES and t_large <= TARGET_SECONDS else "BELOW"
    print(f"{verdict_word}: {large:,} entries in {t_large:.2f} s "
          f"(target: >= {TARGET_ENTRIES:,} entries in <= {TARGET_SECONDS:g} s)")


if __name__ == "__main__":
    main()
