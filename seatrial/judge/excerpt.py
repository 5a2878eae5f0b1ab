"""Which parts of a long chain to show: its two ends and the places that matter, with each
stretch left out counted, so a shortened chain never drops the message a violation is about.

The judge shortens evidence chains with it (seatrial.judge.observation) and the terminal
shortens what it prints of them (seatrial.report.terminal)."""

from __future__ import annotations

from collections.abc import Iterable


def excerpt(length: int, keep: Iterable[int], head: int, tail: int,
            pad: int = 1) -> list[int | range]:
    """The indexes of a `length`-long list to show, in order, with one `range` in place of each
    stretch left out: the first `head`, the last `tail`, and every index in `keep` with `pad`
    neighbours on either side."""
    shown = set(range(min(head, length))) | set(range(max(length - tail, 0), length))
    for index in keep:
        shown.update(range(max(index - pad, 0), min(index + pad + 1, length)))
    picks: list[int | range] = []
    gap_start: int | None = None
    for index in range(length):
        if index not in shown:
            gap_start = index if gap_start is None else gap_start
            continue
        if gap_start is not None:
            picks.append(range(gap_start, index))
            gap_start = None
        picks.append(index)
    if gap_start is not None:
        picks.append(range(gap_start, length))
    return picks
