"""The pytest plugin (issue 21): a team's own suite, in a folder of its own with its own
pyproject.toml, runs scenarios with the `seatrial` marker and fixture and writes a property test
over `seatrial.strategies`; pytest's -n (xdist) and --junitxml work as for any test."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from seatrial.pytest_plugin import Case, cases

TEAM_TESTS = '''
import pytest
from hypothesis import HealthCheck, given, settings

from seatrial.strategies import scenarios


@pytest.mark.seatrial("happy-path", seeds=[1, 2], target="reference")
def test_reference_holds(seatrial_run):
    seatrial_run.assert_held()


@pytest.mark.seatrial("duplicate-webhooks", target="naive")
def test_naive_holds(seatrial_run):
    seatrial_run.assert_held()


def test_naive_is_caught(seatrial):
    seatrial.run("duplicate-webhooks", seed=1, target="naive").assert_caught(
        "shipment-per-order")


@settings(max_examples=3, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenarios())
def test_no_order_ships_twice(seatrial, scenario):
    assert "shipment-per-order" not in seatrial.run(scenario, target="reference").violated
'''


def test_a_team_suite_uses_the_marker_the_fixture_and_the_strategies(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent('''
        [project]
        name = "team-sync"
        version = "0"
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        '''))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_sync.py").write_text(TEAM_TESTS)
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-p", "no:randomly",
                           "--junitxml", "junit.xml", "--durations=0"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out  # one test fails: naive's duplicate-webhooks
    assert "1 failed, 4 passed" in out, out
    # the failure names the run and the invariant, and shows the violation with its evidence
    assert "duplicate-webhooks seed 1 against naive: shipment-per-order" in out, out
    assert "shipment-per-order: order" in out, out
    cases = {case.get("name"): case for case in ET.parse(tmp_path / "junit.xml").iter("testcase")}
    assert set(cases) == {"test_reference_holds[happy-path-seed1]",
                          "test_reference_holds[happy-path-seed2]",
                          "test_naive_holds[duplicate-webhooks-seed1]",
                          "test_naive_is_caught", "test_no_order_ships_twice"}
    assert cases["test_naive_holds[duplicate-webhooks-seed1]"].find("failure") is not None


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"seed": [1]}, "unknown argument 'seed'"),
    ({"seeds": 3}, "must be a list of integers"),
    ({"seeds": ["1"]}, "must be a list of integers"),
])
def test_a_misused_marker_says_what_to_write(kwargs, says):
    with pytest.raises(pytest.UsageError, match=says):
        cases(pytest.mark.seatrial("happy-path", **kwargs).mark)


def test_the_marker_asks_for_each_scenario_on_each_seed():
    marked = pytest.mark.seatrial("happy-path", "tms-outage", seeds=[1, 2], target="naive")
    assert [case.id for case in cases(marked.mark)] == [
        "happy-path-seed1", "happy-path-seed2", "tms-outage-seed1", "tms-outage-seed2"]
    assert cases(pytest.mark.seatrial("happy-path").mark) == [Case("happy-path", 1)]
    with pytest.raises(pytest.UsageError, match="name at least one scenario"):
        cases(pytest.mark.seatrial().mark)


def test_a_scenario_or_target_that_does_not_exist_is_a_usage_error():
    from seatrial.pytest_plugin import Runner

    with pytest.raises(pytest.UsageError, match="unknown scenario 'no-such'"):
        Runner().run("no-such")
    with pytest.raises(pytest.UsageError, match="unknown target"):
        Runner().run("happy-path", target="no-such")
    with pytest.raises(pytest.UsageError, match="--dialect"):
        Runner().run("happy-path", dialects={"lastmile": "no-such"})
