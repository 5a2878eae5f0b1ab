"""The one verdict for every face: the same checks over the ledger and the records."""

from __future__ import annotations

import time

from seatrial.gc_pause import paused_gc
from seatrial.judge.flows import measure
from seatrial.judge.inconclusive import lag_bound, sort_out
from seatrial.judge.invariants import judged
from seatrial.judge.kpis import measure_kpis
from seatrial.judge.observation import Observation
from seatrial.judge.result import RunResult
from seatrial.judge.timeline import timeline
from seatrial.scenario import Scenario


def selected_invariants(scenario: Scenario) -> list[str]:
    """The checks `expect.invariants` names, or ValueError for a name the judge has not: a
    scenario built in Python is not validated against the judge's names as a file is, and a
    misspelt check must never go silently unchecked."""
    names = [module.NAME for module in judged(scenario)]
    wanted = scenario.expect.invariants
    if wanted == "all":
        return names
    unknown = [name for name in wanted if name not in names]
    if unknown:
        raise ValueError(f"expect.invariants: unknown invariant {unknown[0]!r}; known here: "
                         f"{', '.join(names)}")
    return [n for n in names if n in wanted]


def checks(obs: Observation) -> tuple[list[dict], dict, dict]:
    """Every check the scenario selects, the KPIs and the timeline over `obs`: (violations,
    kpis, chart). All of judging but the ledger's digest, which is a fingerprint, not a check:
    what bench/checks.py times against its target."""
    checked = selected_invariants(obs.scenario)
    violations = [violation.to_json(obs.describe)
                  for module in judged(obs.scenario) if module.NAME in checked
                  for violation in module.check(obs)]
    flows = obs.shared(measure)
    return violations, measure_kpis(obs, flows), timeline(obs, flows)


def verdict(obs: Observation, label: str, started: float, messages: int,
            replay: dict[str, int] | None = None) -> RunResult:
    """Judge what a run left behind: `obs`, played against `label` from `started` (a
    `time.perf_counter()` reading) with `messages` across the SUT's boundary; `replay` is a
    replayed log's summary (what became of its events)."""
    scenario = obs.scenario
    checked = selected_invariants(scenario)
    with paused_gc():  # judging builds indexes over the same large history
        violations, kpis, chart = checks(obs)
        digest = obs.ledger.digest()
    violations, inconclusive = sort_out(violations, obs.lag, scenario, obs.end_time)
    live = None if obs.lag is None else {"lag": obs.lag.summary(lag_bound(scenario))}
    return RunResult(scenario.name, scenario.seed, label, digest, messages, len(obs.ledger),
                     obs.end_time, time.perf_counter() - started, checked, violations, kpis,
                     replay, chart, inconclusive, live)
