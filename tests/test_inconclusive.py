"""Inconclusive verdicts (issue 18): a check that depends on time, failed while the harness
itself was behind, convicts nobody; a violation that does not depend on time always does.

The live test stalls the harness's own event loop for a wall second in the middle of the
release wave (the SUT runs in its own process and goes on): at 3600x that is an hour of
simulated time in which nothing the SUT sends is read."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from suts import SEATRIAL

from seatrial.catalogue import catalogue
from seatrial.judge.inconclusive import lag_bound, sort_out
from seatrial.judge.result import INCONCLUSIVE, exit_status
from seatrial.lag import HarnessLag
from seatrial.live.clock import LiveClock
from seatrial.live.runner import LiveOptions, LiveTarget, play_live
from seatrial.run import judge
from seatrial.scenario import Scenario

HAPPY = catalogue()["happy-path"]  # order-to-shipment p95 within 5 min: the bound is 30 s


def violation(invariant: str, *times: float) -> dict:
    return {"invariant": invariant, "message": "m", "keys": {},
            "evidence": [{"time": t, "summary": "s"} for t in times]}


def lagging(at: float, late: float) -> HarnessLag:
    lag = HarnessLag(3600.0)
    lag.note(at, late)
    return lag


def test_a_timed_violation_in_a_lagging_run_is_inconclusive_with_the_figures():
    assert lag_bound(HAPPY) == pytest.approx(30.0)
    kept, unsure = sort_out([violation("latency-slo", 100.0)], lagging(5000.0, 31.0), HAPPY,
                            9000.0)
    assert kept == []
    assert unsure[0]["harness_lag"]["worst_sim_seconds"] == 31.0
    assert unsure[0]["harness_lag"]["bound_sim_seconds"] == 30.0


def test_lag_within_the_bound_or_far_from_a_deadline_softens_nothing():
    within = sort_out([violation("latency-slo", 100.0)], lagging(100.0, 29.0), HAPPY, 9000.0)
    assert within == ([violation("latency-slo", 100.0)], [])
    # converge's evidence at 100 s and happy-path's converge_within of 1 h: lag at 5 h is not
    # around it
    far = sort_out([violation("converge", 100.0)], lagging(5 * 3600.0, 600.0), HAPPY, 9 * 3600.0)
    assert far == ([violation("converge", 100.0)], [])
    near = sort_out([violation("converge", 100.0)], lagging(1800.0, 600.0), HAPPY, 9 * 3600.0)
    assert [v["invariant"] for v in near[1]] == ["converge"]


def test_a_violation_that_does_not_depend_on_time_is_never_softened():
    for name in ("shipment-per-order", "effect-once", "invoice-after-POD", "signed-only"):
        kept, unsure = sort_out([violation(name, 100.0)], lagging(100.0, 86_400.0), HAPPY,
                                9000.0)
        assert (len(kept), unsure) == (1, []), name


def test_a_timed_invariants_clause_that_does_not_depend_on_time_is_never_softened():
    """cancel-compensates: the missed deadline may be the harness's lag, an invoice asked for
    after the SUT acknowledged the cancellation never is."""
    deadline, invoice = violation("cancel-compensates", 100.0), {
        **violation("cancel-compensates", 100.0), "timed": False}
    kept, unsure = sort_out([deadline, invoice], lagging(100.0, 600.0), HAPPY, 9000.0)
    assert (kept, [v["invariant"] for v in unsure]) == ([invoice], ["cancel-compensates"])


def test_in_virtual_time_nothing_is_inconclusive():
    assert sort_out([violation("latency-slo", 1.0)], None, HAPPY, 10.0) == (
        [violation("latency-slo", 1.0)], [])


def stalled_run(scenario: Scenario, sut: str, monkeypatch: pytest.MonkeyPatch):
    """`scenario` live against `seatrial sut <sut>`, the harness's loop blocked for a wall
    second 0.15 s after the clock starts."""
    start = LiveClock.start

    def start_then_stall(clock: LiveClock) -> None:
        start(clock)
        asyncio.get_running_loop().call_later(0.15, time.sleep, 1.0)

    monkeypatch.setattr(LiveClock, "start", start_then_stall)
    began = time.perf_counter()
    world, end, _pace = play_live(scenario, LiveTarget(command=f"{SEATRIAL} sut {sut}"),
                           LiveOptions(scale=3600.0, drain=3.0))
    return judge(world, end, sut, began)


# A 20-minute wave of the happy path with every ERP release delivered twice: naive creates a
# second shipment for each (shipment-per-order, a fact whatever the clock did).
WAVE = HAPPY.model_copy(update={
    "duration": 1200.0, "workload": HAPPY.workload.model_copy(update={"cancel_rate": 0.0})})


@pytest.mark.wall_clock
def test_a_stalled_harness_makes_the_slo_inconclusive_for_the_reference(monkeypatch):
    result = stalled_run(WAVE, "reference", monkeypatch)
    assert result.violations == [], [v["message"] for v in result.violations]
    assert "latency-slo" in {v["invariant"] for v in result.inconclusive}
    assert result.live["lag"]["worst_wall_ms"] >= 900
    assert result.outcome == "inconclusive"
    assert exit_status([result]) == INCONCLUSIVE


@pytest.mark.wall_clock
def test_a_stalled_harness_still_convicts_a_duplicate_shipment(monkeypatch):
    from seatrial.scenario_yaml import load_scenario

    doubled = load_scenario(
        "name: doubled\nseed: 1\nduration: 20m\nworkload: {orders_per_hour: 120, "
        "cancel_rate: 0}\nfaults:\n  - {kind: duplicate, channel: erp.webhooks, "
        "probability: 1.0, copies: [2, 2], within: 1s}\nexpect:\n  invariants: all\n"
        "  converge_within: 1h\n  slo: {order_to_shipment_p95: 5m}\n")
    result = stalled_run(doubled, "naive", monkeypatch)
    assert "shipment-per-order" in result.violated()
    assert "latency-slo" not in result.violated()
    assert "latency-slo" in {v["invariant"] for v in result.inconclusive}
    assert exit_status([result]) == 1


def test_every_invariant_says_whether_the_harness_lag_can_fail_it():
    from seatrial.judge.invariants import MODULES

    assert {module.LAG_WINDOW for module in MODULES} <= {None, "run", "evidence"}
    assert {m.NAME for m in MODULES if m.LAG_WINDOW is None} >= {
        "shipment-per-order", "effect-once", "invoice-after-POD", "signed-only"}


@pytest.mark.wall_clock
def test_retry_inconclusive_plays_the_run_again_at_half_the_pace(monkeypatch, tmp_path):
    """`seatrial run --retry-inconclusive 1`: the first attempt stalls (inconclusive), the rerun
    at half its pace does not and holds; the verdict is the rerun's, and the report keeps both."""
    import json

    from click.testing import CliRunner

    from seatrial.cli import main
    from seatrial.scenario_yaml import dump_scenario

    start, starts = LiveClock.start, []

    def stall_the_first(clock: LiveClock) -> None:
        start(clock)
        starts.append(clock)
        if len(starts) == 1:
            asyncio.get_running_loop().call_later(0.15, time.sleep, 1.0)

    monkeypatch.setattr(LiveClock, "start", stall_the_first)
    wave = tmp_path / "wave.yaml"
    wave.write_text(dump_scenario(WAVE))
    report = tmp_path / "run.json"
    outcome = CliRunner().invoke(main, [
        "run", str(wave), "--target-cmd", f"{SEATRIAL} sut reference", "--time-scale", "3600",
        "--drain", "3", "--retry-inconclusive", "1", "--json", str(report)])
    assert outcome.exit_code == 0, outcome.output
    run = json.loads(report.read_text())["runs"][0]
    assert (run["outcome"], run["live"]["pace"]) == ("passed", {"scale": 1800.0,
                                                                 "chosen": "rerun"})
    [first] = run["earlier"]
    assert (first["outcome"], first["live"]["pace"]["scale"]) == ("inconclusive", 3600.0)
    assert "latency-slo" in {v["invariant"] for v in first["inconclusive"]}
    # the stall may make other timed checks inconclusive too (converge), listed in order
    said = " ".join(outcome.output.split())
    assert re.search(r"after 1 rerun: attempt 1 at 3600x was inconclusive \([a-z, -]*"
                     r"latency-slo", said), said
