"""Load capacity: the orders a second one simulator service sustains, and what a Locust core
sends.

A load profile only rehearses a peak if neither the simulators nor the generator is the
bottleneck, so this measures both on this machine, in one run:

1. Sustained orders/s for the reference sync implementation plus one simulator service. For
   each offered rate R (orders a wall second), a flat profile runs under `seatrial load`, the
   very command a team runs: Locust's open-model arrivals at R for --window seconds, a fresh
   simulator service with `seatrial sut reference`, the drain, every invariant and the gate's
   default thresholds. A step holds when the gate passes (exit 0): no dropped arrivals, p95s
   within limits, the shipment backlog cleared, every invariant held. Sustained is the highest
   rate before the first step that fails. CPU per order: the whole stack's (Locust, the
   service, the SUT) from the children's resource usage, and the simulator service's alone
   (from its gate note): 1000 / that is what one core of simulators serves at most.
2. Generator cost: the bare JSON echo of bench/live_api.py (uvicorn + httptools, ~30k req/s,
   not the bottleneck) loaded for --generator-seconds by (a) Locust headless in one process
   with FastHttpUser and (b) a sequential geventhttpclient HTTPClient loop on one keep-alive
   connection (what FastHttpUser sends with), each in its own process. Requests per wall
   second and per CPU-second of the load itself (imports and startup excluded), and the
   Locust / bare ratio.

Run from the repository root (Linux; a default run takes about 4 minutes):

    .venv/bin/python bench/load.py [--rates 5,10,20,40,80,160] [--window 10]
        [--time-scale 14400] [--generator-seconds 10] [--users 8] [--json PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from seatrial.live.runner import free_port

BENCH = Path(__file__).resolve().parent
SEATRIAL = Path(sys.executable).parent / "seatrial"
FLAT = """
from seatrial.load.locustfile import OrderArrivals, ProfileShape, use  # noqa: F401
from seatrial.load.plan import LoadProfile

use(LoadProfile("bench-flat"))
"""

LOCUSTFILE = '''
import json, os, resource, time
from locust import FastHttpUser, constant, events, task


class Echo(FastHttpUser):
    wait_time = constant(0)

    @task
    def echo(self):
        self.client.get("/echo")


began = {}


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@events.test_start.add_listener
def start(**_kwargs):
    began.update(wall=time.perf_counter(), cpu=cpu())


@events.test_stop.add_listener
def stop(environment, **_kwargs):
    total = environment.stats.total
    with open(os.environ["BENCH_OUT"], "w") as out:
        json.dump({"requests": total.num_requests, "failures": total.num_failures,
                   "wall": time.perf_counter() - began["wall"], "cpu": cpu() - began["cpu"]},
                  out)
'''


@dataclass
class Step:
    """One offered rate through `seatrial load`, and its gate's verdict."""

    rate: float
    achieved: float  # releases answered a second
    dropped: int
    p95_ms: dict[str, float]  # Locust's rows, "TYPE name"
    cpu_ms_per_order: float  # the whole stack: Locust, the simulator service, the SUT
    service_cpu_ms_per_order: float | None  # the simulator service alone (its gate note)
    exit_code: int
    failures: list[str]  # the gate's FAIL lines

    @property
    def held(self) -> bool:
        return self.exit_code == 0


# --- part 1: sustained orders/s ---------------------------------------------------------------

def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_step(rate: float, args: argparse.Namespace) -> Step:
    """A flat profile at `rate` orders/s under `seatrial load`, against a fresh world."""
    with tempfile.TemporaryDirectory() as tmp:
        profile, prefix = Path(tmp) / "flat.py", Path(tmp) / "run"
        profile.write_text(FLAT)
        cpu = children_cpu()
        done = subprocess.run(
            [str(SEATRIAL), "load", "--profile", str(profile), "--target-cmd",
             f"{SEATRIAL} sut reference", "--baseline", f"{rate * 3600:g}",
             "--duration", f"{args.window:g}s", "--time-scale", f"{args.time_scale:g}",
             "--csv", str(prefix)], capture_output=True, text=True)
        cpu = children_cpu() - cpu
        if "Seatrial load gate:" not in done.stdout:
            raise SystemExit(f"seatrial load exited {done.returncode} without a verdict:\n"
                             f"{done.stderr[-3000:]}")
        with open(f"{prefix}_stats.csv", newline="") as file:
            rows = {f"{row['Type']} {row['Name']}": row for row in csv.DictReader(file)
                    if row["Type"]}
    released = int(rows.get("POST release order", {}).get("Request Count", 0))
    gate = done.stdout[done.stdout.index("Seatrial load gate:"):].splitlines()
    service = next((re.search(r"simulator service: ([\d.]+) CPU-ms", line) for line in gate
                    if "simulator service:" in line), None)
    return Step(rate=rate, achieved=released / args.window,
                dropped=int(rows.get("DROP release order", {}).get("Request Count", 0)),
                p95_ms={name: float(row["95%"]) for name, row in rows.items()
                        if row["95%"] not in ("N/A", "")},
                cpu_ms_per_order=1000 * cpu / max(1, released),
                service_cpu_ms_per_order=float(service.group(1)) if service else None,
                exit_code=done.returncode,
                failures=[line.strip()[5:] for line in gate if line.strip().startswith("FAIL")])


def worst(step: Step, prefix: str) -> str:
    """The highest p95 of the rows starting with `prefix` (webhooks have one row per type)."""
    values = [v for row, v in step.p95_ms.items() if row.startswith(prefix)]
    return f"{max(values):,.0f}" if values else "-"


def sustained(args: argparse.Namespace) -> tuple[list[Step], float | None]:
    """Part 1: the steps up the rates and the highest rate that held."""
    print(f"sustained orders/s: reference SUT + one simulator service through seatrial load, "
          f"{args.window:g} s at each rate, time scale {args.time_scale:g}")
    print(f"{'R/s':>6}{'ach./s':>8}{'drop':>6}{'p95 POST':>10}{'WEBHOOK':>9}{'order->sh':>11}"
          f"{'POD->inv':>10}{'CPU ms/order: all':>19}{'service':>9}  gate")
    steps: list[Step] = []
    best = None
    for rate in args.rates:
        step = run_step(rate, args)
        steps.append(step)
        print(f"{rate:>6g}{step.achieved:>8.1f}{step.dropped:>6}{worst(step, 'POST '):>10}"
              f"{worst(step, 'WEBHOOK '):>9}{worst(step, 'FLOW order -> shipment'):>11}"
              f"{worst(step, 'FLOW POD -> invoice'):>10}{step.cpu_ms_per_order:>19.1f}"
              f"{step.service_cpu_ms_per_order or math.nan:>9.1f}  "
              f"{'passed' if step.held else 'FAILED'}", flush=True)
        for reason in step.failures:
            print(f"{'':>8}{reason}")
        if not step.held:
            break
        best = rate
    print(f"sustained: {best:g} orders/s" if best is not None else
          "sustained: none (the lowest rate did not hold)")
    return steps, best


# --- part 2: the generator's cost -------------------------------------------------------------

def cpu_now() -> float:
    """This process's CPU seconds, to time the load and not the imports."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bare_loop(url: str, seconds: float) -> dict[str, float]:
    """Sequential GETs on one keep-alive connection with geventhttpclient, as FastHttpUser
    sends them, with none of Locust's scheduling or stats."""
    from geventhttpclient import HTTPClient

    host, port = url.removeprefix("http://").split(":")
    client = HTTPClient(host, int(port), concurrency=1)
    requests = failures = 0
    began, cpu_began = time.perf_counter(), cpu_now()
    end = began + seconds
    while time.perf_counter() < end:
        response = client.get("/echo")
        response.read()
        requests += 1
        failures += response.status_code != 200
    client.close()
    return {"requests": requests, "failures": failures, "wall": time.perf_counter() - began,
            "cpu": cpu_now() - cpu_began}


@contextlib.contextmanager
def echo_server() -> Iterator[str]:
    """bench/live_api.py's bare echo on uvicorn + httptools, in its own process."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen([sys.executable, str(BENCH / "live_api.py"), "serve",
                                   "uvicorn-httptools", "echo", str(port),
                                   str(Path(tmp) / "info.json")])
        try:
            deadline = time.monotonic() + 30
            while not _listening(port):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the echo server did not start")
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(10)


def _listening(port: int) -> bool:
    """Whether something accepts connections on the port yet."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def locust_run(url: str, seconds: float, users: int) -> dict[str, float]:
    """Locust headless, one process; LOCUSTFILE reports its counts and CPU from inside."""
    with tempfile.TemporaryDirectory() as tmp:
        locustfile, out = Path(tmp) / "locustfile.py", Path(tmp) / "out.json"
        locustfile.write_text(LOCUSTFILE)
        done = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
             "-u", str(users), "-r", str(users), "-t", f"{seconds:g}s", "--host", url,
             "--only-summary", "--loglevel", "WARNING"],
            capture_output=True, text=True, env={**os.environ, "BENCH_OUT": str(out)})
        if not out.exists():
            raise SystemExit(f"locust failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
        return json.loads(out.read_text())


def bare_run(url: str, seconds: float) -> dict[str, float]:
    """bare_loop in a process of its own, as Locust has one."""
    done = subprocess.run([sys.executable, __file__, "bare", url, str(seconds)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def generator(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Part 2: Locust beside the bare loop against the same echo, in the same run."""
    print(f"\ngenerator cost: bare JSON echo (uvicorn + httptools), {args.generator_seconds:g} s "
          "each, one process each, CPU of the load only")
    with echo_server() as url:
        measured = {f"locust FastHttpUser x{args.users}":
                    locust_run(url, args.generator_seconds, args.users),
                    "bare HTTPClient loop": bare_run(url, args.generator_seconds)}
    print(f"{'':<26}{'requests':>10}{'failed':>8}{'req/s':>10}{'CPU-s':>7}{'req/CPU-s':>11}")
    for name, m in measured.items():
        m["per_second"] = m["requests"] / m["wall"]
        m["per_cpu_second"] = m["requests"] / m["cpu"] if m["cpu"] else math.nan
        print(f"{name:<26}{m['requests']:>10,.0f}{m['failures']:>8,.0f}{m['per_second']:>10,.0f}"
              f"{m['cpu']:>7.2f}{m['per_cpu_second']:>11,.0f}")
    locust, bare = measured.values()
    print(f"{'locust / bare':<26}{'':>18}{locust['per_second'] / bare['per_second']:>10.0%}"
          f"{'':>7}{locust['per_cpu_second'] / bare['per_cpu_second']:>11.0%}")
    return measured


def main() -> None:
    """Both parts in one run; `bare URL SECONDS` is the bare loop's own process."""
    if len(sys.argv) > 1 and sys.argv[1] == "bare":
        print(json.dumps(bare_loop(sys.argv[2], float(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="5,10,20,40,80,160",
                        type=lambda text: [float(r) for r in text.split(",")],
                        help="offered orders/s, in the order tried (default %(default)s)")
    parser.add_argument("--window", type=float, default=10.0, help="wall seconds of arrivals")
    parser.add_argument("--time-scale", type=float, default=14400.0,
                        help="simulated seconds per wall second for the lifecycles (high, so "
                             "each step's drain is short)")
    parser.add_argument("--generator-seconds", type=float, default=10.0,
                        help="wall seconds of load for Locust and for the bare loop each")
    parser.add_argument("--users", type=int, default=8, help="Locust users (default 8)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, {sys.version.split()[0]}")
    steps, best = sustained(args)
    measured = generator(args)
    if args.json is not None:
        args.json.write_text(json.dumps({
            "settings": {**vars(args), "json": str(args.json)}, "cpus": os.cpu_count(),
            "steps": [{**asdict(step), "held": step.held} for step in steps],
            "sustained_orders_per_second": best, "generator": measured}, indent=2))


if __name__ == "__main__":
    main()
