"""`queue_length_limit`: a system's queue holds at most so many ready messages (`channel: amqp`).

Operators cap their queues (a `max-length` policy) so that one consumer that stops does not
fill the broker's disk. Under a peak with the consumer away (a redeploy, a crash, a connection
being reestablished) the queue reaches its cap, and the broker refuses what is published to it
(`overflow: reject-publish`: a publisher-confirm nack). The event gateway holds what was
refused, with everything published to that queue after it, in order, and tries again every
`PUBLISH_RETRY` seconds (seatrial/world/amqp.py). The other systems' queues flow on, so an
order's own events arrive out of step: its carrier's milestones ahead of the ERP's changes
held at the gateway, and the held ones in a burst once there is room. Only ready messages count,
as RabbitMQ counts them: those the consumer holds unacked do not.

In process, a handler takes no simulated time, so a queue fills only while its consumer is
away; live the consumer is the SUT's own, and a slow one fills it under a peak. Live, the
window sets and lifts a real policy on the run's queue (seatrial.live.amqp_channel), and
RabbitMQ refuses what goes over: the only broker fault that acts on a live run.

RabbitMQ's default overflow, `drop-head`, would dead-letter the oldest messages instead, and
no consumer could have them without replaying its dead-letter queue; the documented topology
sets `reject-publish`, so a cap costs the SUT time, never events (docs/broker.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from seatrial.faults.base import Broker, Effect, Fault, Kind
from seatrial.scenario_fields import MINUTE, System

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

#: What the gateway's `fault` notes say of a message the full queue refused.
REFUSED = "refused by the full queue (reject-publish): the gateway publishes it again"


class QueueLengthLimit(Fault):
    """`system`'s queue holds at most `max_length` ready messages from `at` (for `for`); the
    broker refuses a publish beyond it, and the gateway holds it and what follows, in order,
    and tries again."""

    #: a webhook channel has no queue; a provider's backlog is its own
    channels: ClassVar[frozenset[str]] = frozenset({"amqp"})
    kind: Literal["queue_length_limit"] = "queue_length_limit"
    system: System
    max_length: int = Field(ge=1, le=1_000_000)

    def lag(self) -> float:
        # once the consumer is back, what the gateway held goes at its next try (5 s apart);
        # the consumer's absence that filled the queue is its own fault's lag
        return MINUTE


class QueueLengthLimitEffect(Effect[QueueLengthLimit]):
    __slots__ = ()

    def on_broker(self, broker: Broker) -> None:
        broker.limit_length(self.fault.system, self.fault.max_length, self.start, self.end)


def explore(space: Space) -> SearchStrategy[QueueLengthLimit]:
    from hypothesis import strategies as st

    return st.builds(QueueLengthLimit, at=space.at, system=space.systems,
                     max_length=st.sampled_from((1, 10, 100)))


def reached(fault: QueueLengthLimit, trace: Trace) -> bool:
    """A message the full queue refused, later delivered: a cap the queue never reached tests
    nothing."""
    return any(trace.notes(fault))


KIND = Kind(model=QueueLengthLimit, effect=QueueLengthLimitEffect, explore=explore,
            reached=reached, listed=30, explored=30)
