"""Live runs side by side (`seatrial run --jobs N` against a live target): each run its own
simulators and SUT process, results in plan order, a running SUT not shared unless it says it
can be, and no process left behind when interrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from suts import SEATRIAL, started
from test_live import FAST, RELAXED, marked_processes, refused, run_cli, settings_seen

from seatrial.catalogue import catalogue
from seatrial.live.parallel import PER_CONFIGURATION, WORLDS, check_shareable, longest_first
from seatrial.live.runner import LiveOptions, LiveTargetError
from seatrial.scenario_yaml import dump_scenario

PLAN = ("happy-path", "duplicate-webhooks")  # two short live runs, ~15 s each at FAST


def short(tmp_path: Path, name: str) -> str:
    """Catalogue scenario `name` with a 15-minute release wave and RELAXED deadlines (at FAST
    the SUT's own speed would decide the SLOs: test_live.py says why)."""
    scenario = catalogue()[name].model_copy(update={"duration": 900.0, "expect": RELAXED})
    path = tmp_path / f"{name}.yaml"
    path.write_text(dump_scenario(scenario))
    return str(path)


def marked_sut(tmp_path: Path, mark: str) -> str:
    """`seatrial sut reference`, each process marked in its environment and writing what it
    was given to a file of its own (env-PID.txt)."""
    return f"export SEATRIAL_TEST_MARK={mark}; env > {tmp_path}/env-$$.txt; " \
           f"exec {SEATRIAL} sut reference"


def seen(tmp_path: Path) -> list[dict[str, str]]:
    return [settings_seen(dump) for dump in sorted(tmp_path.glob("env-*.txt"))]


def assert_nothing_left(mark: str, tmp_path: Path) -> None:
    """No marked process alive, and no port any SUT or simulator was given still open."""
    deadline = time.monotonic() + 10
    while marked_processes(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marked_processes(mark) == []
    for settings in seen(tmp_path):
        urls = [settings[f"SEATRIAL_{s}_URL"] for s in ("ERP", "TMS", "LASTMILE")]
        assert all(refused(url) for url in [*urls, f"http://127.0.0.1:{settings['PORT']}"])


@pytest.mark.wall_clock
def test_two_live_runs_side_by_side_each_with_its_own_sut(tmp_path):
    mark = f"jobs-ok-{os.getpid()}"
    report = tmp_path / "report.json"
    done = run_cli(*(short(tmp_path, name) for name in PLAN), "--target-cmd",
                   marked_sut(tmp_path, mark), "--time-scale", str(FAST), "--jobs", "2",
                   "--drift", "--json", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 at a time" in done.stderr
    runs = json.loads(report.read_text())["runs"]
    assert [run["scenario"] for run in runs] == list(PLAN)
    for run in runs:  # each verdict told as its run ends, for a log with no progress bar
        assert f"ended] {run['scenario']} seed {run['seed']}: passed" in done.stderr
    assert all(run["passed"] and run["messages"] > 0 for run in runs)
    assert all(run["drift"]["requests"] > 0 for run in runs)  # read in the worker, sent back
    given = seen(tmp_path)
    assert len(given) == 2
    for setting in ("PORT", "SEATRIAL_STATE_DIR", "SEATRIAL_ERP_URL",
                    "SEATRIAL_ERP_WEBHOOK_SECRET"):
        assert given[0][setting] != given[1][setting], setting
    assert_nothing_left(mark, tmp_path)


@pytest.mark.wall_clock
@pytest.mark.parametrize("sig, to_group", [(signal.SIGTERM, False), (signal.SIGINT, True)],
                         ids=["SIGTERM", "Ctrl-C"])
def test_interrupting_live_runs_side_by_side_leaves_nothing_behind(tmp_path, sig, to_group):
    """SIGTERM to seatrial alone, or SIGINT to its whole process group as a terminal's Ctrl-C
    sends it (the workers too): every SUT process and simulator port is gone, exit 130."""
    mark = f"jobs-int-{sig.value}-{os.getpid()}"
    run = subprocess.Popen([SEATRIAL, "run", *(short(tmp_path, name) for name in PLAN),
                            "--target-cmd", marked_sut(tmp_path, mark), "--time-scale",
                            str(FAST), "--jobs", "2"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 30
    while len(marked_processes(mark)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(marked_processes(mark)) == 2, "both SUTs should be up side by side"
    time.sleep(2)  # mid-run: both SUTs healthy, webhooks flowing
    if to_group:
        os.killpg(run.pid, sig)
    else:
        run.send_signal(sig)
    _out, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "interrupted after 0 of 2 runs" in err and "Traceback" not in err
    assert_nothing_left(mark, tmp_path)


@pytest.fixture
def reference_server() -> Iterator[str]:
    yield from started("reference")


@pytest.mark.wall_clock
def test_a_running_sut_is_not_shared_by_runs_side_by_side(reference_server):
    done = run_cli("happy-path", "tms-outage", "--target", reference_server, "--jobs", "2")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--jobs 2 with --target" in done.stderr and "Traceback" not in done.stderr
    assert "use --target-cmd" in done.stderr and "--jobs 1" in done.stderr


@pytest.fixture
def health() -> Iterator[tuple[dict, str]]:
    """A server whose GET /health answers the dict yielded (change it in the test)."""
    answer: dict = {}

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield answer, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_running_sut_that_keeps_a_world_per_configuration_may_be_shared(health):
    answer, url = health
    answer.update(status="ok")
    with pytest.raises(LiveTargetError, match="cannot take runs side by side"):
        check_shareable(url, 2)
    answer[WORLDS] = PER_CONFIGURATION
    check_shareable(url, 2)


def test_runs_capped_at_the_slowest_pace_start_first():
    gate = catalogue()
    plan = [gate[name] for name in ("address-churn", "rate-limit-squeeze", "happy-path",
                                    "erp-maintenance-window")]
    order = longest_first(plan, LiveOptions(auto=True))
    assert [plan[index].name for index in order] == [
        "rate-limit-squeeze", "erp-maintenance-window", "address-churn", "happy-path"]
    # an explicit pace is the same for all: the plan's own order
    assert longest_first(plan, LiveOptions(scale=600.0)) == [0, 1, 2, 3]
