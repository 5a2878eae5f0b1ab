"""A reduced-scale Black Friday, run for real: Locust, the simulator service and the SUT, each
in its own process. The reference passes the gate; naive fails it on invariants (duplicated
or lost effects), not on latency; the reference slowed on purpose fails it on latency alone.
The reference and naive run under the stock Locust CLI with two worker processes, the slow
one under `seatrial load`.

The three runs go at once (they mostly wait on the simulated lifecycles), so the file costs
about one run's time.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from suts import SEATRIAL

from seatrial.judge.invariants import NAMES
from seatrial.live.ports import for_a_command

pytestmark = pytest.mark.wall_clock

PROFILE = Path(__file__).parents[1] / "loadtests" / "black_friday.py"
REDUCED = ["--baseline", "7200", "--time-scale", "14400"]


def stock(*args: str) -> list[str]:
    """The stock Locust CLI with two worker processes; its own master port, so that two such
    runs can go at once."""
    port = str(for_a_command())
    return [sys.executable, "-m", "locust", "-f", str(PROFILE), "--headless", "--processes",
            "2", "--only-summary", "--master-bind-port", port, "--master-port", port, *args]


EFFECTS = {"shipment-per-order", "task-per-shipment", "effect-once", "invoice-once",
           "charges-reconcile", "converge", "cancel-compensates"}


def gate_lines(output: str) -> list[str]:
    """The gate's report: the lines after its heading."""
    return output[output.index("Seatrial load gate:"):].splitlines()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    out = tmp_path_factory.mktemp("load")
    commands = {
        "reference": stock("--target-cmd", f"{SEATRIAL} sut reference", *REDUCED,
                           "--duration", "10s", "--csv", str(out / "reference"),
                           "--html", str(out / "reference.html")),
        "naive": stock("--target-cmd", f"{SEATRIAL} sut naive", *REDUCED, "--duration", "10s"),
        # each webhook 1.1 s late: over the 1 s limit, and every hop of an order's lifecycle
        # waits for it, so a shorter load keeps its drain within the others'
        "slow": [SEATRIAL, "load", "--profile", "black-friday", "--target-cmd",
                 f"{SEATRIAL} sut reference --delay 1100ms", *REDUCED, "--duration", "5s",
                 "--html", str(out / "slow.html")],
    }
    started = {name: subprocess.Popen(command, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
               for name, command in commands.items()}
    results = {}
    try:
        for name, process in started.items():
            output, _ = process.communicate(timeout=240)
            results[name] = (process.returncode, output)
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
    yield {"results": results, "out": out}


def test_reference_passes_under_stock_locust_with_two_processes(
        runs: dict[str, object]) -> None:
    code, output = runs["results"]["reference"]
    assert code == 0, output[-3000:]
    report = gate_lines(output)
    assert report[0] == "Seatrial load gate: PASSED"
    assert not any(line.lstrip().startswith("FAIL") for line in report)
    assert any(f"invariants: {len(NAMES)} of {len(NAMES)} held" in line for line in report), report
    assert "Sending spawn jobs of 8 users at 8.00 spawn rate to 2 ready workers" in output


def test_business_latencies_are_rows_in_locusts_csv_and_html(runs: dict[str, object]) -> None:
    out: Path = runs["out"]
    with open(out / "reference_stats.csv", newline="") as file:
        rows = {(row["Type"], row["Name"]): row for row in csv.DictReader(file)}
    for flow in ("order -> shipment", "milestone -> ERP", "POD -> invoice"):
        assert int(rows[("FLOW", flow)]["Request Count"]) > 0, flow
    released = int(rows[("POST", "release order")]["Request Count"])
    assert int(rows[("FLOW", "order -> shipment")]["Request Count"]) <= released
    assert ("WEBHOOK", "erp order.released") in rows
    html = (out / "reference.html").read_text()  # its data is JSON with ">" escaped
    for flow in ("order -> shipment", "milestone -> ERP", "POD -> invoice"):
        assert flow.replace(">", "\\u003e") in html, flow


def test_naive_fails_on_invariants_not_on_latency(runs: dict[str, object]) -> None:
    code, output = runs["results"]["naive"]
    assert code == 1, output[-3000:]  # stock Locust's exit code is the gate's
    failures = [line.strip() for line in gate_lines(output) if line.strip().startswith("FAIL")]
    violated = {line.split()[2].rstrip(":") for line in failures
                if line.startswith("FAIL invariant")}
    assert violated & EFFECTS, failures  # a lost or duplicated effect
    assert not any(line.startswith("FAIL p95") for line in failures), failures


def test_a_slow_implementation_fails_on_latency_alone(runs: dict[str, object]) -> None:
    code, output = runs["results"]["slow"]
    assert code == 1, output[-3000:]
    report = gate_lines(output)
    failures = [line.strip() for line in report if line.strip().startswith("FAIL")]
    assert failures and all(line.startswith("FAIL p95") for line in failures), failures
    assert any("WEBHOOK erp order.released" in line for line in failures)
    assert any(f"invariants: {len(NAMES)} of {len(NAMES)} held" in line for line in report)


def test_seatrial_load_writes_its_html_report_of_the_judged_run(runs: dict[str, object]) -> None:
    html = (runs["out"] / "slow.html").read_text()
    assert html.count('class="run"') == 1 and 'data-passed="true"' in html  # invariants held
    for chart in ("messages", "in_flight", "backlog", "lag"):
        assert f'data-chart="{chart}"' in html
    assert "<script" not in html
