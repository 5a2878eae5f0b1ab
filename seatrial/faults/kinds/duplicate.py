"""`duplicate`: at-least-once delivery, the same event more than once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator

from seatrial.faults.base import DeliveryPlan, Effect, Fault, Kind
from seatrial.scenario_fields import Duration, Probability, WebhookChannel, min_max

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class Duplicate(Fault):
    """At-least-once delivery: the same event `copies` times within `within`."""

    kind: Literal["duplicate"] = "duplicate"
    channel: WebhookChannel
    probability: Probability
    copies: tuple[Annotated[int, Field(ge=2, le=10)], Annotated[int, Field(ge=2, le=10)]] = (2, 3)
    within: Duration = 10.0

    _ordered = field_validator("copies")(classmethod(lambda cls, v: min_max(v)))

    def lag(self) -> float:
        return 0.0  # copies come later; the original does not


class DuplicateEffect(Effect[Duplicate]):
    __slots__ = ()

    def on_delivery(self, plan: DeliveryPlan) -> None:
        fault, rng = self.fault, self.rng
        if rng.random() < fault.probability:
            more = rng.randint(*fault.copies) - 1
            plan.copies.extend(rng.uniform(0.0, fault.within) for _ in range(more))
            plan.note({"fault": "duplicate", "copies": more + 1})


def explore(space: Space) -> SearchStrategy[Duplicate]:
    from hypothesis import strategies as st

    return st.builds(Duplicate, channel=space.webhooks, probability=space.some)


def reached(fault: Duplicate, trace: Trace) -> bool:
    """A delivered event it sent more than once."""
    return any(trace.notes(fault))


KIND = Kind(model=Duplicate, effect=DuplicateEffect, explore=explore, reached=reached,
            listed=5, explored=1)
