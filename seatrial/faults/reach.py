"""Whether each fault of a run reached the sync implementation: a fault whose window misses the
traffic, or whose probability never fires, proves nothing, and a scenario carrying it claims
more than it tests (issue 17: erp-hang-and-refuse never failed a call on some seeds).

Each kind says what its trace in the ledger is (`Kind.reached`, in its module): the notes the
fault layer wrote while it acted on a message the SUT then received, or what the SUT saw of it
(calls answered 503, refused, hung; 429s; responses lost after the write committed; deliveries
failed while it was down). The ledger does not say which fault of a kind wrote a note, so a
predicate tells faults apart by what it can see: the channel or system, the window, the mode.
Two faults of one kind, channel and mode with overlapping windows share their traces.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from seatrial.faults.kinds import KINDS
from seatrial.faults.layer import channel_of

if TYPE_CHECKING:
    from seatrial.faults.base import Fault
    from seatrial.ledger import Entry
    from seatrial.scenario import Scenario


def source(fault: Fault) -> str:
    """The system whose API or webhooks `fault` acts on: what its traces are filed under."""
    return channel_of(fault).split(".")[0]


class Trace:
    """A run's ledger, grouped once by entry kind, for the kinds' `reached` predicates."""

    def __init__(self, entries: list[Entry], horizon: float) -> None:
        self.horizon = horizon
        self.by_kind: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            self.by_kind[entry.kind].append(entry)

    def window(self, fault: Fault) -> tuple[float, float]:
        return fault.span(self.horizon)

    def notes(self, fault: Fault, name: str | None = None) -> Iterator[Entry]:
        """The `fault` entries written in `fault`'s window, on its channel's system, that
        name `name` (by default its kind), about a message that was then delivered."""
        start, end = self.window(fault)
        system, name, delivered = source(fault), name or fault.kind, self.delivered
        for entry in self.by_kind["fault"]:
            if (start <= entry.time < end and entry.system == system
                    and entry.data.get("fault") == name and entry.ref in delivered):
                yield entry

    def calls(self, fault: Fault) -> Iterator[tuple[Entry, dict[str, Any]]]:
        """The SUT's calls to `fault`'s system in its window that a fault of its kind acted
        on, each with the fault layer's note (the request entry's `faults`)."""
        start, end = self.window(fault)
        system = source(fault)
        for entry in self.by_kind["request"]:
            if start <= entry.time < end and entry.system == system:
                for note in entry.data.get("faults", ()):
                    if note["fault"] == fault.kind:
                        yield entry, note

    def published(self, fault: Fault) -> Iterator[Entry]:
        """The events `fault`'s channel's source published in its window that were then
        delivered to the SUT."""
        start, end = self.window(fault)
        system, delivered = source(fault), self.delivered
        for entry in self.by_kind["emit"]:
            if start <= entry.time < end and entry.system == system and entry.ref in delivered:
                yield entry

    @cached_property
    def delivered(self) -> set[str]:
        """The refs (event ids) of every message a delivery attempt took to the SUT."""
        return {entry.ref for entry in self.by_kind["deliver"]}

    @cached_property
    def forgeries(self) -> dict[str, str]:
        """Forged deliveries: the forged message's ref -> how it was (mis)signed."""
        return {entry.ref: entry.data["forged"] for entry in self.by_kind["deliver"]
                if "forged" in entry.data}

    @cached_property
    def requests(self) -> dict[str, Entry]:
        """Every call the SUT made, by its ref."""
        return {entry.ref: entry for entry in self.by_kind["request"]}


def unreached(scenario: Scenario, entries: list[Entry], horizon: float) -> list[Fault]:
    """The faults of `scenario` that left no trace in a run's ledger (`entries`, played to
    `horizon`): each did nothing the sync implementation could notice."""
    trace = Trace(entries, horizon)
    return [fault for fault in scenario.faults if not KINDS[fault.kind].reached(fault, trace)]
