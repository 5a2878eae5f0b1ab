"""The load gate: thresholds on Locust's stats plus the invariants judged on the records.

Pure (no Locust import): the master hands it its stats rows and the simulator service's
verdict, and gets back every reason the run fails, each naming the row or the invariant.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from seatrial.load.plan import Thresholds

#: the fewest orders a gate passes on: under 20 samples a nearest-rank p95 is the slowest one,
#: so the percentiles it reports say nothing a maximum does not, and the invariants have
#: judged a handful of lifecycles (a 20-second normal day released 3 orders and passed). A
#: slow request is evidence however few there are, so too few orders never hide a failure:
#: they only keep a run from passing
MIN_ORDERS = 20
RELEASE = ("POST", "release order")  # the arrivals' own request
DROPPED = ("DROP", "release order")  # arrivals turned away at the in-flight cap


@dataclass(frozen=True)
class Row:
    """One row of Locust's stats."""

    type: str
    name: str
    requests: int
    failures: int
    p95_ms: float


@dataclass(frozen=True)
class Verdict:
    failures: list[str]  # every reason the gate fails; empty: it passed
    notes: list[str]  # what held, for the report

    @property
    def passed(self) -> bool:
        return not self.failures


def evaluate(rows: list[Row], thresholds: Thresholds, service: dict[str, Any]) -> Verdict:
    """`service` is the simulator service's answer to POST /finish."""
    failures: list[str] = []
    notes: list[str] = []
    by_key = {(row.type, row.name): row for row in rows}
    for key, limit in thresholds.p95_ms.items():
        kind, _, pattern = key.partition(" ")
        matched = [row for row in rows if row.type == kind and row.requests
                   and fnmatch.fnmatchcase(row.name, pattern)]
        if not matched:
            failures.append(f"threshold {key!r}: no samples in any row; the run was too short "
                            "or too small for this flow (raise --duration or --baseline)")
        for row in matched:
            line = f"p95 {row.type} {row.name}: {row.p95_ms:,.0f} ms (limit {limit:,.0f} ms)"
            (failures if row.p95_ms > limit else notes).append(line)

    released = by_key.get(RELEASE)
    dropped = by_key.get(DROPPED)
    sent = released.requests if released else 0
    turned_away = dropped.requests if dropped else 0
    if sent + turned_away == 0:
        failures.append("no orders were released: the load never started")
    elif sent < MIN_ORDERS:
        failures.append(f"only {sent} orders were released, fewer than the {MIN_ORDERS} a load "
                        "gate passes on: its p95s would be the slowest request, its invariants "
                        "a handful of lifecycles (raise --duration or --baseline)")
    if sent + turned_away:
        ratio = released.failures / sent if sent else 0.0
        line = (f"failure ratio of {RELEASE[0]} {RELEASE[1]}: {ratio:.2%} "
                f"(limit {thresholds.failure_ratio:.2%})")
        (failures if ratio > thresholds.failure_ratio else notes).append(line)
        ratio = turned_away / (sent + turned_away)
        line = (f"dropped arrivals: {turned_away} of {sent + turned_away} ({ratio:.2%}, limit "
                f"{thresholds.dropped_ratio:.2%}); past the cap the generator, not the SUT, "
                "sets the pace")
        (failures if ratio > thresholds.dropped_ratio else notes).append(line)

    if not service["drained"]:
        failures.append(f"not quiescent {service['drain_seconds']:.0f} s after the load stopped"
                        ": messages were still in flight when judged (raise the profile's drain)")
    else:
        notes.append(f"quiescent {service['drain_seconds']:.1f} s after the load stopped "
                     "(the last lifecycles played out)")
    for verdict in service["invariants"]:
        if verdict["violations"]:
            examples = "; ".join(verdict["examples"][:3])
            failures.append(f"invariant {verdict['invariant']}: {verdict['violations']} "
                            f"violation(s), e.g. {examples}")
    if service["released"]:
        per_order = 1000 * service["service_cpu_seconds"] / service["released"]
        notes.append(f"simulator service: {per_order:.1f} CPU-ms per order, so one core "
                     f"serves at most {1000 / max(per_order, 1e-9):,.0f} orders/s")
    held = sum(1 for v in service["invariants"] if not v["violations"])
    notes.append(f"invariants: {held} of {len(service['invariants'])} held over "
                 f"{service['released']} orders ({service['ledger_entries']:,} ledger entries)")
    return Verdict(failures, notes)


def cleared_after(backlog: list[tuple[float, int]], since: float,
                  level: int = 0) -> float | None:
    """Wall seconds from `since` until the backlog was down to `level` again; None if never."""
    for t, waiting in backlog:
        if t >= since and waiting <= level:
            return t - since
    return None


def level_before(backlog: list[tuple[float, int]], until: float) -> int:
    """The highest backlog seen before `until`: what normal looked like."""
    return max((waiting for t, waiting in backlog if t < until), default=0)


def render(verdict: Verdict) -> str:
    lines = ["", "Seatrial load gate: " + ("PASSED" if verdict.passed else "FAILED")]
    lines += [f"  FAIL {line}" for line in verdict.failures]
    lines += [f"  ok   {line}" for line in verdict.notes]
    return "\n".join(lines)
