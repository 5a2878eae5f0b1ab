"""`redelivery`: the source's retry schedule for deliveries the SUT fails, and when it gives
up on the SUT."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from seatrial.faults.base import Effect, Fault, Kind, Webhooks
from seatrial.scenario_fields import HOUR, MINUTE, Duration, WebhookChannel

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

MAX_REDELIVERIES = 50  # a redelivery schedule's attempts; real providers make 5 to 20


class Redelivery(Fault):
    """The source's retry schedule for failed deliveries, and when it gives up on the SUT:
    after `disable_after` consecutive failures the subscription is disabled (nothing more is
    sent on the channel)."""

    #: a webhook provider's retry schedule; the broker redelivers at once, up to its delivery limit
    channels: ClassVar[frozenset[str]] = frozenset({"webhooks"})
    kind: Literal["redelivery"] = "redelivery"
    channel: WebhookChannel
    schedule: tuple[Duration, ...] = Field((300.0, 1800.0, 7200.0, 86400.0),
                                           max_length=MAX_REDELIVERIES)
    disable_after: int | None = Field(None, ge=1, le=100_000)


class RedeliveryEffect(Effect[Redelivery]):
    __slots__ = ()

    def on_webhooks(self, webhooks: Webhooks) -> None:
        fault = self.fault
        webhooks.retry(fault.channel.removesuffix(".webhooks"), fault.schedule,
                       fault.disable_after)


def explore(space: Space) -> SearchStrategy[Redelivery]:
    """Sooner or later retries than the default's, never none: a failed delivery is always
    redelivered after the SUT is back. Never `disable_after`: a disabled subscription loses
    every later event, which no implementation survives."""
    from hypothesis import strategies as st

    return st.builds(Redelivery, channel=space.webhooks, schedule=st.sampled_from((
        (0.0, 30.0, 5 * MINUTE, HOUR, 6 * HOUR), (HOUR, 6 * HOUR))))


def reached(fault: Redelivery, trace: Trace) -> bool:
    """A delivery from its source redelivered on its schedule, or not sent because the
    subscription was disabled."""
    source = fault.channel.removesuffix(".webhooks")
    return (any(entry.system == source and entry.data["attempt"] > 1
                for entry in trace.by_kind["deliver"])
            or any(entry.system == source for entry in trace.by_kind["drop"]))


KIND = Kind(model=Redelivery, effect=RedeliveryEffect, explore=explore, reached=reached,
            listed=7, explored=14)
