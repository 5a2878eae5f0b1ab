"""`duplicate_interchange`: the TMS delivers an interchange twice, the same ISA13 in both, as
an EDI partner retransmits one whose 997 it never saw (the acknowledgment was lost, or late).
Unlike `duplicate`, whose copy is a new interchange about the same event, the copy is the same
file again, under a name of its own: only its control number says it was taken before. Only
the `x12` TMS sends interchanges."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from seatrial.faults.base import Fault, Kind
from seatrial.faults.outbound import OutboundFileEffect
from seatrial.scenario_fields import HOUR, MINUTE, Duration, Probability

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

RESENT = ".resent-"  # in a retransmission's file name (`TradingPartner.retransmit`)


class DuplicateInterchange(Fault):
    """While active, each file the TMS writes is written again, with `probability`, up to
    `within` later (a partner's acknowledgment window)."""

    needs: ClassVar[tuple[str, str] | None] = ("tms", "x12")
    kind: Literal["duplicate_interchange"] = "duplicate_interchange"
    probability: Probability = 0.2
    within: Duration = HOUR

    def lag(self) -> float:
        return 0.0  # a correct SUT drops the copy: nothing it shows waits for it


class DuplicateInterchangeEffect(OutboundFileEffect):
    __slots__ = ()

    def act(self, now: float, name: str, content: bytes) -> None:
        later = now + self.rng.uniform(0.0, self.fault.within)
        self.systems.at(later, lambda: self.partner.retransmit(name, content))


def explore(space: Space) -> SearchStrategy[DuplicateInterchange]:
    from hypothesis import strategies as st

    return st.builds(DuplicateInterchange, at=space.at, probability=space.some,
                     within=st.sampled_from((5 * MINUTE, HOUR)))


def reached(fault: DuplicateInterchange, trace: Trace) -> bool:
    """A retransmission the SUT read (a file is read before it can be told a copy)."""
    start = trace.window(fault)[0]
    return any(entry.system == "tms" and entry.data.get("method") == "GET"
               and RESENT in entry.data.get("path", "") and entry.time >= start
               for entry in trace.by_kind["request"])


KIND = Kind(model=DuplicateInterchange, effect=DuplicateInterchangeEffect, explore=explore,
            reached=reached, listed=22, explored=22)
