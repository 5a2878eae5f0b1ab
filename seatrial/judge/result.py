"""A judged run: the verdict, its evidence and its numbers, as every report reads them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass
class RunResult:
    scenario: str
    seed: int
    target: str
    ledger_hash: str
    messages: int
    ledger_entries: int
    sim_seconds: float
    wall_seconds: float
    checked: list[str]
    violations: list[dict[str, Any]]
    kpis: dict[str, Any] = field(default_factory=dict)
    replay: dict[str, int] | None = None  # a replayed log: what became of its events
    timeline: dict[str, Any] | None = None  # what the HTML report charts
    #: violations that depend on time, in a stretch where the harness itself fell behind: its
    #: own lag may explain them, so they convict nobody (each carries the lag figures)
    inconclusive: list[dict[str, Any]] = field(default_factory=list)
    #: what a live run measured of itself: the pace it played at and how it was chosen, the
    #: harness's own lag; None in-process (virtual time cannot lag)
    live: dict[str, Any] | None = None
    #: the earlier attempts of this run, each inconclusive, that --retry-inconclusive played
    #: again at half their pace; this result is the last attempt, and the verdict
    earlier: list[RunResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations and not self.inconclusive

    @property
    def outcome(self) -> str:
        """passed, failed (a violation), or inconclusive (only violations the harness's own lag
        may explain)."""
        return "failed" if self.violations else "inconclusive" if self.inconclusive else "passed"

    def violated(self) -> list[str]:
        """Names of the invariants that failed, in report order (a dialect's own among them)."""
        failed = {v["invariant"] for v in self.violations}
        return [*(name for name in self.checked if name in failed),
                *sorted(failed - set(self.checked))]

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "seed": self.seed, "target": self.target,
                "passed": self.passed, "ledger_hash": self.ledger_hash,
                "messages": self.messages, "ledger_entries": self.ledger_entries,
                "sim_seconds": round(self.sim_seconds, 3),
                "wall_seconds": round(self.wall_seconds, 3), "checked": self.checked,
                "outcome": self.outcome, "violated": self.violated(),
                "violations": self.violations, "inconclusive": self.inconclusive,
                "kpis": self.kpis,
                **({} if self.live is None else {"live": self.live}),
                **({"earlier": [attempt.to_json() for attempt in self.earlier]}
                   if self.earlier else {}),
                **({} if self.replay is None else {"replay": self.replay}),
                **({} if self.timeline is None else {"timeline": self.timeline})}


#: `seatrial run`'s exit status when nothing was violated but some run was inconclusive
INCONCLUSIVE = 3


def exit_status(results: list[RunResult]) -> int:
    """1 if any run failed, else INCONCLUSIVE if any run's verdict is open, else 0."""
    outcomes = {result.outcome for result in results}
    return 1 if "failed" in outcomes else INCONCLUSIVE if "inconclusive" in outcomes else 0


EVIDENCE_CHAINS = 3  # per invariant and run, in reports: the first ones show how it broke


def slim(result: RunResult, chains: int = EVIDENCE_CHAINS) -> RunResult:
    """The result with the evidence chains of only the first `chains` violations of each
    invariant (the rest keep their message and keys): every chain of a faulty run would make
    a gate's report a gigabyte."""
    seen: dict[str, int] = {}
    kept = []
    for violation in result.violations:
        name = violation["invariant"]
        seen[name] = seen.get(name, 0) + 1
        kept.append(violation if seen[name] <= chains else
                    {k: v for k, v in violation.items() if k != "evidence"})
    return replace(result, violations=kept)
