"""`connection_closed`: the broker closes the SUT's consumer connection (`channel: amqp`).

A connection fails half-way without a word (the way back drops at a NAT or load balancer, a
client whose writes block): the broker still delivers and the SUT still handles, but its acks
never arrive. Once the broker has heard nothing for its heartbeat timeout it closes the
connection and requeues every message it saw no ack for; the SUT's client reconnects a few
seconds later and they are delivered again, flagged redelivered. A message whose effect the SUT
had done, and whose ack was lost, comes back: only a SUT that dedupes by event id applies it
once. The broker's model does it (`seatrial.faults.base.Broker`, seatrial/world/amqp.py); a
webhook channel has no connection to close, so the kind exists on amqp only. Live, the SUT's
connections go through Seatrial's proxy (seatrial.live.amqp_proxy), which cuts their way back
and later closes them, and RabbitMQ itself requeues what they held.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, model_validator

from seatrial.faults.base import Broker, Effect, Fault, Kind
from seatrial.scenario_fields import MINUTE, Duration

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

#: How long a connection whose way back died goes unnoticed: RabbitMQ's default heartbeat
#: timeout (60 s).
HEARTBEAT = 60.0
#: What the broker's `requeue` entries say of a message this fault put back.
CLOSED = "connection closed"


class ConnectionClosed(Fault):
    """The way back of the SUT's consumer connection dies at `at` (and, with `every`, again
    every so often until `for` has passed), and the broker closes it `heartbeat` later, its
    heartbeat timeout (0: at once, as an operator's `rabbitmqctl close_connection` does: only
    an answer still being made is lost)."""

    #: a webhook channel holds no connection open to the SUT
    channels: ClassVar[frozenset[str]] = frozenset({"amqp"})
    kind: Literal["connection_closed"] = "connection_closed"
    heartbeat: Duration = Field(HEARTBEAT, le=10 * MINUTE)
    every: Duration | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _repeated(self) -> ConnectionClosed:
        if self.every is not None and self.for_ is None:
            raise ValueError("every: a connection closed again and again needs `for`, the "
                             "stretch it keeps closing in; add e.g. for: 2h")
        if self.every is not None and self.every <= self.heartbeat:
            raise ValueError(f"every: {self.every:g} s is not longer than the heartbeat "
                             f"({self.heartbeat:g} s): the connection would die before the "
                             "broker closed the last one; make every longer")
        return self

    def lag(self) -> float:
        return self.heartbeat + MINUTE  # unnoticed, then the reconnect (5 s) and its backlog


class ConnectionClosedEffect(Effect[ConnectionClosed]):
    __slots__ = ()

    def on_broker(self, broker: Broker) -> None:
        every, at = self.fault.every, self.start
        while at < self.end:
            broker.close_connection(at, self.fault.heartbeat)
            if every is None:
                break
            at += every


def explore(space: Space) -> SearchStrategy[ConnectionClosed]:
    from hypothesis import strategies as st

    heartbeats = st.sampled_from((HEARTBEAT, 0.0, 30.0))
    return st.one_of(
        st.builds(ConnectionClosed, at=space.at, heartbeat=heartbeats),
        st.builds(ConnectionClosed, at=space.at, for_=space.lasting, heartbeat=heartbeats,
                  every=st.sampled_from((10 * MINUTE, 2 * MINUTE))))


def reached(fault: ConnectionClosed, trace: Trace) -> bool:
    """A message the SUT held unacked, as far as the broker knew, requeued by a close: a
    close while it held nothing tests no redelivery."""
    start, end = trace.window(fault)
    return any(start <= entry.time <= end + fault.heartbeat and entry.data["reason"] == CLOSED
               for entry in trace.by_kind["requeue"])


KIND = Kind(model=ConnectionClosed, effect=ConnectionClosedEffect, explore=explore,
            reached=reached, listed=28, explored=28)
