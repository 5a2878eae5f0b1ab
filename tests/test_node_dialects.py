"""The Node example speaks the vendor dialects live (issue 19): started with `--dialect
erp=sap-s4 --dialect lastmile=onfleet`, examples/node-sync holds every invariant on happy-path
and on each dialect fault's scenario, with the catalogue's deadlines. Its log must show the
fault reached it (a second CSRF token, an ETag refused, an order not readable yet, a
registration's check failed, a 429): a run where the fault never bit proves nothing.

`make test` runs one of them, sap-csrf-expiry, at the pace a warm-up picks (an inconclusive
run is played again at half of it); the others are `slow` (`pytest -m slow
tests/test_node_dialects.py`), about six wall minutes each at 600x on a busy machine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_live import run_cli

NODE = shutil.which("node")
SERVER = Path(__file__).parents[1] / "examples" / "node-sync" / "server.js"
DIALECTS = ("--dialect", "erp=sap-s4", "--dialect", "lastmile=onfleet")
#: the scenario `make test` runs; the rest are `slow`
QUICK = "sap-csrf-expiry"

pytestmark = [pytest.mark.wall_clock,
              pytest.mark.skipif(NODE is None, reason="Node.js is not installed")]

#: scenario -> (a line of the example's log that shows its fault reached it, how often at least)
TRACES = {
    "happy-path": ("onfleet: registered 7 webhook(s)", 1),
    "sap-csrf-expiry": ("sap-s4: fetched a CSRF token", 2),
    "sap-etag-conflicts": ("to its ETag; reading it again", 1),
    "sap-thin-events": ("not readable yet (404)", 1),
    "onfleet-webhook-validation": ("check failed; registering again", 1),
    "onfleet-org-rate-limit": ("lastmile answered 429", 1),
}


@pytest.mark.parametrize("name", [name if name == QUICK else pytest.param(
    name, marks=pytest.mark.slow) for name in TRACES])
def test_the_node_example_holds_in_the_dialects(tmp_path, name):
    log, report = tmp_path / "node-sync.log", tmp_path / "run.json"
    done = run_cli(name, "--target-cmd", f"exec {NODE} {SERVER} >> {log} 2>&1", *DIALECTS,
                   "--retry-inconclusive", "1", "--json", str(report), "-v", timeout=900)
    said = log.read_text()
    assert done.returncode == 0, done.stdout[-3000:] + said[-2000:]
    run, = json.loads(report.read_text())["runs"]
    assert run["passed"] and not run["violations"], run["violations"]
    assert "speaking erp=sap-s4 tms=canonical lastmile=onfleet" in said
    trace, times = TRACES[name]
    assert said.count(trace) >= times, f"the fault never reached the example: {trace!r}"
