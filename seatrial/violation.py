"""What a check finds: one broken rule, with the ledger entries that show it. Its own module,
below the judge, so that a dialect's own invariants (`Dialect.invariants`, in the simulators'
dialect folders) yield the judge's violations without importing the judge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seatrial.ledger import Entry


@dataclass
class Violation:
    invariant: str
    message: str
    keys: dict[str, str]
    evidence: list[Entry]
    #: the ledger seqs of the entries in `evidence` its message is about (e.g. the two ends of
    #: a latency's slowest step): reports show these first when they shorten a chain
    focus: frozenset[int] = frozenset()
    #: False: this violation does not depend on time, though its invariant's others do (its
    #: LAG_WINDOW), so the harness's lag never makes it inconclusive (seatrial.judge.inconclusive)
    timed: bool = True

    def to_json(self, describe: Callable[[Entry], str]) -> dict[str, Any]:
        return {"invariant": self.invariant, "message": self.message, "keys": self.keys,
                "evidence": [{**entry.to_json(), "summary": describe(entry),
                              **({"focus": True} if entry.seq in self.focus else {})}
                             for entry in self.evidence],
                **({} if self.timed else {"timed": False})}
