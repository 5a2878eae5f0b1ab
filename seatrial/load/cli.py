"""`seatrial load` (a profile from loadtests/ under the stock Locust CLI, headless) and
`seatrial load-service` (the simulators and the SUT of one load test, in their own process)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import click

from seatrial.cli_input import (
    InputError,
    exit_codes,
    html_option,
    live_target,
    seed_option,
    target_cmd_option,
    target_option,
)
from seatrial.live.runner import LiveOptions, LiveTargetError

# Files Locust runs in its own process, not modules of ours: found, never imported here.
LOADTESTS = Path(resources.files("seatrial.loadtests"))


def profiles() -> dict[str, Path]:
    """The shipped profiles by name (black_friday.py is black-friday)."""
    return {path.stem.replace("_", "-"): path for path in sorted(LOADTESTS.glob("*.py"))
            if not path.name.startswith("_")}


def find_profile(spec: str) -> Path:
    """A shipped profile's name, or the path of a locustfile of your own."""
    path = Path(spec)
    if path.suffix == ".py":
        if not path.is_file():
            raise InputError(f"--profile {spec}: no such file")
        return path
    known = profiles()
    if spec not in known:
        raise InputError(f"--profile {spec}: no such profile; choose one of "
                         f"{', '.join(known)}, or give the path of a locustfile")
    return known[spec]


@click.command("load", short_help="Run a load profile with Locust against a live SUT; gate on it.",
               epilog=exit_codes(
    {0: "the gate passed",
     1: "a threshold or an invariant failed: the report after Locust's tables names each",
     2: "bad input (the message names the flag), or the run was stopped before its profile "
        "ended, so nothing was judged",
     130: "interrupted"}))
@click.option("--profile", "profile", required=True, metavar="NAME|FILE.py",
              help=f"A profile from loadtests/ ({', '.join(profiles())}) or the path of your "
                   f"own locustfile.")
@target_option("running")
@target_cmd_option
@click.option("--baseline", type=float, metavar="ORDERS_PER_HOUR",
              help="Orders an hour on a normal day (default 400).")
@click.option("--multiplier", type=float, metavar="X",
              help="Headroom over the calendar day (default: the profile's; 1.5 for the peak "
                   "profiles).")
@click.option("--duration", metavar="D", help="How long the load runs, e.g. 90s or 10m "
              "(default: the profile's, 120s for most); the drain and the gate follow.")
@seed_option("The simulated world's seed (default 1).")
@click.option("--time-scale", type=float, metavar="X",
              help="Simulated seconds per wall second for the lifecycles (default: the "
                   "profile's).")
@click.option("--processes", type=click.IntRange(min=1), metavar="N",
              help="Locust worker processes on this machine (default: one process).")
@html_option("Write Seatrial's HTML report of the judged run here: its timeline over "
             "simulated time, the invariants, their evidence diagrams (docs/reports.md); under "
             "stock locust -f this is --seatrial-html.")
@click.option("--locust-html", "locust_html", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write Locust's own HTML report here (requests, latencies, the FLOW, "
                   "WEBHOOK, BACKLOG and gate rows).")
@click.option("--csv", "csv", metavar="PREFIX", help="Write Locust's CSV files with this prefix.")
def load(profile: str, target: str | None, target_cmd: str | None, baseline: float | None,
         multiplier: float | None, duration: str | None, seed: int | None,
         time_scale: float | None, processes: int | None, html_path: Path | None,
         locust_html: str | None, csv: str | None) -> None:
    """Run a load profile headless under the stock Locust CLI against a live SUT, then drain
    the backlog, judge every invariant and gate on the profile's thresholds: p95 per request
    type and business flow, failure ratio, dropped arrivals (docs/load-profiles.md).

    Orders arrive as an open-model Poisson process at baseline x calendar day x multiplier;
    the simulators, in their own process (seatrial load-service), fan each order out into its
    lifecycle of signed webhooks. `locust -f loadtests/black_friday.py --headless ...` runs
    the same."""
    if (target is None) == (target_cmd is None):
        raise InputError("give the SUT with exactly one of --target URL or --target-cmd CMD")
    argv = [sys.executable, "-m", "locust", "-f", str(find_profile(profile)), "--headless",
            "--only-summary"]
    flags = {"--target": target, "--target-cmd": target_cmd, "--baseline": baseline,
             "--multiplier": multiplier, "--duration": duration, "--seed": seed,
             "--time-scale": time_scale, "--processes": processes, "--seatrial-html": html_path,
             "--html": locust_html, "--csv": csv}
    for flag, value in flags.items():
        if value is not None:
            argv += [flag, str(value)]
    try:
        sys.exit(subprocess.call(argv))
    except KeyboardInterrupt:
        sys.exit(130)


@click.command("load-service",
               short_help="One load test's simulators and SUT, for Locust to drive.",
               epilog=exit_codes(
    {0: "stopped by SIGTERM or Ctrl-C",
     2: "bad input: the SUT, the scenario file or the port, named"}))
@click.option("--scenario", "scenario_file", required=True, type=click.Path(dir_okay=False),
              help="The load world's scenario (written by the Locust master from its profile).")
@target_option("running")
@target_cmd_option
@click.option("--host", default="127.0.0.1",
              help="Address of the control API and the simulators.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, metavar="P",
              help="Port of the control API (0: a free one).")
def load_service(scenario_file: str, target: str | None, target_cmd: str | None, host: str,
                 port: int) -> None:
    """The simulators and the SUT of one load test, with the control API the Locust side
    drives (docs/load-profiles.md). Prints its URLs as one JSON line, serves until SIGTERM.
    Its POSTs take the secret in $SEATRIAL_LOAD_SECRET (without one it makes one up and
    prints it on stderr)."""
    from seatrial.live import control
    from seatrial.live.serve import ServeError, bind_error
    from seatrial.live.settings import LOAD_SECRET
    from seatrial.live.stack import listen
    from seatrial.load.service import serve_load
    from seatrial.scenario_yaml import ScenarioError, load_scenario_file

    if (target is None) == (target_cmd is None):
        raise InputError("give the SUT with exactly one of --target URL or --target-cmd CMD")
    sut = live_target(target, target_cmd)
    try:
        scenario = load_scenario_file(scenario_file)
    except ScenarioError as error:
        raise InputError(str(error)) from None
    try:
        sock = listen(host, port)
    except OSError as error:
        raise InputError(str(bind_error("--port", host, port, error))) from None

    def announce(urls: dict[str, object]) -> None:
        click.echo(json.dumps(urls))
        sys.stdout.flush()

    secret = control.from_env(LOAD_SECRET)
    if secret is None:
        secret = control.new_secret()
        click.echo(f"seatrial load-service: control secret: {secret}; send it as Authorization: "
                   f"Bearer {secret} on POST /start, /orders and /finish, or start me with "
                   f"{LOAD_SECRET} set", err=True)

    options = LiveOptions(host=host)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_load(scenario, sut, options, sock, announce, secret))
    except LiveTargetError as error:
        raise InputError(str(error)) from None
    except ServeError as error:
        raise InputError(str(error)) from None
    finally:
        sock.close()
