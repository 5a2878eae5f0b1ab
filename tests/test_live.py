"""Live mode end to end: real servers on loopback, real SUT processes, the same judge."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from suts import SEATRIAL, started, with_control

from seatrial.catalogue import catalogue
from seatrial.live.runner import LiveOptions, LiveTarget, play_live
from seatrial.targets import resolve
from seatrial.world import World

pytestmark = pytest.mark.wall_clock

FAST = 24_000.0  # simulated seconds per wall second
# At FAST a tenth of a wall second is 40 simulated minutes, so the SUT's own speed decides the
# deadlines. These tests are about the protocol and the processes: they judge convergence within
# a day and leave the SLOs out. The live gate (make gate-live) keeps the catalogue's deadlines.
RELAXED = catalogue()["happy-path"].expect.model_copy(
    update={"slo": {}, "converge_within": 86_400.0})
SMALL = catalogue()["happy-path"].model_copy(update={
    "duration": 1800.0, "expect": RELAXED, "workload": catalogue()["happy-path"].workload
    .model_copy(update={"orders_per_hour": 40.0, "cancel_rate": 0.0})})


def final_records(world: World) -> dict[str, tuple]:
    """What the sync was for, per order: ERP status, shipments, tasks, invoices, charges."""
    tasks = {task.shipment_id: task.state for task in world.lastmile.tasks.values()}
    shipments: dict[str, list] = {}
    for shipment in world.tms.shipments.values():
        shipments.setdefault(shipment.order_id, []).append(
            (shipment.state, tasks.get(shipment.id)))
    return {order.id: (order.status, sorted(shipments.get(order.id, [])),
                       sum(i.order_id == order.id for i in world.erp.invoices),
                       sum(c.order_id == order.id for c in world.erp.charge_postings))
            for order in world.erp.orders.values()}


def test_live_and_in_process_reach_the_same_final_records():
    in_process = World(SMALL, resolve("reference").factory)
    in_process.run()
    live, _end, _pace = play_live(SMALL, LiveTarget(command=f"{SEATRIAL} sut reference"),
                           LiveOptions(scale=FAST))
    expected = final_records(in_process)
    assert len(expected) >= 10
    assert final_records(live) == expected
    assert {e.kind for e in live.ledger.entries} >= {"emit", "deliver", "ack", "request",
                                                     "response"}


def run_cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    """`seatrial run ARGS`, with the control secret of the SUTs `started` starts."""
    return subprocess.run([SEATRIAL, "run", *args], capture_output=True, text=True,
                          timeout=timeout, env=with_control())


def scenario_file(tmp_path: Path, name: str, **changes: object) -> str:
    from seatrial.scenario_yaml import dump_scenario

    scenario = catalogue()[name].model_copy(update=changes)
    path = tmp_path / f"{name}.yaml"
    path.write_text(dump_scenario(scenario))
    return str(path)


@pytest.fixture
def naive_server() -> Iterator[str]:
    """`seatrial sut naive` already running, as a user would start it."""
    yield from started("naive")


def test_naive_is_caught_live_by_the_invariant_the_scenario_exists_for(tmp_path, naive_server):
    path = scenario_file(tmp_path, "duplicate-webhooks", duration=1800.0)
    done = run_cli(path, "--target", naive_server, "--time-scale", str(FAST), "-v")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "effect-once" in done.stdout


def test_a_crash_scenario_against_a_running_target_is_an_input_error():
    done = run_cli("sut-crash-restart", "--target", "http://127.0.0.1:9")
    assert done.returncode == 2
    assert "crash fault" in done.stderr and "--target-cmd" in done.stderr


@pytest.mark.parametrize("target, says", [
    ("http://127.0.0.1", "http://HOST:PORT"),
    ("http://127.0.0.1:9/api", "http://HOST:PORT"),
    ("http://127.0.0.1:9", "cannot reach it"),
])
def test_bad_live_targets_are_input_errors(target, says):
    done = run_cli("happy-path", "--target", target)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr


def test_target_and_target_cmd_are_exclusive():
    done = run_cli("happy-path", "--target", "reference", "--target-cmd", "true")
    assert done.returncode == 2 and "exactly one" in done.stderr


def marked_processes(mark: str) -> list[int]:
    """Our processes whose environment carries `mark` (the SUT and anything it started)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                if mark.encode() in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def refused(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as probe:
        return probe.connect_ex((parts.hostname, parts.port)) != 0


def settings_seen(dump: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)


def assert_nothing_left(mark: str, dump: Path) -> None:
    deadline = time.monotonic() + 10
    while marked_processes(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marked_processes(mark) == []
    seen = settings_seen(dump)
    ports = [seen[f"SEATRIAL_{s}_URL"] for s in ("ERP", "TMS", "LASTMILE")]
    assert all(refused(url) for url in [*ports, f"http://127.0.0.1:{seen['PORT']}"])


def sut_command(tmp_path: Path, mark: str, then: str) -> str:
    dump = tmp_path / "env.txt"
    return f"export SEATRIAL_TEST_MARK={mark}; env > {dump}; {then}"


def test_failure_leaves_no_process_or_port_behind(tmp_path):
    mark = f"fail-{os.getpid()}"
    # a SUT that starts a child, then never answers /health
    command = sut_command(tmp_path, mark, "sleep 300 & sleep 300")
    done = run_cli("happy-path", "--target-cmd", command, "--health-timeout", "2")
    assert done.returncode == 2
    assert "/health did not answer 200 within 2s" in done.stderr
    assert_nothing_left(mark, tmp_path / "env.txt")


def test_a_command_that_exits_is_reported_with_its_output(tmp_path):
    done = run_cli("happy-path", "--target-cmd", "echo listening nowhere; exit 3")
    assert done.returncode == 2
    assert "exited with code 3" in done.stderr and "listening nowhere" in done.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_leaves_no_process_or_port_behind(tmp_path, sig):
    mark = f"int-{sig.value}-{os.getpid()}"
    command = sut_command(tmp_path, mark, f"exec {SEATRIAL} sut reference")
    run = subprocess.Popen([SEATRIAL, "run", "happy-path", "--target-cmd", command],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not marked_processes(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3)  # mid-run: SUT healthy, webhooks flowing
    run.send_signal(sig)
    _out, err = run.communicate(timeout=30)
    assert run.returncode == 130, err
    assert "interrupted" in err
    assert_nothing_left(mark, tmp_path / "env.txt")


def test_success_leaves_no_process_or_port_behind(tmp_path):
    mark = f"ok-{os.getpid()}"
    command = sut_command(tmp_path, mark, f"exec {SEATRIAL} sut reference")
    path = scenario_file(tmp_path, "happy-path", duration=900.0, expect=RELAXED)
    done = run_cli(path, "--target-cmd", command, "--time-scale", str(FAST))
    assert done.returncode == 0, done.stdout + done.stderr
    assert_nothing_left(mark, tmp_path / "env.txt")


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_the_node_example_holds_every_invariant_live(tmp_path):
    """The protocol is language-neutral: a Node.js SUT is judged like any other. (At this
    test's pace, with RELAXED deadlines; the docs' happy-path run at the default pace keeps
    the catalogue's.)"""
    path = scenario_file(tmp_path, "happy-path", duration=1800.0, expect=RELAXED)
    server = Path(__file__).parent.parent / "examples" / "node-sync" / "server.js"
    done = run_cli(path, "--target-cmd", f"{NODE} {server}", "--time-scale", str(FAST), "-v")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "held" in done.stdout
