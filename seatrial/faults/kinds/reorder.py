"""`reorder`: an event is held back, so later ones overtake it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from seatrial.faults.base import DeliveryPlan, Effect, Fault, Kind
from seatrial.scenario_fields import HOUR, Duration, Probability, WebhookChannel

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class Reorder(Fault):
    """An event is held back up to `window`, so later events overtake it."""

    kind: Literal["reorder"] = "reorder"
    channel: WebhookChannel
    probability: Probability
    window: Duration = 3600.0

    def lag(self) -> float:
        return self.window  # an event is held back at most this long


class ReorderEffect(Effect[Reorder]):
    __slots__ = ()

    def on_delivery(self, plan: DeliveryPlan) -> None:
        if self.rng.random() < self.fault.probability:
            held = self.rng.uniform(0.0, self.fault.window)
            plan.delay += held
            plan.note({"fault": "reorder", "held": round(held, 3)})


def explore(space: Space) -> SearchStrategy[Reorder]:
    from hypothesis import strategies as st

    return st.builds(Reorder, channel=space.webhooks, probability=st.sampled_from((0.1, 0.3, 0.5)),
                     window=st.sampled_from((HOUR, 2 * HOUR, 4 * HOUR)))


def reached(fault: Reorder, trace: Trace) -> bool:
    """A delivered event it held back."""
    return any(trace.notes(fault))


KIND = Kind(model=Reorder, effect=ReorderEffect, explore=explore, reached=reached,
            listed=6, explored=4)
