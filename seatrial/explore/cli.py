"""`seatrial explore`: search generated scenarios for one that breaks a target, shrink it, and
keep it as a scenario file `seatrial run` replays."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from rich.console import Console
from rich.progress import Progress as Bar
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

from seatrial.cli_input import (
    InputError,
    check_writable,
    chosen_dialects,
    dialect_option,
    duration_option,
    exit_codes,
    html_option,
    parse_shard,
    seed_option,
    target_option,
)
from seatrial.report.files import ReportWriteError
from seatrial.report.html import write_html
from seatrial.report.terminal import summarize
from seatrial.targets import TargetError, resolve

DEFAULT_BUDGET = 1000

if TYPE_CHECKING:
    from seatrial.explore.search import Finding


@click.command("explore", short_help="Search for the smallest scenario that breaks a target.",
               epilog=exit_codes(
    {0: "every generated scenario held", 1: "a violation found, and its scenario written",
     2: "bad input, naming the option"}))
@target_option("in-process", required=True)
@dialect_option
@click.option("--budget", type=click.IntRange(min=1), metavar="N",
              help=f"Generated scenarios to try at most (default {DEFAULT_BUDGET}).")
@click.option("--time", "time_limit", metavar="D",
              help="Stop generating after this long, e.g. 60s or 5m (a failure found by then "
                   "is still shrunk).")
@click.option("--shrink-time", "shrink_limit", metavar="D", default="30s",
              help="Shrink a failure for at most this long, then keep the smallest failing "
                   "scenario found so far.")
@seed_option("The same seed searches the same scenarios, without the database (default: a "
             "random search, known failures first).")
@click.option("--failures", "failures_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("failures"), help="Where the shrunk failing scenario is written.")
@click.option("--database", type=click.Path(file_okay=False, path_type=Path),
              default=Path(".seatrial/explore"),
              help="Hypothesis's example database: known failures are tried first.")
@click.option("--workers", type=click.IntRange(min=1, max=256), default=1, metavar="N",
              help="Searches in parallel processes, sharing the budget and the database; the "
                   "first failure found and shrunk wins.")
@html_option("With a failure found: write the shrunk scenario's run as an HTML report (its "
             "timeline and evidence diagrams).")
@click.option("--shard", metavar="I/N",
              help="This machine's share of a CI matrix: a search of its own, seeded from "
                   "I/N (and --seed), so N machines search N different, repeatable streams.")
def explore(target: str, dialects: tuple[str, ...], budget: int | None, time_limit: str | None,
            shrink_limit: str, seed: int | None, failures_dir: Path, database: Path,
            workers: int, html_path: Path | None, shard: str | None) -> None:
    """Search generated scenarios (workloads, faults, business exceptions) in-process for one
    that makes TARGET violate an invariant, shrink it with Hypothesis to the smallest scenario
    that still violates the same invariant (fewest faults, fewest orders, shortest day), print
    it with its evidence chain, and write it under --failures as a scenario `seatrial run`
    replays (docs/exploring.md). With --dialect the generated scenarios speak those dialects,
    and draw the faults only those dialects have."""
    from seatrial.explore.search import explore as search
    from seatrial.explore.search import explore_in_parallel
    from seatrial.scenario import Dialects

    check_writable("--html", html_path)
    spoken = Dialects(**chosen_dialects(dialects))
    try:
        chosen = resolve(target)
    except TargetError as error:
        raise InputError(str(error)) from None
    seconds = None if time_limit is None else duration_option("--time", time_limit)
    shrink_seconds = duration_option("--shrink-time", shrink_limit)
    if shard is not None:
        index, count = parse_shard(shard)
        seed = (seed or 0) * count + index - 1
    console = Console(stderr=True)
    if workers > 1:
        with console.status(f"exploring in {workers} processes"):
            finding = explore_in_parallel(target, workers, budget or DEFAULT_BUDGET, seconds,
                                          seed, database, shrink_seconds, spoken)
    else:
        with Bar(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                 console=console, transient=True) as bar:
            task = bar.add_task("exploring")

            def show(progress: object) -> None:
                phase = "shrinking" if progress.shrinking else "exploring"
                bar.update(task, description=f"{phase}: {progress.examples} scenarios, "
                                             f"{progress.per_second:.1f}/s")

            finding = search(chosen, budget or DEFAULT_BUDGET, seconds, seed, database, show,
                             shrink_seconds, spoken)
    _report(console, finding, target, failures_dir, html_path)


def _report(console: Console, finding: Finding | None, target: str, failures_dir: Path,
            html_path: Path | None) -> NoReturn:
    """Say what the search found, write it, and exit 0 (nothing) or 1 (a failure)."""
    from seatrial.explore.search import failure_file

    if finding is None:
        console.print(f"[green]no violation[/] against {target}: every generated scenario "
                      "held")
        sys.exit(0)
    path = failure_file(finding, target, failures_dir)
    console.print(f"[red]{finding.invariant}[/] violated by {target} after "
                  f"{finding.examples} scenarios in {finding.seconds:.1f}s; shrunk to "
                  f"{len(finding.scenario.faults)} fault(s), "
                  f"{finding.scenario.workload.orders_per_hour:g} orders an hour for "
                  f"{finding.scenario.duration / 3600:g}h:\n")
    if finding.cut_short:
        console.print("[yellow]shrinking ran out of time[/] (--shrink-time): a smaller failing "
                      "scenario may exist; this is the smallest found\n")
    console.print(path.read_text(), markup=False, highlight=False)
    summarize(console, [finding.result])
    console.print(f"\nwritten to {path}; replay it with: seatrial run {path} --target {target}")
    if html_path is not None:
        try:
            write_html([finding.result.to_json()], html_path,
                       f"Seatrial explore: {target} violates {finding.invariant}")
        except ReportWriteError as error:
            raise InputError(f"--html {error}") from None
        console.print(f"HTML report: {html_path}")
    sys.exit(1)
