"""What the CLI commands share: their common options, declared once here and applied by every
command that takes them, and bad input: exit code 2 and a message naming the flag."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar, get_args

import click

from seatrial.durations import parse_duration
from seatrial.live.pace import FLOOR, MAX_LOAD, SHARE
from seatrial.live.process import GRACE
from seatrial.live.runner import DEFAULT_SCALE, LiveTarget
from seatrial.scenario import Channel, channel_problems

if TYPE_CHECKING:
    from seatrial.scenario import Scenario

INPUT_ERROR = 2
F = TypeVar("F", bound=Callable[..., object])


class InputError(click.ClickException):
    exit_code = INPUT_ERROR


class FiniteRange(click.FloatRange):
    """A FloatRange that refuses nan and inf (a plain FloatRange lets nan through: every
    comparison with it is false)."""

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


# A seed is what a scenario file and the reports carry: up to 2^63 - 1, so it survives a
# signed 64-bit integer (JUnit readers, databases, CI dashboards).
SEED = click.IntRange(min=0, max=2**63 - 1)
SEEDS = click.IntRange(min=1, max=10_000)  # how many seeds a scenario runs with


def live_target(url: str | None, command: str | None) -> LiveTarget:
    """The SUT of --target URL or --target-cmd CMD, checked."""
    if command is not None:
        if not command.strip():
            raise InputError("--target-cmd is empty; give the command that starts your SUT")
        return LiveTarget(command=command)
    from seatrial.live.serve import ServeError, sut_base_url

    try:
        return LiveTarget(url=sut_base_url(url, "--target"))
    except ServeError as error:
        raise InputError(str(error)) from None


def check_writable(option: str, path: Path | None) -> None:
    """A report path whose directory exists, checked before anything runs."""
    if path is not None and not path.resolve().parent.is_dir():
        raise InputError(f"{option} {path}: directory {path.resolve().parent} does not "
                         "exist; create it or choose another path")


def duration_option(option: str, text: str) -> float:
    """Seconds from a duration flag such as `--time 5m`, or an input error naming the flag."""
    try:
        return parse_duration(text)
    except ValueError as error:
        raise InputError(f"{option} {text}: {error}") from None


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` (1 <= I <= N) as (I, N): this machine's share of a CI matrix."""
    index, _, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = 0
    if not 1 <= i <= n:
        raise InputError(f"--shard {text}: write I/N with 1 <= I <= N, e.g. 2/4 for the second "
                         "of four machines")
    return i, n


# --- the options several commands take ---------------------------------------------------------

IN_PROCESS_TARGETS = ("reference, naive, a faulty-* name (seatrial calibrate lists them), or "
                      "package.module:attribute (your SyncImplementation or a zero-argument "
                      "factory; the current directory is importable)")
RUNNING_SUT = ("configured with POST /seatrial/configure, sending $SEATRIAL_CONTROL_SECRET "
               "(docs/live-protocol.md)")
# What --target takes, by what the command can run: metavar and help.
TARGETS = {
    "any": ("TARGET", f"{IN_PROCESS_TARGETS}: run in-process, in virtual time; or "
                      f"http://HOST:PORT, a SUT already running: live mode, {RUNNING_SUT}."),
    "in-process": ("TARGET", f"{IN_PROCESS_TARGETS}: run in-process."),
    "running": ("http://HOST:PORT", f"The base URL of a SUT already running, {RUNNING_SUT}."),
}
FILE = click.Path(dir_okay=False, path_type=Path)


def target_option(takes: Literal["any", "in-process", "running"] = "any",
                  required: bool = False) -> Callable[[F], F]:
    """`-t/--target`; `takes` is what the command can run: "any" target, an "in-process" one
    only, or a "running" SUT's URL only."""
    metavar, help_text = TARGETS[takes]
    return click.option("--target", "-t", metavar=metavar, required=required, help=help_text)


target_cmd_option = click.option(
    "--target-cmd", metavar="COMMAND",
    help=f"Live mode: start COMMAND with sh as the SUT (it listens on $PORT and answers GET "
         f"/health), and stop it on every way out (SIGTERM, then SIGKILL after {GRACE:g} s, "
         f"its whole process group); instead of --target.")


def seed_option(help_text: str = "Run each scenario with this seed.",
                default: int | None = None) -> Callable[[F], F]:
    """`--seed`, one seed as scenario files and reports carry it; the help says what it
    seeds where that is not "each scenario"."""
    return click.option("--seed", type=SEED, default=default, metavar="N", help=help_text)


def seeds_option(default: int | None = None) -> Callable[[F], F]:
    """`--seeds K`; `default`: the K a command runs without --seed or --seeds (None: each
    scenario once, on its own seed)."""
    unless = "" if default is None else f" (default {default})"
    return click.option("--seeds", type=SEEDS, metavar="K",
                        help=f"Run each scenario with K seeds: its own seed and the K-1 after "
                             f"it{unless}; not with --seed.")


def seeded(scenarios: list[Scenario], seed: int | None, seeds: int | None,
           default_seeds: int = 1) -> list[Scenario]:
    """The runs --seed N or --seeds K asks for (neither: `default_seeds` a scenario)."""
    if seed is not None and seeds is not None:
        raise click.UsageError("give --seed N or --seeds K, not both")
    if seed is not None:
        return [scenario.with_seed(seed) for scenario in scenarios]
    return [scenario.with_seed(scenario.seed + i) for scenario in scenarios
            for i in range(seeds or default_seeds)]


dialect_option = click.option(
    "--dialect", "dialects", multiple=True, metavar="SYSTEM=NAME",
    help="Speak dialect NAME for SYSTEM (erp, tms or lastmile) in every run, whatever the "
         "scenario's `dialects:` say; repeatable, e.g. --dialect erp=sap-s4 --dialect "
         "lastmile=onfleet (docs/dialects.md).")


def spoken(scenarios: list[Scenario], given: tuple[str, ...]) -> list[Scenario]:
    """The scenarios with the dialects of every --dialect SYSTEM=NAME; an input error names
    the flag and the systems or dialects there are."""
    chosen = chosen_dialects(given)
    if not chosen:
        return scenarios
    return [scenario.model_copy(update={"dialects": scenario.dialects.model_copy(
        update=chosen)}) for scenario in scenarios]


channel_option = click.option(
    "--channel", type=click.Choice(get_args(Channel)), default=None,
    help="Carry the events to the SUT on this channel in every run, whatever the scenario's "
         "`channel:` says: webhooks, or amqp, a message broker's queues (modelled in virtual "
         "time in process; live, a real RabbitMQ: docs/broker.md#the-amqp-channel).")


def broker_url_option(what: str) -> Callable[[F], F]:
    """--broker-url: a RabbitMQ of the user's instead of one Seatrial starts; `what` says what
    is made on it."""
    return click.option(
        "--broker-url", metavar="URL",
        help=f"Use the RabbitMQ at amqp://USER:PASSWORD@HOST:PORT instead of starting one: "
             f"{what} (needs its management plugin and a user tagged administrator; "
             "docs/broker.md).")


broker_management_option = click.option(
    "--broker-management-url", metavar="URL",
    help="--broker-url's management API (default: the same host, port 15672; https and 15671 "
         "for amqps).")


def carried(scenarios: list[Scenario], channel: str | None) -> list[Scenario]:
    """The scenarios on --channel's channel (or their own); an input error names the first
    whose dialects or faults cannot travel on it, and the fix."""
    chosen = scenarios if channel is None else [
        scenario.model_copy(update={"channel": channel}) for scenario in scenarios]
    for scenario in chosen:
        problems = channel_problems(scenario.channel, scenario.faults, scenario.dialects)
        if problems:
            where, message = problems[0]
            text = f"scenario {scenario.name}: {'.'.join(map(str, where))}: {message}"
            if channel is not None:
                text = f"--channel {channel}: {text}; or drop --channel {channel}"
            raise InputError(text)
    return chosen


def chosen_dialects(given: tuple[str, ...]) -> dict[str, str]:
    """system -> dialect, from every --dialect SYSTEM=NAME; an input error names the flag and
    the systems or dialects there are."""
    from seatrial.model.envelope import SYSTEMS
    from seatrial.simulators.dialect import dialect

    chosen: dict[str, str] = {}
    for text in given:
        system, equals, name = text.partition("=")
        if not equals or system not in SYSTEMS:
            raise InputError(f"--dialect {text}: write SYSTEM=NAME with SYSTEM one of "
                             f"{', '.join(SYSTEMS)}, e.g. --dialect lastmile=onfleet")
        if system in chosen and chosen[system] != name:
            raise InputError(f"--dialect {text}: {system} is given {chosen[system]!r} already; "
                             "give each system one dialect")
        try:
            dialect(system, name)
        except ValueError as error:
            raise InputError(f"--dialect {text}: {error}") from None
        chosen[system] = name
    return chosen


json_option = click.option("--json", "json_path", type=FILE,
                           help="Write the JSON report here (docs/reports.md).")
junit_option = click.option(
    "--junit", "junit_path", type=FILE,
    help="Write JUnit XML here: one testsuite per scenario x seed, one testcase per checked "
         "invariant (docs/reports.md).")


def html_option(help_text: str = "Write the HTML report here: one self-contained file that "
                                 "opens offline (docs/reports.md).") -> Callable[[F], F]:
    """`--html`; the help says what the report shows where that is not the runs judged."""
    return click.option("--html", "html_path", type=FILE, help=help_text)


AUTO = "auto"


class TimeScale(FiniteRange):
    """--time-scale: a pace from 1 to 1,000,000, or `auto` where a SUT is measured (run,
    replay); `seatrial serve` measures none, so it takes a number only."""

    name = "time_scale"

    def __init__(self, auto: bool) -> None:
        super().__init__(min=1, max=1e6)
        self.auto = auto

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> float | str:
        if isinstance(value, str) and value.strip().lower() == AUTO:
            if self.auto:
                return AUTO
            self.fail("auto: this command measures no SUT, so it has no pace to choose; give a "
                      f"number of simulated seconds per wall second (default: the scenario's "
                      f"live.time_scale, else {DEFAULT_SCALE:g})", param, ctx)
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            if not self.auto:
                raise
            self.fail(f"{value!r}: give `auto` or a number of simulated seconds per wall "
                      "second from 1 to 1000000 (e.g. 600)", param, ctx)


def time_scale_option(auto: bool = True) -> Callable[[F], F]:
    """--time-scale; with `auto`, `auto` is its default too (seatrial.live.pace)."""
    if auto:
        text = ("Live: simulated seconds per wall second, or `auto` (the default): a warm-up of "
                "a few wall seconds times the SUT and picks the fastest pace at which its p99 "
                f"takes at most {SHARE:.0%} of the tightest time limit the scenario judges "
                f"and its load at most {MAX_LOAD:g}, between {FLOOR:g} and the scenario's "
                "live.time_scale (else "
                f"{DEFAULT_SCALE:g}); docs/live-protocol.md#the-pace.")
    else:
        text = ("Simulated seconds per wall second (default: the scenario's live.time_scale, "
                f"else {DEFAULT_SCALE:g}, an hour a second); no `auto`: nothing is measured.")
    return click.option("--time-scale", type=TimeScale(auto), metavar="X" if not auto
                        else "X|auto", help=text)


#: at most this many reruns: the fourth plays at a sixteenth of the first attempt's pace
MAX_RETRIES = 4

retry_option = click.option(
    "--retry-inconclusive", "retries", type=click.IntRange(min=0, max=MAX_RETRIES), default=0,
    metavar="N",
    help=f"Live: play a run whose verdict was inconclusive (the harness fell behind, or kept "
         f"the SUT waiting for a core) again at "
         f"half the pace of its last attempt, up to N times (0 to {MAX_RETRIES}; default 0), "
         "one at a time; the last attempt is the run's verdict, and the reports keep the "
         "earlier ones (docs/live-protocol.md#when-the-harness-falls-behind-inconclusive).")


def pace_options(time_scale: float | str | None) -> dict[str, float | bool | None]:
    """LiveOptions' `scale` and `auto` from --time-scale: unset or `auto` is auto."""
    auto = time_scale is None or time_scale == AUTO
    return {"scale": None if auto else time_scale, "auto": auto}


def drain_option(after: str) -> Callable[[F], F]:
    """`--drain`: how long a live run waits, in wall seconds, `after` its traffic ends."""
    return click.option("--drain", type=FiniteRange(min=0), metavar="SECONDS",
                        help=f"Live: {after}, judge after at most this many wall seconds even "
                             f"if traffic has not settled (default: wait for quiet, up to the "
                             f"scenario's horizon).")


health_timeout_option = click.option(
    "--health-timeout", type=FiniteRange(min=0.1), default=30.0, metavar="SECONDS",
    help="Wall seconds to wait for a live SUT's GET /health.")


def jobs_option(default: str = "one per CPU") -> Callable[[F], F]:
    """--jobs, with what its default is for the command (`default`)."""
    return click.option(
        "--jobs", "-j", type=click.IntRange(min=1, max=256), default=None, metavar="N",
        help=f"Runs in parallel processes (default: {default}); results keep the plan order.")


verbose_option = click.option(
    "--verbose", "-v", is_flag=True,
    help="Print every violation with its full evidence (default: one violation per violated "
         "invariant, at most 3 a run, 8 evidence lines each: the last ones, or those the "
         "violation is about with their neighbours).")


def exit_codes(codes: dict[int, str], *notes: str) -> str:
    """A command's epilog: its exit codes as a table wrapped here, the same at any terminal
    width (click leaves a paragraph that starts with \\b alone), then `notes` as paragraphs
    click wraps; `seatrial COMMAND --help` and docs/cli.md show it."""
    rows = [textwrap.fill(meaning, 76, initial_indent=f"  {code:<4} ", subsequent_indent=" " * 7)
            for code, meaning in codes.items()]
    return "\n\n".join(["\n".join(["\b", "Exit codes:", *rows]), *notes])
