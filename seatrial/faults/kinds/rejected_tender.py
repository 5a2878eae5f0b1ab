"""`rejected_tender`: the TMS's translator rejects a well-formed 204 in its 997 (AK5 `R`), as a
partner's map does when its code list is out of date: B2-06, the payment method, "not in the
code list" (AK403 `7`). Nothing is created. The same tender in a new interchange is taken
(a glitch is per set, not per tender), so a SUT that sends it again gets its shipment, and one
that takes every rejection as final loses the order. Only the `x12` TMS reads 204s."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from seatrial.faults.base import Effect, Fault, Kind, Systems
from seatrial.scenario_fields import Probability
from seatrial.x12.errors import ElementSyntax, X12Error

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace
    from seatrial.x12.envelope import TransactionSet

#: what the 997 names: B2 (segment 2 of the set) element 6, an invalid code value
SEGMENT, POSITION, ELEMENT = "B2", 2, 6


class RejectedTender(Fault):
    """While active, each well-formed tender (204, B2A01 00) the TMS reads is rejected with
    `probability` (a cancellation never is)."""

    needs: ClassVar[tuple[str, str] | None] = ("tms", "x12")
    kind: Literal["rejected_tender"] = "rejected_tender"
    probability: Probability = 0.2

    def lag(self) -> float:
        return 0.0  # the 997 comes with the next look; a resent tender is taken at once


class RejectedTenderEffect(Effect[RejectedTender]):
    __slots__ = ("clock",)

    def on_systems(self, systems: Systems) -> None:
        partner = systems.served("tms")
        self.clock = partner.tms.clock
        partner.glitches.append(self._glitch)

    def _glitch(self, transaction: TransactionSet) -> X12Error | None:
        if not self.active(self.clock()) or self.rng.random() >= self.fault.probability:
            return None
        return X12Error(SEGMENT, POSITION, ELEMENT, ElementSyntax.INVALID_CODE,
                        "the payment method is not in the partner's code list", "PP")


def explore(space: Space) -> SearchStrategy[RejectedTender]:
    from hypothesis import strategies as st

    return st.builds(RejectedTender, at=space.at, probability=space.some)


def reached(fault: RejectedTender, trace: Trace) -> bool:
    """A tender the TMS refused in its window (the request its 204 carried, answered 422)."""
    start, end = trace.window(fault)
    refused = {entry.ref for entry in trace.by_kind["response"]
               if entry.system == "tms" and entry.data.get("status") == 422
               and start <= entry.time < end}
    return any(entry.ref in refused and entry.data.get("operation") == "tms.create_shipment"
               for entry in trace.by_kind["request"])


KIND = Kind(model=RejectedTender, effect=RejectedTenderEffect, explore=explore,
            reached=reached, listed=25, explored=25)
