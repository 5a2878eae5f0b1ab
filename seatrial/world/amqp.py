"""The broker channel in virtual time: the simulators' events reach the SUT through a message
broker's queues (AMQP 0-9-1, as RabbitMQ serves it; docs/broker.md#the-amqp-channel).

The topology a SUT consumes: one topic exchange per system (`seatrial.<system>`, routing key
the event type), bound with `#` to one quorum queue per system (`seatrial.<system>.events`) with
a dead-letter queue beside it (`seatrial.<system>.dead`). An event gateway publishes each event
as the webhook channel would deliver it (the same faults: late, copied, reordered, reshaped,
held while its source is down; the same Standard Webhooks headers, as message headers), so the
SUT's one handler takes both channels: its answer is the consumer's.

- a handler that returns acks the message (`ack`);
- one that raises nacks it with requeue (`nack`): the broker puts it back at the head of the
  queue and delivers it again at once, flagged redelivered;
- `authenticate` refusing it rejects it without requeue (`reject`): it is dead-lettered.

The consumer holds at most `PREFETCH` unacknowledged messages per queue (its basic.qos); the
rest wait in the queue, in the order they arrived. A message delivered `DELIVERY_LIMIT` times
without an ack is dead-lettered (a quorum queue's `x-delivery-limit`, counted in
`x-delivery-count`): a poison message nacked forever leaves the queue instead of blocking it.
While the SUT is down nothing consumes: the messages it held unacked when it crashed are
requeued, redelivered; a delivery it could not take (refused: no consumer) is put back
uncounted, and its queue waits until the consumer could have reconnected (`RECONNECT`).

A `connection_closed` fault (`seatrial.faults.base.Broker`) breaks the way back of the SUT's
one consumer connection, all three queues' consumers on it: the broker still delivers and the
SUT handles, but its answers never arrive (a `fault` note each, `lost`); once the broker has
heard nothing for its heartbeat timeout it closes the connection and requeues every message
it delivered and saw no answer to (`requeue`), delivered again, flagged redelivered, once the
consumer has reconnected.

A `broker_down` fault stops the broker itself for a window: the SUT's connection drops (what it
held goes back to its queue, `requeue`; answers in flight are lost), nothing is delivered, and
the gateway holds what it would publish (a `fault` note each, `held`); at the window's end it
publishes what it held, in order, and the consumer reconnects `RECONNECT` later to the burst.
The queues are durable: what waited in them waits on.

A `queue_length_limit` fault caps a system's queue at so many ready messages (unacked ones do
not count), with `reject-publish` overflow, as a RabbitMQ quorum queue applies it: once more
than the cap are ready the queue blocks its publishers, until at most `LOW_LIMIT` of the cap
are. The gateway holds a refused message and every later one for that queue, in order (a
`fault` note each, `refused`), and tries again every `PUBLISH_RETRY` seconds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import simpy

from seatrial.faults import Delivery, FaultLayer
from seatrial.faults.kinds import broker_down, queue_length_limit
from seatrial.faults.kinds.connection_closed import CLOSED
from seatrial.ledger import Ledger
from seatrial.simulators.dialect import Dialect
from seatrial.world.dispatcher import WebhookDispatcher
from seatrial.world.host import DOWN
from seatrial.world.ports import Receiver, Signing

#: Unacknowledged messages a consumer holds per queue (basic.qos prefetch_count): enough for
#: a middleware's concurrency, small enough that a slow consumer backs its queue up.
PREFETCH = 50
#: Deliveries of one message before the broker dead-letters it: RabbitMQ 4's default
#: `x-delivery-limit` for quorum queues.
DELIVERY_LIMIT = 20
#: Seconds a consumer that lost its connection takes to reconnect (a client library's
#: automatic-recovery interval: the Java client's default is 5 s).
RECONNECT = 5.0
#: Seconds between an event gateway's tries to publish what a full queue refused (a publisher's
#: back-off after a publisher-confirm nack).
PUBLISH_RETRY = 5.0
#: The share of its cap a blocked queue must fall to before it takes publishes again (RabbitMQ's
#: quorum queues, rabbit_fifo's `?LOW_LIMIT`; measured on 3.10.8: a cap of 10 took 11, then
#: refused until 8 were ready).
LOW_LIMIT = 0.8


class Topology(NamedTuple):
    """A system's part of the broker's topology, by name: the topic exchange its events are
    published to (routing key: the event type), the quorum queue bound to it with `#` (what
    the SUT consumes), and the dead-letter exchange of that queue, with the queue bound to it
    (the same name)."""

    exchange: str
    queue: str
    dead: str


def topology(system: str) -> Topology:
    return Topology(f"seatrial.{system}", f"seatrial.{system}.events", f"seatrial.{system}.dead")


@dataclass(slots=True, eq=False)
class Message:
    """One message in a queue: what the gateway published, and how often it was delivered.
    Compared by identity: the copies of an event are messages of their own."""

    delivery: Delivery
    count: int = 0  # deliveries so far (x-delivery-count + 1 once delivered)


@dataclass(slots=True)
class Queue:
    """A system's queue: messages ready to deliver, and those the consumer holds unacked (in
    the order they were delivered)."""

    ready: deque[Message] = field(default_factory=deque)
    held: dict[Message, None] = field(default_factory=dict)
    consumer: bool = True  # False from a refused delivery or a closed connection, until...
    connects: int = 0  # ...the latest reconnect scheduled: an earlier one is superseded
    limits: list[int] = field(default_factory=list)  # queue_length_limit caps in force
    blocked: bool = False  # over its cap: publishes are refused
    #: what the gateway holds for this queue since it was refused, in order, and whether a try
    #: to publish it again is scheduled
    refused: deque[Delivery] = field(default_factory=deque)
    retrying: bool = False

    def weigh(self) -> None:
        """Block publishers once more than the cap are ready; let them on again once at most
        `LOW_LIMIT` of it are, or once no cap is in force (rabbit_fifo's `evaluate_limit`)."""
        if not self.limits:
            self.blocked = False
            return
        cap = min(self.limits)
        if len(self.ready) > cap:
            self.blocked = True
        elif len(self.ready) <= int(cap * LOW_LIMIT):
            self.blocked = False


class AmqpChannel(WebhookDispatcher):
    """The broker channel (a `seatrial.world.ports.Channel`): publishing is the webhook
    channel's (the ledger's `emit`, the faults' plan, the signature), since the gateway
    publishes what the sources would post; carrying is the broker's, a queue per source
    consumed with a prefetch window, redelivered at once on a nack, dead-lettered at the
    delivery limit or on a reject. Also what the faults' `on_broker` hooks get
    (`seatrial.faults.base.Broker`): the SUT's consumer connection, to close."""

    def __init__(self, env: simpy.Environment, faults: FaultLayer, ledger: Ledger,
                 receiver: Receiver, signing: Signing, dialects: dict[str, Dialect],
                 cores: dict[str, Any] | None = None) -> None:
        super().__init__(env, faults, ledger, receiver, signing, dialects, cores)
        self.queues = {source: Queue() for source in signing.secrets}
        #: the consumer connection's number: an answer to a delivery made on an older one
        #: never reaches the broker
        self.connection = 0
        self.dead = False  # the SUT's answers go nowhere, and the broker has not noticed yet
        #: the fault that ended the latest connection, named in the notes of answers it lost
        self.lost_by = "connection_closed"
        self.down = 0  # broker_down windows in progress: no delivery, no publish
        self.unpublished: deque[Delivery] = deque()  # what the gateway holds while it is down
        for effect in faults.effects:
            effect.on_broker(self)

    def send(self, delivery: Delivery) -> None:
        """The gateway publishes `delivery` to its source's exchange: queued once it arrives."""
        self.env.timeout(delivery.delay).callbacks.append(
            lambda _e: self._enqueue(delivery))

    def _enqueue(self, delivery: Delivery) -> None:
        source, event = delivery.event.source, delivery.event
        if self.down:
            self.unpublished.append(delivery)
            self.ledger.record(self.env.now, "fault", source, event.event_id, event.order_id,
                               {"fault": "broker_down", "held": broker_down.HELD})
            return
        queue = self.queues[source]
        if queue.refused or queue.blocked:  # the gateway publishes a queue's messages in order
            self._refuse(source, queue, delivery)
            return
        queue.ready.append(Message(delivery))
        self._pump(source)

    def _refuse(self, source: str, queue: Queue, delivery: Delivery) -> None:
        queue.refused.append(delivery)
        event = delivery.event
        self.ledger.record(self.env.now, "fault", source, event.event_id, event.order_id,
                           {"fault": "queue_length_limit", "held": queue_length_limit.REFUSED})
        self._try_again(source, queue)

    def _try_again(self, source: str, queue: Queue) -> None:
        if not queue.retrying:
            queue.retrying = True
            self.env.timeout(PUBLISH_RETRY).callbacks.append(
                lambda _e: self._publish_again(source, queue))

    def _publish_again(self, source: str, queue: Queue) -> None:
        """The gateway's next try: what it holds for `source`'s queue, in order, until the queue
        blocks again (none while the broker is down); the rest at the try after."""
        queue.retrying = False
        while queue.refused and not self.down and not queue.blocked:
            queue.ready.append(Message(queue.refused.popleft()))
            self._pump(source)
        if queue.refused:
            self._try_again(source, queue)

    def _pump(self, source: str) -> None:
        """Deliver from the head of `source`'s queue while the prefetch window has room."""
        queue = self.queues[source]
        while queue.consumer and queue.ready and len(queue.held) < PREFETCH:
            self._consume(source, queue, queue.ready.popleft())
        queue.weigh()

    def _consume(self, source: str, queue: Queue, message: Message) -> None:
        event = message.delivery.event
        message.count += 1
        queue.held[message] = None
        data: dict[str, object] = {"attempt": message.count}
        if message.count > 1:
            data["redelivered"] = True
        self.ledger.record(self.env.now, "deliver", source, event.event_id, event.order_id,
                           data)
        self.deliveries += 1
        connection = self.connection
        self.receiver.deliver(self._webhook(message.delivery),
                              lambda outcome, detail: self._settle(
                                  source, queue, message, outcome, detail, connection))

    def _settle(self, source: str, queue: Queue, message: Message, outcome: str,
                detail: str | None, connection: int) -> None:
        """The consumer's answer: ack, nack (requeued, or dead-lettered at the limit), reject
        (dead-lettered); a SUT that was down took nothing, and its message waits. An answer on
        a connection that died never reaches the broker: it is a `fault` note, and the
        message stays held until the broker requeues it (or was already)."""
        self.outcomes += 1
        event, now = message.delivery.event, self.env.now
        if self.dead or connection != self.connection:
            self.ledger.record(now, "fault", source, event.event_id, event.order_id, {
                "fault": self.lost_by, "lost": outcome, "attempt": message.count})
            return
        del queue.held[message]
        data: dict[str, object] = {"attempt": message.count}
        if detail is not None:
            data["error"] = detail
        self.ledger.record(now, outcome, source, event.event_id, event.order_id, data)
        if outcome == "nack" and detail == DOWN:
            message.count -= 1
            queue.ready.appendleft(message)
            if queue.consumer:
                self._disconnect(source, queue)
            return
        if outcome == "reject" or (outcome == "nack" and message.count >= DELIVERY_LIMIT):
            reason = "rejected" if outcome == "reject" else "delivery limit reached"
            self.ledger.record(now, "dead-letter", source, event.event_id, event.order_id,
                               {"deliveries": message.count, "reason": reason})
        elif outcome == "nack":
            queue.ready.appendleft(message)
        self._pump(source)

    def _disconnect(self, source: str, queue: Queue) -> None:
        """No consumer on `source`'s queue until a client library would have reconnected."""
        queue.consumer = False
        queue.connects += 1
        connects = queue.connects
        self.env.timeout(RECONNECT).callbacks.append(
            lambda _e: self._reconnect(source, queue, connects))

    def _reconnect(self, source: str, queue: Queue, connects: int) -> None:
        if connects == queue.connects:
            queue.consumer = True
            self._pump(source)

    # --- seatrial.faults.base.Broker ---------------------------------------------------------

    def close_connection(self, at: float, unnoticed: float) -> None:
        self.env.timeout(at - self.env.now).callbacks.append(lambda _e: self._die(unnoticed))

    def _die(self, unnoticed: float) -> None:
        if self.down:
            return  # no connection to die
        self.dead, self.lost_by = True, "connection_closed"
        dying = self.connection
        self.env.timeout(unnoticed).callbacks.append(lambda _e: self._close(dying))

    def _close(self, dying: int) -> None:
        """The broker closes the dead connection (unless the broker's going down already
        dropped it), and its consumer reconnects."""
        if dying == self.connection:
            self._drop(CLOSED)
            for source, queue in self.queues.items():
                self._disconnect(source, queue)

    def _drop(self, reason: str) -> None:
        """The SUT's connection is gone: each queue's held messages go back to its head, in
        the order they were delivered; an answer to one made on it never arrives."""
        self.dead = False
        self.connection += 1
        now = self.env.now
        for source, queue in self.queues.items():
            held = list(queue.held)
            queue.held.clear()
            for message in held:
                event = message.delivery.event
                self.ledger.record(now, "requeue", source, event.event_id, event.order_id, {
                    "attempt": message.count, "reason": reason})
            queue.ready.extendleft(reversed(held))

    def go_down(self, at: float, until: float) -> None:
        self.env.timeout(at - self.env.now).callbacks.append(lambda _e: self._stop())
        self.env.timeout(until - self.env.now).callbacks.append(lambda _e: self._restart())

    def _stop(self) -> None:
        self.down += 1
        if self.down == 1:
            self.lost_by = "broker_down"
            self._drop(broker_down.DOWN)
            for queue in self.queues.values():
                queue.consumer = False
                queue.connects += 1  # a reconnect under way finds no broker

    def _restart(self) -> None:
        """Back up: the gateway publishes what it held, in order, and each queue's consumer
        reconnects (`RECONNECT` later) to the backlog."""
        self.down -= 1
        if self.down:
            return
        for source, queue in self.queues.items():
            self._disconnect(source, queue)
        unpublished, self.unpublished = self.unpublished, deque()
        for delivery in unpublished:
            self._enqueue(delivery)

    def limit_length(self, system: str, max_length: int, at: float, until: float) -> None:
        queue = self.queues[system]

        def cap(on: bool) -> None:
            if on:
                queue.limits.append(max_length)
            else:
                queue.limits.remove(max_length)
            queue.weigh()
        switched(self.env, at, until, cap)


def switched(env: simpy.Environment, at: float, until: float,
             switch: Callable[[bool], None]) -> None:
    """`switch(True)` at simulated time `at`, `switch(False)` at `until` (if the run gets
    there): a fault's window over something the broker keeps, in process or live."""
    env.timeout(at - env.now).callbacks.append(lambda _e: switch(True))
    if until < float("inf"):
        env.timeout(until - env.now).callbacks.append(lambda _e: switch(False))
