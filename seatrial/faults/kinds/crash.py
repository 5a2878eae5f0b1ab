"""`crash`: the sync implementation dies and comes back over the same durable store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from seatrial.faults.base import Effect, Fault, Kind, Sut
from seatrial.scenario_fields import MINUTE, Duration

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class Crash(Fault):
    """The sync implementation crashes at `at` and restarts `restart_after` later over the
    same durable store; deliveries meanwhile fail."""

    kind: Literal["crash"] = "crash"
    restart_after: Duration = 30.0


class CrashEffect(Effect[Crash]):
    __slots__ = ()

    def on_sut(self, sut: Sut) -> None:
        sut.crash(self.fault.at, self.fault.restart_after)


def explore(space: Space) -> SearchStrategy[Crash]:
    from hypothesis import strategies as st

    return st.builds(Crash, at=space.at, restart_after=st.sampled_from((MINUTE, 2 * MINUTE,
                                                                         10 * MINUTE)))


def reached(fault: Crash, trace: Trace) -> bool:
    """A delivery the crash cut short or that found the SUT down (a failed delivery while it
    was down): a crash while nothing was in flight and nothing arrived tests no recovery."""
    down, back = fault.at, fault.at + fault.restart_after
    return any(down <= entry.time <= back for entry in trace.by_kind["nack"])


KIND = Kind(model=Crash, effect=CrashEffect, explore=explore, reached=reached,
            listed=14, explored=13)
