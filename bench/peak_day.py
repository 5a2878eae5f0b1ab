"""Peak-day throughput: Seatrial in-process vs raw SimPy message passing, in one process.

Measures, side by side on one core:

1. Seatrial on the `peak-day` catalogue scenario against the built-in `reference` target:
   simulated boundary messages (webhook deliveries and the SUT's answers, API requests and their
   answers; so two per exchange) and ledger entries per wall-second
   of `World.run()` (building the world is not timed), time compression (simulated seconds per
   wall-second), and `run_scenario` end to end (build + run + invariant checks + KPIs).
2. Raw SimPy: a producer doing `store.put(msg)` and a consumer doing `yield store.get()` on a
   `simpy.Store`, one put + one get per message, no timeouts. Like `World.run()`, it runs with
   the cyclic garbage collector disabled, so both sides are timed under the same conditions.
3. Seatrial msgs/s as a percentage of raw SimPy msgs/s, checked against the targets
   below (TARGET_*).

Each measurement is the best of --repeat runs. Prints PASS/BELOW per target; always exits 0.

Run from the repository root:

    .venv/bin/python bench/peak_day.py [--seed N] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import time

import simpy

from seatrial.catalogue import catalogue
from seatrial.run import run_scenario
from seatrial.targets import resolve
from seatrial.world import World

RAW_MESSAGES = 300_000
TARGET_MSGS_PER_S = 50_000
TARGET_RATIO = 0.25
TARGET_COMPRESSION = 1_000


def raw_simpy(n: int) -> float:
    """Wall seconds to pass n messages through a simpy.Store (one put + one get each)."""
    env = simpy.Environment()
    store = simpy.Store(env)

    def producer():
        for i in range(n):
            yield store.put(i)

    def consumer():
        for _ in range(n):
            yield store.get()

    env.process(producer())
    env.process(consumer())
    collecting = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        env.run()
        return time.perf_counter() - started
    finally:
        if collecting:
            gc.enable()


def seatrial_run(scenario, target) -> tuple[float, float, int, int, int]:
    """(wall seconds of world.run(), simulated end, messages, exchanges, ledger entries)."""
    gc.collect()  # the previous repeat's world must not weigh on this one
    world = World(scenario, target.factory)
    started = time.perf_counter()
    end = world.run()
    wall = time.perf_counter() - started
    return wall, end, world.messages, world.exchanges, len(world.ledger)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "BELOW"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="scenario seed (default: its own)")
    parser.add_argument("--repeat", type=int, default=1, help="best of R runs (default 1)")
    args = parser.parse_args()

    scenario = catalogue()["peak-day"]
    if args.seed is not None:
        scenario = scenario.with_seed(args.seed)
    target = resolve("reference")
    repeat = max(1, args.repeat)

    raw_wall = min(raw_simpy(RAW_MESSAGES) for _ in range(repeat))
    wall, end, messages, exchanges, entries = min(
        seatrial_run(scenario, target) for _ in range(repeat))
    e2e = min(run_scenario(scenario, target).wall_seconds for _ in range(repeat))
    raw_wall = min(raw_wall, *(raw_simpy(RAW_MESSAGES) for _ in range(repeat)))

    raw_rate = RAW_MESSAGES / raw_wall
    rate = messages / wall
    compression = end / wall
    ratio = rate / raw_rate

    print(f"peak-day seed={scenario.seed} target=reference best of {repeat}")
    print(f"  seatrial world.run()     {wall:9.3f} s wall  {end:12,.0f} s simulated")
    print(f"    messages               {messages:12,d}  -> {rate:12,.0f} msgs/s"
          "  (each request and each answer)")
    print(f"    exchanges              {exchanges:12,d}  -> {exchanges / wall:12,.0f} /s"
          "  (deliveries + API calls)")
    print(f"    ledger entries         {entries:12,d}  -> {entries / wall:12,.0f} entries/s")
    print(f"    time compression       {compression:12,.0f}x")
    print(f"  end-to-end incl. checks  {e2e:9.3f} s wall (run_scenario)")
    print(f"  raw simpy Store put/get  {raw_wall:9.3f} s wall  {RAW_MESSAGES:,d} msgs"
          f"  -> {raw_rate:12,.0f} msgs/s")
    print(f"  seatrial / raw simpy     {ratio:12.1%}")
    print("targets:")
    for label, ok, shown in (
        (f">= {TARGET_MSGS_PER_S:,} simulated msgs/wall-s", rate >= TARGET_MSGS_PER_S,
         f"{rate:,.0f}"),
        (f">= {TARGET_RATIO:.0%} of raw SimPy", ratio >= TARGET_RATIO, f"{ratio:.1%}"),
        (f">= {TARGET_COMPRESSION:,}x time compression", compression >= TARGET_COMPRESSION,
         f"{compression:,.0f}x"),
    ):
        print(f"  {label:34} {verdict(ok):5}  ({shown})")


if __name__ == "__main__":
    main()
