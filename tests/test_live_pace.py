"""`--time-scale auto`: the pace chosen from a warm-up's figures (seatrial.live.pace), pure,
and once end to end against a SUT slow on purpose."""

from __future__ import annotations

import json
import subprocess

import pytest
from suts import SEATRIAL

from seatrial.catalogue import catalogue
from seatrial.live.pace import BUSY, FLOOR, SHARE, Warmup, choose, tightest_limit
from seatrial.live.runner import DEFAULT_SCALE

HAPPY = catalogue()["happy-path"]  # tightest limit: order_to_shipment_p95 5m


def warmup(p99: float, busy: float = 0.0, scale: float = 600.0) -> Warmup:
    """100 round trips whose p99 is `p99` wall seconds, over a warm-up `busy` that much."""
    trips = (p99 / 2,) * 98 + (p99,) * 2
    wall = sum(trips) / busy if busy else 1e9
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


def test_a_busy_sut_is_slowed_by_the_load_rule():
    # fast on each delivery (latency would allow 7500x), but a quarter busy at 600x already
    pace = choose(warmup(0.01, busy=0.25), HAPPY, DEFAULT_SCALE)
    assert pace.scale == 600 * BUSY / 0.25
    assert pace.warmup["by_latency"] == 7500 and pace.warmup["by_load"] == 2400


def test_the_slower_of_round_trips_and_orders_counts():
    slow_orders = Warmup(600.0, 1e9, (0.001,) * 100, (0.2,) * 50, 250)
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
