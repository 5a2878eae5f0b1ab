"""Seatrial inside a team's own pytest suite (a `pytest11` entry point: installed, it is on).

Two ways in, both in-process and seeded, so a failure reruns the same:

    import pytest

    @pytest.mark.seatrial("happy-path", "duplicate-webhooks", seeds=[1, 2, 3],
                          target="mysync.app:MySync", dialects={"lastmile": "onfleet"})
    def test_our_sync_holds(seatrial_run):
        seatrial_run.assert_held()

    def test_naive_is_caught(seatrial):
        seatrial.run("duplicate-webhooks", seed=1, target="naive").assert_caught(
            "shipment-per-order")

The marker makes one test item per scenario and seed (ids `happy-path-seed1`, ...), so
`-k`, `-x`, `--junitxml` and `pytest-xdist` work as for any parametrized test. `seatrial_run` is
the judged run (`Judged`); `assert_held` fails the test with every violation and the end of its
evidence chain, as `seatrial run` prints them. The `seatrial` fixture runs any scenario (a
catalogue name, a YAML file, or a `Scenario`) against any target (a built-in name or
`package.module:attribute`). Scenarios of your own, generated, come from `seatrial.strategies`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pytest
from rich.console import Console

from seatrial.catalogue import find
from seatrial.cli_input import InputError, spoken
from seatrial.judge.result import RunResult
from seatrial.report.terminal import summarize
from seatrial.run import RunAborted, run_scenario
from seatrial.scenario import Scenario
from seatrial.scenario_yaml import ScenarioError
from seatrial.targets import TargetError, resolve

MARKER = "seatrial"
MARKER_HELP = (f"{MARKER}(*scenarios, seeds=[1], target='reference', dialects=None): run each "
               "scenario (catalogue name or YAML file) on each seed against the target "
               "(built-in name or package.module:attribute) in-process, one test item each; "
               "the test takes the judged run as its `seatrial_run` argument")


@dataclass(frozen=True)
class Case:
    """One scenario on one seed against one target, in the given dialects."""

    scenario: str | Scenario
    seed: int
    target: str = "reference"
    dialects: Mapping[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        name = self.scenario if isinstance(self.scenario, str) else self.scenario.name
        return f"{name}-seed{self.seed}"


@dataclass(frozen=True)
class Judged:
    """A judged run, with assertions that print what `seatrial run` prints."""

    result: RunResult

    @property
    def passed(self) -> bool:
        return self.result.passed

    @property
    def violated(self) -> list[str]:
        """The invariants violated, in order of first violation."""
        return self.result.violated()

    def report(self, verbose: bool = False) -> str:
        """The run as `seatrial run` prints it: the verdict, the first violations of each
        invariant with the end of their evidence chains (`verbose`: every violation, whole, as
        `seatrial run -v`)."""
        out = io.StringIO()
        summarize(Console(file=out, width=110, no_color=True, highlight=False), [self.result],
                  verbose)
        return out.getvalue()

    def assert_held(self) -> None:
        """Every invariant held, or an AssertionError with the violations and evidence."""
        if not self.result.passed:
            raise AssertionError(f"{self._title()}: {', '.join(self.violated)}\n"
                                 f"{self.report()}")

    def assert_caught(self, *invariants: str) -> None:
        """The run was caught: by each of `invariants` if given, else by any violation."""
        missing = [name for name in invariants if name not in self.violated]
        if not self.result.violations or missing:
            wanted = ", ".join(missing) if missing else "any invariant"
            raise AssertionError(f"{self._title()}: expected to be caught by {wanted}; "
                                 f"violated: {', '.join(self.violated) or 'none'}\n"
                                 f"{self.report()}")

    def _title(self) -> str:
        return f"{self.result.scenario} seed {self.result.seed} against {self.result.target}"


class Runner:
    """The `seatrial` fixture: runs scenarios in-process and judges them."""

    def run(self, scenario: str | Scenario, seed: int | None = None, target: str = "reference",
            dialects: Mapping[str, str] | None = None) -> Judged:
        """`scenario` (a catalogue name, a YAML file or a Scenario) on `seed` (default: the
        scenario's own) against `target`, in `dialects` (system to dialect name)."""
        chosen = _scenario(scenario, seed, dialects or {})
        try:
            implementation = resolve(target)
        except TargetError as error:
            raise pytest.UsageError(f"seatrial: {error}") from None
        try:
            return Judged(run_scenario(chosen, implementation))
        except RunAborted as error:
            raise AssertionError(f"seatrial: the run could not be judged: {error}") from None


def _scenario(spec: str | Scenario, seed: int | None, dialects: Mapping[str, str]) -> Scenario:
    try:
        scenario = spec if isinstance(spec, Scenario) else find(spec)
        if seed is not None:
            scenario = scenario.with_seed(seed)
        return spoken([scenario], tuple(f"{system}={name}"
                                        for system, name in dialects.items()))[0]
    except (ScenarioError, InputError) as error:
        raise pytest.UsageError(f"seatrial: {error}") from None


def cases(marker: pytest.Mark) -> list[Case]:
    """The cases a `seatrial` marker asks for, checked before any runs."""
    unknown = set(marker.kwargs) - {"seeds", "target", "dialects"}
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: unknown argument "
                                f"{sorted(unknown)[0]!r}; it takes scenarios, then seeds=, "
                                "target= and dialects=")
    if not marker.args:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: name at least one scenario, e.g. "
                                f'@pytest.mark.{MARKER}("happy-path")')
    seeds = marker.kwargs.get("seeds", (1,))
    if isinstance(seeds, int) or not isinstance(seeds, Iterable) or not all(
            isinstance(seed, int) and not isinstance(seed, bool) for seed in seeds):
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: seeds={seeds!r} must be a list of "
                                "integers, e.g. seeds=[1, 2, 3]")
    target = marker.kwargs.get("target", "reference")
    dialects = marker.kwargs.get("dialects") or {}
    return [Case(scenario, seed, target, dialects) for scenario in marker.args
            for seed in seeds]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None:
        return
    if "seatrial_run" not in metafunc.fixturenames:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: @pytest.mark.{MARKER} runs "
                                "scenarios for a test that takes `seatrial_run`; add it as an "
                                "argument")
    planned = cases(marker)
    metafunc.parametrize("seatrial_run", planned, ids=[case.id for case in planned],
                         indirect=True)


@pytest.fixture
def seatrial() -> Runner:
    """Runs scenarios in-process against targets: `seatrial.run(scenario, seed, target)`."""
    return Runner()


@pytest.fixture
def seatrial_run(request: pytest.FixtureRequest) -> Judged:
    """The judged run of this item's case (from `@pytest.mark.seatrial`)."""
    case = getattr(request, "param", None)
    if not isinstance(case, Case):
        raise pytest.UsageError(f"{request.node.nodeid}: `seatrial_run` comes from "
                                f"@pytest.mark.{MARKER}(scenario, ...); mark the test")
    return Runner().run(case.scenario, case.seed, case.target, case.dialects)
