"""`org_rate_limit`: Onfleet's organisation-wide rate limit (20 requests a second), shared with
every other app and dashboard of the organisation: in a busy stretch the others take most of
it, and the SUT's calls are answered 429 TooManyRequests (error 2300) with Onfleet's
`X-RateLimit-Limit` and `X-RateLimit-Remaining: 0`, beside the Retry-After. Only the `onfleet`
last-mile platform has it."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from seatrial.faults.base import CallPlan, Effect, Fault, Kind
from seatrial.faults.kinds.rate_limit import TokenBucket
from seatrial.scenario_fields import Probability
from seatrial.simulators.lastmile.dialects.onfleet.errors import ORG_LIMIT

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class OrgRateLimit(Fault):
    """The organisation's `rate` requests a second (Onfleet's 20 by default), of which the
    organisation's other apps take the share `others` while the fault is active: the SUT's
    calls get the rest, `burst` deep."""

    needs: ClassVar[tuple[str, str] | None] = ("lastmile", "onfleet")
    kind: Literal["org_rate_limit"] = "org_rate_limit"
    system: Literal["lastmile"] = "lastmile"
    rate: float = Field(ORG_LIMIT, gt=0, le=100_000)
    others: Probability = 0.9
    burst: int = Field(ORG_LIMIT, ge=1, le=1_000_000)

    def left(self) -> float:
        """The SUT's share of the limit, requests a second (at least one in a thousand)."""
        return max(self.rate * (1.0 - self.others), self.rate / 1000)


class OrgRateLimitEffect(Effect[OrgRateLimit]):
    __slots__ = ("bucket",)

    def __init__(self, fault: OrgRateLimit, horizon: float, rng: random.Random) -> None:
        super().__init__(fault, horizon, rng)
        self.bucket = TokenBucket(fault.left(), fault.burst)

    def on_call(self, plan: CallPlan, now: float) -> None:
        if plan.outage is not None or plan.retry_after is not None:
            return  # the call never reaches the platform, or is refused already
        retry_after = self.bucket.take(now)
        if retry_after is not None:
            plan.retry_after = retry_after
            plan.notes.append({"fault": "org_rate_limit", "retry_after": retry_after})


def explore(space: Space) -> SearchStrategy[OrgRateLimit]:
    from hypothesis import strategies as st

    return st.builds(OrgRateLimit, at=space.at, for_=space.lasting,
                     others=st.sampled_from((0.9, 0.99, 0.999)))


def reached(fault: OrgRateLimit, trace: Trace) -> bool:
    """A call the organisation's limit answered 429."""
    return any(trace.calls(fault))


KIND = Kind(model=OrgRateLimit, effect=OrgRateLimitEffect, explore=explore, reached=reached,
            listed=19, explored=19)
