"""What every CLI command shares about bad input: exit code 2 and a message naming the flag."""

from __future__ import annotations

import math
from pathlib import Path

import click

from seatrial.durations import parse_duration
from seatrial.live.runner import LiveTarget

INPUT_ERROR = 2


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
