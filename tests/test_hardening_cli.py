"""No false green: user code that exits, spins or cannot start, an interrupt, a report that
cannot be written. Each is run as a user runs it (a `seatrial` process), since what is at stake
is the process's exit code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from seatrial.catalogue import find
from seatrial.run import RunAborted, run_scenario
from seatrial.sync_implementations.reference import ReferenceSync
from seatrial.targets import Target

SEATRIAL = [sys.executable, "-m", "seatrial"]

BAD_SUTS = textwrap.dedent("""
    import sys
    from seatrial.sync_implementations.reference import ReferenceSync

    class ExitInHandler(ReferenceSync):
        def on_event(self, event, io):
            if event.type == "order.released":
                sys.exit(0)
            return super().on_event(event, io)

    class ExitInStart(ReferenceSync):
        def start(self, io):
            raise SystemExit(0)

    class RaiseInStart(ReferenceSync):
        def start(self, io):
            raise RuntimeError("the outbox database is missing")

    class SpinsAtOneInstant(ReferenceSync):
        def on_event(self, event, io):
            while True:
                yield io.sleep(0)

    class NeverReturns(ReferenceSync):
        def on_event(self, event, io):
            while True:
                pass
""")


@pytest.fixture
def suts(tmp_path: Path) -> Path:
    (tmp_path / "bad_suts.py").write_text(BAD_SUTS)
    return tmp_path


def seatrial(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*SEATRIAL, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_handler_that_exits_zero_is_judged_not_green(suts, jobs):
    report = suts / "r.json"
    done = seatrial("run", "happy-path", "tms-outage", "-j", jobs, "--target",
                    "bad_suts:ExitInHandler", "--json", str(report), cwd=suts)
    assert done.returncode == 1, done.stderr
    runs = json.loads(report.read_text())["runs"]
    assert len(runs) == 2 and not any(run["passed"] for run in runs)
    assert "SystemExit" in done.stdout  # the failed delivery's evidence names it


@pytest.mark.parametrize(("sut", "message"), [
    ("ExitInStart", "ExitInStart.start() at the start of the run raised SystemExit: 0"),
    ("RaiseInStart", "RaiseInStart.start() at the start of the run raised RuntimeError: the "
                     "outbox database is missing"),
])
def test_a_sut_that_cannot_start_exits_2_naming_it(suts, sut, message):
    done = seatrial("run", "happy-path", "--target", f"bad_suts:{sut}", cwd=suts)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_handler_spinning_at_one_instant_exits_2_naming_it(suts):
    done = seatrial("run", "happy-path", "--target", "bad_suts:SpinsAtOneInstant", cwd=suts)
    assert done.returncode == 2
    assert "stepped 10,000 times without simulated time moving" in done.stderr
    assert "SpinsAtOneInstant.on_event (handling order.released event" in done.stderr
    assert "bad_suts.py:" in done.stderr and "Traceback" not in done.stderr


class SpinsForever(ReferenceSync):
    def on_event(self, event, io):  # never yields, never returns
        while True:
            pass


def test_a_handler_that_never_returns_ends_at_the_wall_budget_naming_it():
    with pytest.raises(RunAborted) as aborted:
        run_scenario(find("happy-path"), Target("spinner", SpinsForever), budget=0.5)
    message = str(aborted.value)
    assert "happy-path seed 1 against spinner" in message
    assert "wall budget of 0.5 s: SpinsForever.on_event (handling order.released" in message
    assert __file__ in message  # the line it spun on


def test_ctrl_c_stops_a_parallel_batch_at_once_with_130_and_partial_reports(tmp_path):
    report, junit = tmp_path / "part.json", tmp_path / "part.xml"
    process = subprocess.Popen(
        [*SEATRIAL, "run", "--seeds", "200", "-j", "2", "--target", "reference", "--json",
         str(report), "--junit", str(junit)], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(6)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
    interrupted = time.monotonic()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert time.monotonic() - interrupted < 30  # not every queued run of the 4000
    document = json.loads(report.read_text())
    planned = document["interrupted"]["planned"]
    assert document["passed"] is False and planned > document["summary"]["runs"]
    assert f"of {planned} runs" in stderr
    errors = ET.parse(junit).getroot().findall(".//testcase[@name='interrupted']/error")
    assert len(errors) == 1


def test_ctrl_c_during_one_in_process_run_exits_130_not_1(suts):
    """click's own handling says "Aborted!" and exits 1, the code for a violation."""
    process = subprocess.Popen([*SEATRIAL, "run", "happy-path", "--target",
                                "bad_suts:NeverReturns"], cwd=suts, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(4)  # well inside the handler that never returns
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted" in stderr and "Aborted" not in stderr


def test_a_report_that_cannot_be_written_exits_2_and_the_others_are_written(tmp_path):
    junit = tmp_path / "r.xml"
    done = seatrial("run", "happy-path", "--target", "reference", "--json", "/dev/full",
                    "--junit", str(junit), cwd=tmp_path)
    assert done.returncode == 2
    assert "--json /dev/full: cannot write it (No space left on device)" in done.stderr
    assert "all invariants held" in done.stdout  # the verdict was shown before
    assert ET.parse(junit).getroot().tag == "testsuites"
    assert "Traceback" not in done.stderr


def test_report_to_an_unwritable_path_exits_2(tmp_path):
    result = tmp_path / "r.json"
    assert seatrial("run", "happy-path", "--target", "reference", "--json", str(result),
                    cwd=tmp_path).returncode == 0
    done = seatrial("report", str(result), "-o", "/dev/full", cwd=tmp_path)
    assert done.returncode == 2
    assert "-o /dev/full: cannot write it" in done.stderr and "Traceback" not in done.stderr


def test_a_failed_write_leaves_the_earlier_report_whole(tmp_path):
    from seatrial.report.files import ReportWriteError, write_report

    path = tmp_path / "r.json"
    write_report(path, "earlier")
    (tmp_path / "blocker").mkdir()
    with pytest.raises(ReportWriteError, match="blocker: cannot write it"):
        write_report(tmp_path / "blocker", "new")
    assert path.read_text() == "earlier"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("args", [
    ["--time-scale", "nan"], ["--time-scale", "inf"], ["--drain", "nan"],
    ["--seed", str(2**63)], ["--seed", "-1"],
])
def test_non_finite_numbers_and_oversized_seeds_exit_2(tmp_path, args):
    done = seatrial("run", "happy-path", "--target", "reference", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert args[0] in done.stderr and "Traceback" not in done.stderr
