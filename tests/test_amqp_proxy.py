"""The consumer-facing AMQP proxy (seatrial.live.amqp_proxy) against a real RabbitMQ: a stock
client (aio-pika) consumes through it, and what the proxy reads of the frames is what the
client did: each delivery with its message id and redelivered flag, an ack with `multiple`
covering the tags up to it, a nack with requeue (delivered again, flagged redelivered), a
reject without, and the messages a closed connection held unacknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aio_pika
import pytest
from test_rabbitmq import installed

from seatrial.live.amqp_proxy import AmqpProxy, Seen
from seatrial.live.broker import Broker, LocalBroker

pytestmark = pytest.mark.wall_clock


@pytest.fixture(scope="module")
def rabbitmq() -> Iterator[Broker]:
    installed()
    with LocalBroker() as broker:
        yield broker


def through(url: str, port: int) -> str:
    """`url` with its host and port the proxy's."""
    credentials, _, rest = url.rpartition("@")
    return f"{credentials}@127.0.0.1:{port}/{rest.partition('/')[2]}"


async def consume_through_proxy(url: str) -> list[Seen]:
    seen: list[Seen] = []
    host, port = url.rpartition("@")[2].split("/")[0].split(":")
    async with AmqpProxy((host, int(port)), seen.append) as proxy:
        publisher = await aio_pika.connect(url)
        async with publisher:
            channel = await publisher.channel()
            queue = await channel.declare_queue("proxy.test", auto_delete=False)
            for n in range(1, 6):
                await channel.default_exchange.publish(
                    aio_pika.Message(f"m{n}".encode(), message_id=f"id-{n}"),
                    routing_key=queue.name)
            consumer = await aio_pika.connect(through(url, proxy.port))
            channel = await consumer.channel()
            await channel.set_qos(prefetch_count=10)
            mine = await channel.get_queue("proxy.test")
            got: dict[str, aio_pika.abc.AbstractIncomingMessage] = {}
            async with mine.iterator() as messages:
                async for message in messages:
                    got[message.message_id] = message
                    if len(got) == 5:
                        break
            await got["id-2"].ack(multiple=True)  # id-1 and id-2
            await got["id-3"].nack(requeue=True)
            await got["id-4"].reject(requeue=False)
            async with mine.iterator() as messages:
                async for message in messages:
                    assert message.message_id == "id-3" and message.redelivered
                    await message.ack()
                    break
            await asyncio.sleep(0.2)  # the answers cross the proxy
            await consumer.close()  # holding id-5 unacknowledged
            await asyncio.sleep(0.2)
            left = await (await publisher.channel()).declare_queue("proxy.test", passive=True)
            assert left.declaration_result.message_count == 1  # id-5, requeued
            await left.delete(if_empty=False)
    return seen


def test_the_proxy_reads_deliveries_and_answers_by_delivery_tag(rabbitmq):
    seen = asyncio.run(consume_through_proxy(rabbitmq.url))
    assert [s for s in seen if s.kind == "deliver"] == [
        *(Seen("deliver", f"id-{n}") for n in range(1, 6)),
        Seen("deliver", "id-3", redelivered=True)]
    answers = [s for s in seen if s.kind != "deliver"]
    assert answers == [Seen("ack", "id-1"), Seen("ack", "id-2"),
                       Seen("nack", "id-3", requeue=True), Seen("reject", "id-4"),
                       Seen("ack", "id-3"), Seen("lost", "id-5")]
