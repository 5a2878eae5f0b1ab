"""`outage`: a system is down. Its API answers 503, refuses connections or hangs, and it sends
no webhooks until it comes back (`Effect.takes_system_down`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from seatrial.faults.base import CallPlan, Effect, Fault, Kind, RetryForm
from seatrial.scenario_fields import Duration, System

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class Outage(Fault):
    """The system is down: 503s, refused connections, or requests that hang until timeout.
    With `retry_after` (`seconds` or `http_date`) its 503s say when it is back in a
    Retry-After of that form, as a maintenance page does; without, they say nothing."""

    kind: Literal["outage"] = "outage"
    system: System
    for_: Duration = Field(alias="for")
    mode: Literal["http_503", "hang", "refused"] = "http_503"
    retry_after: RetryForm | None = None

    @model_validator(mode="after")
    def _answered(self) -> Outage:
        if self.retry_after is not None and self.mode != "http_503":
            raise ValueError(f"retry_after: only an http_503 outage answers (mode is "
                             f"{self.mode}); drop retry_after or use mode: http_503")
        return self


class OutageEffect(Effect[Outage]):
    __slots__ = ()
    takes_system_down = True

    def on_call(self, plan: CallPlan, now: float) -> None:
        plan.outage = self.fault.mode
        note = {"fault": "outage", "mode": self.fault.mode}
        if self.fault.retry_after is not None:
            plan.back_at = self.end
            plan.retry_form = self.fault.retry_after
            note["retry_after"] = self.fault.retry_after
        plan.notes.append(note)


def explore(space: Space) -> SearchStrategy[Outage]:
    from hypothesis import strategies as st

    # a 503 says when it is back in either Retry-After form, or not at all; the other modes
    # answer nothing to say it in
    return st.one_of(
        st.builds(Outage, system=space.systems, at=space.at, for_=space.lasting,
                  retry_after=st.sampled_from((None, "seconds", "http_date"))),
        st.builds(Outage, system=space.systems, at=space.at, for_=space.lasting,
                  mode=st.sampled_from(("refused", "hang"))))


def reached(fault: Outage, trace: Trace) -> bool:
    """A call the SUT made while the system was down, failed in the outage's mode (503,
    refused, hung). Webhooks held back alone do not count: the outage is there to fail
    calls."""
    return any(note["mode"] == fault.mode for _, note in trace.calls(fault))


KIND = Kind(model=Outage, effect=OutageEffect, explore=explore, reached=reached,
            listed=2, explored=2)
