"""Self-calibration: every shipped implementation over the scenario catalogue, scored.

`reference` must hold every invariant in every run (a violation there is a false positive of the
catalogue or of a check); every other shipped implementation carries one documented defect and
must be caught, that is violate at least one invariant in at least one run (a mutation score),
and, where it names the invariant it `exists_for`, be caught by that one: a defect caught only
by some other check is caught by luck, and the check meant for it may be blind.

This module is the pure part: which implementations take part, and the matrix, score and verdict
built from `RunResult`s. Running them is the CLI's job (`seatrial calibrate`); printing the matrix
is `seatrial.report.matrix`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seatrial import __version__, targets
from seatrial.judge.invariants import NAMES
from seatrial.judge.result import RunResult

if TYPE_CHECKING:
    from seatrial.scenario import Scenario

REFERENCE = "reference"


class CalibrationError(ValueError):
    """Bad input to a calibration (an unknown implementation name); the message says what to do."""


@dataclass(frozen=True)
class Implementation:
    name: str
    defect: str | None = None
    exists_for: str | None = None  # the invariant that exists to catch this defect
    needs: tuple[str, str] | None = None  # (system, dialect) its defect lives in

    def meets(self, scenarios: Iterable[Scenario]) -> bool:
        """Whether any of `scenarios` can meet its defect: one where the system it `needs`
        speaks that dialect (any, when it needs none)."""
        if self.needs is None:
            return True
        system, dialect = self.needs
        return any(getattr(scenario.dialects, system) == dialect for scenario in scenarios)

    @property
    def is_reference(self) -> bool:
        return self.name == REFERENCE


def shipped() -> list[str]:
    """Every shipped implementation, reference first, then in registry order (read now, not at
    import, so implementations registered later take part)."""
    names = list(targets.BUILTIN)
    return sorted(names, key=lambda name: name != REFERENCE)  # stable: registry order kept


def choose(only: Iterable[str] = ()) -> list[str]:
    """The implementations to calibrate: all shipped ones, or those named in `only` (still in
    shipped order). Unknown names raise CalibrationError naming the known ones."""
    every = shipped()
    wanted = list(dict.fromkeys(only))
    unknown = [name for name in wanted if name not in every]
    if unknown:
        raise CalibrationError(f"--only {', '.join(unknown)}: no shipped implementation of that "
                               f"name; known: {', '.join(every)}")
    return [name for name in every if name in wanted] if wanted else every


def unmet(implementations: Iterable[Implementation],
          scenarios: Sequence[Scenario]) -> list[Implementation]:
    """The implementations whose defect none of `scenarios` can meet (`Implementation.meets`):
    a calibration leaves them out and says so, since they would escape through no fault of
    the checks (an X12 collector's defect where every TMS speaks Seatrial's own API)."""
    return [impl for impl in implementations if not impl.meets(scenarios)]


def violation_counts(result: RunResult) -> dict[str, int]:
    """Violations per invariant, in catalogue order."""
    counts = Counter(v["invariant"] for v in result.violations)
    return {name: counts[name] for name in [*NAMES, *sorted(set(counts) - set(NAMES))]
            if counts[name]}


def run_json(result: RunResult) -> dict[str, Any]:
    """A run in the calibration report: `RunResult.to_json()` with one example violation per
    invariant, and the count of each."""
    document = result.to_json()
    document["violations"] = [v for v in document["violations"] if "evidence" in v]
    document["violation_counts"] = violation_counts(result)
    return document


def _violated(runs: Iterable[RunResult]) -> list[str]:
    failed = {v["invariant"] for run in runs for v in run.violations}
    return [name for name in NAMES if name in failed] + sorted(failed - set(NAMES))


@dataclass
class Row:
    """One implementation's line of the detection matrix."""

    implementation: Implementation
    scenarios: list[str]
    runs: list[RunResult] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.implementation.name

    @property
    def defect(self) -> str | None:
        return self.implementation.defect

    @property
    def violated(self) -> dict[str, list[str]]:
        """Per scenario, the invariants violated in any of its seeds ([] when all held)."""
        return {scenario: _violated(r for r in self.runs if r.scenario == scenario)
                for scenario in self.scenarios}

    @property
    def caught(self) -> bool:
        """At least one violation in at least one run."""
        return any(not run.passed for run in self.runs)

    @property
    def caught_as_meant(self) -> bool:
        """Caught by the invariant it exists for (any violation, when it names none)."""
        meant = self.implementation.exists_for
        if meant is None:
            return self.caught
        return any(v["invariant"] == meant for run in self.runs for v in run.violations)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "defect": self.defect, "caught": self.caught,
                "exists_for": self.implementation.exists_for,
                "caught_as_meant": self.caught_as_meant, "violated": self.violated,
                "runs": [run_json(run) for run in self.runs]}


@dataclass
class Calibration:
    scenarios: list[str]
    seeds: dict[str, list[int]]  # scenario -> the seeds it ran with
    rows: list[Row]
    #: implementations not run: none of the scenarios speaks the dialect their defect needs
    left_out: list[Implementation] = field(default_factory=list)

    @property
    def reference(self) -> Row | None:
        return next((row for row in self.rows if row.implementation.is_reference), None)

    @property
    def faulty(self) -> list[Row]:
        return [row for row in self.rows if not row.implementation.is_reference]

    @property
    def escaped(self) -> list[str]:
        return [row.name for row in self.faulty if not row.caught]

    @property
    def missed_as_meant(self) -> list[str]:
        """Caught, but never by the invariant they exist for."""
        return [row.name for row in self.faulty if row.caught and not row.caught_as_meant]

    @property
    def score(self) -> tuple[int, int]:
        """(faulty implementations caught, faulty implementations)."""
        return len(self.faulty) - len(self.escaped), len(self.faulty)

    @property
    def false_positives(self) -> list[dict[str, Any]]:
        """Every reference run with a violation."""
        reference = self.reference
        if reference is None:
            return []
        return [{"scenario": run.scenario, "seed": run.seed, "invariants": _violated([run])}
                for run in reference.runs if not run.passed]

    @property
    def passed(self) -> bool:
        """Every faulty implementation caught, each by the invariant it exists for, and the
        reference clean."""
        return not self.escaped and not self.missed_as_meant and not self.false_positives

    def to_json(self) -> dict[str, Any]:
        caught, total = self.score
        return {
            "seatrial": __version__,
            "passed": self.passed,
            "scenarios": self.scenarios,
            "seeds": [{"scenario": name, "seeds": self.seeds[name]} for name in self.scenarios],
            "implementations": [row.to_json() for row in self.rows],
            "mutation_score": {"caught": caught, "total": total,
                               "ratio": round(caught / total, 4) if total else None,
                               "escaped": self.escaped,
                               "missed_as_meant": self.missed_as_meant},
            "false_positives": self.false_positives,
            "left_out": [{"name": impl.name, "needs": dict(zip(("system", "dialect"),
                                                                impl.needs or (), strict=True))}
                         for impl in self.left_out],
        }


def build(implementations: Sequence[Implementation], scenarios: Sequence[str],
          results: Iterable[RunResult],
          left_out: Sequence[Implementation] = ()) -> Calibration:
    """Group results (matched to implementations by `RunResult.target`) into the matrix.
    Results for implementations or scenarios not listed are ignored."""
    rows = {impl.name: Row(impl, list(scenarios)) for impl in implementations}
    wanted = set(scenarios)
    seeds: dict[str, list[int]] = {name: [] for name in scenarios}
    for result in results:
        if result.target not in rows or result.scenario not in wanted:
            continue
        rows[result.target].runs.append(result)
        if result.seed not in seeds[result.scenario]:
            seeds[result.scenario].append(result.seed)
    return Calibration(list(scenarios), seeds, list(rows.values()), list(left_out))
