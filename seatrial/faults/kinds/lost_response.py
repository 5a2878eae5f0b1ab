"""`lost_response`: the write commits, the answer never arrives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from seatrial.faults.base import CallPlan, Effect, Fault, Kind
from seatrial.scenario_fields import Probability, System

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space


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


KIND = Kind(model=LostResponse, effect=LostResponseEffect, explore=explore, listed=3, explored=3)
