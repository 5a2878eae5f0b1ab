"""Bounded input on every HTTP face Seatrial serves: the three simulators, `seatrial sut` and
the load service (docs/live-protocol.md#limits).

Two layers, both answering with an RFC 9457 problem (or, in front of a simulator, the error
shape of the dialect it speaks: `Limits(refusal=...)`) and closing the connection:

- `Limits`, a pure ASGI middleware in front of the app, before any route or credential check:
  `431` when the request's header fields add up to more than `HEAD_LIMIT` bytes or number more
  than `FIELD_LIMIT`; `413` when its
  `Content-Length` says more than `BODY_LIMIT`, before a byte of the body is read; `413` too
  when a chunked body passes the limit while it streams (the app is told the client left, and
  what it answers afterwards goes nowhere).
- `BoundedHttpTools`, uvicorn's httptools protocol with a bound on a request head still being
  received: httptools itself buffers a head of any size (a 1 GB header would be held whole
  before the app sees it), so a head that goes on past `HEAD_LIMIT` (give or take one socket
  read) is answered `431` at the socket. Give it as uvicorn's `http` protocol
  (`SERVER_LIMITS`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from seatrial.live.problems import problem
from seatrial.model.wire import BODY_LIMIT, FIELD_LIMIT, HEAD_LIMIT  # one home, with why

LINGER = 2.0  # wall seconds a refused connection is drained before it is closed
CLOSE = (b"connection", b"close")


#: (status, title, detail, field=...) -> the answer (a starlette Response): how a face words a
#: refusal; RFC 9457's problem unless the face speaks another shape
Refusal = Callable[..., Any]


def too_large_body(length: int | None, limit: int = BODY_LIMIT,
                   refusal: Refusal = problem) -> Any:
    said = "its body is larger" if length is None else f"its body is {length:,} bytes"
    return refusal(413, "Request body too large",
                   f"{said}; this endpoint takes at most {limit:,} bytes", field="body")


def too_large_head(size: int | None, limit: int = HEAD_LIMIT, refusal: Refusal = problem) -> Any:
    said = "its head goes on longer" if size is None else f"its header fields are {size:,} bytes"
    return refusal(431, "Request header fields too large",
                   f"{said}; this endpoint takes at most {limit:,} bytes of them",
                   field="headers")


def too_many_fields(count: int, limit: int = FIELD_LIMIT, refusal: Refusal = problem) -> Any:
    return refusal(431, "Request header fields too large",
                   f"it has {count:,} header fields; this endpoint takes at most {limit:,}",
                   field="headers")


async def _answer(send: Send, response: Any) -> None:
    await send({"type": "http.response.start", "status": response.status_code,
                "headers": [*response.raw_headers, CLOSE]})
    await send({"type": "http.response.body", "body": response.body})


class Limits:
    """The ASGI guard (module docstring); `body` and `head` in bytes; `refusal` words its
    answers."""

    def __init__(self, app: ASGIApp, body: int = BODY_LIMIT, head: int = HEAD_LIMIT,
                 refusal: Refusal = problem) -> None:
        self.app = app
        self.body = body
        self.head = head
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size, length, chunked = 0, None, False
        for name, value in scope["headers"]:
            size += len(name) + len(value) + 4  # "name: value\r\n"
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
        if size > self.head:
            await _answer(send, too_large_head(size, self.head, self.refusal))
            return
        if len(scope["headers"]) > FIELD_LIMIT:
            await _answer(send, too_many_fields(len(scope["headers"]), refusal=self.refusal))
            return
        if length is not None and int(length) > self.body:  # the server checked its digits
            await _answer(send, too_large_body(int(length), self.body, self.refusal))
            return
        if chunked:
            await self._streamed(scope, receive, send)
        else:  # no body, or as long as it says: the server reads no more than that
            await self.app(scope, receive, send)

    async def _streamed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A body without Content-Length (chunked): counted as it arrives."""
        received = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.body:
                    refused = True
                    if not started:
                        await _answer(send, too_large_body(None, self.body, self.refusal))
                    return {"type": "http.disconnect"}
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused:
                return  # answered already: the app's own answer goes nowhere
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception:
            if not refused:
                raise  # an app that fails on a disconnect after our answer is no news


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head that goes on past `head_limit`
    bytes (counted from the socket read after the one in which it began)."""

    head_limit = HEAD_LIMIT

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._head: int | None = None  # bytes of the current head read so far; None: no head
        self._refused = False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head = 0

    def on_headers_complete(self) -> None:
        self._head = None
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # drained until LINGER closes it: the client reads our answer, not a reset
        if self._head is not None:
            self._head += len(data)
        super().data_received(data)
        if self._head is not None and self._head > self.head_limit and not self._refused:
            self._refuse()

    def _refuse(self) -> None:
        self._refused = True
        answer = too_large_head(None, self.head_limit)
        head = b"".join(b"%s: %s\r\n" % pair for pair in (*answer.raw_headers, CLOSE))
        self.transport.write(STATUS_LINE[431] + head + b"\r\n" + answer.body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.resume_reading()
        self.loop.call_later(LINGER, self.transport.close)


# uvicorn.Config / uvicorn.run keyword arguments that put BoundedHttpTools under an app
SERVER_LIMITS: dict[str, Any] = {"http": BoundedHttpTools}
