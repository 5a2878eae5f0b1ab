"""`lost_response`: the write commits, the answer never arrives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from seatrial.faults.base import CallPlan, Effect, Fault, Kind
from seatrial.scenario_fields import Probability, System

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class LostResponse(Fault):
    """The write commits, the response never arrives: the client sees a timeout."""

    kind: Literal["lost_response"] = "lost_response"
    system: System
    probability: Probability


class LostResponseEffect(Effect[LostResponse]):
    __slots__ = ()

    def on_call(self, plan: CallPlan, now: float) -> None:
        if self.rng.random() < self.fault.probability:
            plan.lost = True


def explore(space: Space) -> SearchStrategy[LostResponse]:
    from hypothesis import strategies as st

    return st.builds(LostResponse, system=space.systems, probability=space.some)


def reached(fault: LostResponse, trace: Trace) -> bool:
    """A call to its system in its window whose write committed unseen (a response not
    delivered) before the caller timed out: a call merely slower than the timeout commits
    after it."""
    start, end = trace.window(fault)
    requests = trace.requests
    timeouts = {entry.ref: entry.time for entry in trace.by_kind["error"]}
    for response in trace.by_kind["response"]:
        if response.system == fault.system and not response.data["delivered"]:
            sent = requests[response.ref].time
            if start <= sent < end and response.time < timeouts.get(response.ref, sent):
                return True
    return False


KIND = Kind(model=LostResponse, effect=LostResponseEffect, explore=explore, reached=reached,
            listed=3, explored=3)
