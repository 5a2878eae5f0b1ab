"""The limits on what Seatrial reads from files: how large, how deeply nested.

Every parser of user input (scenario YAML, JSONL and CSV event logs, JSON reports for `seatrial
report`) reads through here, so a hostile or careless file (`/dev/zero`, a gigabyte, brackets
nested a hundred thousand deep) is refused with a message instead of exhausting memory or the
stack. The helpers raise `Refused` with a message that does not name the file; each parser
puts its own error type and source in front (ScenarioError, LogError, ReportError). The limits
are documented in docs/scenarios.md, docs/replaying.md and docs/reports.md ("Limits").
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any, BinaryIO

MiB = 1024 * 1024
#: Lists and mappings inside each other, at most. Measured on what Seatrial writes: a scenario
#: nests 4 deep (the file -> faults -> a fault -> its schedule), a log line 4 (an envelope ->
#: payload -> completion details -> proof of delivery), a JSON report 11 (runs -> a run ->
#: violations -> evidence -> a ledger entry -> its data -> a request body -> order lines...).
MAX_DEPTH = 64


class Refused(ValueError):
    """Input over a limit or not a file; str() says what and the fix, not which file."""


class TooLarge(Refused):
    """More bytes than the limit."""


class LineTooLong(TooLarge):
    """One line longer than the limit for a line."""


def size_text(size: int) -> str:
    return f"{size // MiB} MiB" if size % MiB == 0 else f"{size / MiB:.1f} MiB"


def open_input(path: Path) -> BinaryIO:
    """`path` opened for reading bytes. A regular file or a pipe (`<(command)`); a directory, a
    device (`/dev/zero`, `/dev/urandom`) or a socket is refused. OSError (no such file, no
    permission) is left to the caller."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    except IsADirectoryError:
        raise Refused("is a directory, not a regular file; give the path of a file") from None
    mode = os.fstat(handle.fileno()).st_mode
    if stat.S_ISREG(mode) or stat.S_ISFIFO(mode):
        return handle
    handle.close()
    kind = ("a directory" if stat.S_ISDIR(mode) else
            "a character device" if stat.S_ISCHR(mode) else
            "a block device" if stat.S_ISBLK(mode) else
            "a socket" if stat.S_ISSOCK(mode) else "something else")
    raise Refused(f"is {kind}, not a regular file; give the path of a file")


def file_size(handle: BinaryIO) -> int | None:
    """The size of a regular file; None for a pipe (its size is known once read)."""
    status = os.fstat(handle.fileno())
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def read_limited(path: Path, limit: int, what: str) -> bytes:
    """At most `limit` bytes of `path`, never more read than `limit` + 1; more is `Refused`."""
    with open_input(path) as handle:
        size = file_size(handle)
        if size is not None and size > limit:
            raise too_large(what, limit, size)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise too_large(what, limit)
    return data


def too_large(what: str, limit: int, size: int | None = None) -> TooLarge:
    found = f" ({size_text(size)})" if size is not None else ""
    return TooLarge(f"is larger than {size_text(limit)}{found}, the most {what} may hold")


def lines_limited(handle: BinaryIO, limit: int, line_limit: int, what: str,
                  ) -> Iterator[tuple[int, bytes]]:
    """The lines of `handle` (line endings kept), numbered from 1, reading at most `limit`
    bytes in all and `line_limit` + 1 per line: a longer line, or more in all, is `Refused`.
    A leading UTF-8 byte order mark (as Excel writes it) is dropped."""
    total = 0
    for number in count(1):
        line = handle.readline(line_limit + 1)
        if not line:
            return
        total += len(line)
        if total > limit:
            raise too_large(what, limit)
        if len(line) > line_limit and not line.endswith(b"\n"):
            raise LineTooLong(f"line {number} is longer than {size_text(line_limit)}, the most "
                          f"one line of {what} may hold")
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        yield number, line


def deeper_than(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and dicts nest more than `limit` deep in `value`, a tree such as parsed
    JSON (walked iteratively: the walk itself cannot exhaust the stack, and a cycle ends it as
    too deep)."""
    stack = [(value, 1)] if isinstance(value, dict | list | tuple) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list | tuple))
    return False


def too_deep(what: str, needs: str) -> Refused:
    return Refused(f"nests lists and objects deeper than {MAX_DEPTH} levels, the most {what} "
                   f"may ({needs})")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; write a finite number, or null")


def parse_json(text: str | bytes, what: str, needs: str, finite: bool = True) -> Any:
    """A JSON value no deeper than MAX_DEPTH. With `finite`, NaN and Infinity (which Python's
    json accepts and JSON does not) are refused. Raises `Refused` (too deep) or ValueError (not
    JSON, with the decoder's message)."""
    try:
        value = json.loads(text, parse_constant=_no_constant if finite else None)
    except RecursionError:  # the decoder recurses per level: a deep value ends it, not us
        raise too_deep(what, needs) from None
    if deeper_than(value):
        raise too_deep(what, needs)
    return value
