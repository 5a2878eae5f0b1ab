"""`broker_down`: the broker itself is down for a window (`channel: amqp`).

A RabbitMQ node restarts (an upgrade, a disk alarm, a crash): every connection to it drops at
once, the SUT's consumer and the event gateway's publisher alike. The queues are durable
(quorum queues), so what waited in them is still there when it comes back, and a message the
SUT held unacked goes back to its queue to be delivered again, flagged redelivered; an answer
the SUT was making when the node went is lost. The gateway cannot publish meanwhile: it holds
what its sources send, in order, and publishes it all the moment the node is back (publisher
confirms failed; it retries), so the SUT's client, reconnecting a few seconds later, meets a
window's worth of events from every system at once, the changes and cancellations of one
order arriving beside each other on separate queues. The broker's model does it
(`seatrial.faults.base.Broker`, seatrial/world/amqp.py); on webhooks the same failure is a
source's outage (`outage`), so this kind exists on amqp only. Live, the node Seatrial runs
carries the invocation's other runs too, so it is not stopped: the proxy the SUT logs in
through closes its connections and refuses new ones for the window (RabbitMQ requeues what
they held), and the gateway holds its publishes (seatrial.live.amqp_channel).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from seatrial.faults.base import Broker, Effect, Fault, Kind
from seatrial.scenario_fields import MINUTE, Duration

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

#: What the broker's `requeue` entries say of a message the node's going down put back.
DOWN = "broker down"
#: What the gateway's `fault` notes say of a message it held while the node was down.
HELD = "held by the gateway until the broker was back"


class BrokerDown(Fault):
    """The broker is down from `at` for `for`: nothing is delivered or published, the SUT's
    unacked messages go back to their queues, and from the end the gateway publishes what
    it held, in order."""

    #: a webhook channel has no broker; a source's own outage is `outage`
    channels: ClassVar[frozenset[str]] = frozenset({"amqp"})
    kind: Literal["broker_down"] = "broker_down"
    for_: Duration = Field(alias="for", gt=0)

    def lag(self) -> float:
        # the events of the window are held to its end, then the consumer reconnects (5 s)
        # and takes the burst
        return self.for_ + 5 * MINUTE


class BrokerDownEffect(Effect[BrokerDown]):
    __slots__ = ()

    def on_broker(self, broker: Broker) -> None:
        broker.go_down(self.start, self.end)


def explore(space: Space) -> SearchStrategy[BrokerDown]:
    from hypothesis import strategies as st

    return st.builds(BrokerDown, at=space.at, for_=space.lasting)


def reached(fault: BrokerDown, trace: Trace) -> bool:
    """A message the gateway held while the node was down, later delivered, or one the SUT
    held unacked when it went: a node down while nothing was sent tests no recovery."""
    start, end = trace.window(fault)
    delivered = trace.delivered
    return (any(start <= entry.time < end and entry.data.get("fault") == fault.kind
                and entry.ref in delivered for entry in trace.by_kind["fault"])
            or any(entry.time == start and entry.data["reason"] == DOWN
                   for entry in trace.by_kind["requeue"]))


KIND = Kind(model=BrokerDown, effect=BrokerDownEffect, explore=explore, reached=reached,
            listed=29, explored=29)
