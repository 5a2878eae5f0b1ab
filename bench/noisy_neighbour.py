"""Noisy neighbour: the live gate against `seatrial sut reference` with a CPU hog beside it.

A live verdict is judged on the wall clock, so a busy machine can make a correct SUT miss a
deadline. This runs what a team runs (`seatrial run --target-cmd "seatrial sut reference"`)
over the live gate suite, or the scenarios given, while a busy-loop process pinned to one CPU
(--hog-cpu, default 0) takes that core for the whole run, and reports, run by run, the pace
each played at, the harness's worst lag and the invariants violated (those that do not depend
on time marked `!`), then:

- false failures: runs with a violation (the reference holds every invariant, so each one is
  the harness convicting a correct SUT), with the invariants;
- inconclusive runs: violations the harness's own lag may explain, reported as such;
- with `--sut naive` (or any faulty SUT), the runs caught by a violation that does not depend
  on time, which the harness's lag can neither cause nor excuse;
- the wall time, and the load average before and after.

The hog is bounded: one process, one core, and it ends itself after --hog-limit seconds should
this script die before it kills it. Not a test: it always exits 0 (2 on bad options). Linux
(os.sched_setaffinity). Run from the repository root:

    .venv/bin/python bench/noisy_neighbour.py [--scenarios happy-path,tms-outage]
        [--seeds 1,2,3] [--jobs 2] [--no-hog] [--hog-cpu 0] [--time-scale S] [--sut naive]
        [--retry-inconclusive N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from seatrial.judge.invariants import MODULES

UNTIMED = {module.NAME for module in MODULES if module.LAG_WINDOW is None}
SEATRIAL = Path(sys.executable).parent / "seatrial"
HOG = """
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    pass
"""


@contextlib.contextmanager
def hog(cpu: int | None, limit: float) -> Iterator[None]:
    """A busy loop pinned to `cpu` for the block (none if `cpu` is None), killed after it."""
    if cpu is None:
        yield
        return
    process = subprocess.Popen([sys.executable, "-c", HOG, str(cpu), str(limit)])
    try:
        yield
    finally:
        process.kill()
        process.wait()


def run_gate(args: argparse.Namespace, scenarios: list[str], seed: int | None,
             report: Path) -> int:
    """`seatrial run` live against `seatrial sut <args.sut>`, its JSON report at `report`; its
    exit code."""
    command = [str(SEATRIAL), "run", *scenarios, "--target-cmd", f"{SEATRIAL} sut {args.sut}",
               "--jobs", str(args.jobs), "--retry-inconclusive", str(args.retry_inconclusive),
               "--json", str(report)]
    if seed is not None:
        command += ["--seed", str(seed)]
    if args.time_scale is not None:
        command += ["--time-scale", f"{args.time_scale:g}"]
    return subprocess.run(command, stdout=subprocess.DEVNULL, check=False).returncode


def untimed(run: dict) -> list[str]:
    """The invariants a run violated that do not depend on time."""
    return sorted({v["invariant"] for v in run["violations"]
                   if v["invariant"] in UNTIMED or v.get("timed") is False})


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="",
                        help="comma-separated scenarios (default: the gate suite)")
    parser.add_argument("--seeds", default="",
                        help="comma-separated seeds, a seatrial run each (default: each "
                             "scenario's own)")
    parser.add_argument("--jobs", type=int, default=1, help="live runs at a time (default 1)")
    parser.add_argument("--hog", action=argparse.BooleanOptionalAction, default=True,
                        help="run the CPU hog beside the gate (default: yes)")
    parser.add_argument("--hog-cpu", type=int, default=0, help="the CPU the hog takes")
    parser.add_argument("--hog-limit", type=float, default=7200.0,
                        help="wall seconds after which the hog ends itself (default 7200)")
    parser.add_argument("--time-scale", type=float, default=None,
                        help="passed to seatrial run (default: its own, auto)")
    parser.add_argument("--sut", default="reference",
                        help="the `seatrial sut` implementation (default: reference)")
    parser.add_argument("--retry-inconclusive", type=int, default=0, metavar="N",
                        help="passed to seatrial run (default 0)")
    args = parser.parse_args()
    scenarios = [name for name in args.scenarios.split(",") if name]
    try:
        seeds = [int(seed) for seed in args.seeds.split(",") if seed] or [None]
    except ValueError:
        parser.error(f"--seeds {args.seeds}: give whole numbers separated by commas, e.g. 1,2,3")
    if args.hog and args.hog_cpu not in os.sched_getaffinity(0):
        parser.error(f"--hog-cpu {args.hog_cpu}: not a CPU this process may use "
                     f"({sorted(os.sched_getaffinity(0))})")

    print(f"noisy neighbour: {', '.join(scenarios) or 'the gate suite'} live against "
          f"seatrial sut {args.sut}, seeds {args.seeds or 'their own'}, --jobs {args.jobs}, "
          + (f"CPU hog on CPU {args.hog_cpu}" if args.hog else "no hog")
          + f"; load average {load()}", flush=True)
    runs, codes = [], []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="seatrial-noisy-") as work, \
            hog(args.hog_cpu if args.hog else None, args.hog_limit):
        for seed in seeds:
            report = Path(work) / f"seed-{seed}.json"
            codes.append(run_gate(args, scenarios, seed, report))
            if report.exists():
                runs += json.loads(report.read_text())["runs"]
    wall = time.monotonic() - started

    for run in runs:
        live = run.get("live") or {}
        lag = live.get("lag") or {}
        marked = [f"{name}!" if name in untimed(run) else name for name in run["violated"]]
        shown = ", ".join(marked) or ", ".join(
            sorted({item["invariant"] for item in run["inconclusive"]})) or "-"
        reruns = f" after {len(run['earlier'])} rerun(s)" if run.get("earlier") else ""
        print(f"  {run['scenario']:<24} seed {run['seed']:>3}  {run['outcome']:<12} "
              f"{live.get('pace', {}).get('scale', 0):>6g}x  lag "
              f"{lag.get('worst_wall_ms', 0):>6g} ms{reruns}  {shown}")
    failures = [run for run in runs if run["violations"]]
    inconclusive = [run for run in runs if run["outcome"] == "inconclusive"]
    caught = [run for run in runs if untimed(run)]
    print(f"runs: {len(runs)}; with a violation (false failures for the reference): "
          f"{len(failures)}; inconclusive: {len(inconclusive)}; caught by a violation that "
          f"does not depend on time: {len(caught)}; seatrial exit codes: {codes}")
    print(f"wall time: {wall:.1f} s; load average after: {load()}")


if __name__ == "__main__":
    main()
