"""`retraction`: the source retracts an actual milestone it sent, then re-issues it
corrected."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from seatrial.faults.base import DeliveryPlan, Effect, Fault, Kind, derived
from seatrial.model.envelope import Event
from seatrial.scenario_fields import Probability

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

RETRACTABLE = ("shipment.status", "task.updated")


class Retraction(Fault):
    """The source retracts an actual milestone it sent ("entered in error", DCSA
    retractedEventID) and re-issues it corrected a few minutes later."""

    kind: Literal["retraction"] = "retraction"
    channel: Literal["tms.webhooks", "lastmile.webhooks"]
    probability: Probability

    def lag(self) -> float:
        return 0.0  # a retraction and its correction ride beside the facts


def retraction(event: Event) -> tuple[Event, Event]:
    """(the retraction, the corrected re-issue) of an actual milestone."""
    retract = derived(event, "retract", payload={
        **event.payload, "retracted_event_id": event.event_id,
        "retraction_reason": "entered in error"})
    reissue = derived(event, "reissue", event_time=event.event_time - timedelta(minutes=3))
    return retract, reissue


class RetractionEffect(Effect[Retraction]):
    __slots__ = ()

    def on_delivery(self, plan: DeliveryPlan) -> None:
        event, rng = plan.event, self.rng
        if (event.classifier == "ACT" and event.type in RETRACTABLE
                and rng.random() < self.fault.probability):
            retract, reissue = retraction(event)
            later = plan.delay + rng.uniform(120.0, 600.0)
            plan.inject(retract, "retraction", later, rng)
            plan.inject(reissue, "reissue", later + 60.0, rng)


def explore(space: Space) -> SearchStrategy[Retraction]:
    from hypothesis import strategies as st

    return st.builds(Retraction, channel=st.sampled_from(("tms.webhooks", "lastmile.webhooks")),
                     probability=space.some)


def reached(fault: Retraction, trace: Trace) -> bool:
    """A retraction it made, delivered to the SUT."""
    return any(trace.notes(fault, "retraction"))


KIND = Kind(model=Retraction, effect=RetractionEffect, explore=explore, reached=reached,
            listed=11, explored=10)
