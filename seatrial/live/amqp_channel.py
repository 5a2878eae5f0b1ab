"""The AMQP channel live: a run's events published to a real RabbitMQ, the SUT consuming them
through the consumer-facing proxy (seatrial.live.amqp_proxy), every delivery and answer in the
ledger as the in-process channel (seatrial.world.amqp) records them.

A run gets a virtual host of its own on the invocation's broker (seatrial.live.broker), and on
it the documented topology (docs/broker.md#the-amqp-channel): per system, a topic exchange
`seatrial.<system>`, bound with `#` to a quorum queue `seatrial.<system>.events` with
`x-delivery-limit` and a dead-letter exchange `seatrial.<system>.dead`, bound to a queue of
that name. The event gateway (`BrokerChannel`, the world's channel) publishes each delivery
the webhook channel would have made (the same faults, the same Standard Webhooks signature,
as message headers) when it falls due, on the live clock's event loop: one connection with
publisher confirms, each publish a task of its own, so the clock never waits for the broker.

What the broker does next is the broker's: the proxy tells the channel each `basic.deliver` and
each answer, recorded as `deliver` (with `redelivered`), `ack`, `nack`, `reject`; a message the
broker dead-letters (rejected, nacked without requeue, or past its delivery limit) is read from
the dead-letter queue as it arrives and recorded as `dead-letter`. So every invariant applies
unchanged. The dead-letter queues are the harness's: it consumes them.

Of the broker's own faults, `queue_length_limit` acts live: its window sets and lifts an
operator's policy on the queue (`max-length`, `overflow: reject-publish`) through the
management API, and RabbitMQ itself refuses what goes over. So does `connection_closed`: the
proxy cuts the way back of the SUT's connections (its answers are lost), then closes them, so
RabbitMQ requeues what they held; simulated time stands still until the SUT's consumers are
back, as for a crash fault's restart. And `broker_down`: the proxy closes the SUT's
connections and refuses new ones for the window, RabbitMQ requeues what they held, and the
gateway holds its publishes until the window ends (the node itself stays up: it carries the
invocation's other runs). The gateway publishes each
system's messages in order, on a task of its own, so a publish the broker refuses (a
publisher-confirm nack) is tried again every `PUBLISH_RETRY` simulated seconds, holding up
that system's later messages only, as in process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import simpy
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage

from seatrial.faults import Delivery, FaultLayer
from seatrial.faults.kinds import broker_down, queue_length_limit
from seatrial.faults.kinds.connection_closed import CLOSED
from seatrial.ledger import Ledger
from seatrial.live.amqp_proxy import AmqpProxy, Seen
from seatrial.live.broker import Broker, UserBroker
from seatrial.live.clock import LiveClock
from seatrial.live.settings import amqp_settings
from seatrial.model.envelope import SYSTEMS, Event, rfc3339, to_datetime
from seatrial.sdk.webhooks import Webhook
from seatrial.simulators.dialect import Dialect
from seatrial.world.amqp import DELIVERY_LIMIT, PUBLISH_RETRY, switched, topology
from seatrial.world.dispatcher import WebhookDispatcher
from seatrial.world.ports import OpenChannel, Receiver, Signing

#: What each answer the proxy saw is in the ledger: (kind, error), as the in-process channel
#: records a consumer's answers (a reject with requeue comes back, as a nack's does).
ANSWERS = {
    ("ack", False): ("ack", None),
    ("nack", True): ("nack", "basic.nack, requeued"),
    ("nack", False): ("nack", "basic.nack without requeue: dead-lettered"),
    ("reject", False): ("reject", "basic.reject: refused by the SUT, dead-lettered"),
    ("reject", True): ("nack", "basic.reject with requeue"),
    ("lost", False): ("nack", "connection reset: the SUT's channel closed holding it unacked"),
}
#: Wall seconds a SUT has to reconnect its consumers after a `connection_closed` fault closed
#: its connection, simulated time standing still meanwhile (aio-pika's robust connection
#: waits 5 s before it reconnects).
RECONNECT_TIMEOUT = 30.0
#: RabbitMQ's x-death reasons, as the in-process channel says them.
DEATH_REASONS = {"rejected": "rejected", "delivery_limit": "delivery limit reached"}


#: The binding of each system's queue to its exchange: every routing key.
BOUND_WITH = "#"
#: Every gateway message's body is the canonical envelope, and it survives a broker restart.
CONTENT_TYPE = "application/json"
DELIVERY_MODE = aio_pika.DeliveryMode.PERSISTENT


def queue_arguments(system: str) -> dict[str, Any]:
    """The arguments of `system`'s queue (`declare`): a quorum queue, so that a poison message
    is dead-lettered at the delivery limit instead of blocking it, into its dead-letter
    exchange."""
    return {"x-queue-type": "quorum", "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": topology(system).dead}


def gateway_message(webhook: Webhook, message_id: str, now: float) -> aio_pika.Message:
    """What the gateway publishes for `webhook` at simulated time `now` (docs/broker.md's
    messages): the webhook's body and Standard Webhooks headers, so one consumer handler takes
    both channels; the CloudEvents attributes after its AMQP binding's binary mode, as
    application properties, so a CloudEvents consumer reads the event without the body; a
    persistent message whose type is the event type (contracts/asyncapi/broker.json describes
    it; tests/test_asyncapi.py checks what this makes against that)."""
    event = webhook.event
    headers: dict[str, Any] = {
        **webhook.headers,
        "cloudEvents:specversion": "1.0", "cloudEvents:id": event.event_id,
        "cloudEvents:source": event.source, "cloudEvents:type": event.type,
        "cloudEvents:time": rfc3339(event.event_time),
        "x-seatrial-sim-time": rfc3339(to_datetime(now))}
    if event.order_id is not None:
        headers["cloudEvents:subject"] = event.order_id
    return aio_pika.Message(
        webhook.body, headers=headers, content_type=CONTENT_TYPE, message_id=message_id,
        correlation_id=event.correlation_id, type=event.type, delivery_mode=DELIVERY_MODE)


def routing_key(message: aio_pika.Message) -> str:
    """A gateway message's routing key on its source's exchange: the event type."""
    return message.type or ""


@dataclass(slots=True)
class Outbox:
    """A system's messages the gateway has yet to publish (message id, message), in the order
    they fell due; those of them it holds since the broker refused one; set when one comes."""

    waiting: deque[tuple[str, aio_pika.Message]] = field(default_factory=deque)
    held: set[str] = field(default_factory=set)
    wake: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(slots=True)
class Tracked:
    """A message the gateway published: its event, and how often the broker delivered it."""

    event: Event
    deliveries: int = 0


async def declare(channel: AbstractChannel) -> dict[str, AbstractExchange]:
    """The documented topology on `channel`'s virtual host; each system's exchange."""
    exchanges = {}
    for system in SYSTEMS:
        names = topology(system)
        dead = await channel.declare_exchange(names.dead, aio_pika.ExchangeType.FANOUT,
                                              durable=True)
        parked = await channel.declare_queue(names.dead, durable=True)
        await parked.bind(dead)
        exchange = await channel.declare_exchange(names.exchange, aio_pika.ExchangeType.TOPIC,
                                                  durable=True)
        queue = await channel.declare_queue(names.queue, durable=True,
                                            arguments=queue_arguments(system))
        await queue.bind(exchange, BOUND_WITH)
        exchanges[system] = exchange
    return exchanges


#: Sets (an int) or lifts (None) the cap on a queue of the run's virtual host, by its name.
Cap = Callable[[str, int | None], None]


class BrokerChannel(WebhookDispatcher):
    """The world's channel live (a `seatrial.world.ports.Channel`): publishing is the webhook
    channel's (the ledger's `emit`, the faults' plan, the signature); carrying is the real
    broker's. `exchanges` are the run's, declared (`declare`) on a channel with publisher
    confirms; `clock` times what the proxy and the dead-letter queues report. The faults'
    `on_broker` hooks (`seatrial.faults.base.Broker`) act through `cap`, the queues' length
    policy (`limit_length`), and `proxy`, the SUT's way to the broker (`close_connection`,
    and `go_down` with the gateway holding its publishes: the broker itself stays up, shared
    by the invocation's runs)."""

    def __init__(self, exchanges: dict[str, AbstractExchange], clock: LiveClock, cap: Cap,
                 proxy: AmqpProxy, env: simpy.Environment, faults: FaultLayer, ledger: Ledger,
                 receiver: Receiver, signing: Signing, dialects: dict[str, Dialect],
                 cores: dict[str, Any] | None = None) -> None:
        super().__init__(env, faults, ledger, receiver, signing, dialects, cores)
        self.exchanges = exchanges
        self.clock = clock
        self.cap = cap
        self.proxy = proxy
        self.messages: dict[str, Tracked] = {}  # by message id
        self.open = 0  # published, neither acked nor dead-lettered yet
        self.last = 0.0  # wall (monotonic) time of the last thing seen
        self.muted = False  # the run is over: what the broker does now is not the run's
        #: what crossed the broker, by ledger kind (and `published`), for the run's report
        self.counts: Counter[str] = Counter()
        self._ids = itertools.count(1)
        #: per system, the messages to publish, each system's published by a task of its own
        self._outboxes: dict[str, Outbox] = {}
        self._publishers: list[asyncio.Task] = []
        self._caps: defaultdict[str, list[int]] = defaultdict(list)  # queue_length_limit's
        self._capping: dict[str, asyncio.Task] = {}  # each queue's latest policy change
        self._reconnects: set[asyncio.Task] = set()  # after a connection_closed, a broker_down
        self._downs = 0  # broker_down windows in progress
        self._consumers_before = 0  # the SUT's consumers when the latest one began
        self._up = asyncio.Event()  # set while the gateway may publish
        self._up.set()
        for effect in faults.effects:
            effect.on_broker(self)

    def send(self, delivery: Delivery) -> None:
        """The gateway publishes `delivery` once it is due."""
        self.env.timeout(delivery.delay).callbacks.append(lambda _e: self._publish(delivery))

    def _publish(self, delivery: Delivery) -> None:
        event = delivery.event
        message_id = f"{event.event_id}#{next(self._ids)}"
        self.messages[message_id] = Tracked(event)
        self.open += 1
        self.counts["published"] += 1
        message = gateway_message(self._webhook(delivery), message_id, self.env.now)
        outbox = self._outboxes.get(event.source)
        if outbox is None:
            outbox = self._outboxes[event.source] = Outbox()
            self._publishers.append(asyncio.get_running_loop().create_task(
                self._publish_all(event.source, outbox)))
        outbox.waiting.append((message_id, message))
        if outbox.held:  # behind a message the broker refused
            self._hold(outbox, message_id)
        if self._downs:
            self._held_down(message_id)
        outbox.wake.set()

    async def _publish_all(self, source: str, outbox: Outbox) -> None:
        """Publish `source`'s messages in order, each confirmed before the next (publishes of
        their own, side by side, reach the broker in no set order: aio-pika's path to its
        channel lock has suspensions of its own). One the broker refuses is tried again
        `PUBLISH_RETRY` later, and held with every one behind it."""
        while True:
            while not outbox.waiting:
                outbox.wake.clear()
                await outbox.wake.wait()
            await self._up.wait()
            message_id, message = outbox.waiting[0]
            try:
                await self.exchanges[source].publish(message, routing_key=routing_key(message))
            except aio_pika.exceptions.DeliveryError:  # nacked: the queue is over its cap
                for waiting, _ in outbox.waiting:
                    self._hold(outbox, waiting)
                await self._later(PUBLISH_RETRY)
                continue
            except Exception as error:  # not confirmed: the SUT will never see it
                self._dropped(message_id, error)
            outbox.waiting.popleft()
            outbox.held.discard(message_id)

    def _hold(self, outbox: Outbox, message_id: str) -> None:
        """`message_id` is held by the gateway since the broker refused it or one before it:
        a `fault` note, once."""
        if self.muted or message_id in outbox.held:
            return
        outbox.held.add(message_id)
        event = self.messages[message_id].event
        self.ledger.record(self.clock.sync(), "fault", event.source, event.event_id,
                           event.order_id, {"fault": "queue_length_limit",
                                            "held": queue_length_limit.REFUSED})

    def _dropped(self, message_id: str, error: Exception) -> None:
        if self.muted:
            return
        tracked = self.messages.pop(message_id)
        self.open -= 1
        event = tracked.event
        self.ledger.record(self.clock.sync(), "drop", event.source, event.event_id,
                           event.order_id, {"reason": "the broker did not confirm the publish "
                                                      f"({type(error).__name__}: {error})"})

    async def _later(self, seconds: float) -> None:
        """Until `seconds` of simulated time have passed."""
        due = asyncio.get_running_loop().create_future()
        self.clock.sync()
        self.env.timeout(seconds).callbacks.append(
            lambda _e: due.done() or due.set_result(None))
        self.clock.kick()
        await due

    # --- seatrial.faults.base.Broker, live -----------------------------------------------------

    def close_connection(self, at: float, unnoticed: float) -> None:
        self.env.timeout(at - self.env.now).callbacks.append(lambda _e: self._sever(unnoticed))

    def _sever(self, unnoticed: float) -> None:
        consumers = self.proxy.sever()
        self.env.timeout(unnoticed).callbacks.append(lambda _e: self._close(consumers))

    def _close(self, consumers: int) -> None:
        self._background(self._reconnected(consumers, CLOSED))

    def go_down(self, at: float, until: float) -> None:
        def switch(down: bool) -> None:
            self._downs += 1 if down else -1
            if down and self._downs == 1:
                self._up.clear()
                self._consumers_before = self.proxy.go_down(broker_down.DOWN)
                for outbox in self._outboxes.values():
                    for message_id, _ in outbox.waiting:
                        self._held_down(message_id)
            elif not self._downs:
                self.proxy.come_up()
                self._up.set()
                self._background(self._reconnected(self._consumers_before))
        switched(self.env, at, until, switch)

    def _held_down(self, message_id: str) -> None:
        """What the gateway cannot publish while the broker is down: a `fault` note."""
        if self.muted:
            return
        event = self.messages[message_id].event
        self.ledger.record(self.clock.sync(), "fault", event.source, event.event_id,
                           event.order_id, {"fault": "broker_down", "held": broker_down.HELD})

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._reconnects.add(task)
        task.add_done_callback(self._reconnects.discard)

    async def _reconnected(self, consumers: int, closing: str | None = None) -> None:
        """With `closing`, the broker closes the severed connections for that reason (it
        requeues what they held). Simulated time stands still until the SUT's `consumers` are
        back, then moves on by the reconnect's real length, as for a crash fault's restart
        (seatrial.live.clock): a client library's reconnect interval is wall time, which the
        pace would multiply."""
        began = time.monotonic()
        self.clock.hold()
        if closing is not None:
            self.proxy.close_severed(closing)
        try:
            await asyncio.wait_for(self.proxy.consuming(consumers), RECONNECT_TIMEOUT)
        except TimeoutError:
            pass  # a SUT that does not reconnect: its queues back up, and the checks see it
        finally:
            self.clock.release(time.monotonic() - began)

    def limit_length(self, system: str, max_length: int, at: float, until: float) -> None:
        caps = self._caps[system]

        def cap(on: bool) -> None:
            if on:
                caps.append(max_length)
            else:
                caps.remove(max_length)
            previous = self._capping.get(system)
            self._capping[system] = asyncio.get_running_loop().create_task(
                self._recap(previous, topology(system).queue, min(caps, default=None)))
        switched(self.env, at, until, cap)

    async def _recap(self, previous: asyncio.Task | None, queue: str, cap: int | None) -> None:
        """The queue's policy set to `cap`, after the change before it."""
        if previous is not None:
            await previous
        await asyncio.to_thread(self.cap, queue, cap)

    def seen(self, seen: Seen) -> None:
        """What the proxy saw cross between the broker and the SUT (its `Observer`)."""
        tracked = self.messages.get(seen.message_id or "")
        if self.muted or tracked is None:
            return  # not the gateway's message (one the SUT published itself)
        now = self.clock.sync()
        self.last = time.monotonic()
        event = tracked.event
        if seen.kind == "deliver":
            tracked.deliveries += 1
            self.deliveries += 1
            self.counts["deliver"] += 1
            data: dict[str, object] = {"attempt": tracked.deliveries}
            if seen.redelivered or tracked.deliveries > 1:
                data["redelivered"] = True
            self.ledger.record(now, "deliver", event.source, event.event_id, event.order_id,
                               data)
            return
        if seen.reason is not None:  # a fault closed its connection: the broker requeues it
            self.ledger.record(now, "requeue", event.source, event.event_id, event.order_id,
                               {"attempt": tracked.deliveries, "reason": seen.reason})
            return
        kind, error = ANSWERS[seen.kind, seen.requeue]
        if seen.severed:  # made on a connection whose way back is cut: the broker never hears
            self.ledger.record(now, "fault", event.source, event.event_id, event.order_id, {
                "fault": "connection_closed", "lost": kind, "attempt": tracked.deliveries})
            return
        self.outcomes += 1
        self.counts[kind] += 1
        data = {"attempt": tracked.deliveries}
        if error is not None:
            data["error"] = error
        self.ledger.record(now, kind, event.source, event.event_id, event.order_id, data)
        if kind == "ack":
            self._settled(seen.message_id)

    async def dead_lettered(self, message: AbstractIncomingMessage) -> None:
        """A message the broker dead-lettered, read from a dead-letter queue."""
        await message.ack()
        tracked = self.messages.get(message.message_id or "")
        if self.muted or tracked is None:
            return
        deaths = (message.headers or {}).get("x-death") or [{}]
        reason = deaths[0].get("reason", "unknown")
        reason = DEATH_REASONS.get(str(reason), str(reason))
        event = tracked.event
        self.last = time.monotonic()
        self.counts["dead-letter"] += 1
        self.ledger.record(self.clock.sync(), "dead-letter", event.source, event.event_id,
                           event.order_id, {"deliveries": tracked.deliveries, "reason": reason})
        self._settled(message.message_id)

    def _settled(self, message_id: str) -> None:
        del self.messages[message_id]
        self.open -= 1

    def summary(self) -> dict[str, int]:
        """For the run's report (`live.amqp`): messages published, and deliveries, acks,
        nacks, rejects and dead letters recorded."""
        return {kind: self.counts[kind] for kind in
                ("published", "deliver", "ack", "nack", "reject", "dead-letter")}

    async def close(self) -> None:
        """Nothing more is recorded, and publishes still waiting are dropped; a policy the
        management API refused is the error it raised."""
        self.muted = True
        for task in (*self._publishers, *self._reconnects):
            task.cancel()
        await asyncio.gather(*self._publishers, *self._reconnects, return_exceptions=True)
        for capping in self._capping.values():
            await capping


class BrokerRun:
    """One live run's part of the invocation's broker (`host`): `async with BrokerRun(host) as
    run:` makes a virtual host of its own with the topology declared; `opener(clock)` is the
    world's channel on it; once the world is built, `attach()` starts the proxy the SUT logs in
    through and the dead-letter readers, and returns the SUT's settings. Leaving it stops
    them, closes the gateway's connection and deletes the virtual host."""

    def __init__(self, host: Broker) -> None:
        self.channel: BrokerChannel | None = None  # the world's, once `opener` made it
        self._vhost = UserBroker(host.url, host.management_url)
        self._stack = contextlib.AsyncExitStack()
        self._exchanges: dict[str, AbstractExchange] = {}
        self._gateway: AbstractChannel | None = None
        self.broker: Broker | None = None
        #: the proxy the SUT logs in through, listening once `attach`ed
        self._proxy: AmqpProxy | None = None

    async def __aenter__(self) -> BrokerRun:
        try:
            self.broker = await asyncio.to_thread(self._vhost.__enter__)
            self._stack.push_async_callback(asyncio.to_thread, self._vhost.__exit__,
                                            None, None, None)
            parts = urlsplit(self.broker.url)
            self._proxy = AmqpProxy((parts.hostname or "127.0.0.1", parts.port or 5672),
                                    self._seen)
            connection = await aio_pika.connect(self.broker.url)
            self._stack.push_async_callback(connection.close)
            self._gateway = await connection.channel(publisher_confirms=True)
            self._exchanges = await declare(self._gateway)
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    def opener(self, clock: LiveClock) -> OpenChannel:
        def made(*parts: Any) -> BrokerChannel:
            assert self._proxy is not None
            self.channel = BrokerChannel(self._exchanges, clock, self._vhost.cap, self._proxy,
                                         *parts)
            return self.channel
        return made

    def _seen(self, seen: Seen) -> None:
        """The proxy's observer: what it sees is the world's channel's to record."""
        if self.channel is not None:
            self.channel.seen(seen)

    async def attach(self) -> dict[str, str]:
        """The proxy and the dead-letter readers for the world's channel; the SUT's settings
        (the AMQP URL through the proxy, with the run's credentials and virtual host, and the
        queue names)."""
        assert self.channel is not None and self._gateway is not None and self.broker
        assert self._proxy is not None
        channel = self.channel
        parts = urlsplit(self.broker.url)
        proxy = await self._stack.enter_async_context(self._proxy)
        self._stack.push_async_callback(channel.close)  # first out: nothing recorded after
        for system in SYSTEMS:
            parked = await self._gateway.get_queue(topology(system).dead, ensure=False)
            await parked.consume(channel.dead_lettered)
        netloc = f"{parts.netloc.rpartition('@')[0]}@{proxy.host}:{proxy.port}"
        return amqp_settings(parts._replace(netloc=netloc).geturl(),
                             {system: topology(system).queue for system in SYSTEMS})

    def mute(self) -> None:
        """The run is over: what the broker and the SUT do from now on is not recorded."""
        if self.channel is not None:
            self.channel.muted = True

    async def __aexit__(self, *_exc: object) -> None:
        await self._stack.aclose()

