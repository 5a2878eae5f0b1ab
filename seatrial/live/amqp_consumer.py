"""`seatrial sut`'s consumer on the amqp channel: the run's queues consumed with the same
handler as webhooks, answering as the in-process channel's consumer does
(docs/broker.md#the-amqp-channel):

- the handler returns: `basic.ack`;
- it raises (or the SUT cannot take the event now): `basic.nack` with requeue, so the broker
  delivers it again, flagged redelivered, until its delivery limit dead-letters it;
- `authenticate` refuses it, or its body is not an event envelope: `basic.reject` without
  requeue, so the broker dead-letters it at once.

One channel per queue, each holding at most `PREFETCH` messages unacknowledged (`basic.qos`),
so a slow handler backs its own queue up and no other. The connection recovers by itself
(aio-pika's robust connection) if the broker drops it; the broker requeues what it held.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from seatrial.world.amqp import PREFETCH

log = logging.getLogger("seatrial.sut")
#: What handles one message: (source, body, headers) -> (outcome, detail); ValueError for a
#: body that is not an event (seatrial.live.sut.HttpFace.take).
Take = Callable[[str, bytes, dict[str, str]], Awaitable[tuple[str, str | None]]]
RETRY = 1.0  # wall seconds between attempts to reach a broker that refused the first login


class Consumer:
    """Consumes `queues` (by source) at `url` with `take`, from `start` until `close`."""

    def __init__(self, url: str, queues: dict[str, str], take: Take) -> None:
        self.url = url
        self.queues = queues
        self.take = take
        self._connection: AbstractRobustConnection | None = None
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._consume())

    async def _consume(self) -> None:
        while self._connection is None:
            try:
                self._connection = await aio_pika.connect_robust(self.url)
            except (OSError, aio_pika.exceptions.AMQPError) as error:
                log.error("cannot reach the broker (%s); trying again", error)
                await asyncio.sleep(RETRY)
        for source, name in self.queues.items():
            channel = await self._connection.channel()
            await channel.set_qos(prefetch_count=PREFETCH)
            # declared (passively), not merely named: a robust channel restores the consumers
            # of the queues it declared only, so after a reconnect a queue got with
            # `ensure=False` would be consumed by nobody
            queue = await channel.get_queue(name)
            await queue.consume(lambda message, source=source: self._handle(source, message))

    async def _handle(self, source: str, message: AbstractIncomingMessage) -> None:
        headers = {name: value.decode(errors="replace") if isinstance(value, bytes)
                   else str(value) for name, value in (message.headers or {}).items()}
        try:
            outcome, detail = await self.take(source, message.body, headers)
        except ValueError as error:
            outcome, detail = "reject", str(error)
        if detail is not None:
            log.info("%s message %s: %s (%s)", source, message.message_id, outcome, detail)
        with contextlib.suppress(aio_pika.exceptions.AMQPError, ConnectionError):
            if outcome == "ack":
                await message.ack()
            elif outcome == "reject":
                await message.reject(requeue=False)
            else:
                await message.nack(requeue=True)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
