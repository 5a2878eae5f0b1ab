"""`--time-scale auto`: the pace chosen from a warm-up's figures (seatrial.live.pace), pure,
and once end to end against a SUT slow on purpose."""

from __future__ import annotations

import json
import math
import subprocess

import pytest
from suts import SEATRIAL

from seatrial.catalogue import catalogue
from seatrial.live.pace import FLOOR, MAX_LOAD, SHARE, Warmup, choose, surge, tightest_limit
from seatrial.live.runner import DEFAULT_SCALE
from seatrial.scenario_yaml import dump_scenario

HAPPY = catalogue()["happy-path"]  # tightest limit: order_to_shipment_p95 5m


def warmup(p99: float, busy: float = 0.0, scale: float = 600.0) -> Warmup:
    """100 round trips whose p99 is `p99` wall seconds, over a warm-up `busy` that much."""
    trips = (p99 / 2,) * 98 + (p99,) * 2
    wall = sum(trips) / busy if busy else math.inf
    return Warmup(scale, wall, trips, (), 250)


def test_a_slow_sut_gets_a_slower_pace():
    fast, slow = choose(warmup(0.01), HAPPY, DEFAULT_SCALE), choose(warmup(0.2), HAPPY,
                                                                      DEFAULT_SCALE)
    assert slow.scale < fast.scale
    assert SHARE * 300 / 0.2 == 375  # the p99 takes a quarter of 5 minutes at 375x,
    assert slow.scale == 370  # read plainly: two significant digits, rounded down
    assert slow.chosen == "auto" and slow.warmup["limit"] == "expect.slo.order_to_shipment_p95"


def test_a_fast_sut_is_capped_at_the_ceiling():
    assert choose(warmup(0.0005), HAPPY, DEFAULT_SCALE).scale == DEFAULT_SCALE
    assert choose(warmup(0.0005), HAPPY, 900.0).scale == 900.0  # a scenario's live.time_scale


def test_the_floor_holds_unless_the_ceiling_is_lower():
    assert choose(warmup(30.0), HAPPY, DEFAULT_SCALE).scale == FLOOR
    assert choose(warmup(30.0), HAPPY, 10.0).scale == 10.0


def test_a_busy_sut_is_slowed_by_its_queue():
    # 50 ms a delivery alone would allow 1500x; a quarter of an order in flight at 600x is a
    # load of 0.2 (L = rho / (1 - rho)), and the queue it grows at pace P (rho = 0.2 P / 600)
    # is what limits it: 75 s / (0.05 + 75 x 0.2 / 600)
    idle, busy = choose(warmup(0.05), HAPPY, 1e6), choose(warmup(0.05, busy=0.25), HAPPY, 1e6)
    assert idle.scale == 1500 and idle.warmup["bound"] == "limit"
    assert busy.scale == 1000 and busy.warmup["fastest"] == 1000
    assert busy.warmup["bound"] == "limit"
    rho = 0.2 * busy.scale / 600
    assert rho < MAX_LOAD
    assert 0.05 / (1 - rho) * busy.scale <= SHARE * 300  # its p99, queued, fits the share


def test_the_pace_brings_the_sut_to_half_its_capacity_at_most():
    # 10 ms a delivery: the limit's share alone allows 2142x, where the load would be 0.71;
    # half a load is reached at 0.5 x 600 / 0.2 = 1500x
    chosen = choose(warmup(0.01, busy=0.25), HAPPY, 1e6)
    assert chosen.scale == 1500 and chosen.warmup["bound"] == "load"
    assert chosen.warmup["max_load"] == MAX_LOAD == 0.5
    assert "a load of at most 0.5 with expect.slo.order_to_shipment_p95 300s allows 1500x" \
        in chosen.describe()


def test_orders_in_flight_are_not_a_load_over_one():
    # rate-limit-squeeze's burst: two orders in flight on average at 600x is a load of 2/3,
    # not 2 (which would read as saturated and give a third of the pace)
    burst = warmup(0.0376, busy=1.9)
    assert burst.load == pytest.approx(1.9 / 2.9)
    relaxed = HAPPY.model_copy(update={"expect": HAPPY.expect.model_copy(
        update={"slo": {"order_to_shipment_p95": 2700.0}})})
    assert choose(burst, relaxed, 900.0).scale == 450  # 0.5 x 600 / (2/3); a load of 2: 150
    assert choose(burst, relaxed, 1e6).warmup["bound"] == "load"  # the limit alone: 870x


def test_the_sut_cpu_time_is_its_load_when_known():
    # in flight it looks a quarter loaded (L 0.25, rho 0.2), but its processes used 3 % of a
    # core: the CPU time is the load, and the queue it grows is small
    measured = warmup(0.01, busy=0.25)
    known = Warmup(measured.scale, measured.wall, measured.round_trips, (), 250,
                   cpu=0.03 * measured.wall)
    assert known.load == pytest.approx(0.03)
    assert choose(known, HAPPY, 1e6).scale == 5400  # 75 / (0.01 + 75 x 0.03 / 600): 5454
    assert choose(measured, HAPPY, 1e6).scale == 1500  # half a load: 0.5 x 600 / 0.2


def test_a_surge_past_the_warm_up_slows_the_pace():
    # the warm-up saw the first 2400 s; the scenario gets ten times as busy later
    calm, busy = [float(t) for t in range(0, 7200, 60)], [7200.0 + t for t in range(0, 3600, 6)]
    work = calm + busy
    assert surge(work, 2400.0, 3600.0) == pytest.approx((600 / 3600) / (41 / 2400))
    assert surge(calm, 2400.0, 3600.0) == 1.0  # as busy as the warm-up, never below it
    assert surge([], 2400.0, 3600.0) == 1.0
    # a window shorter than the warm-up's stretch would read chance clusters as load
    assert surge(work, 2400.0, 300.0) == surge(work, 2400.0, 2400.0)
    measured = warmup(0.01, busy=0.25)
    surged = Warmup(measured.scale, measured.wall, measured.round_trips, (), 250, surge=10.0)
    # 75 / (0.01 + 75 x 0.2 x 10 / 600) is 288, where the load would be 0.96: half is 150x
    assert choose(surged, HAPPY, 1e6).scale == 150


def test_the_slower_of_round_trips_and_orders_counts():
    slow_orders = Warmup(600.0, math.inf, (0.001,) * 100, (0.2,) * 50, 250)
    assert choose(slow_orders, HAPPY, DEFAULT_SCALE).scale == 370


def test_the_pace_reads_plainly():
    assert choose(warmup(0.033), HAPPY, DEFAULT_SCALE).scale == 2200  # 2272.7 rounded down


def test_the_tightest_limit_is_from_the_judged_checks():
    assert tightest_limit(HAPPY) == ("expect.slo.order_to_shipment_p95", 300.0)
    no_slo = HAPPY.model_copy(update={"expect": HAPPY.expect.model_copy(
        update={"invariants": ("converge", "shipment-per-order")})})
    assert tightest_limit(no_slo) == ("expect.converge_within", 3600.0)
    untimed = HAPPY.model_copy(update={"expect": HAPPY.expect.model_copy(
        update={"invariants": ("shipment-per-order",)})})
    assert tightest_limit(untimed) is None
    assert choose(warmup(30.0), untimed, DEFAULT_SCALE).scale == DEFAULT_SCALE


def test_nothing_measured_keeps_the_ceiling():
    assert choose(Warmup(600.0, 4.0, (), (), 0), HAPPY, DEFAULT_SCALE).scale == DEFAULT_SCALE


def test_auto_is_refused_where_no_sut_is_measured():
    done = subprocess.run([*SEATRIAL.split(), "serve", "--time-scale", "auto"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--time-scale" in done.stderr and "give a number" in done.stderr
    bad = subprocess.run([*SEATRIAL.split(), "run", "happy-path", "--target-cmd", "x",
                          "--time-scale", "soon"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "give `auto` or a number" in bad.stderr


SLOW_SUT = f"{SEATRIAL} sut reference --delay 100ms"  # 100 wall ms before each delivery
# happy-path's release wave for half an hour, judged on its 5-minute order-to-shipment SLO
# alone (the lifecycles' days are left out with --drain): at 3600x the delay alone is six
# simulated minutes an order
WAVE = HAPPY.model_copy(update={
    "name": "slow-sut-wave", "duration": 1800.0,
    "expect": HAPPY.expect.model_copy(update={
        "invariants": ("latency-slo",), "slo": {"order_to_shipment_p95": 300.0}})})


def run_live(path, report, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([SEATRIAL, "run", str(path), "--target-cmd", SLOW_SUT, "--drain", "3",
                           "--json", str(report), *options],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.wall_clock
def test_auto_slows_down_for_a_slow_sut_that_misses_the_slo_at_3600x(tmp_path):
    scenario = tmp_path / "slow-sut-wave.yaml"
    scenario.write_text(dump_scenario(WAVE))
    fixed = run_live(scenario, tmp_path / "fixed.json", "--time-scale", "3600")
    run = json.loads((tmp_path / "fixed.json").read_text())["runs"][0]
    assert run["live"]["pace"] == {"scale": 3600, "chosen": "explicit"}
    # missed: convicted, or inconclusive if the harness was behind too (its bound here is a
    # tenth of the SLO, 8 wall ms: a loaded machine's harness is, and then it must not convict)
    missed = {v["invariant"] for v in run["violations"] + run["inconclusive"]}
    assert (fixed.returncode, missed) in ((1, {"latency-slo"}), (3, {"latency-slo"})), \
        fixed.stderr

    auto = run_live(scenario, tmp_path / "auto.json")  # auto: the default
    assert auto.returncode == 0, auto.stdout + auto.stderr
    pace = json.loads((tmp_path / "auto.json").read_text())["runs"][0]["live"]["pace"]
    assert pace["chosen"] == "auto" and FLOOR <= pace["scale"] < 3600
    assert pace["warmup"]["delivery_ms"]["p99"] >= 100
    assert pace["warmup"]["limit"] == "expect.slo.order_to_shipment_p95"
    assert f"pace {pace['scale']:g}x (auto: warm-up" in auto.stderr


def test_time_waiting_for_a_core_is_load():
    """A SUT that ran 3 % of the warm-up and waited as long again for a core while other
    processes ran has half a core: it is loaded as if it needed 6 %."""
    measured = warmup(0.01, busy=0.25)
    alone = Warmup(measured.scale, measured.wall, measured.round_trips, (), 250,
                   cpu=0.03 * measured.wall)
    shared = Warmup(measured.scale, measured.wall, measured.round_trips, (), 250,
                    cpu=0.03 * measured.wall, waited=0.03 * measured.wall)
    assert shared.load == pytest.approx(0.06)
    assert choose(shared, HAPPY, 1e6).scale < choose(alone, HAPPY, 1e6).scale
    assert "waited for a core 0.03" in choose(shared, HAPPY, 1e6).describe()
