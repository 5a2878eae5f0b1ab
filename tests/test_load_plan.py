"""The load test's pure parts: profiles and their rates, open-model arrivals, the gate."""

from __future__ import annotations

import random
from statistics import mean

import pytest

from seatrial.faults.kinds.outage import Outage
from seatrial.load.arrivals import InFlight, arrival_times
from seatrial.load.gate import Row, cleared_after, evaluate, level_before
from seatrial.load.plan import CALENDAR, LoadProfile, LoadRun, OutageUnderLoad, Stage, Thresholds


def test_rates_follow_baseline_calendar_multiplier_and_stages() -> None:
    profile = LoadProfile("peak", calendar=CALENDAR["black-friday"], multiplier=1.5,
                          stages=(Stage(0.5, 0.5), Stage(1.0, 1.0)), duration=100)
    run = LoadRun(profile, baseline=1000)
    peak = 1000 / 3600 * 2.4 * 1.5
    assert run.rate_at(10) == pytest.approx(peak * 0.5)
    assert run.rate_at(60) == pytest.approx(peak)
    assert run.rate_at(100) == 0 and run.rate_at(-1) == 0
    assert run.peak_rate == pytest.approx(peak)
    assert run.expected_orders() == pytest.approx(peak * (50 * 0.5 + 50))
    # the team's numbers override the profile's
    assert LoadRun(profile, baseline=1000, multiplier=1.0).peak_per_second == pytest.approx(
        1000 / 3600 * 2.4)
    assert LoadRun(profile, duration=20).seconds == 20


def test_outage_is_placed_on_the_compressed_clock() -> None:
    profile = LoadProfile("outage", outage=OutageUnderLoad("tms", at=0.3, lasting=0.1),
                          duration=100, time_scale=3600)
    scenario = LoadRun(profile).scenario()
    *duplicates, outage = scenario.faults
    assert {d.channel for d in duplicates} == {"erp.webhooks", "tms.webhooks",
                                               "lastmile.webhooks"}
    assert all(d.probability == 0.01 for d in duplicates)
    assert isinstance(outage, Outage) and outage.system == "tms"
    assert outage.at == pytest.approx(30 * 3600) and outage.for_ == pytest.approx(10 * 3600)
    assert scenario.expect.invariants == "all" and scenario.live.time_scale == 3600


@pytest.mark.parametrize(("profile", "field"), [
    (LoadProfile("x", stages=(Stage(0.5, 1.0),)), "the last stage must end at until=1.0"),
    (LoadProfile("x", stages=(Stage(0.6, 1.0), Stage(0.5, 1.0), Stage(1.0, 1))), "increase"),
    (LoadProfile("x", stages=(Stage(1.0, -1.0),)), "rate must be >= 0"),
    (LoadProfile("x", drivers=8, in_flight=4), "in_flight >= drivers"),
    (LoadProfile("x", outage=OutageUnderLoad("erp", 0.9, 0.2)), "outage:"),
])
def test_a_broken_profile_is_named(profile: LoadProfile, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        profile.validate()


def test_arrivals_are_poisson_at_the_staged_rate() -> None:
    run = LoadRun(LoadProfile("x", stages=(Stage(0.5, 0.2), Stage(1.0, 1.0)), duration=100),
                  baseline=36_000)  # 10 orders a second at rate 1.0
    counts, early = [], []
    for seed in range(200):
        times = list(arrival_times(random.Random(seed), run.rate_at, run.peak_rate, run.seconds))
        assert times == sorted(times) and all(0 < t < 100 for t in times)
        counts.append(len(times))
        early.append(sum(1 for t in times if t < 50))
    assert mean(counts) == pytest.approx(run.expected_orders(), rel=0.02)  # 600
    assert mean(early) == pytest.approx(100, rel=0.05)  # 50 s at 2 a second
    # Poisson: the variance equals the mean
    spread = mean((c - mean(counts)) ** 2 for c in counts)
    assert spread == pytest.approx(mean(counts), rel=0.3)


def test_drivers_shares_add_up_to_the_whole_rate() -> None:
    run = LoadRun(LoadProfile("x", duration=100), baseline=36_000)
    total = [sum(len(list(arrival_times(random.Random(f"{seed}:{d}"), run.rate_at,
                                        run.peak_rate, run.seconds, 1 / 4)))
                 for d in range(4)) for seed in range(50)]
    assert mean(total) == pytest.approx(1000, rel=0.02)


def test_the_in_flight_cap_counts_what_it_turns_away() -> None:
    cap = InFlight(2)
    assert [cap.admit(), cap.admit(), cap.admit()] == [True, True, False]
    cap.done()
    assert cap.admit() and cap.dropped == 1 and cap.open == 2


SERVICE = {"drained": True, "drain_seconds": 3.0, "released": 10, "ledger_entries": 100,
           "service_cpu_seconds": 0.25,
           "invariants": [{"invariant": "effect-once", "violations": 0, "examples": []}]}


def rows(p95: float = 50.0, failures: int = 0, dropped: int = 0,
         released: int = 100) -> list[Row]:
    return [Row("POST", "release order", released, failures, 5.0),
            Row("DROP", "release order", dropped, dropped, 0.0),
            Row("FLOW", "order -> shipment", 100, 0, p95),
            Row("WEBHOOK", "tms shipment.status", 300, 0, 10.0),
            Row("WEBHOOK", "erp order.released", 100, 0, 12.0)]


LIMITS = Thresholds(p95_ms={"FLOW order -> shipment": 100.0, "WEBHOOK *": 11.0},
                    failure_ratio=0.01, dropped_ratio=0.0)


def test_the_gate_names_each_threshold_it_fails() -> None:
    verdict = evaluate(rows(p95=150.0), LIMITS, SERVICE)
    assert not verdict.passed
    assert any("p95 FLOW order -> shipment: 150 ms (limit 100 ms)" in f
               for f in verdict.failures)
    # the glob matched both webhook rows: one passed, one failed
    assert any("WEBHOOK erp order.released: 12 ms" in f for f in verdict.failures)
    assert any("WEBHOOK tms shipment.status: 10 ms" in n for n in verdict.notes)
    assert evaluate(rows(), Thresholds(p95_ms={"FLOW *": 100.0}), SERVICE).passed


def test_the_gate_reports_the_simulators_cpu_per_order() -> None:
    notes = evaluate(rows(), LIMITS, SERVICE).notes
    assert "simulator service: 25.0 CPU-ms per order, so one core serves at most 40 orders/s" \
        in notes


def test_the_gate_fails_on_failures_drops_invariants_and_missing_samples() -> None:
    assert any("failure ratio" in f for f in evaluate(rows(failures=2), LIMITS, SERVICE).failures)
    assert any("dropped arrivals: 1 of 101" in f
               for f in evaluate(rows(dropped=1), LIMITS, SERVICE).failures)
    broken = {**SERVICE, "invariants": [{"invariant": "invoice-once", "violations": 2,
                                         "examples": ["order SO-1 was invoiced 2 times"]}]}
    (failure,) = evaluate(rows(), Thresholds(p95_ms={}), broken).failures
    assert failure.startswith("invariant invoice-once: 2 violation(s)") and "SO-1" in failure
    missing = evaluate(rows(), Thresholds(p95_ms={"FLOW POD -> invoice": 1.0}), SERVICE)
    assert any("no samples" in f for f in missing.failures)
    stuck = evaluate(rows(), Thresholds(p95_ms={}), {**SERVICE, "drained": False})
    assert any("not quiescent" in f for f in stuck.failures)
    assert any("no orders were released" in f
               for f in evaluate([], Thresholds(p95_ms={}), SERVICE).failures)


def test_backlog_clearing_times() -> None:
    backlog = [(0.0, 1), (1.0, 2), (2.0, 9), (3.0, 14), (4.0, 6), (5.0, 2), (6.0, 0)]
    assert level_before(backlog, 2.0) == 2
    assert cleared_after(backlog, 3.0, level_before(backlog, 2.0)) == 2.0
    assert cleared_after(backlog, 3.0) == 3.0
    assert cleared_after(backlog[:5], 3.0) is None


def test_the_gate_does_not_pass_on_a_handful_of_orders() -> None:
    """A 20-second normal day released 3 orders and passed: its p95s were the slowest
    request, its invariants three lifecycles (issue 21)."""
    few = evaluate(rows(released=19), Thresholds(p95_ms={}), SERVICE)
    assert few.failures == ["only 19 orders were released, fewer than the 20 a load gate "
                            "passes on: its p95s would be the slowest request, its invariants "
                            "a handful of lifecycles (raise --duration or --baseline)"]
    assert evaluate(rows(released=20), Thresholds(p95_ms={}), SERVICE).passed
