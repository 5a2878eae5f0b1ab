"""`latency`: extra delay on a channel, fixed, uniform, or lognormal with a cap."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from seatrial.faults.base import CallPlan, DeliveryPlan, Effect, Fault, Kind
from seatrial.scenario_fields import Channel, Duration

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

APIS = ("tms.api", "erp.api", "lastmile.api")


class Latency(Fault):
    """Extra delay on a channel: fixed `value`, uniform `low`..`high`, or lognormal
    `median`/`sigma` capped at `cap`."""

    kind: Literal["latency"] = "latency"
    channel: Channel
    dist: Literal["fixed", "uniform", "lognormal"] = "fixed"
    value: Duration | None = None
    low: Duration | None = None
    high: Duration | None = None
    median: Duration | None = None
    sigma: float = Field(1.0, gt=0, le=5)
    cap: Duration | None = None

    @model_validator(mode="after")
    def _parameters(self) -> Latency:
        needed = {"fixed": ("value",), "uniform": ("low", "high"), "lognormal": ("median",)}
        for name in needed[self.dist]:
            if getattr(self, name) is None:
                raise ValueError(f"dist {self.dist} needs {name!r}, e.g. {name}: 2s")
        if self.dist == "uniform" and self.low > self.high:
            raise ValueError("low must be <= high")
        return self


def sampler(fault: Latency, rng: random.Random) -> Callable[[], float]:
    """A zero-argument function drawing one delay in seconds."""
    if fault.dist == "fixed":
        value = fault.value
        return lambda: value
    if fault.dist == "uniform":
        low, high = fault.low, fault.high
        return lambda: rng.uniform(low, high)
    mu, sigma = math.log(max(fault.median, 1e-6)), fault.sigma
    cap = fault.cap if fault.cap is not None else math.inf
    return lambda: min(rng.lognormvariate(mu, sigma), cap)


class LatencyEffect(Effect[Latency]):
    __slots__ = ("sample",)

    def __init__(self, fault: Latency, horizon: float, rng: random.Random) -> None:
        super().__init__(fault, horizon, rng)
        self.sample = sampler(fault, rng)

    def on_call(self, plan: CallPlan, now: float) -> None:
        extra = self.sample()
        plan.latency += extra
        plan.notes.append({"fault": "latency", "added": round(extra, 3)})

    def on_delivery(self, plan: DeliveryPlan) -> None:
        plan.delay += self.sample()


def explore(space: Space) -> SearchStrategy[Latency]:
    from hypothesis import strategies as st

    return st.builds(Latency, channel=st.sampled_from(APIS), dist=st.just("lognormal"),
                     median=st.sampled_from((0.3, 2.0, 8.0)), sigma=st.just(1.2),
                     cap=st.just(90.0))


def reached(fault: Latency, trace: Trace) -> bool:
    """A call it slowed (the request's note), or on a webhook channel (where it writes no
    note: it slows every delivery) an event published in its window and delivered."""
    if fault.channel.endswith(".webhooks"):
        return any(trace.published(fault))
    return any(trace.calls(fault))


KIND = Kind(model=Latency, effect=LatencyEffect, explore=explore, reached=reached,
            listed=1, explored=5)
