"""`seatrial`: run scenarios against a sync implementation and judge the outcome.

Exit codes: 0 every invariant held, 1 a violation, 2 usage or input error, 130 interrupted
(Ctrl-C or SIGTERM during a live run).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from seatrial import __version__
from seatrial.calibrate import CalibrationError, Implementation, choose, unmet
from seatrial.calibrate import build as build_calibration
from seatrial.catalogue import catalogue, find, gate_suite
from seatrial.cli_input import (
    FILE,
    InputError,
    broker_management_option,
    broker_url_option,
    carried,
    channel_option,
    check_writable,
    dialect_option,
    drain_option,
    duration_option,
    exit_codes,
    health_timeout_option,
    html_option,
    jobs_option,
    json_option,
    junit_option,
    live_target,
    pace_options,
    parse_shard,
    retry_option,
    seed_option,
    seeded,
    seeds_option,
    spoken,
    target_cmd_option,
    target_option,
    time_scale_option,
    verbose_option,
)
from seatrial.config import SETTINGS, Config, ConfigError, toml_value
from seatrial.config import load as load_config
from seatrial.contracts import PACT_DIR
from seatrial.contracts.drift import DriftError, DriftReport, Pacts, drift, load_pacts
from seatrial.contracts.drift import render as render_drift
from seatrial.eventlog.format import EventLog, LogError, read_log, write_log
from seatrial.eventlog.player import replay_scenario
from seatrial.explore.cli import explore as explore_command
from seatrial.init import SKELETONS, InitError
from seatrial.init import write as write_project
from seatrial.judge.result import RunResult, exit_status, slim
from seatrial.live.parallel import (
    check_shareable,
    longest_first,
    pooled,
    run_live,
    sigterm_as_interrupt,
)
from seatrial.live.runner import LiveOptions, LiveTarget, LiveTargetError, check_live
from seatrial.load.cli import load as load_command
from seatrial.load.cli import load_service as load_service_command
from seatrial.report.files import ReportWriteError, write_report
from seatrial.report.html import ReportError, read_report, render, runs_of
from seatrial.report.json_report import to_document
from seatrial.report.junit import junit_text
from seatrial.report.matrix import render as render_matrix
from seatrial.report.terminal import print_scorecard, summarize
from seatrial.run import RunAborted, judge, play, run_scenario
from seatrial.scenario import Scenario, threshold
from seatrial.scenario_yaml import ScenarioError, dump_scenario
from seatrial.targets import TargetError, resolve
from seatrial.world import World

if TYPE_CHECKING:
    from seatrial.live.stack import SimulatorStack

INTERRUPTED = 130
CALIBRATION_SEEDS = 5  # seeds a scenario when calibrate is given neither --seed nor --seeds
WORKER_GRACE = 30.0  # wall seconds an ended worker has to stop its SUT (5 s grace) and servers
A = TypeVar("A")
T = TypeVar("T")
Outcome = tuple[RunResult, DriftReport | None]  # a run, and its drift report if asked for


class Interrupted(Exception):
    """Ctrl-C during a batch of runs: those that finished, in plan order."""

    def __init__(self, finished: list) -> None:
        super().__init__(f"interrupted after {len(finished)} run(s)")
        self.finished = finished


class Seatrial(click.Group):
    """Every command: Ctrl-C (or SIGTERM where a command turns it into KeyboardInterrupt) exits
    130, never 1 (a violation) as click's own "Aborted!" does; a run that could not be judged
    exits 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise click.exceptions.Exit(INTERRUPTED) from None
        except RunAborted as error:
            raise InputError(f"not judged: {error}") from None


@click.group(cls=Seatrial, context_settings={"help_option_names": ["-h", "--help"],
                                              "show_default": True},
             epilog=exit_codes({0: "passed, or done",
                                1: "caught: an invariant violated, or a rule, a pact or a "
                                   "gate's threshold broken",
                                2: "usage or input error, with a message naming what to fix",
                                130: "interrupted (Ctrl-C)"},
                               "Each command's own are in its --help."))
@click.version_option(__version__, prog_name="seatrial")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Sea trials for logistics sync implementations: simulate ERP, TMS and last-mile systems
    with real-world faults, run your sync implementation through them, judge the outcome.

    SCENARIO, wherever a command takes one, is a catalogue name (seatrial list) or a YAML file:
    a name ending in .yaml or .yml, containing /, or naming an existing file
    (docs/scenarios.md).

    `seatrial run` takes its defaults from seatrial.toml or pyproject.toml's [tool.seatrial]
    in this folder or the nearest above it (seatrial config shows them; docs/config.md)."""
    if ctx.invoked_subcommand in ("run", "config"):
        try:
            config = load_config(Path.cwd())
        except ConfigError as error:
            raise InputError(str(error)) from None
        ctx.obj = config
        ctx.default_map = {"run": config.values}


@main.command("config", short_help="Print the settings seatrial run takes from the project.",
              epilog=exit_codes({0: "printed", 2: "a config file that cannot be used, with a "
                                 "message naming the file, the key and what to write"}))
@click.pass_obj
def show_config(config: Config) -> None:
    """Print the settings `seatrial run` takes from seatrial.toml or pyproject.toml's
    [tool.seatrial] (the nearest at or above this folder), each with where it came from; a
    flag given to `seatrial run` wins over them (docs/config.md)."""
    click.echo(f"# from {config.source}" if config.source else
               "# no seatrial.toml or [tool.seatrial] here or above: every setting is "
               "seatrial run's default")
    for key in SETTINGS:
        click.echo(f"{key} = {toml_value(config.written[key])}" if key in config.written
                   else f"# {key}: seatrial run's default")


@main.command(short_help="Start a project: config, a scenario, CI and an implementation.",
              epilog=exit_codes({0: "written", 2: "a file it would write exists, or the "
                                 "folder cannot be written; nothing was written"}))
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--ci", type=click.Choice(["github", "gitlab", "none"]), default="github",
              help="The CI job to write: GitHub Actions (.github/workflows/seatrial.yml), "
                   "GitLab CI (.gitlab-ci.yml), or none.")
@click.option("--skeleton", type=click.Choice(SKELETONS), default="python",
              help="The sync implementation to start from: python (sync_app.py, the SDK, run "
                   "in-process) or http (sync_server.py, its own HTTP process speaking the "
                   "live protocol, Python's standard library only; the config runs it live "
                   "with target-cmd, one short scenario on one seed).")
def init(folder: Path, ci: str, skeleton: str) -> None:
    """Write a Seatrial project into FOLDER (made if missing): seatrial.toml (the settings
    `seatrial run` takes, docs/config.md), scenarios/our-duplicates.yaml (a scenario of your
    own to edit), an implementation to start from (--skeleton: sync_app.py, the reference
    subclassed, or sync_server.py, an HTTP server for the live protocol; either way the first
    `seatrial run` there holds every invariant), reports/ and a CI job. Overwrites nothing: if
    any of these files exists, nothing is written (exit 2)."""
    try:
        written = write_project(folder, ci, skeleton)
    except (InitError, OSError) as error:
        raise InputError(str(error)) from None
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: cd {folder} && seatrial run")


@main.command("list", short_help="List the scenario catalogue; * marks the gate suite.")
def list_scenarios() -> None:
    """List the scenario catalogue with each description's first sentence; * marks the gate
    suite, the scenarios run and calibrate take when given none (docs/catalogue.md)."""
    try:
        scenarios = catalogue()
    except ScenarioError as error:
        raise InputError(str(error)) from None
    width = max(len(name) for name in scenarios)
    for name, scenario in scenarios.items():
        mark = "*" if scenario.gate else " "
        click.echo(f"{mark} {name:<{width}}  {scenario.summary}")


@main.command(short_help="Print a scenario as YAML, every setting spelled out.")
@click.argument("scenario")
def show(scenario: str) -> None:
    """Print SCENARIO (catalogue name or file) as YAML that loads back to the same scenario,
    with every setting spelled out (defaults included), ready to copy and edit
    (docs/scenarios.md)."""
    click.echo(dump_scenario(_load([scenario])[0], complete=True), nl=False)


def _thresholds(ctx: click.Context, given: tuple[str, ...]) -> dict[str, float]:
    """Seconds by threshold key: the config's `thresholds`, then each --threshold KEY=DURATION
    over them key by key; an input error names the flag, the key and what to write."""
    config = ctx.obj if isinstance(ctx.obj, Config) else None
    texts = (*(config.values.get("thresholds", ()) if config else ()), *given)
    chosen: dict[str, float] = {}
    for text in texts:
        key, equals, value = text.partition("=")
        try:
            if not equals:
                raise ValueError("write KEY=DURATION, e.g. order_to_shipment_p95=45m")
            chosen[key] = threshold(key, value)
        except ValueError as error:
            raise InputError(f"--threshold {text}: {error}") from None
    return chosen


def _flags_win(ctx: click.Context, **given: object) -> tuple[object, ...]:
    """The values of rival options (given in pairs: --target or --target-cmd, --seed or
    --seeds), where a flag on the command line clears its rival's value from the project's
    config (seatrial.config), so the flag wins rather than clash."""
    names = list(given)
    values = dict(given)
    for first, second in zip(names[::2], names[1::2], strict=True):
        for flag, rival in ((first, second), (second, first)):
            if (ctx.get_parameter_source(flag) is click.core.ParameterSource.COMMANDLINE and
                    ctx.get_parameter_source(rival) is click.core.ParameterSource.DEFAULT_MAP):
                values[rival] = None
    return tuple(values[name] for name in names)


def _live_options(time_scale: float | str | None, drain: float | None,
                  health_timeout: float) -> LiveOptions:
    """A live run's options from its flags; an automatic pace reads the scenario's load from
    the reference's play of it in virtual time."""
    return LiveOptions(**pace_options(time_scale), shaper=resolve("reference"), drain=drain,
                       health_timeout=health_timeout)


INCONCLUSIVE_HELP = ("inconclusive: no violation, but a check that depends on time failed "
                     "live while the harness itself was behind, or kept the SUT waiting for a "
                     "core (the lag figures are in the report); rerun at a slower --time-scale")


@main.command(short_help="Run scenarios against a target and judge every run.", epilog=exit_codes(
    {0: "every invariant held in every run", 1: "at least one violation",
     2: "usage or input error", 3: INCONCLUSIVE_HELP,
     130: "interrupted (Ctrl-C, or SIGTERM during a live run)"},
    "Exit 2 says what to fix, without a traceback: an unknown option, target or scenario, an "
    "invalid scenario file, a missing report directory, a report that cannot be written (the "
    "others are written); live, a target that cannot be reached or does not become healthy, "
    "a scenario with a crash fault against a target Seatrial did not start, or --jobs over 1 "
    "against one that does not say it can take runs side by side; in-process, a "
    "SUT that cannot be judged: its constructor or start() fails, or a handler never "
    "finishes (10,000 steps without simulated time moving, or past the run's 600 s wall "
    "budget; the message names the handler and the line it spun on). Whatever a handler "
    "raises, SystemExit included, is that delivery's failure and is judged, never a way out.",
    "On 130, queued runs are cancelled and running ones ended at once; the reports hold the "
    "runs that finished, marked interrupted (JSON passed: false, a JUnit error). Every report "
    "is written whole or not at all (a temporary file, then renamed)."))
@click.argument("scenarios", nargs=-1, metavar="[SCENARIO]...")
@target_option()
@target_cmd_option
@time_scale_option()
@retry_option
@drain_option("after the release wave")
@health_timeout_option
@seed_option()
@seeds_option()
@dialect_option
@channel_option
@broker_url_option("live runs on the amqp channel each create a virtual host of their own on "
                   "it and delete it after; without it, one RabbitMQ is started for them all")
@broker_management_option
@json_option
@junit_option
@jobs_option("one per CPU in-process; live, 1: one run at a time, since runs side by side "
             "share the CPU a live verdict is timed on")
@verbose_option
@click.option("--drift", "with_drift", is_flag=True,
              help="After each run, print the API calls and webhook event types no pact covers "
                   "and the pact interactions the run never exercised, in-process and live "
                   "alike, and add `drift` to each run in the JSON report "
                   "(docs/contracts.md#drift-report). It informs: the exit code stays the "
                   "invariants'.")
@click.option("--pacts", "pacts_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="The pacts --drift compares with (implies --drift; default contracts/pacts, "
                   "the canonical ones); a directory with no pact for a Seatrial provider is "
                   "an input error.")
@click.option("--shard", metavar="I/N",
              help="Run only this machine's share of the runs (every N-th, from the I-th), "
                   "so a CI matrix of N machines covers each scenario x seed once.")
@html_option()
@click.option("--threshold", "thresholds", multiple=True, metavar="KEY=DURATION",
              help="Hold every run to this expectation, whatever the scenarios say: "
                   "converge_within or an SLO such as order_to_shipment_p95 (flow _p50, _p90, "
                   "_p95 or _p99), e.g. --threshold order_to_shipment_p95=45m; repeatable; "
                   "over the config's thresholds key by key (docs/config.md).")
@click.option("--record", "record_path", type=FILE, metavar="FILE.jsonl",
              help="Write every event the simulators published, with each order as released, "
                   "as a log `seatrial replay` plays (docs/replaying.md); one in-process run "
                   "only: one scenario, at most one --seed.")
def run(scenarios: tuple[str, ...], target: str | None, target_cmd: str | None,
        time_scale: float | str | None, retries: int, drain: float | None,
        health_timeout: float, seed: int | None,
        seeds: int | None, dialects: tuple[str, ...], channel: str | None,
        broker_url: str | None, broker_management_url: str | None,
        json_path: Path | None, junit_path: Path | None, jobs: int | None,
        verbose: bool, with_drift: bool, pacts_dir: Path | None, shard: str | None,
        html_path: Path | None, thresholds: tuple[str, ...],
        record_path: Path | None) -> None:
    """Run SCENARIO... (catalogue names or YAML files; none = the gate suite) against TARGET,
    in-process, or live over HTTP (--target http://... or --target-cmd), and judge every run.

    The summary table goes to stdout, then (with more than one run) the scorecard of targets x
    scenarios, then any drift tables; progress goes to stderr: a bar on a terminal (none
    elsewhere), and live runs print a line as each starts (one at a time) or ends (--jobs).
    Reports are written when every run has ended. A failing run prints its violations with
    their evidence chains (docs/reports.md). Live runs go one at a time unless --jobs says
    otherwise (a live verdict is judged on the wall clock, and runs side by side share the
    CPU): with --jobs N, N at a time, each in a process of its own with its own simulators,
    SUT (--target-cmd) and clock. A running SUT (--target URL) takes one run at a
    time unless its GET /health says it can take more (docs/live-protocol.md#runs-side-by-side);
    else --jobs over 1 exits 2."""
    target, target_cmd, seed, seeds = _flags_win(
        click.get_current_context(), target=target, target_cmd=target_cmd, seed=seed,
        seeds=seeds)
    sut = _target(target, target_cmd)
    for option, path in (("--json", json_path), ("--junit", junit_path),
                         ("--html", html_path), ("--record", record_path)):
        check_writable(option, path)
    plan = carried(spoken(seeded(_load(scenarios) if scenarios else gate_suite(), seed, seeds),
                          dialects), channel)
    held_to = _thresholds(click.get_current_context(), thresholds)
    if held_to:
        plan = [scenario.with_thresholds(held_to) for scenario in plan]
    if shard is not None:
        index, count = parse_shard(shard)
        plan = plan[index - 1::count]
        if not plan:
            click.echo(f"--shard {shard}: no runs fall to this shard ({count} shards for "
                       "fewer runs)", err=True)
            sys.exit(0)
    pacts = None
    if with_drift or pacts_dir is not None:
        try:
            pacts = load_pacts(pacts_dir or PACT_DIR)
        except DriftError as error:
            raise InputError(str(error)) from None

    console = Console(stderr=True)
    planned = None  # the number of runs planned, when Ctrl-C stopped the batch early
    try:
        if record_path is not None:
            outcomes = [_record(plan, sut, target, record_path)]
        elif sut is not None:
            options = _live_options(time_scale, drain, health_timeout)
            outcomes = _execute_live(plan, sut, options, console, pacts,
                                     jobs=jobs or 1, retries=retries,
                                     broker=(broker_url, broker_management_url))
        else:
            outcomes = _execute([(scenario, target) for scenario in plan],
                                jobs or os.cpu_count() or 1, console,
                                f"running against {target}", partial(_run_observed, pacts))
    except Interrupted as stop:
        outcomes, planned = stop.finished, len(plan)
    results = [result for result, _ in outcomes]
    summarize(Console(), results, verbose)
    for result, report in outcomes:
        if report is not None:
            render_drift(_wide_console(), f"{result.scenario} seed {result.seed} against "
                         f"{result.target}", report)
    document = to_document(results, planned)
    for entry, (_, report) in zip(document["runs"], outcomes, strict=True):
        if report is not None:
            entry["drift"] = report.to_json()
    title = "Seatrial report" + ("" if planned is None else
                                 f" (interrupted: {len(results)} of {planned} runs)")
    _write_reports(("--json", json_path, lambda: _json_text(document)),
                   ("--junit", junit_path, lambda: junit_text(results, planned)),
                   ("--html", html_path, lambda: render(document["runs"], title)))
    if planned is not None:
        click.echo(f"interrupted after {len(results)} of {planned} runs; the reports hold "
                   "those, marked interrupted", err=True)
        sys.exit(INTERRUPTED)
    sys.exit(exit_status(results))


@main.command(short_help="Replay a recorded event log against a target and judge it.",
              epilog=exit_codes(
    {0: "every invariant held", 1: "a violation", 2: "a log or an option that cannot be used",
     3: INCONCLUSIVE_HELP,
     130: "a live replay interrupted"},
    "Exit 2 names the line and the field: a line that is not JSON, a time without a UTC "
    "offset, an unknown type, a payload without what its type needs, an event for an order "
    "the log never releases (docs/replaying.md#bad-logs)."))
@click.argument("file", type=FILE)
@target_option()
@target_cmd_option
@click.option("--faults", "overlay", metavar="SCENARIO",
              help="A log: replay it under this scenario's faults, expectations, seed and live "
                   "settings (catalogue name or YAML file; default: no faults, every "
                   "invariant).")
@seed_option("The seed the faults are drawn with (default: --faults' seed, else 1).")
@time_scale_option()
@retry_option
@drain_option("after the log's last event")
@health_timeout_option
@json_option
@html_option()
@verbose_option
def replay(file: Path, target: str | None, target_cmd: str | None, overlay: str | None,
           seed: int | None, time_scale: float | str | None, retries: int, drain: float | None,
           health_timeout: float, json_path: Path | None, html_path: Path | None,
           verbose: bool) -> None:
    """Replay FILE against TARGET and judge it: a recorded event log (.jsonl in the canonical
    envelope, or .csv; docs/replaying.md) played at its recorded times in place of the
    simulators' lifecycles, or a scenario YAML (a failure `seatrial explore` wrote) as `seatrial
    run FILE` plays it. Same file, target and seed: the same ledger hash.

    Each event of a log is applied to the simulator that published it, then sent as recorded;
    the shipment and task ids in it become the target's own. After the table, one line says
    what became of the log's events (replayed, late, left to the target's own calls, refused
    by the replay's state, never bound, orders generated); the JSON report has the same counts
    under `replay`."""
    sut = _target(target, target_cmd)
    check_writable("--json", json_path)
    check_writable("--html", html_path)
    log = None
    if file.suffix in (".yaml", ".yml"):
        if overlay is not None:
            raise InputError(f"--faults: {file} is a scenario, with faults of its own; "
                             "--faults overlays a recorded log (.jsonl or .csv)")
        scenario = _load([str(file)])[0]
    else:
        try:
            log = read_log(file)
            scenario = replay_scenario(log, file.stem, _load([overlay])[0] if overlay else None)
        except LogError as error:
            raise InputError(str(error)) from None
    if seed is not None:
        scenario = scenario.with_seed(seed)
    console = Console(stderr=True)
    if sut is not None:
        options = _live_options(time_scale, drain, health_timeout)
        result = _execute_live([scenario], sut, options, console, None, log,
                               retries=retries)[0][0]
    else:
        result = run_scenario(scenario, resolve(target or ""), log)
    summarize(Console(), [result], verbose)
    document = to_document([result])
    _write_reports(("--json", json_path, lambda: _json_text(document)),
                   ("--html", html_path,
                    lambda: render(document["runs"], f"Seatrial replay of {file.name}")))
    sys.exit(exit_status([result]))


@main.command(short_help="Write JSON reports as one HTML report, and their scorecard.",
              epilog=exit_codes(
    {0: "written", 2: "a file that is not JSON or not a Seatrial report (docs/reports.md#limits), "
                      "or an output directory that does not exist"}))
@click.argument("results", nargs=-1, required=True, type=FILE, metavar="RESULT.json...")
@click.option("-o", "--output", required=True, type=FILE, metavar="FILE.html",
              help="Where to write the report.")
@click.option("--title", default="Seatrial report", help="The report's title.")
def report(results: tuple[Path, ...], output: Path, title: str) -> None:
    """Write RESULT.json... (JSON reports from run, replay or calibrate --json) as one
    self-contained HTML file (docs/reports.md), and print their scorecard of targets x
    scenarios. Give two builds' reports, made on the same scenarios and seeds, to compare them
    side by side; a target named in more than one file is told apart by its file's name."""
    check_writable("-o", output)
    documents = []
    for path in results:
        try:
            documents.append((path, read_report(path)))
        except ReportError as error:
            raise InputError(str(error)) from None
    files_of: dict[str, set[Path]] = {}
    for path, runs in documents:
        for run in runs:
            files_of.setdefault(run["target"], set()).add(path)
    runs = [{**run, "target": f"{run['target']} ({path.name})"
             if len(files_of[run["target"]]) > 1 else run["target"]}
            for path, document_runs in documents for run in document_runs]
    _write_reports(("-o", output, lambda: render(runs, title)))
    print_scorecard(_wide_console(), runs)
    failed = sum(not run["passed"] for run in runs)
    click.echo(f"{len(runs)} run(s), {failed} violated; written to {output}")


@main.command(short_help="Check that the catalogue catches every faulty implementation.",
              epilog=exit_codes(
    {0: "the reference held in every run and every faulty implementation was caught",
     1: "a faulty implementation escaped, or was caught only by another invariant than the one "
        "it exists for; or a false positive",
     2: "usage or input error (an unknown --only name: the known ones are listed)",
     130: "interrupted: nothing is written (part of a matrix is not a calibration)"}))
@click.argument("scenarios", nargs=-1, metavar="[SCENARIO]...")
@seed_option()
@seeds_option(CALIBRATION_SEEDS)
@dialect_option
@channel_option
@json_option
@jobs_option()
@click.option("--only", "only", multiple=True, metavar="NAME",
              help="Calibrate only this shipped implementation (repeatable; rows keep the "
                   "registry's order, reference first).")
@html_option("Write the HTML report here: the matrix as a scorecard, each run with its timeline "
             "and one violation per invariant with its sequence diagram.")
def calibrate(scenarios: tuple[str, ...], seed: int | None, seeds: int | None,
              dialects: tuple[str, ...], channel: str | None, json_path: Path | None,
              jobs: int | None, only: tuple[str, ...],
              html_path: Path | None) -> None:
    """Run every shipped implementation (seatrial.sync_implementations.SHIPPED: the reference and
    each faulty one) over SCENARIO... (none = the gate suite) on each seed: the reference must hold
    everything, each faulty one must be caught, by the invariant it exists for
    (docs/catalogue.md).

    Prints the detection matrix (a row per implementation with its one-line defect, a column
    per scenario, each cell the invariants violated across the seeds, abbreviated with a legend
    below, or - when every seed held), the mutation score (faulty implementations caught, with
    at least one violation in at least one run, out of all of them, naming any that escaped
    and any caught only by another invariant than the one it exists for),
    the false positives (every reference run with a violation) and a one-line verdict.

    A faulty implementation whose defect lives in one dialect's wire (the faulty-x12-*,
    faulty-sap-* and faulty-onfleet-* ones; faulty-latest-change-wins and faulty-schema-v1-only
    need the canonical one) takes part only where some scenario speaks that dialect (its own
    scenarios, or --dialect); elsewhere it is listed as left out."""
    check_writable("--json", json_path)
    check_writable("--html", html_path)
    try:
        names = choose(only)
        implementations = [Implementation(name, target.defect, target.exists_for, target.needs)
                           for name, target in ((name, resolve(name)) for name in names)]
    except (CalibrationError, TargetError) as error:
        raise InputError(str(error)) from None
    chosen = carried(spoken(_distinct(_load(scenarios) if scenarios else gate_suite()),
                            dialects), channel)
    left_out = unmet(implementations, chosen)
    named = [impl for impl in left_out if impl.name in only]
    if named:
        impl = named[0]
        system, dialect = impl.needs or ("", "")
        raise InputError(f"--only {impl.name}: its defect needs the {system} speaking "
                         f"{dialect}, and none of the scenarios does; add --dialect "
                         f"{system}={dialect}, or name a scenario in that dialect")
    implementations = [impl for impl in implementations if impl not in left_out]
    plan = seeded(chosen, seed, seeds, CALIBRATION_SEEDS)

    pairs = [(scenario, impl.name) for impl in implementations for scenario in plan]
    try:
        results = _execute(pairs, jobs or os.cpu_count() or 1, Console(stderr=True),
                           f"calibrating {len(implementations)} implementation(s)",
                           _calibrate_one)
    except Interrupted as stop:  # a part of the matrix would read as a calibration: none
        click.echo(f"interrupted after {len(stop.finished)} of {len(pairs)} runs; nothing "
                   "written (a partial matrix is not a calibration)", err=True)
        sys.exit(INTERRUPTED)
    calibration = build_calibration(implementations, [s.name for s in chosen], results,
                                    left_out)
    render_matrix(_wide_console(), calibration)
    document = calibration.to_json()
    _write_reports(("--json", json_path, lambda: _json_text(document)),
                   ("--html", html_path, lambda: render(runs_of(document, "calibration"),
                                                         "Seatrial calibration")))
    sys.exit(0 if calibration.passed else 1)


@main.command(short_help="Serve an in-process implementation as a live HTTP SUT.",
              epilog=exit_codes(
    {2: "an unknown target, a malformed setting in the environment (named), a --state-dir that "
        "is not a directory, a bad --delay"},
    "Settings come from the environment (--target-cmd sets them) or from POST "
    "/seatrial/configure (--target http://...), which wipes the SUT's state and so takes the "
    "control secret as Authorization: Bearer <secret>, answering 401 and changing nothing "
    "without it: $SEATRIAL_CONTROL_SECRET if set, else a random one printed once on stderr. "
    "Request bodies are limited to 1 MiB (413) and header fields to 16 KiB and 100 fields (431) "
    "(docs/live-protocol.md#limits)."))
@click.argument("name", metavar="TARGET")
@click.option("--port", type=click.IntRange(0, 65535), envvar="PORT", required=True, metavar="P",
              help="Port to listen on (default: $PORT, as --target-cmd sets it).")
@click.option("--host", default="127.0.0.1", help="Address to bind.")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path),
              envvar="SEATRIAL_STATE_DIR",
              help="Keep the durable store in SQLite here, so it survives a crash and restart "
                   "(default: $SEATRIAL_STATE_DIR, which --target-cmd sets to a fresh "
                   "directory per run; none: in memory).")
@click.option("--delay", default="0s", metavar="D",
              help="Handle each webhook this much later, in wall time (e.g. 1500ms): a slow "
                   "implementation on purpose, for checking that a load gate's thresholds "
                   "catch it (docs/load-profiles.md#slow-on-purpose).")
def sut(name: str, port: int, host: str, state_dir: Path | None, delay: str) -> None:
    """Serve TARGET (reference, naive, a faulty-* name, or package.module:attribute) as an
    HTTP sync implementation that speaks the live protocol (docs/live-protocol.md): the same
    handler code as in-process, hosted over httpx and a Starlette app instead of virtual time;
    with the TMS in x12, its `io.mailbox` calls go over SFTP to the mailbox the
    SEATRIAL_TMS_SFTP_* settings name. For example `seatrial run happy-path --target-cmd
    "seatrial sut reference"`."""
    import uvicorn

    from seatrial.live.limits import SERVER_LIMITS
    from seatrial.live.sut import (
        SETTINGS,
        SettingsError,
        control_secret,
        parse_settings,
        sut_app,
    )

    try:
        target = resolve(name)
    except TargetError as error:
        raise InputError(str(error)) from None
    if any(os.environ.get(setting) for setting in SETTINGS):
        try:
            parse_settings(os.environ)
        except SettingsError as error:
            raise InputError(f"environment: {error}") from None
    if state_dir is not None and not state_dir.is_dir():
        raise InputError(f"--state-dir {state_dir}: not a directory; create it first")
    wait = duration_option("--delay", delay)
    secret = control_secret(os.environ, lambda line: click.echo(line, err=True))
    uvicorn.run(sut_app(target.factory, os.environ, state_dir, wait, secret), host=host,
                port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=1,
                **SERVER_LIMITS)


@main.command(short_help="Serve a scenario's three simulators alone, live.",
              epilog=exit_codes(
    {0: "stopped by Ctrl-C or SIGTERM, every port closed",
     2: "a taken port, an address that is not this machine's, a URL that is not "
        "http://HOST:PORT, an unknown scenario or one with a crash fault (only a SUT "
        "Seatrial started can be crashed), --client-id without --client-secret"}))
@click.argument("scenario", default="happy-path")
@seed_option("Play the scenario with this seed: every fault draw and lifecycle delay follows "
             "it; the credentials only with --seeded-credentials.")
@time_scale_option(auto=False)
@click.option("--host", default="127.0.0.1", help="Address to bind.")
@click.option("--erp-port", type=click.IntRange(0, 65535), default=0, metavar="P",
              help="Port of the ERP API (0: a free one).")
@click.option("--tms-port", type=click.IntRange(0, 65535), default=0, metavar="P",
              help="Port of the TMS API (0: a free one).")
@click.option("--lastmile-port", type=click.IntRange(0, 65535), default=0, metavar="P",
              help="Port of the last-mile API (0: a free one).")
@click.option("--webhook-url", metavar="URL",
              help="Deliver the webhooks to the SUT at this base URL (http://HOST:PORT; POST "
                   "URL/webhooks/{erp,tms,lastmile}, signed, with the scenario's webhook "
                   "faults), first configured with POST /seatrial/configure (sending "
                   "$SEATRIAL_CONTROL_SECRET) if it answers (default: acknowledge and drop "
                   "every delivery, and the first line says so).")
@click.option("--seeded-credentials", is_flag=True,
              help="Reproducible credentials for demos, drawn from the seed: anyone who knows "
                   "the scenario and seed can call these simulators (default: random ones).")
@click.option("--client-id", metavar="ID",
              help="Accept this OAuth2 client id at /oauth/token (with --client-secret): a "
                   "pact's own token request verifies.")
@click.option("--client-secret", metavar="SECRET",
              help="Accept this client secret at /oauth/token (with --client-id).")
@click.option("--provider-states", is_flag=True,
              help="For a stock Pact verifier: serve POST /seatrial/provider-states (Pact's "
                   "state change URL, with body and teardown) on every simulator's port, over "
                   "a world nothing moves in on its own, emptied by each teardown; SCENARIO "
                   "lends only its dialects and seed (docs/contracts.md).")
def serve(scenario: str, seed: int | None, time_scale: float | None, host: str, erp_port: int,
          tms_port: int, lastmile_port: int, webhook_url: str | None,
          seeded_credentials: bool, client_id: str | None, client_secret: str | None,
          provider_states: bool) -> None:
    """Serve the three simulators of SCENARIO (catalogue name or file; default happy-path)
    alone, live, for exploring them by hand or developing a SUT against them: prints the
    settings and a ready bearer token per system as export lines, then serves until Ctrl-C or
    SIGTERM; with the TMS in x12, its SFTP mailbox too, with the login and an sftp command
    line. Nothing is judged (docs/live-protocol.md)."""
    from seatrial.live.serve import (
        ServeError,
        ServeOptions,
        bind,
        check_scenario,
        sut_base_url,
    )
    from seatrial.live.serve import serve as serve_stack

    chosen = _load([scenario])[0]
    if seed is not None:
        chosen = chosen.with_seed(seed)
    if (client_id is None) != (client_secret is None) or "" in (client_id, client_secret):
        raise InputError("--client-id and --client-secret: give both, neither empty (the "
                         "client credentials your pact's token request sends)")
    states = None
    if provider_states:
        from seatrial.contracts.provider_states import SCENARIO, ProviderStates

        chosen = SCENARIO.model_copy(update={"dialects": chosen.dialects}).with_seed(
            chosen.seed)

        def states(stack: SimulatorStack) -> ProviderStates:
            return ProviderStates(stack.world, tokens=stack.tokens)
    try:
        check_scenario(chosen)
        url = None if webhook_url is None else sut_base_url(webhook_url, "--webhook-url")
        options = ServeOptions(scale=LiveOptions(scale=time_scale).pace(chosen), host=host,
                               ports=(erp_port, tms_port, lastmile_port), webhook_url=url,
                               seeded_credentials=seeded_credentials, client_id=client_id,
                               client_secret=client_secret, provider_states=states)
        sockets = bind(options)
    except ServeError as error:
        raise InputError(str(error)) from None

    def show(lines: list[str]) -> None:
        click.echo("\n".join(lines))
        sys.stdout.flush()  # a pipe (a script, a test) reads the settings while we serve

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C before the servers were up
        serve_stack(chosen, options, sockets, show)
    click.echo("stopped: the simulators' ports are closed", err=True)


@main.command(short_help="Start a RabbitMQ of its own, or a virtual host on yours, until Ctrl-C.",
              epilog=exit_codes(
    {0: "stopped by Ctrl-C or SIGTERM: the broker, its epmd and its folder are gone (or the "
        "virtual host is deleted)",
     2: "no rabbitmq-server installed (the message says how to get one), a broker that did "
        "not boot (its last output is shown), or a --broker-url that cannot be used (the "
        "message names the fix)"}))
@broker_url_option("a virtual host of this invocation's own is created on it and deleted on "
                   "the way out")
@broker_management_option
@click.option("--management", is_flag=True,
              help="Serve the started broker's management UI and API on a loopback port too "
                   "(slower to boot and to stop).")
def broker(broker_url: str | None, broker_management_url: str | None, management: bool) -> None:
    """Start RabbitMQ on loopback ports in a temporary folder, as a live run over the broker
    does, for developing a consumer against or looking at: prints its AMQP URL (this
    invocation's user, password and virtual host) as an export line, then keeps it until Ctrl-C
    or SIGTERM, and stops and removes it. With --broker-url, a virtual host on that broker
    instead (docs/broker.md)."""
    from seatrial.live.broker import BrokerError, open_broker
    from seatrial.live.settings import AMQP_URL

    if management and broker_url is not None:
        raise click.UsageError("--management is for the broker Seatrial starts; --broker-url's "
                               "management API is its own (--broker-management-url)")
    if broker_management_url is not None and broker_url is None:
        raise click.UsageError("--broker-management-url goes with --broker-url")
    try:
        with sigterm_as_interrupt(), contextlib.suppress(KeyboardInterrupt), \
                open_broker(broker_url, broker_management_url, management=management) as running:
            where = (f"virtual host {running.vhost} on {broker_url.rpartition('@')[2]}"
                     if broker_url else "RabbitMQ started on loopback")
            lines = [f"# seatrial broker: {where}; Ctrl-C stops it",
                     f"export {AMQP_URL}='{running.url}'"]
            if running.management_url is not None:
                lines.append(f"# management API and UI: {running.management_url}")
            click.echo("\n".join(lines))
            sys.stdout.flush()  # a pipe (a script, a test) reads the URL while it runs
            while True:
                signal.pause()
    except BrokerError as error:
        raise InputError(str(error)) from None
    click.echo("stopped: " + ("the virtual host is deleted" if broker_url else
                              "the broker and its epmd are stopped, its folder removed"),
               err=True)


@main.command("fuzz-sut", short_help="Fuzz a running SUT's webhook endpoints.", epilog=exit_codes(
    {0: "every rule held", 1: "a rule was broken: up to two failing deliveries a rule are shown",
     2: "a target that is not http://HOST:PORT, cannot be reached, is not healthy or refuses "
        "the settings", 130: "interrupted"},
    "Afterwards the SUT is still configured with the fuzzer's settings: configure it again (a "
    "seatrial run --target does) before you use it."))
@target_option("running", required=True)
@click.option("--examples", type=click.IntRange(min=1, max=10_000), default=20, metavar="N",
              help="Generated deliveries per webhook endpoint and mode (positive, negative); "
                   "each is sent 4 or 5 ways.")
@seed_option("The same seed sends the same deliveries; change it for others.", default=0)
def fuzz_sut(target: str, examples: int, seed: int) -> None:
    """Fuzz a running SUT's webhook endpoints (schemathesis, from its OpenAPI document
    contracts/openapi/sut-webhooks.json): signed deliveries must never get a 5xx, unsigned,
    badly signed and stale ones must be refused, malformed bodies get a 4xx
    (docs/live-protocol.md)."""
    from seatrial.live.fuzz_sut import fuzz_sut as fuzz
    from seatrial.live.remote import SutUnavailable
    from seatrial.live.serve import ServeError, sut_base_url

    try:
        url = sut_base_url(target, "--target")
    except ServeError as error:
        raise InputError(str(error)) from None
    try:
        report = fuzz(url, examples, seed)
    except SutUnavailable as error:
        raise InputError(str(error)) from None
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(INTERRUPTED)
    click.echo(report.render())
    sys.exit(0 if report.passed else 1)


def _execute_live(plan: list[Scenario], target: LiveTarget, options: LiveOptions,
                  console: Console, pacts: Pacts | None, log: EventLog | None = None,
                  jobs: int = 1, retries: int = 0,
                  broker: tuple[str | None, str | None] = (None, None)) -> list[Outcome]:
    """Live runs, `jobs` at a time: one after another in this process, or side by side each
    in a worker process of its own (seatrial.live.parallel). Played, then judged by the same
    `judge` as in-process, with the ledger read for drift in between; inconclusive ones played
    again up to `retries` times (_retried). Runs on the amqp channel share one broker, started
    here (or the one at `broker`'s URL, with its management API's), each with a virtual host
    of its own."""
    from seatrial.live.broker import BrokerError, runs_broker

    if options.broker is None and any(scenario.channel == "amqp" for scenario in plan):
        try:
            with sigterm_as_interrupt(), runs_broker(*broker) as host:
                return _execute_live(plan, target, replace(options, broker=host), console,
                                     pacts, log, jobs, retries)
        except BrokerError as error:
            raise InputError(str(error)) from None
    jobs = min(jobs, len(plan))
    read = partial(_drift_of, pacts)
    try:
        if target.url is not None:
            for scenario in plan:
                check_live(scenario, target)
            if jobs > 1:
                check_shareable(target.url, jobs)
        if jobs > 1:
            paces = " / ".join(sorted({options.describe_pace(s) for s in plan}))
            console.print(f"{len(plan)} live runs against {target.label} at {paces}, {jobs} "
                          "at a time, each with its own simulators and SUT", highlight=False)
            order = longest_first(plan, options)
            try:
                with sigterm_as_interrupt():
                    played = _execute([(plan[index], target) for index in order], jobs,
                                      console, "live runs", partial(pooled, options, read, log),
                                      _verdict_line)
                outcomes = [played[order.index(index)] for index in range(len(plan))]
            except Interrupted:
                console.print("interrupted: every SUT and simulator is stopped")
                raise
        else:
            outcomes = []
            for index, scenario in enumerate(plan, 1):
                console.print(f"[{index}/{len(plan)}] {scenario.name} seed {scenario.seed} live "
                              f"against {target.label} at {options.describe_pace(scenario)}",
                              highlight=False)
                outcomes.append(_live_once(options, read, log, scenario, target, console,
                                           outcomes))
        return _retried(outcomes, plan, retries, options, read, log, target, console)
    except LiveTargetError as error:
        raise InputError(str(error)) from None


def _verdict_line(outcome: Outcome) -> str:
    """One live run's verdict as it ends, in a batch side by side."""
    result = outcome[0]
    pace = f" at {result.live['pace']['scale']:g}x" if result.live else ""
    violated = f" ({', '.join(result.violated())})" if result.violations else ""
    return (f"{result.scenario} seed {result.seed}: {result.outcome}{violated}, "
            f"{result.wall_seconds:.0f} wall s{pace}")


def _live_once(options: LiveOptions, read: Callable[[World], DriftReport | None],
               log: EventLog | None, scenario: Scenario, target: LiveTarget, console: Console,
               finished: list[Outcome]) -> Outcome:
    """One live run in this process, its pace told on the console; Ctrl-C keeps `finished`."""
    try:
        return run_live(options, read, log, scenario, target,
                        lambda line: console.print(f"  {line}", highlight=False))
    except KeyboardInterrupt:
        console.print("interrupted: the SUT and the simulators are stopped")
        raise Interrupted(finished) from None


def _retried(outcomes: list[Outcome], plan: list[Scenario], retries: int,
             options: LiveOptions, read: Callable[[World], DriftReport | None],
             log: EventLog | None, target: LiveTarget, console: Console) -> list[Outcome]:
    """--retry-inconclusive: each inconclusive run played again at half the pace of its last
    attempt, up to `retries` times, one at a time (a rerun is for a harness that fell behind,
    so nothing runs beside it); the last attempt is the run's verdict and carries the earlier
    ones (RunResult.earlier)."""
    final = []
    for index, (scenario, (result, report)) in enumerate(zip(plan, outcomes, strict=True)):
        for attempt in range(2, retries + 2):
            if result.outcome != "inconclusive":
                break
            pace = max(1.0, result.live["pace"]["scale"] / 2)
            console.print(f"[rerun {attempt - 1}/{retries}] {scenario.name} seed "
                          f"{scenario.seed} was inconclusive at "
                          f"{result.live['pace']['scale']:g}x; again at {pace:g}x",
                          highlight=False)
            rerun = replace(options, scale=pace, auto=False, chosen="rerun")
            done = [*final, (result, report), *outcomes[index + 1:]]
            again, report = _live_once(rerun, read, log, scenario, target, console, done)
            result = replace(again, earlier=[*result.earlier,
                                             replace(result, earlier=[], timeline=None)])
        final.append((result, report))
    return final


def _drift_of(pacts: Pacts | None, world: World) -> DriftReport | None:
    """A played world's drift report, if pacts were given."""
    return None if pacts is None else drift(world.ledger.entries, pacts)


def _target(target: str | None, target_cmd: str | None) -> LiveTarget | None:
    """The live SUT of --target URL / --target-cmd, or None for an in-process target (checked
    here, so a typo fails before anything runs)."""
    if (target is None) == (target_cmd is None):
        raise click.UsageError("give --target TARGET or --target-cmd COMMAND (exactly one)")
    if target_cmd is not None or target.startswith(("http://", "https://")):
        return live_target(target, target_cmd)
    try:
        resolve(target)
    except TargetError as error:
        raise InputError(str(error)) from None
    return None


def _record(plan: list[Scenario], sut: LiveTarget | None, target: str | None,
            path: Path) -> Outcome:
    """One in-process run, with every event the simulators published written to `path`."""
    if sut is not None or len(plan) != 1:
        raise InputError("--record records one in-process run: give one scenario and at most "
                         "one --seed, and an in-process --target (not a live one)")
    if path.suffix != ".jsonl":
        raise InputError(f"--record {path}: a recorded log is JSON Lines; name it *.jsonl")
    started = time.perf_counter()
    chosen = resolve(target or "")
    world, end = play(plan[0], chosen, record=True)
    try:
        write_log(path, world.recording.lines if world.recording else [])
    except ReportWriteError as error:
        raise InputError(f"--record {error}") from None
    return judge(world, end, chosen.label, started), None


def _distinct(scenarios: list[Scenario]) -> list[Scenario]:
    """Each scenario once; two different scenarios under one name are an input error."""
    kept: dict[str, Scenario] = {}
    for scenario in scenarios:
        if scenario.name in kept and kept[scenario.name] != scenario:
            raise InputError(f"two different scenarios are named {scenario.name!r}; "
                             "give each scenario once, under its own name")
        kept.setdefault(scenario.name, scenario)
    return list(kept.values())


def _wide_console() -> Console:
    """The terminal's width on a terminal (or $COLUMNS); elsewhere (CI logs, files) wide enough
    for the matrix not to be squeezed into 80 columns (a table takes only the width it needs)."""
    console = Console()
    if console.is_terminal or "COLUMNS" in os.environ:
        return console
    return Console(width=400)


def _calibrate_one(scenario: Scenario, target: str) -> RunResult:
    return slim(_run_one(scenario, target), chains=1)


def _load(specs: tuple[str, ...] | list[str]) -> list[Scenario]:
    try:
        return [find(spec) for spec in specs]
    except ScenarioError as error:
        raise InputError(str(error)) from None


def _run_one(scenario: Scenario, target: str) -> RunResult:
    return run_scenario(scenario, resolve(target))


def _run_observed(pacts: Pacts | None, scenario: Scenario, target: str) -> Outcome:
    """One in-process run; with pacts, played and judged as `run_scenario` does, with the
    ledger read for drift in between (in the worker: ledgers stay where they were made)."""
    if pacts is None:
        return _run_one(scenario, target), None
    started = time.perf_counter()
    chosen = resolve(target)
    world, end = play(scenario, chosen)
    return judge(world, end, chosen.label, started), drift(world.ledger.entries, pacts)


def _execute(pairs: list[tuple[Scenario, A]], jobs: int, console: Console,
             description: str, worker: Callable[[Scenario, A], T] = _run_one,
             tell: Callable[[T], str] | None = None) -> list[T]:
    """Run each (scenario, target) pair with a progress bar; results come back in plan order
    (a target is an in-process target's name, or a live one). With `tell`, a line for each
    run as it ends, above the bar: what a long batch shows where no terminal draws the bar
    (stderr to a file or a CI log). Ctrl-C stops at once (queued runs cancelled, running ones
    ended) and raises `Interrupted` with the finished ones; a run that cannot be judged
    (`RunAborted`) stops the batch too."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    finished: dict[int, T] = {}
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=len(pairs))

        def ended(index: int) -> None:
            progress.advance(task)
            if tell is not None:
                progress.console.print(f"[{len(finished)}/{len(pairs)} ended] "
                                       f"{tell(finished[index])}", highlight=False)

        try:
            if jobs == 1 or len(pairs) == 1:
                for index, (scenario, target) in enumerate(pairs):
                    finished[index] = worker(scenario, target)
                    ended(index)
            else:
                _in_pool(pairs, min(jobs, len(pairs)), worker, finished, ended)
        except KeyboardInterrupt:
            raise Interrupted([finished[index] for index in sorted(finished)]) from None
    return [finished[index] for index in range(len(pairs))]


def _in_pool(pairs: list[tuple[Scenario, A]], jobs: int, worker: Callable[[Scenario, A], T],
             finished: dict[int, T], ended: Callable[[int], None]) -> None:
    """The runs on `jobs` processes, into `finished` by plan index. The workers ignore Ctrl-C
    (the terminal sends it to them too): this process decides, cancels what is queued and ends
    what is running (SIGTERM) instead of letting every queued run play out, and waits until
    they have ended: a live worker stops its SUT and simulators first."""
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_signals)
    try:
        futures = {pool.submit(worker, scenario, target): index
                   for index, (scenario, target) in enumerate(pairs)}
        for future in as_completed(futures):
            index = futures[future]
            finished[index] = future.result()
            ended(index)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        children = multiprocessing.active_children()
        for child in children:
            child.terminate()
        for child in children:
            child.join(WORKER_GRACE)
        raise
    pool.shutdown()


def _worker_signals() -> None:
    """A pool worker's signals: Ctrl-C is the parent's to decide; SIGTERM (the parent ending
    it) has its default meaning, not whatever handler the parent had when it forked, and a
    live run turns it into stopping its SUT and simulators."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _json_text(document: dict) -> str:
    return json.dumps(document, indent=2) + "\n"


def _write_reports(*outputs: tuple[str, Path | None, Callable[[], str]]) -> None:
    """Write each report asked for (option, path, its text): atomically, all of them even when
    one fails, then exit 2 naming each that could not be written."""
    failures = []
    for option, path, text in outputs:
        if path is None:
            continue
        try:
            write_report(path, text())
        except ReportWriteError as error:
            failures.append(f"{option} {error}")
    if failures:
        raise InputError("\n".join(failures))


@main.group(short_help="Pact verification: a running SUT, the simulators.")
def contracts() -> None:
    """Pact contracts, in CI before the gate suite: a sync implementation against its webhook
    senders' pacts, the simulators against your own pacts (docs/contracts.md, with the CI
    recipe; examples/ci/github-actions.yml)."""


@contracts.command("verify-sut",
                   short_help="Verify a running SUT against its webhook senders' pacts.",
                   epilog=exit_codes(
    {0: "every interaction held",
     1: "one did not: the Verifier's failures name the interaction, the expected and the "
        "actual status",
     2: "a target that is not http://HOST:PORT, cannot be reached, is not healthy or refuses "
        "the settings (a running target takes them only with its control secret, "
        "$SEATRIAL_CONTROL_SECRET); a command that did not come up; no pact files in --pacts"},
    "Afterwards the target is still configured with verify-sut's settings: configure it again "
    "before you use it."))
@target_option("running")
@target_cmd_option
@health_timeout_option
@click.option("--pacts", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="The webhook senders' pacts (default: the canonical ones, "
                   "contracts/pacts/sut).")
def verify_sut_command(target: str | None, target_cmd: str | None, health_timeout: float,
                       pacts: Path | None) -> None:
    """Verify a sync implementation's webhook endpoints against the pacts the ERP, TMS and
    last-mile webhook senders hold with it (contracts/pacts/sut/): signed deliveries
    acknowledged with a 2xx, forged ones refused with 401/403. The target is configured first
    with verify-sut's own webhook secrets and a simulator stack behind it; each replayed
    delivery is re-signed through a signing proxy, since no pact can hold a signature that is
    still valid when replayed."""
    from seatrial.contracts.verify_sut import canonical_pacts, started, verify_sut
    from seatrial.live.remote import SutUnavailable

    if (target is None) == (target_cmd is None):
        raise click.UsageError("give --target http://HOST:PORT or --target-cmd COMMAND "
                               "(exactly one)")
    if pacts is not None and not list(pacts.glob("*.json")):
        raise InputError(f"--pacts {pacts}: no pact files (*.json) there")
    live = live_target(target, target_cmd)
    try:
        with contextlib.ExitStack() as stack:
            pacts = pacts or stack.enter_context(canonical_pacts())
            # a started command's control secret is verify-sut's own; else $SEATRIAL_CONTROL_SECRET
            url, secret = ((live.url, None) if live.command is None
                           else stack.enter_context(started(live.command, health_timeout)))
            click.echo(f"verify-sut {target or target_cmd}: the pacts in {pacts}")
            sys.stdout.flush()  # the Verifier writes its report to the same stdout
            result = verify_sut(url, pacts, secret)
    except SutUnavailable as error:
        raise InputError(str(error)) from None
    for failure in result.state_failures:
        click.echo(f"provider state not set up: {failure}")
    click.echo("result: the implementation honours every webhook sender's pact" if result.passed
               else "result: the implementation breaks its webhook senders' pacts: the failures "
                    "above name each interaction and what came back")
    sys.exit(0 if result.passed else 1)


@contracts.command("verify-simulators",
                   short_help="Verify the simulators against your pacts, from files or a broker.",
                   epilog=exit_codes(
    {0: "every interaction verified and passed",
     1: "a mismatch (the Verifier's failures name the field), an interaction the simulators "
        "cannot verify, or nothing verified at all",
     2: "bad input: no pact files in --pacts, a file that is not a pact, a bad "
        "--provider-name, selector or date, a broker that cannot be reached or refuses the "
        "token, broker options without --broker-url"}))
@click.option("--pacts", type=click.Path(path_type=Path), metavar="DIR",
              help="A directory of pact files your consumer tests wrote.")
@click.option("--broker-url", metavar="URL", help="A Pact Broker or PactFlow instead.")
@click.option("--broker-token", metavar="TOKEN", envvar="PACT_BROKER_TOKEN",
              help="The broker's bearer token (default: $PACT_BROKER_TOKEN).")
@click.option("--consumer-version-selector", "selectors", multiple=True, metavar="JSON",
              help='Broker: which consumer versions, as the broker spells it, e.g. '
                   '\'{"mainBranch": true}\' (repeatable; default: the broker\'s).')
@click.option("--include-pending", is_flag=True, help="Broker: include pending pacts.")
@click.option("--include-wip-since", metavar="DATE",
              help="Broker: include work-in-progress pacts since DATE (YYYY-MM-DD).")
@click.option("--provider-branch", metavar="BRANCH",
              help="Broker: the simulators' branch, for pending and WIP pacts.")
@click.option("--provider-name", "names", multiple=True, metavar="FACE=NAME",
              help="Your pacts call a simulator's face NAME: FACE is erp-api, erp-webhooks, "
                   "tms-api, tms-webhooks, lastmile-api or lastmile-webhooks, one in a "
                   "vendor dialect: erp-sap-s4-api, erp-sap-s4-webhooks, lastmile-onfleet-api "
                   "or lastmile-onfleet-webhooks, or a system's messages on the broker "
                   "channel: erp-amqp, tms-amqp or lastmile-amqp (repeatable; the names "
                   "seatrial-erp-api, seatrial-lastmile-onfleet-api, seatrial-tms-amqp etc. "
                   "always work).")
def verify_simulators_command(pacts: Path | None, broker_url: str | None,
                              broker_token: str | None, selectors: tuple[str, ...],
                              include_pending: bool, include_wip_since: str | None,
                              provider_branch: str | None, names: tuple[str, ...]) -> None:
    """Verify the simulators against the pacts your sync implementation publishes, from a
    directory or a broker: proof the simulation behaves as your implementation expects. Any
    consumer name; providers are matched by name, the canonical
    seatrial-{erp,tms,lastmile}-{api,webhooks,amqp} (amqp: the messages on the broker channel;
    in a vendor dialect seatrial-erp-sap-s4-api, seatrial-lastmile-onfleet-webhooks, ...) or
    yours with --provider-name. Interactions the
    simulators cannot verify (unknown provider states, listed with the known ones; endpoints
    they do not serve; unmapped providers) are left out and listed with the reason."""
    import tempfile
    from datetime import date

    from seatrial.contracts.user_pacts import (
        PactInputError,
        check_broker,
        provider_names,
        selector,
        verify_broker,
        verify_directory,
    )
    from seatrial.contracts.verify import Broker

    if (pacts is None) == (broker_url is None):
        raise click.UsageError("give --pacts DIR or --broker-url URL (exactly one)")
    if pacts is not None and (selectors or include_pending or include_wip_since
                              or provider_branch):
        raise click.UsageError("--consumer-version-selector, --include-pending, "
                               "--include-wip-since and --provider-branch go with --broker-url")
    try:
        mapping = provider_names(names)
        if pacts is not None:
            with tempfile.TemporaryDirectory(prefix="seatrial-pacts-") as work:
                report = verify_directory(pacts, mapping, Path(work))
        else:
            try:
                wip = None if include_wip_since is None else date.fromisoformat(include_wip_since)
            except ValueError:
                raise InputError(f"--include-wip-since {include_wip_since}: give a date as "
                                 "YYYY-MM-DD") from None
            broker = Broker(broker_url, broker_token, tuple(map(selector, selectors)),
                            include_pending, wip, provider_branch)
            check_broker(broker.url, broker.token)
            report = verify_broker(broker, mapping)
    except PactInputError as error:
        raise InputError(str(error)) from None
    sys.stdout.flush()
    click.echo(report.render())
    sys.exit(0 if report.passed else 1)



main.add_command(load_command)
main.add_command(load_service_command)
main.add_command(explore_command)
