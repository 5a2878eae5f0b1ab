"""The load test's simulator service over real HTTP, and the load commands' bad input.

The service is started as the Locust master starts it (`seatrial load-service`), with the
reference implementation behind it (`seatrial sut reference`, started by the service).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from suts import SEATRIAL

from seatrial.live.ports import for_a_command
from seatrial.live.settings import LOAD_SECRET
from seatrial.load.plan import LoadProfile, LoadRun
from seatrial.scenario_yaml import dump_scenario

pytestmark = pytest.mark.wall_clock

REFERENCE = f"{SEATRIAL} sut reference"
SECRET = "load-service-test"  # the service's POSTs take it, as the Locust master gives it


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen]]:
    profile = LoadProfile("protocol", cancel_rate=0.0, address_change_rate=0.0,
                          duplicate_rate=0.0, duration=30, time_scale=28_800)
    scenario = tmp_path_factory.mktemp("load") / "scenario.yaml"
    scenario.write_text(dump_scenario(LoadRun(profile).scenario(), complete=True))
    process = subprocess.Popen([SEATRIAL, "load-service", "--scenario", str(scenario),
                                "--target-cmd", REFERENCE], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, LOAD_SECRET: SECRET})
    try:
        announced = json.loads(process.stdout.readline())
        yield announced["url"], process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(15)


def test_the_control_api_releases_orders_drains_and_judges(
        service: tuple[str, subprocess.Popen]) -> None:
    url, process = service
    with httpx.Client(base_url=url, timeout=120,
                      headers={"authorization": f"Bearer {SECRET}"}) as client:
        early = client.post("/orders")
        assert early.status_code == 409
        assert early.headers["content-type"] == "application/problem+json"
        assert "POST /start" in early.json()["detail"]
        assert client.post("/finish", json={"drain": 5}).status_code == 409

        assert client.post("/start").json() == {"state": "running"}
        ids = [client.post("/orders").json()["order_id"] for _ in range(5)]
        assert ids == [f"SO-{n:06d}" for n in range(1, 6)]
        assert client.get("/status").json()["released"] == 5

        bad = client.post("/finish", json={"drain": "soon"})
        assert bad.status_code == 422 and "drain" in bad.json()["detail"]
        verdict = client.post("/finish", json={"drain": 60}).json()
        assert client.post("/orders").status_code == 409  # no orders after the finish

    assert verdict["released"] == 5 and verdict["drained"]
    assert {v["invariant"] for v in verdict["invariants"]} >= {"shipment-per-order",
                                                                "effect-once", "invoice-once"}
    assert all(v["violations"] == 0 for v in verdict["invariants"]), verdict["invariants"]
    flows = verdict["samples"]["FLOW"]
    assert len(flows["order -> shipment"]) == 5 and len(flows["POD -> invoice"]) == 5
    assert all(ms >= 0 for values in flows.values() for ms in values)
    assert len(verdict["samples"]["WEBHOOK"]["erp order.released"]) == 5
    assert verdict["backlog"][-1][1] == 0  # every order got its shipment

    process.send_signal(signal.SIGTERM)
    assert process.wait(15) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/status")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SEATRIAL, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("args", "message"), [
    (["load", "--profile", "nope", "--target-cmd", "x"], "--profile nope: no such profile; "
     "choose one of black-friday, black-week, cyber-monday"),
    (["load", "--profile", "black-friday"], "exactly one of --target URL or --target-cmd"),
    (["load", "--profile", "missing.py", "--target-cmd", "x"], "--profile missing.py: no such"),
    (["load-service", "--scenario", "missing.yaml", "--target", "http://127.0.0.1:9"],
     "missing.yaml"),
    (["load-service", "--scenario", "s.yaml", "--target", "ftp://x"], "--target ftp://x"),
    (["sut", "reference", "--port", "0", "--delay", "soon"], "--delay soon"),
])
def test_bad_input_exits_2_naming_the_flag(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--duration", "soon"], "--duration soon: 'soon' is not a duration"),
    (["--baseline", "0"], "--baseline 0: orders an hour must be > 0"),
    (["--time-scale", "86400", "--duration", "1h"], "must stay within 30 days"),
])
def test_bad_run_options_exit_2_from_the_locust_process(args: list[str], message: str) -> None:
    result = run("load", "--profile", "black-friday", "--target-cmd", REFERENCE, *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_stock_locust_refuses_run_time_which_would_cut_off_the_gate() -> None:
    profile = Path(__file__).parents[1] / "loadtests" / "normal_day.py"
    result = subprocess.run([sys.executable, "-m", "locust", "-f", str(profile), "--headless",
                             "--target-cmd", REFERENCE, "--run-time", "10s"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "--run-time: leave it out and use --duration" in result.stderr


def test_a_refused_run_leaves_no_forked_worker_behind() -> None:
    """`--processes 2` forks the workers before the master reads Seatrial's options: refused,
    the master ends them; they used to wait a minute for it, and a rerun then logged their
    reports as "from unrecognized worker"."""
    profile = Path(__file__).parents[1] / "loadtests" / "normal_day.py"
    port = str(for_a_command())  # in every worker's command line too: they are forks
    result = subprocess.run([sys.executable, "-m", "locust", "-f", str(profile), "--headless",
                             "--processes", "2", "--master-bind-port", port, "--master-port",
                             port, "--target-cmd", REFERENCE, "--run-time", "10s"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "--run-time: leave it out" in result.stderr

    def strays() -> list[psutil.Process]:
        found = []
        for process in psutil.process_iter(["cmdline"]):
            with contextlib.suppress(psutil.Error):
                if port in (process.info["cmdline"] or []) and process.status() != "zombie":
                    found.append(process)
        return found

    assert strays() == []


def test_a_target_that_is_not_there_exits_2_naming_it() -> None:
    result = run("load", "--profile", "normal-day", "--target", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert "127.0.0.1:9" in result.stderr and "Traceback" not in result.stderr
