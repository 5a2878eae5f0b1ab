"""Which violations the harness's own lag may explain: those convict nobody.

Live, a check that depends on time (each invariant's `LAG_WINDOW`) can fail because the harness
itself fell behind (`seatrial.lag`), or kept the SUT it started waiting for a core while other
processes ran (`seatrial.live.cores`), not because of the SUT. Jepsen's rule: when the harness
cannot know, it says so. A violation is inconclusive when, around it, the harness was behind
(or kept the SUT waiting) by more than `LAG_SHARE` of the tightest time limit the scenario
judges (its SLOs and `converge_within`): around its evidence widened by `converge_within` on
either side for a deadline (`"evidence"`), anywhere in the run for a figure over the whole run
(`"run"`). A violation that does not depend on time (a duplicate shipment, an invoice before
POD, a forged delivery accepted) is never softened, however late the harness was.
"""

from __future__ import annotations

from typing import Any

from seatrial.judge.invariants import MODULES, OWN
from seatrial.lag import CORES, HarnessLag
from seatrial.scenario import Scenario

#: the harness may be behind by this share of the tightest limit before a timed check's
#: violation stops meaning anything about the SUT
LAG_SHARE = 0.1
WINDOWS = {module.NAME: module.LAG_WINDOW for module in (*MODULES, *OWN.values())}


def lag_bound(scenario: Scenario) -> float:
    """Simulated seconds of harness lag beyond which a timed violation is inconclusive."""
    expect = scenario.expect
    return LAG_SHARE * min([expect.converge_within, *expect.slo.values()])


def sort_out(violations: list[dict[str, Any]], lag: HarnessLag | None, scenario: Scenario,
             end: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(violations, inconclusive): each timed violation the lag around it may explain moves
    to the second list, with the lag figures; in virtual time (`lag` None) nothing moves."""
    if lag is None:
        return violations, []
    bound, margin = lag_bound(scenario), scenario.expect.converge_within
    kept, unsure = [], []
    for violation in violations:
        window = WINDOWS[violation["invariant"]]
        if window is None or violation.get("timed") is False:
            kept.append(violation)
            continue
        times = [entry["time"] for entry in violation["evidence"]]
        start, stop = ((min(times) - margin, max(times) + margin)
                       if window == "evidence" and times else (0.0, end))
        worst, at, cause = lag.during(max(start, 0.0), stop)
        if worst <= bound:
            kept.append(violation)
            continue
        unsure.append({**violation, "harness_lag": {
            "worst_sim_seconds": round(worst, 3),
            "worst_wall_ms": round(worst / lag.scale * 1000, 1), "at": round(at, 3),
            "bound_sim_seconds": round(bound, 3), "cause": cause,
            "window": [round(max(start, 0.0), 3), round(stop, 3)]}})
    return kept, unsure


def reruns_sentence(earlier: list[dict[str, Any]]) -> str:
    """A run's earlier attempts (RunResult.earlier, as JSON) in words, as every report prints
    them: which pace each played at and what it could not judge."""
    attempts = "; ".join(
        f"attempt {number} at {attempt['live']['pace']['scale']:g}x was inconclusive ("
        + ", ".join(sorted({v["invariant"] for v in attempt["inconclusive"]})) + ")"
        for number, attempt in enumerate(earlier, 1))
    return f"after {len(earlier)} rerun{'s' if len(earlier) > 1 else ''}: {attempts}"


def lag_sentence(lag: dict[str, Any]) -> str:
    """An inconclusive violation's `harness_lag` in words, as every report prints it (a
    report written before the cause was recorded has the harness's)."""
    late = (f"{lag['worst_sim_seconds']:g} simulated s ({lag['worst_wall_ms']:g} wall ms)")
    what = (f"the SUT waited {late} for a core while other processes ran"
            if lag.get("cause") == CORES else f"the harness itself was {late} behind")
    return f"{what} at {lag['at']:g} s, over the bound of {lag['bound_sim_seconds']:g} s"
