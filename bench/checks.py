"""The checks at scale: every invariant, the KPIs and the timeline over ledgers of 100 k to
over a million entries, and whether the time per entry stays flat; the whole verdict (the
ledger's digest too) beside them.

Plays `peak-day` against the built-in `reference` at several durations (the release wave
lengthened so the ledger grows: about 22,000 entries per simulated hour), each world built once
per run (building it is timed apart: it is the slow part, and not what is measured). Then
times, the best of --repeat each, the checks (`seatrial.judge.verdict.checks`: every
invariant, the KPIs, the timeline) and the whole verdict as `seatrial run` judges
(`verdict`: the checks and the ledger's digest, a `repr` of every entry hashed, a fingerprint
rather than a check). Prints per world the entries, the build, checks and verdict seconds,
microseconds per entry and the load average; then the slope of the checks' time over entries
(least squares over every world), the time per entry at the smallest and the largest ledger,
and PASS/BELOW for the checks against TARGET_SECONDS at the largest. Always exits 0.

The machine is often shared: read every figure beside its load average, and compare only
figures from one run.

Run from the repository root (several minutes: a world of a million entries takes a minute
or more to build):

    .venv/bin/python bench/checks.py [--hours 5 10 23 46] [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import time

from seatrial.catalogue import catalogue
from seatrial.gc_pause import paused_gc
from seatrial.judge.observation import Observation
from seatrial.judge.verdict import checks, verdict
from seatrial.run import observe, play
from seatrial.targets import resolve

TARGET_SECONDS = 5.0       # every check over >= 1,000,000 entries
TARGET_ENTRIES = 1_000_000


def built(hours: float) -> tuple[Observation, int, float]:
    """(what the checks read, messages, wall seconds to build and play it) for peak-day with an
    `hours`-long wave."""
    base = catalogue()["peak-day"]
    scenario = base.model_copy(update={"duration": hours * 3600.0})
    started = time.perf_counter()
    world, end = play(scenario, resolve("reference"))
    return observe(world, end), world.messages, time.perf_counter() - started


def judged(obs: Observation, messages: int) -> float:
    """Wall seconds of one verdict over `obs`, from a fresh observation each time: the indexes
    and views the checks share are built inside the verdict, so each repeat pays for them."""
    fresh = dataclasses.replace(obs)
    gc.collect()
    started = time.perf_counter()
    verdict(fresh, "reference", started, messages)
    return time.perf_counter() - started


def checked(obs: Observation) -> float:
    """Wall seconds of the checks alone (the verdict but the digest), from a fresh observation
    each time, as `judged`."""
    fresh = dataclasses.replace(obs)
    gc.collect()
    started = time.perf_counter()
    with paused_gc():  # as the verdict runs them
        checks(fresh)
    return time.perf_counter() - started


def slope(rows: list[tuple[int, float]]) -> float:
    """Least-squares seconds per added entry over (entries, seconds) rows."""
    mean_n = sum(n for n, _ in rows) / len(rows)
    mean_t = sum(t for _, t in rows) / len(rows)
    spread = sum((n - mean_n) ** 2 for n, _ in rows)
    return sum((n - mean_n) * (t - mean_t) for n, t in rows) / spread if spread else 0.0


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, nargs="+", default=[5.0, 10.0, 23.0, 46.0],
                        help="release-wave lengths to judge (simulated hours)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="verdicts per world; the best is reported")
    args = parser.parse_args()
    rows = []
    for hours in args.hours:
        obs, messages, build = built(hours)
        entries = len(obs.ledger)
        seconds = min(checked(obs) for _ in range(args.repeat))
        whole = min(judged(obs, messages) for _ in range(args.repeat))
        rows.append((entries, seconds))
        print(f"wave {hours:g} h: {entries:>9,} entries built in {build:6.1f} s, checked in "
              f"{seconds:6.2f} s ({seconds / entries * 1e6:.2f} us per entry); the whole verdict "
              f"(with the digest) {whole:.2f} s; {load()}", flush=True)
        del obs
    (small, t_small), (large, t_large) = rows[0], rows[-1]
    per_small, per_large = t_small / small * 1e6, t_large / large * 1e6
    print(f"slope {slope(rows) * 1e6:.2f} us per added entry (least squares); per entry "
          f"{per_small:.2f} -> {per_large:.2f} us ({per_large / per_small:.2f}x from {small:,} "
          f"to {large:,} entries)")
    verdict_word = "PASS" if large >= TARGET_ENTRIES and t_large <= TARGET_SECONDS else "BELOW"
    print(f"{verdict_word}: {large:,} entries checked in {t_large:.2f} s "
          f"(target: >= {TARGET_ENTRIES:,} entries in <= {TARGET_SECONDS:g} s); {load()}")


if __name__ == "__main__":
    main()
