"""`outage`: a system is down. Its API answers 503, refuses connections or hangs, and it sends
no webhooks until it comes back (`Effect.takes_system_down`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from seatrial.faults.base import CallPlan, Effect, Fault, Kind
from seatrial.scenario_fields import Duration, System

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class Outage(Fault):
    """The system is down: 503s, refused connections, or requests that hang until timeout."""

    kind: Literal["outage"] = "outage"
    system: System
    for_: Duration = Field(alias="for")
    mode: Literal["http_503", "hang", "refused"] = "http_503"


class OutageEffect(Effect[Outage]):
    __slots__ = ()
    takes_system_down = True

    def on_call(self, plan: CallPlan, now: float) -> None:
        plan.outage = self.fault.mode
        plan.notes.append({"fault": "outage", "mode": self.fault.mode})


def explore(space: Space) -> SearchStrategy[Outage]:
    from hypothesis import strategies as st

    return st.builds(Outage, system=space.systems, at=space.at, for_=space.lasting,
                     mode=st.sampled_from(("http_503", "refused", "hang")))


def reached(fault: Outage, trace: Trace) -> bool:
    """A call the SUT made while the system was down, failed in the outage's mode (503,
    refused, hung). Webhooks held back alone do not count: the outage is there to fail
    calls."""
    return any(note["mode"] == fault.mode for _, note in trace.calls(fault))


KIND = Kind(model=Outage, effect=OutageEffect, explore=explore, reached=reached,
            listed=2, explored=2)
