"""The search: Hypothesis generates scenarios, runs each in-process against the target, and
on a violation shrinks to the smallest scenario that still violates the same invariant.

"The same invariant" is kept by raising one exception class per invariant: Hypothesis tells
failures apart by their exception, so it shrinks a `shipment-per-order` failure to a smaller
`shipment-per-order` failure, never to some other invariant's. Its example database (a
directory) replays known failures first, so a failure found yesterday re-fails at once.

Shrinking has a time limit of its own: a failure that needs load can take Hypothesis minutes to
shrink, one run per candidate. Past the limit, untried candidates count as held without
running, so Hypothesis settles on the smallest failure found so far.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as use_seed
from hypothesis.database import DirectoryBasedExampleDatabase

from seatrial.explore.strategies import CANONICAL, scenarios
from seatrial.judge.result import RunResult
from seatrial.run import run_scenario
from seatrial.scenario import Dialects, Scenario
from seatrial.scenario_yaml import dump_scenario
from seatrial.targets import Target


class Violated(Exception):
    """A scenario the target failed; subclassed per invariant (see `violated`)."""

    def __init__(self, scenario: Scenario, result: RunResult) -> None:
        super().__init__(f"{scenario.name}: {', '.join(result.violated())}")
        self.scenario = scenario
        self.result = result


class OutOfTime(BaseException):
    """Time is up before any failure: a BaseException, so Hypothesis stops at once instead of
    treating it as a failure to shrink."""


SHRINK_SECONDS = 30.0  # default time limit for shrinking a failure
_BY_INVARIANT: dict[str, type[Violated]] = {}


def violated(invariant: str) -> type[Violated]:
    """The exception class standing for `invariant`: one per name, made once."""
    if invariant not in _BY_INVARIANT:
        _BY_INVARIANT[invariant] = type(f"Violated[{invariant}]", (Violated,), {})
    return _BY_INVARIANT[invariant]


@dataclass
class Progress:
    """What the search has done so far, for a progress bar."""

    examples: int = 0
    started: float = 0.0
    shrink_deadline: float = float("inf")  # set when the first failure is found
    cut_short: bool = False  # shrinking ran out of time

    @property
    def shrinking(self) -> bool:
        return self.shrink_deadline != float("inf")

    @property
    def per_second(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.examples / elapsed if elapsed > 0 else 0.0


@dataclass(frozen=True)
class Finding:
    invariant: str
    scenario: Scenario  # the shrunk one
    result: RunResult  # its run: the violations and their evidence
    examples: int
    seconds: float
    cut_short: bool  # shrinking ran out of time: smaller failing scenarios may exist


def explore(target: Target, budget: int, seconds: float | None, seed: int | None,
            database: Path, on_example: Callable[[Progress], None] = lambda _p: None,
            shrink_seconds: float = SHRINK_SECONDS,
            dialects: Dialects = CANONICAL) -> Finding | None:
    """Search up to `budget` generated scenarios, their systems speaking `dialects` (or until
    `seconds` have passed, whichever comes first), shrink a failure for up to
    `shrink_seconds`; the shrunk failure, or None when every one held. With a `seed` the
    search is reproducible, and Hypothesis then leaves the database alone."""
    progress = Progress(started=time.monotonic())
    deadline = progress.started + seconds if seconds is not None else None
    failed: set[str] = set()  # every failing scenario, so that it fails again when asked

    def probe(scenario: Scenario) -> None:
        now = time.monotonic()
        if not progress.shrinking and deadline is not None and now > deadline:
            raise OutOfTime  # no more new examples; a failure found in time still shrinks
        if now > progress.shrink_deadline and dump_scenario(scenario) not in failed:
            progress.cut_short = True
            return  # out of shrinking time: held, as far as Hypothesis can tell
        result = run_scenario(scenario, target)
        progress.examples += 1
        on_example(progress)
        if result.violations:
            if not progress.shrinking:
                progress.shrink_deadline = time.monotonic() + shrink_seconds
            failed.add(dump_scenario(scenario))
            raise violated(result.violated()[0])(scenario, result)

    search = settings(max_examples=budget, deadline=None, report_multiple_bugs=False,
                      database=DirectoryBasedExampleDatabase(str(database)),
                      suppress_health_check=list(HealthCheck), print_blob=False)(
        given(scenarios(dialects))(probe))
    # one database entry per target and dialects: its failures are replayed first next time
    spoken = "".join(f",{system}={name}" for system, name in dialects.model_dump().items()
                     if name != getattr(CANONICAL, system))
    search._hypothesis_internal_database_key = \
        f"seatrial.explore:{target.label}{spoken}".encode()
    if seed is not None:
        search = use_seed(seed)(search)
    try:
        search()
    except OutOfTime:
        return None
    except Violated as found:
        return Finding(found.result.violated()[0], found.scenario, found.result,
                       progress.examples, time.monotonic() - progress.started,
                       progress.cut_short)
    return None


def failure_file(finding: Finding, target: str, folder: Path) -> Path:
    """Write the shrunk scenario as YAML that `seatrial run FILE --target T` replays; named
    by target, invariant and content, so the same failure is written once."""
    invariant = finding.invariant
    scenario = finding.scenario.model_copy(update={
        "name": f"explored-{invariant.lower()}",  # scenario names are lower case
        "description": (f"Found by seatrial explore against {target}: violates {invariant}. "
                        f"Replay it with: seatrial run THIS_FILE --target {target}")})
    text = dump_scenario(scenario)
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{target.replace(':', '_').replace('/', '_')}-{invariant}-{digest}.yaml"
    path.write_text(text)
    return path


def explore_in_parallel(target: str, workers: int, budget: int, seconds: float | None,
                        seed: int | None, database: Path,
                        shrink_seconds: float = SHRINK_SECONDS,
                        dialects: Dialects = CANONICAL) -> Finding | None:
    """`workers` searches in their own processes, each with its share of the budget and its
    own seed (derived from `seed`, or random), sharing the database; the first failure found
    and shrunk wins and the others are stopped."""
    share = max(1, budget // workers)
    jobs = [(target, share, seconds, None if seed is None else seed * workers + k, database,
             shrink_seconds, dialects) for k in range(workers)]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for finding in pool.imap_unordered(_search_one, jobs):
            if finding is not None:
                pool.terminate()
                return finding
    return None


def _search_one(job: tuple[str, int, float | None, int | None, Path, float, Dialects]
                ) -> Finding | None:
    """One worker's search (the target by name: a process of its own resolves it)."""
    from seatrial.targets import resolve

    target, budget, seconds, seed, database, shrink_seconds, dialects = job
    return explore(resolve(target), budget, seconds, seed, database,
                   shrink_seconds=shrink_seconds, dialects=dialects)
