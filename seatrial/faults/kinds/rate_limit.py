"""`rate_limit`: an org-wide token bucket in front of a system's API, as gateways run it."""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from seatrial.faults.base import CallPlan, Effect, Fault, Kind, RetryForm
from seatrial.scenario_fields import System

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class RateLimit(Fault):
    """Org-wide token bucket: `rate` requests per second, `burst` deep; 429 + Retry-After, in
    whole seconds or (`retry_after: http_date`) as the HTTP-date the wait ends, RFC 9110's
    other form, which an implementation that parses only integers gets wrong."""

    kind: Literal["rate_limit"] = "rate_limit"
    #: an API gateway's bucket: a mailbox (x12's SFTP) answers no 429, and charging each of its
    #: file operations a token starved a correct partner (issue 20)
    transports: ClassVar[frozenset[str]] = frozenset({"http"})
    system: System
    rate: float = Field(gt=0, le=100_000)
    burst: int = Field(10, ge=1, le=1_000_000)
    retry_after: RetryForm = "seconds"


class TokenBucket:
    """Refill `rate` per second up to `burst`, 429 when empty."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.updated = 0.0

    def take(self, now: float) -> float | None:
        """None if the request may pass, else the Retry-After in whole seconds."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return float(max(1, math.ceil((1.0 - self.tokens) / self.rate)))


class RateLimitEffect(Effect[RateLimit]):
    __slots__ = ("bucket",)

    def __init__(self, fault: RateLimit, horizon: float, rng: random.Random) -> None:
        super().__init__(fault, horizon, rng)
        self.bucket = TokenBucket(fault.rate, fault.burst)

    def on_call(self, plan: CallPlan, now: float) -> None:
        if plan.outage is not None:
            return  # the call never reaches the system
        retry_after = self.bucket.take(now)
        if retry_after is not None:
            plan.retry_after = retry_after
            note = {"fault": "rate_limit", "retry_after": retry_after}
            if self.fault.retry_after != "seconds":  # (seconds: the notes as they always were)
                plan.retry_form = self.fault.retry_after
                note["form"] = self.fault.retry_after
            plan.notes.append(note)


def explore(space: Space) -> SearchStrategy[RateLimit]:
    from hypothesis import strategies as st

    return st.builds(RateLimit, system=space.systems, rate=st.sampled_from((0.5, 0.2)),
                     burst=st.sampled_from((10, 2)),
                     retry_after=st.sampled_from(("seconds", "http_date")))


def reached(fault: RateLimit, trace: Trace) -> bool:
    """A call the bucket answered 429."""
    return any(trace.calls(fault))


KIND = Kind(model=RateLimit, effect=RateLimitEffect, explore=explore, reached=reached,
            listed=4, explored=6)
