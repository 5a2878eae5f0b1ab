"""What a load profile in loadtests/ imports: Locust users that release orders into the ERP
simulator, the shape that runs the profile then drains and gates it, and the command-line
options. A profile file is three lines: `use(LoadProfile(...))` and these classes imported.

Importing this module imports Locust (which patches the process with gevent), so only a
Locust process imports it. The simulators run in their own process (`seatrial load-service`),
started by the master (or the single local runner) when the test starts, with a fresh secret
its POSTs require; the workers get the service's URL and that secret with the master's spawn
messages (Locust sends them the master's parsed options).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NoReturn

import gevent
import psutil
from gevent.pool import Group
from locust import FastHttpUser, LoadTestShape, events, task
from locust.env import Environment
from locust.runners import WorkerRunner

from seatrial.cli_input import InputError, check_writable
from seatrial.durations import parse_duration
from seatrial.live import control
from seatrial.live.settings import LOAD_SECRET
from seatrial.load.arrivals import InFlight, arrival_times
from seatrial.load.gate import (
    DROPPED,
    RELEASE,
    Row,
    cleared_after,
    evaluate,
    level_before,
    render,
)
from seatrial.load.plan import DEFAULT_BASELINE, LoadProfile, LoadRun
from seatrial.report.files import ReportWriteError
from seatrial.report.html import write_html

__all__ = ["LoadProfile", "OrderArrivals", "OrderReleaser", "ProfileShape", "use"]

log = logging.getLogger("seatrial.load")
INPUT_ERROR = 2
REPORT_WAIT = 3.5  # wall seconds: a worker reports its stats every 3
STOP_GRACE = 2.0  # wall seconds for the workers to stop their drivers
SERVICE_START = 60.0  # wall seconds for the simulators and the SUT to come up
# where the service's secret travels, in the master's parsed options (to the workers too)
SECRET_OPTION = "seatrial_load_secret"
_profile: LoadProfile | None = None


def use(profile: LoadProfile) -> LoadProfile:
    """Make `profile` the one this locustfile runs."""
    global _profile
    profile.validate()
    _profile = profile
    return profile


class DroppedArrival(Exception):
    """An arrival that found the in-flight cap full."""


def service_auth(environment: Environment) -> dict[str, str]:
    """The header the simulator service's POSTs require: its secret, from the master."""
    return control.bearer(getattr(environment.parsed_options, SECRET_OPTION, None))


def load_run(environment: Environment) -> LoadRun:
    """The registered profile with this run's numbers from the command line."""
    if _profile is None:
        raise RuntimeError("this locustfile registers no Seatrial profile: call "
                           "seatrial.load.locustfile.use(LoadProfile(...)) at import")
    options = environment.parsed_options
    return LoadRun(_profile, baseline=options.baseline, multiplier=options.multiplier,
                   duration=None if options.duration is None
                   else parse_duration(options.duration),
                   seed=options.seed, time_scale=options.time_scale)


class OrderArrivals(FastHttpUser):
    """Open model: each of the profile's drivers runs its share of one Poisson arrival process.
    An arrival releases an order (POST /orders); its latency runs from its intended start, and
    one that finds the in-flight cap full is dropped and counted (DROP release order)."""

    started = 0  # drivers started in this process, for distinct random streams

    def __init__(self, environment: Environment) -> None:
        profile = load_run(environment).profile
        self.concurrency = max(1, profile.in_flight // profile.drivers)  # its connections
        super().__init__(environment)

    def wait_time(self) -> float:
        return 1.0  # not reached: arrive() never returns, the shape stops the drivers

    @task
    def arrive(self) -> None:
        run = load_run(self.environment)
        profile = run.profile
        OrderArrivals.started += 1
        worker = getattr(self.environment.runner, "worker_index", 0)
        rng = random.Random(f"{run.seed}:arrivals:{worker}:{OrderArrivals.started}")
        cap = InFlight(self.concurrency)
        start = time.perf_counter()
        pending = Group()
        for at in arrival_times(rng, run.rate_at, run.peak_rate, run.seconds,
                                1 / profile.drivers):
            intended = start + at
            gevent.sleep(max(0.0, intended - time.perf_counter()))
            if cap.admit():
                pending.spawn(self._release, intended, cap)
            else:
                self.environment.events.request.fire(
                    request_type=DROPPED[0], name=DROPPED[1], response_time=0,
                    response_length=0, context={},
                    exception=DroppedArrival(f"in-flight cap of {cap.cap} full"))
        pending.join()
        while True:
            gevent.sleep(60)  # the profile's arrivals are over; the shape stops the users

    def _release(self, intended: float, cap: InFlight) -> None:
        try:
            with self.client.post("/orders", name=RELEASE[1], catch_response=True,
                                  headers=service_auth(self.environment)) as answer:
                answer.request_meta["response_time"] = (time.perf_counter() - intended) * 1000
                if answer.status_code != 201:
                    answer.failure(f"HTTP {answer.status_code}: {answer.text[:200]}")
        finally:
            cap.done()


class OrderReleaser(FastHttpUser):
    """Closed model, Locust's own: each of the profile's drivers releases an order, waits for
    the answer, then paces itself so that together they hold the profile's rate."""

    def on_start(self) -> None:
        self.run = load_run(self.environment)
        self.begun = time.perf_counter()
        self.last = self.begun

    def wait_time(self) -> float:
        rate = self.run.rate_at(time.perf_counter() - self.begun) / self.run.profile.drivers
        if rate <= 0:
            return 1.0
        return max(0.0, self.last + 1 / rate - time.perf_counter())

    @task
    def release(self) -> None:
        self.last = time.perf_counter()
        if self.run.rate_at(self.last - self.begun) <= 0:
            return
        with self.client.post("/orders", name=RELEASE[1], catch_response=True,
                              headers=service_auth(self.environment)) as answer:
            if answer.status_code != 201:
                answer.failure(f"HTTP {answer.status_code}: {answer.text[:200]}")


class ProfileShape(LoadTestShape):
    """The profile's drivers for its duration; then none, and once they have stopped, the
    simulator service drains the backlog and judges; then the business latencies and the
    gate, and the end."""

    def __init__(self) -> None:
        super().__init__()
        self.started = False
        self.finishing: gevent.Greenlet | None = None

    def tick(self) -> tuple[int, float] | None:
        environment = self.runner.environment
        run = load_run(environment)
        drivers = run.profile.drivers
        if not self.started:
            self.started = True
            _service_call(environment, "POST", "/start")
        elapsed = self.get_run_time()
        if elapsed < run.seconds:
            return drivers, drivers
        if elapsed < run.seconds + STOP_GRACE:
            return 0, drivers  # every driver stops before the service stops taking orders
        if self.finishing is None:
            self.finishing = gevent.spawn(finish, environment, run)
        if not self.finishing.ready():
            return 0, drivers
        self.finishing.get()  # a failure to finish is raised here, in the shape's greenlet
        return None


def finish(environment: Environment, run: LoadRun) -> None:
    """Drain and judge on the service, put the wall-time samples into Locust's stats as their
    own rows, evaluate the gate and set the exit code."""
    stopped = time.monotonic()
    answer = _service_call(environment, "POST", "/finish", {"drain": run.profile.drain},
                           timeout=run.profile.drain + 600)
    fire = environment.events.request.fire
    for kind, named in answer["samples"].items():
        for name, values in named.items():
            for value in values:
                fire(request_type=kind, name=name, response_time=value, response_length=0,
                     exception=None, context={})
    backlog = answer["backlog"]
    _fire_backlog(fire, "shipment backlog cleared after load",
                  cleared_after(backlog, answer["load_ended"]))
    if (outage := run.profile.outage) is not None:
        began, ended = outage.at * run.seconds, (outage.at + outage.lasting) * run.seconds
        _fire_backlog(fire, f"shipment backlog recovered after {outage.system} outage",
                      cleared_after(backlog, ended, level_before(backlog, began)))
    gevent.sleep(max(0.0, stopped + REPORT_WAIT - time.monotonic()))  # the workers' last stats
    stats = environment.stats
    rows = [Row(entry.method, entry.name, entry.num_requests, entry.num_failures,
                entry.get_response_time_percentile(0.95) if entry.num_requests else 0.0)
            for entry in stats.entries.values()]
    verdict = evaluate(rows, run.profile.thresholds, answer)
    exit_code = 0 if verdict.passed else 1
    report = environment.parsed_options.seatrial_html
    if report:
        try:
            write_html([answer["run"]], Path(report), f"Seatrial load: {run.profile.name}")
        except ReportWriteError as error:  # the verdict stands in the output; the file is lost
            sys.stderr.write(f"seatrial load: --html {error}\n")
            exit_code = INPUT_ERROR
    for reason in verdict.failures:
        stats.log_error("GATE", reason.split(":")[0], reason)
    environment.seatrial_gate = verdict  # type: ignore[attr-defined]
    environment.process_exit_code = exit_code
    gevent.sleep(1.5)  # the CSV writer rewrites its files every second


def _fire_backlog(fire: Any, name: str, seconds: float | None) -> None:
    """A backlog's clearing time as a row; one that never cleared is a failed sample."""
    fire(request_type="BACKLOG", name=name, response_time=(seconds or 0.0) * 1000,
         response_length=0, context={},
         exception=None if seconds is not None else RuntimeError("never cleared"))


def _service_call(environment: Environment, method: str, path: str,
                  body: dict[str, Any] | None = None, timeout: float = 30.0) -> dict[str, Any]:
    import httpx  # gevent-patched sockets by now: a blocking call yields to other greenlets

    answer = httpx.request(method, environment.host + path, json=body, timeout=timeout,
                           headers=service_auth(environment))
    answer.raise_for_status()
    return answer.json()


# --- options and the simulator service ------------------------------------------------------

@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("Seatrial", "the sync implementation under load")
    group.add_argument("--target", metavar="URL", help="A running SUT's base URL.")
    group.add_argument("--target-cmd", metavar="CMD", help="A command that starts the SUT on "
                       "$PORT (Seatrial starts, health-checks and stops it).")
    group.add_argument("--baseline", type=float, default=DEFAULT_BASELINE,
                       metavar="ORDERS_PER_HOUR",
                       help="Orders an hour on a normal day (default %(default)g).")
    group.add_argument("--multiplier", type=float, default=None, metavar="X",
                       help="Headroom over the calendar day (default: the profile's; "
                            "1.5 rehearses at 150%% of last year's peak).")
    group.add_argument("--duration", default=None, metavar="D",
                       help="How long the load runs, e.g. 90s or 10m (default: the profile's);"
                            " the drain and the gate follow it.")
    group.add_argument("--seed", type=int, default=1, help="Seed of the simulated world.")
    group.add_argument("--time-scale", type=float, default=None, metavar="X",
                       help="Simulated seconds per wall second for the lifecycles "
                            "(default: the profile's).")
    group.add_argument("--seatrial-html", default=None, metavar="FILE",
                       help="Write Seatrial's HTML report of the judged run here: its "
                            "timeline, the invariants and their evidence diagrams.")
    group.add_argument("--simulators-host", default="127.0.0.1", metavar="HOST",
                       help="Address the simulator service binds and announces to the "
                            "workers: the master's address on their network for remote ones.")


@events.init.add_listener
def _start_service(environment: Environment, **_kwargs: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return  # the master starts the one simulator service; its URL comes as the host
    run = _checked_run(environment)
    options = environment.parsed_options
    service = _spawn_service(run, options)
    environment.host = service.url
    options.host = service.url
    setattr(options, SECRET_OPTION, service.secret)  # the workers' copy: with the spawn message

    @events.quitting.add_listener
    def _stop_service(environment: Environment, **_kwargs: Any) -> None:
        service.stop()
        if getattr(environment, "seatrial_gate", None) is None:
            environment.process_exit_code = INPUT_ERROR

    @events.quit.add_listener
    def _report(**_kwargs: Any) -> None:  # after Locust's own tables, next to the exit code
        verdict = getattr(environment, "seatrial_gate", None)
        print(render(verdict) if verdict is not None else
              "\nSeatrial load gate: NOT EVALUATED (the load was stopped before its profile "
              "ended: run it to the end, and bound it with --duration, not --run-time)",
              flush=True)


def _checked_run(environment: Environment) -> LoadRun:
    """The run's options, or exit 2 naming the option and the fix."""
    options = environment.parsed_options

    def refuse(message: str) -> NoReturn:
        sys.stderr.write(f"seatrial load: {message}\n")
        _end_forked_workers()
        sys.exit(INPUT_ERROR)

    if (options.target is None) == (options.target_cmd is None):
        refuse("give the SUT with exactly one of --target URL or --target-cmd CMD")
    if getattr(options, "run_time", None):
        refuse("--run-time: leave it out and use --duration: after the load the gate drains "
               "the backlog and judges the invariants, which --run-time would cut off")
    if not options.baseline > 0:
        refuse(f"--baseline {options.baseline:g}: orders an hour must be > 0, e.g. 400")
    if options.multiplier is not None and not options.multiplier > 0:
        refuse(f"--multiplier {options.multiplier:g}: must be > 0, e.g. 1.5")
    if options.time_scale is not None and not 1 <= options.time_scale <= 1_000_000:
        refuse(f"--time-scale {options.time_scale:g}: must be between 1 and 1000000")
    try:
        run = load_run(environment)
    except ValueError as error:
        refuse(f"--duration {options.duration}: {error}")
    except RuntimeError as error:
        refuse(str(error))
    try:
        check_writable("--seatrial-html", Path(options.seatrial_html or "."))
    except InputError as error:
        refuse(error.message)
    if not run.seconds > 0:
        refuse(f"--duration {options.duration}: must be longer than 0s, e.g. 90s")
    try:
        run.scenario()
    except ValueError as error:
        refuse(f"--duration x --time-scale: {error}".splitlines()[0] + " (a run's simulated "
               "span, duration x time scale, must stay within 30 days)")
    return run


def _end_forked_workers() -> None:
    """`--processes N` forks the workers before the master reads the options: a master that
    refuses them exits, and its workers would wait a minute for it (and a rerun meanwhile
    would see their stray reports). End them with it."""
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _gone, alive = psutil.wait_procs(psutil.Process().children(), timeout=5)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()


class _Service:
    def __init__(self, process: subprocess.Popen, url: str, scenario: Path, secret: str) -> None:
        self.process, self.url, self.scenario, self.secret = process, url, scenario, secret

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.scenario.unlink(missing_ok=True)


def _spawn_service(run: LoadRun, options: Any) -> _Service:
    from seatrial.scenario_yaml import dump_scenario

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="seatrial-load-",
                                     delete=False) as file:
        file.write(dump_scenario(run.scenario(), complete=True))
    scenario = Path(file.name)
    target = (["--target", options.target] if options.target is not None
              else ["--target-cmd", options.target_cmd])
    secret = control.new_secret()  # this run's: only the master and its workers know it
    process = subprocess.Popen(
        [sys.executable, "-m", "seatrial", "load-service", "--scenario", str(scenario),
         *target, "--host", options.simulators_host],
        stdout=subprocess.PIPE, text=True, env={**os.environ, LOAD_SECRET: secret})
    line = _first_line(process)
    if not line:
        code = process.wait()
        scenario.unlink(missing_ok=True)
        sys.stderr.write("seatrial load: the simulator service did not start "
                         f"(exit {code}); its message is above\n")
        sys.exit(code if code == INPUT_ERROR else 1)
    url = json.loads(line)["url"]
    log.info("Seatrial simulator service at %s", url)
    return _Service(process, url, scenario, secret)


def _first_line(process: subprocess.Popen) -> str:
    with gevent.Timeout(SERVICE_START, False):
        return process.stdout.readline()
    process.terminate()
    return ""
