"""The scorecard: targets x scenarios, each cell the runs held and the invariants violated.

Read from run documents (`RunResult.to_json()`, from any JSON report), so two builds or two
implementations compare side by side on the same seeds; the HTML report and the terminal
print the same cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seatrial.judge.invariants import NAMES


@dataclass
class Cell:
    runs: int = 0
    held: int = 0
    inconclusive: int = 0  # runs whose only violations the harness's own lag may explain
    seeds: list[int] = field(default_factory=list)
    violated: set[str] = field(default_factory=set)

    @property
    def passed(self) -> bool:
        return self.held == self.runs

    def invariants(self) -> list[str]:
        return [n for n in NAMES if n in self.violated] + sorted(self.violated - set(NAMES))

    @property
    def state(self) -> str:
        """held, violated, or inconclusive (nothing violated, but not every run conclusive)."""
        return ("held" if self.passed else
                "inconclusive" if self.held + self.inconclusive == self.runs else "violated")

    def text(self) -> str:
        if self.passed:
            return "held" if self.runs == 1 else f"held {self.runs}/{self.runs}"
        unsure = (f"{'' if self.runs == 1 else f'{self.inconclusive}/{self.runs} '}"
                  "inconclusive" if self.inconclusive else "")
        failed = self.runs - self.held - self.inconclusive
        if not failed:
            return unsure
        count = "" if self.runs == 1 else f"{failed}/{self.runs} "
        violated = f"{count}violated: {', '.join(self.invariants())}"
        return f"{violated}; {unsure}" if unsure else violated


@dataclass
class Scorecard:
    targets: list[str]
    scenarios: list[str]
    cells: dict[tuple[str, str], Cell]

    def cell(self, target: str, scenario: str) -> Cell | None:
        return self.cells.get((target, scenario))


def scorecard(runs: list[dict[str, Any]]) -> Scorecard:
    """Targets and scenarios in first-seen order; a target absent from a scenario has no cell."""
    targets: dict[str, None] = {}
    scenarios: dict[str, None] = {}
    cells: dict[tuple[str, str], Cell] = {}
    for run in runs:
        target, scenario = run["target"], run["scenario"]
        targets.setdefault(target)
        scenarios.setdefault(scenario)
        cell = cells.setdefault((target, scenario), Cell())
        cell.runs += 1
        cell.held += bool(run["passed"])
        cell.inconclusive += run.get("outcome") == "inconclusive"
        cell.seeds.append(run["seed"])
        cell.violated.update(run["violated"])
    return Scorecard(list(targets), list(scenarios), cells)
