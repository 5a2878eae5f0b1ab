"""seatrial explore: generated scenarios the reference survives, shrunk failures that replay."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from suts import SEATRIAL

from seatrial.explore.search import Finding, explore, failure_file
from seatrial.explore.strategies import MAX_FAULTS, scenarios
from seatrial.judge.invariants import NAMES
from seatrial.run import run_scenario
from seatrial.scenario import Scenario
from seatrial.scenario_yaml import load_scenario_file
from seatrial.targets import resolve

REFERENCE = resolve("reference")


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(scenarios())
def test_the_reference_holds_in_generated_scenarios(scenario) -> None:
    assert len(scenario.faults) <= MAX_FAULTS
    result = run_scenario(scenario, REFERENCE)
    assert result.passed, (scenario, result.violated())


@pytest.mark.slow
def test_the_reference_survives_several_hundred_explored_scenarios(tmp_path: Path) -> None:
    assert explore(REFERENCE, 400, None, 7, tmp_path) is None


@pytest.mark.parametrize("name", ["faulty-estimate-moves-status",
                                  "faulty-correlation-per-message"])
def test_a_failure_shrinks_and_its_file_replays_to_the_same_invariant(
        name: str, tmp_path: Path) -> None:
    target = resolve(name)
    finding = explore(target, 200, None, 0, tmp_path / "db")
    assert finding is not None
    assert len(finding.scenario.faults) <= 5
    assert finding.invariant in finding.result.violated()
    path = failure_file(finding, name, tmp_path / "failures")
    replayed = run_scenario(load_scenario_file(path), target)
    assert replayed.violated()[0] == finding.invariant
    assert run_scenario(load_scenario_file(path), REFERENCE).passed


@pytest.mark.parametrize("invariant", NAMES)
def test_every_invariant_names_a_failure_file_that_loads(invariant: str, tmp_path: Path) -> None:
    finding = Finding(invariant, Scenario(name="explored"), None, 1, 0.0, False)
    scenario = load_scenario_file(failure_file(finding, "faulty-x", tmp_path))
    assert invariant in scenario.description


def test_shrinking_out_of_time_keeps_the_smallest_failure_so_far(tmp_path: Path) -> None:
    target = resolve("faulty-estimate-moves-status")
    first = explore(target, 200, None, 0, tmp_path / "a", shrink_seconds=0.0)
    shrunk = explore(target, 200, None, 0, tmp_path / "b")
    assert first is not None and shrunk is not None
    assert first.cut_short and not shrunk.cut_short
    assert first.invariant == shrunk.invariant  # the same seed finds the same failure first
    assert first.invariant in run_scenario(first.scenario, target).violated()

    def size(scenario: Scenario) -> tuple:
        return len(scenario.faults), scenario.workload.orders_per_hour, scenario.duration

    assert size(shrunk.scenario) < size(first.scenario)


def test_a_known_failure_fails_first_next_time(tmp_path: Path) -> None:
    target = resolve("faulty-estimate-moves-status")
    first = explore(target, 200, None, None, tmp_path)
    again = explore(target, 200, None, None, tmp_path)
    assert first is not None and again is not None
    assert again.invariant == first.invariant
    assert again.examples <= 3 < first.examples + 3  # replayed from the database


def seatrial(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([SEATRIAL, "explore", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_the_command_writes_the_failure_and_exits_1(tmp_path: Path) -> None:
    done = seatrial("--target", "faulty-correlation-per-message", "--seed", "0", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    (written,) = (tmp_path / "failures").glob("*.yaml")
    assert written.name.startswith("faulty-correlation-per-message-correlation-propagated-")
    assert "correlation-propagated" in done.stderr and str(written.name) in done.stderr
    replay = subprocess.run([SEATRIAL, "run", str(written), "--target",
                             "faulty-correlation-per-message"], capture_output=True, text=True)
    assert replay.returncode == 1 and "correlation-propagated" in replay.stdout + replay.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--target", "nope"], "nope"),
    (["--target", "http://127.0.0.1:9000"], "a live target runs with `seatrial run`"),
    (["--target", "reference", "--time", "soon"], "--time soon"),
    (["--target", "reference", "--shrink-time", "-1s"], "--shrink-time -1s"),
    (["--target", "reference", "--budget", "0"], "--budget"),
    (["--target", "reference", "--shard", "3/2"], "--shard 3/2: write I/N"),
    (["--target", "reference", "--dialect", "erp=nope"], "--dialect erp=nope"),
])
def test_bad_input_exits_2_naming_it(args: list[str], message: str, tmp_path: Path) -> None:
    done = seatrial(*args, cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_a_search_in_the_vendor_dialects_writes_a_failure_that_speaks_them(
        tmp_path: Path) -> None:
    done = seatrial("--target", "faulty-correlation-per-message", "--seed", "0", "--dialect",
                    "erp=sap-s4", "--dialect", "lastmile=onfleet", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    (written,) = (tmp_path / "failures").glob("*.yaml")
    spoken = load_scenario_file(written).dialects
    assert (spoken.erp, spoken.tms, spoken.lastmile) == ("sap-s4", "canonical", "onfleet")


def test_two_overlapping_schema_drifts_leave_one_schema_change() -> None:
    """Found by exploring the reference: two v2 drifts on one channel reshaped a payload
    twice, an impossible message the reference rightly parked (and then failed converge)."""
    drift = {"kind": "schema_drift", "channel": "lastmile.webhooks", "mode": "v2"}
    scenario = Scenario.model_validate({"name": "stacked-drift", "duration": "2h",
                                        "workload": {"orders_per_hour": 5},
                                        "faults": [drift, drift]})
    assert run_scenario(scenario, REFERENCE).passed


def test_the_time_limit_ends_a_search_that_finds_nothing(tmp_path: Path) -> None:
    started = time.monotonic()
    assert explore(REFERENCE, 100_000, 2.0, 0, tmp_path) is None
    assert time.monotonic() - started < 10


def test_a_shard_searches_its_own_repeatable_stream(tmp_path: Path) -> None:
    args = ("--target", "faulty-correlation-per-message", "--shard", "2/3")
    first = seatrial(*args, "--failures", "a", cwd=tmp_path)
    second = seatrial(*args, "--failures", "b", cwd=tmp_path)
    assert first.returncode == second.returncode == 1
    assert [p.name for p in (tmp_path / "a").glob("*.yaml")] == \
        [p.name for p in (tmp_path / "b").glob("*.yaml")]


def test_workers_search_in_parallel_and_the_first_failure_wins(tmp_path: Path) -> None:
    done = seatrial("--target", "faulty-correlation-per-message", "--workers", "2", "--seed", "0",
                    cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "correlation-propagated" in done.stderr
    assert len(list((tmp_path / "failures").glob("*.yaml"))) == 1
