"""`redelivery`: the source's retry schedule for deliveries the SUT fails, and when it gives
up on the SUT."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from seatrial.faults.base import Effect, Fault, Kind, Webhooks
from seatrial.scenario_fields import Duration, WebhookChannel

MAX_REDELIVERIES = 50  # a redelivery schedule's attempts; real providers make 5 to 20


class Redelivery(Fault):
    """The source's retry schedule for failed deliveries, and when it gives up on the SUT:
    after `disable_after` consecutive failures the subscription is disabled (nothing more is
    sent on the channel)."""

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


KIND = Kind(model=Redelivery, effect=RedeliveryEffect, listed=7, explored=14)
