"""`etag_conflict`: another user saves a sales order between the SUT's read and its write (a
concurrent change), so the ETag the SUT read is stale: its write with that If-Match is
refused 412, and it must read the order again and write with the new ETag. Only the
`sap-s4` ERP has ETags."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from seatrial.faults.base import Effect, Fault, Kind, Systems
from seatrial.scenario_fields import Probability

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

STALE = 412


class EtagConflict(Fault):
    """While active, each read of a sales order by key is followed at once, with
    `probability`, by another user's change to it."""

    needs: ClassVar[tuple[str, str] | None] = ("erp", "sap-s4")
    kind: Literal["etag_conflict"] = "etag_conflict"
    probability: Probability = 0.2

    def lag(self) -> float:
        return 0.0  # a correct SUT reads again and writes at once


class EtagConflictEffect(Effect[EtagConflict]):
    __slots__ = ("clock",)

    def on_systems(self, systems: Systems) -> None:
        gateway = systems.served("erp")
        self.clock = gateway.erp.clock
        gateway.rivals.append(self.rival)

    def rival(self, _order_id: str) -> bool:
        """Whether another user changes the order just read."""
        return self.active(self.clock()) and self.rng.random() < self.fault.probability


def explore(space: Space) -> SearchStrategy[EtagConflict]:
    from hypothesis import strategies as st

    return st.builds(EtagConflict, at=space.at, probability=st.sampled_from((0.2, 0.5, 1.0)))


def reached(fault: EtagConflict, trace: Trace) -> bool:
    """A write refused for a stale ETag in the window."""
    start, end = trace.window(fault)
    return any(entry.system == "erp" and entry.data.get("status") == STALE
               and start <= entry.time <= end for entry in trace.by_kind["response"])


KIND = Kind(model=EtagConflict, effect=EtagConflictEffect, explore=explore, reached=reached,
            listed=16, explored=16)
