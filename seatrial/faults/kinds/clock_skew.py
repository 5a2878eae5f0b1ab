"""`clock_skew`: event times in the source's local time without an offset, or off by up to
`skew`."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from seatrial.faults.base import DeliveryPlan, Effect, Fault, Kind
from seatrial.model.envelope import Event, rfc3339
from seatrial.model.vocabulary import SOURCE_LOCAL_TIME
from seatrial.scenario_fields import MINUTE, Duration, Probability, WebhookChannel

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class ClockSkew(Fault):
    """`local_time`: event_time in the source's local time without an offset (X12 without
    AT7-07). `skew`: the source's clock is off by up to `skew` either way."""

    kind: Literal["clock_skew"] = "clock_skew"
    channel: WebhookChannel
    mode: Literal["local_time", "skew"] = "local_time"
    probability: Probability = 1.0
    skew: Duration = 300.0

    def lag(self) -> float:
        return 0.0  # times are rewritten, not held


def skewed(event: Event, mode: str, rng: random.Random, skew: float) -> Event:
    if mode == "local_time":
        local = event.event_time.astimezone(SOURCE_LOCAL_TIME[event.source])
        return event._replace(event_time=local.replace(tzinfo=None))
    return event._replace(event_time=event.event_time + timedelta(seconds=rng.uniform(-skew, skew)))


class ClockSkewEffect(Effect[ClockSkew]):
    __slots__ = ()

    def on_delivery(self, plan: DeliveryPlan) -> None:
        fault = self.fault
        if self.rng.random() < fault.probability:
            plan.event = skewed(plan.event, fault.mode, self.rng, fault.skew)
            plan.note({"fault": "clock_skew", "mode": fault.mode,
                       "event_time": rfc3339(plan.event.event_time)})


def explore(space: Space) -> SearchStrategy[ClockSkew]:
    from hypothesis import strategies as st

    return st.builds(ClockSkew, channel=space.webhooks,
                     mode=st.sampled_from(("local_time", "skew")),
                     probability=st.sampled_from((1.0, 0.2)), skew=st.just(10 * MINUTE))


def reached(fault: ClockSkew, trace: Trace) -> bool:
    """A delivered event whose time it rewrote, in its mode."""
    return any(note.data["mode"] == fault.mode for note in trace.notes(fault))


KIND = Kind(model=ClockSkew, effect=ClockSkewEffect, explore=explore, reached=reached,
            listed=12, explored=11)
