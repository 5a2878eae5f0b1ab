"""An httpx client for many concurrent requests on loopback.

Requests wait for a slot on a semaphore instead of in httpcore's connection pool, whose queue
is scanned on every request (quadratic under a burst: measured at over half the harness's CPU
during a release wave with thousands of deliveries queued).

Each slot is a lane: its own httpx client, which only the request holding the slot uses, so a
request is on its lane's keep-alive connection from the moment it takes the slot. In one shared
pool it is not: httpcore may hand one idle connection to two requests that enter together,
and the loser is given another connection later, whichever is idle by then, perhaps one that
has just carried a 429 the request was meant to wait out (`hold`, `seen`).

No lane keeps cookies: a lane carries many handlers' requests, and a cookie one answer set must
not ride on another's request. A handler that needs a session keeps it (`seatrial.sdk.Cookies`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import httpx

CONCURRENCY = 32  # requests in flight at once, each on its own keep-alive connection


def _cookieless(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """`client`, its cookie jar taking none (its policy allows no domain; httpx copies a jar
    given to its constructor, policy lost, so the policy is set on the one it keeps)."""
    client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return client


class BoundedClient:
    def __init__(self, timeout: float, concurrency: int = CONCURRENCY) -> None:
        # a lane's one request goes to one origin: a connection per origin it has served
        self._free = [_cookieless(httpx.AsyncClient(timeout=httpx.Timeout(timeout, pool=None)))
                      for _ in range(concurrency)]
        self._lanes = tuple(self._free)
        self._slots = asyncio.Semaphore(concurrency)

    async def request(self, method: str, url: str, *,
                      hold: Callable[[], float] | None = None,
                      seen: Callable[[httpx.Response], None] | None = None,
                      **options: Any) -> httpx.Response:
        """`hold()`, asked once a slot is free, gives seconds to wait before sending (a
        Retry-After that arrived while this request was queued); the slot is not kept.
        `seen(response)` is called when the answer's head has arrived, before its body is read
        and its lane is free again: whatever `seen` records (a 429's pause) is in place before
        `hold()` is asked for the next request on that connection."""
        while True:
            async with self._slots:
                wait = hold() if hold is not None else 0.0
                if wait <= 0:
                    lane = self._free.pop()  # the last freed: its connections are warm
                    try:
                        return await self._send(lane, method, url, seen, options)
                    finally:
                        self._free.append(lane)
            await asyncio.sleep(wait)

    @staticmethod
    async def _send(lane: httpx.AsyncClient, method: str, url: str,
                    seen: Callable[[httpx.Response], None] | None,
                    options: dict[str, Any]) -> httpx.Response:
        if seen is None:
            return await lane.request(method, url, **options)
        response = await lane.send(lane.build_request(method, url, **options), stream=True)
        try:
            seen(response)
            await response.aread()
        finally:
            await response.aclose()
        return response

    async def get(self, url: str, **options: Any) -> httpx.Response:
        return await self.request("GET", url, **options)

    async def post(self, url: str, **options: Any) -> httpx.Response:
        return await self.request("POST", url, **options)

    async def aclose(self) -> None:
        for lane in self._lanes:
            await lane.aclose()
