"""A consumer-facing AMQP 0-9-1 proxy on loopback, between a live SUT and the run's broker.

What a consumer acks, nacks and rejects never reaches a publisher: the broker keeps it to
itself. To judge a live SUT over a broker as a webhook SUT is judged (black-box, by what
crossed its boundary), the SUT logs in here instead of at the broker; every byte is passed
through unchanged, each way, and the frames are read on the side (pamqp unmarshals them):

- from the broker, each `basic.deliver` (and `basic.get-ok`, for a SUT that polls): its delivery
  tag on its channel, its `redelivered` flag, and the message's id from the content header
  that follows it;
- from the SUT, each `basic.ack` / `basic.nack` / `basic.reject`: the delivery tag (all those
  up to it with `multiple`; every outstanding one for tag 0) and `requeue`;
- a channel or connection that closes while it holds messages unacknowledged: the broker
  requeues them, and each is seen as `lost`;
- from the broker, each `basic.consume-ok`: a consumer the SUT has started.

The proxy also plays the `connection_closed` fault: `sever` cuts the way back of every SUT
connection open at the time (what the SUT sends is read but no longer passed on, so its
answers are seen with `severed` and never reach the broker), and `close_severed` closes them,
as the broker does once its heartbeat timeout has passed: the broker requeues what they held
(seen as `lost`, with the fault's reason), and the SUT's client reconnects; `consuming` waits
for its consumers to be back. And the `broker_down` fault: `go_down` closes every SUT
connection and refuses new ones, as a node that stopped does, until `come_up`.

Each is told to the `Observer` as a `Seen`, on the proxy's event loop, in the order the frames
crossed. Only the few method frames that matter are unmarshalled; content bodies are skipped
by their length, so a large message costs no parsing.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Callable
from dataclasses import dataclass

from pamqp import commands, frame, header

PROTOCOL_HEADER = b"AMQP"
FRAME_METHOD, FRAME_HEADER = 1, 2
FRAME_END = 0xCE
FRAME_HEAD = struct.Struct(">BHI")  # type, channel, payload size
METHOD_ID = struct.Struct(">HH")  # class id, method id
# the (class, method) ids of the frames read, from the broker and from the SUT
DELIVERS = {(60, 60), (60, 71)}  # basic.deliver, basic.get-ok
ANSWERS = {(60, 80), (60, 90), (60, 120)}  # basic.ack, basic.reject, basic.nack
CHANNEL_CLOSE = {(20, 40), (20, 41)}  # channel.close, channel.close-ok (either side)
CONSUME_OK = (60, 21)  # basic.consume-ok
CHUNK = 65536


@dataclass(frozen=True, slots=True)
class Seen:
    """One thing the proxy saw: `kind` is `deliver` (the broker handed the SUT a message),
    `ack`, `nack`, `reject` (the SUT's answer) or `lost` (the SUT's channel or connection closed
    holding it unacknowledged: the broker requeues it); `message_id` the message's AMQP
    message-id property (None if it has none)."""

    kind: str
    message_id: str | None
    redelivered: bool = False
    requeue: bool = False
    severed: bool = False  # an answer on a severed connection: the broker never has it
    reason: str | None = None  # why a `lost` message's connection was closed, if a fault did


Observer = Callable[[Seen], None]


class _Frames:
    """Splits one direction's byte stream into frames (after the client's 8-byte protocol
    header), each handed to `on_frame` as (type, channel, whole frame bytes)."""

    def __init__(self, on_frame: Callable[[int, int, bytes], None], client: bool) -> None:
        self.buffer = bytearray()
        self.on_frame = on_frame
        self.header_left = client  # the client opens with "AMQP\x00\x00\x09\x01"

    def feed(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if self.header_left:
            if len(buffer) < 8:
                return
            if buffer[:4] == PROTOCOL_HEADER:
                del buffer[:8]
            self.header_left = False
        while len(buffer) >= FRAME_HEAD.size:
            kind, channel, size = FRAME_HEAD.unpack_from(buffer)
            end = FRAME_HEAD.size + size + 1
            if len(buffer) < end:
                return
            if kind in (FRAME_METHOD, FRAME_HEADER):
                self.on_frame(kind, channel, bytes(buffer[:end]))
            del buffer[:end]


class _Connection:
    """One SUT connection's deliveries outstanding, per channel: delivery tag -> message id;
    its consumers started, whether its way back is cut (`severed`) and, once a fault closed it,
    the fault's reason."""

    def __init__(self, observe: Observer, started: Callable[[], None]) -> None:
        self.observe = observe
        self.started = started
        self.outstanding: dict[int, dict[int, str | None]] = {}
        self.awaiting: dict[int, tuple[int, bool]] = {}  # channel -> (tag, redelivered)
        self.consumers = 0
        self.severed = False
        self.closed_by: str | None = None
        self.writers: tuple[asyncio.StreamWriter, ...] = ()

    def from_broker(self, kind: int, channel: int, data: bytes) -> None:
        if kind == FRAME_HEADER:
            pending = self.awaiting.pop(channel, None)
            if pending is None:
                return  # the content of a message the SUT published, or a basic.return
            _, _, content = frame.unmarshal(data)
            assert isinstance(content, header.ContentHeader)
            tag, redelivered = pending
            message_id = content.properties.message_id
            self.outstanding.setdefault(channel, {})[tag] = message_id
            self.observe(Seen("deliver", message_id, redelivered))
            return
        ids = METHOD_ID.unpack_from(data, FRAME_HEAD.size)
        if ids in DELIVERS:
            _, _, method = frame.unmarshal(data)
            self.awaiting[channel] = (method.delivery_tag, bool(method.redelivered))
        elif ids in CHANNEL_CLOSE:
            self.lose(channel)
        elif ids == CONSUME_OK:
            self.consumers += 1
            self.started()

    def from_sut(self, kind: int, channel: int, data: bytes) -> None:
        if kind != FRAME_METHOD:
            return
        ids = METHOD_ID.unpack_from(data, FRAME_HEAD.size)
        if ids in CHANNEL_CLOSE:
            if not self.severed:  # else the broker never hears of it: the close requeues
                self.lose(channel)
            return
        if ids not in ANSWERS:
            return
        _, _, method = frame.unmarshal(data)
        held = self.outstanding.get(channel, {})
        if isinstance(method, commands.Basic.Ack):
            outcome, multiple, requeue = "ack", method.multiple, False
        elif isinstance(method, commands.Basic.Nack):
            outcome, multiple, requeue = "nack", method.multiple, method.requeue
        else:
            outcome, multiple, requeue = "reject", False, method.requeue
        tag = method.delivery_tag
        if multiple:
            tags = [held_tag for held_tag in held if tag == 0 or held_tag <= tag]
        else:
            tags = [tag] if tag in held else []
        for settled in tags:
            if self.severed:  # lost on the way: the broker still counts it as held
                self.observe(Seen(outcome, held[settled], requeue=requeue, severed=True))
            else:
                self.observe(Seen(outcome, held.pop(settled), requeue=requeue))

    def close(self, reason: str) -> None:
        """Closed each way by a fault (once): what it held is requeued, seen with `reason`."""
        if self.closed_by is None:
            self.closed_by = reason
            for writer in self.writers:
                writer.close()

    def lose(self, channel: int | None = None) -> None:
        """`channel` (or every channel) closed: what it held is requeued by the broker."""
        channels = list(self.outstanding) if channel is None else [channel]
        for number in channels:
            for message_id in self.outstanding.pop(number, {}).values():
                self.observe(Seen("lost", message_id, reason=self.closed_by))
            self.awaiting.pop(number, None)


class AmqpProxy:
    """Listens on `host` (a free port: `port` once started) and joins each connection to the
    broker at `upstream` (host, port), telling `observe` what it sees.
    `async with AmqpProxy(...) as proxy:`; leaving it closes every connection."""

    def __init__(self, upstream: tuple[str, int], observe: Observer,
                 host: str = "127.0.0.1") -> None:
        self.upstream = upstream
        self.observe = observe
        self.host = host
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._connections: set[_Connection] = set()
        self._started = asyncio.Event()  # set at each consumer started
        self._down = False  # broker_down: every connection refused

    def go_down(self, reason: str) -> int:
        """Close every SUT connection (what they held is seen as `lost` with `reason`) and
        refuse new ones until `come_up`; how many consumers they had."""
        self._down = True
        consumers = self._consumers()
        for connection in self._connections:
            connection.close(reason)
        return consumers

    def come_up(self) -> None:
        self._down = False

    def sever(self) -> int:
        """Cut the way back of every SUT connection open now; how many consumers they had."""
        cut = [connection for connection in self._connections if not connection.severed]
        for connection in cut:
            connection.severed = True
        return sum(connection.consumers for connection in cut)

    def close_severed(self, reason: str) -> None:
        """Close the severed connections, each way, as the broker does once it notices: what
        they held is requeued, seen as `lost` with `reason`."""
        for connection in self._connections:
            if connection.severed:
                connection.close(reason)

    async def consuming(self, consumers: int) -> None:
        """Until the SUT's connections, those neither severed nor closed, have `consumers`
        consumers."""
        while self._consumers() < consumers:
            self._started.clear()
            await self._started.wait()

    def _consumers(self) -> int:
        return sum(connection.consumers for connection in self._connections
                   if not connection.severed and connection.closed_by is None)

    async def __aenter__(self) -> AmqpProxy:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, sut_reader: asyncio.StreamReader,
                     sut_writer: asyncio.StreamWriter) -> None:
        if self._down:  # a stopped node: the SUT's client sees its connection closed
            sut_writer.close()
            return
        task = asyncio.current_task()
        self._tasks.add(task)
        self._writers.add(sut_writer)
        connection = _Connection(self.observe, self._started.set)
        self._connections.add(connection)
        try:
            try:
                broker_reader, broker_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                return  # the SUT sees its connection closed, as if the broker refused it
            self._writers.add(broker_writer)
            connection.writers = (sut_writer, broker_writer)
            try:
                await _first_done(
                    _pump(sut_reader, broker_writer, _Frames(connection.from_sut, True),
                          lambda: not connection.severed),
                    _pump(broker_reader, sut_writer, _Frames(connection.from_broker, False)))
            finally:
                self._writers.discard(broker_writer)
                broker_writer.close()
        finally:
            self._connections.discard(connection)
            connection.lose()
            self._writers.discard(sut_writer)
            sut_writer.close()
            self._tasks.discard(task)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                frames: _Frames, passing: Callable[[], bool] = lambda: True) -> None:
    """Bytes from `reader` to `writer` as they come, while `passing`, each chunk read for
    frames once sent (or dropped)."""
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(CHUNK):
            if passing():
                writer.write(data)
            frames.feed(data)
            await writer.drain()


async def _first_done(*pumps: object) -> None:
    """Until either direction ends (EOF or a reset); the other is cancelled."""
    tasks = [asyncio.ensure_future(pump) for pump in pumps]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
