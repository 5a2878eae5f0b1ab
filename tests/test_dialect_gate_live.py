"""The dialects live: `seatrial sut reference` speaks sap-s4 and onfleet over HTTP (Basic auth,
CSRF and ETags, Onfleet's webhook registration with its ?check= handshake, the vendors'
webhook bodies read by `seatrial.sdk.payloads`) and holds happy-path, with the dialects chosen
by `--dialect` on the command line."""

from __future__ import annotations

import json

import pytest
from suts import SEATRIAL
from test_live import SMALL, run_cli

from seatrial.scenario_yaml import dump_scenario

pytestmark = pytest.mark.wall_clock

DIALECTS = ("--dialect", "erp=sap-s4", "--dialect", "lastmile=onfleet")


def test_reference_holds_happy_path_live_in_the_dialects(tmp_path):
    scenario = tmp_path / "happy-path.yaml"
    scenario.write_text(dump_scenario(SMALL))
    report = tmp_path / "run.json"
    done = run_cli(str(scenario), "--target-cmd", f"{SEATRIAL} sut reference", *DIALECTS,
                   "--time-scale", "2400", "--json", str(report), timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run, = json.loads(report.read_text())["runs"]
    assert run["passed"] and run["messages"] > 100, run
