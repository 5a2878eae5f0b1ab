"""`poison`: a malformed message for a real order, beside the real event."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Literal

from seatrial.faults.base import DeliveryPlan, Effect, Fault, Kind, derived
from seatrial.model.envelope import Event
from seatrial.scenario_fields import Probability, WebhookChannel
from seatrial.simulators.lastmile.events import TaskUpdated
from seatrial.simulators.payload import some_fields
from seatrial.simulators.tms.events import ChargesFinalized, ShipmentStatus

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class Poison(Fault):
    """A malformed message for a real order: fields missing or of the wrong type."""

    kind: Literal["poison"] = "poison"
    channel: WebhookChannel
    probability: Probability

    def lag(self) -> float:
        return 0.0  # poison rides beside the real event


def poison(event: Event, rng: random.Random) -> Event:
    """Unparseable for a real order: required fields gone or of the wrong type."""
    garbage = rng.choice((
        some_fields(ShipmentStatus, status_code=17) | some_fields(TaskUpdated, trigger=None),
        some_fields(TaskUpdated, completion_details="<<binary>>")
        | some_fields(ChargesFinalized, statement_id=None),
        {"\ufffd\ufffd": "\x00\x01\x02"}))
    return derived(event, "poison", payload=garbage)


class PoisonEffect(Effect[Poison]):
    __slots__ = ()

    def on_delivery(self, plan: DeliveryPlan) -> None:
        if self.rng.random() < self.fault.probability:
            plan.inject(poison(plan.event, self.rng), "poison", plan.delay, self.rng)


def explore(space: Space) -> SearchStrategy[Poison]:
    from hypothesis import strategies as st

    return st.builds(Poison, channel=space.webhooks, probability=st.sampled_from((0.01, 0.001)))


def reached(fault: Poison, trace: Trace) -> bool:
    """A malformed message it made, delivered to the SUT."""
    return any(trace.notes(fault))


KIND = Kind(model=Poison, effect=PoisonEffect, explore=explore, reached=reached,
            listed=9, explored=8)
