"""An httpx client for many concurrent requests on loopback.

Requests wait for a slot on a semaphore instead of in httpcore's connection pool, whose queue
is scanned on every request (quadratic under a burst: measured at over half the harness's CPU
during a release wave with thousands of deliveries queued).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

CONCURRENCY = 32  # requests in flight at once, each on its own keep-alive connection


class BoundedClient:
    def __init__(self, timeout: float, concurrency: int = CONCURRENCY) -> None:
        self.client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=concurrency,
                                max_keepalive_connections=concurrency),
            timeout=httpx.Timeout(timeout, pool=None))
        self._slots = asyncio.Semaphore(concurrency)

    async def request(self, method: str, url: str, *,
                      hold: Callable[[], float] | None = None, **options: Any) -> httpx.Response:
        """`hold()`, asked once a slot is free, gives seconds to wait before sending (a
        Retry-After that arrived while this request was queued); the slot is not kept."""
        while True:
            async with self._slots:
                wait = hold() if hold is not None else 0.0
                if wait <= 0:
                    return await self.client.request(method, url, **options)
            await asyncio.sleep(wait)

    async def get(self, url: str, **options: Any) -> httpx.Response:
        return await self.request("GET", url, **options)

    async def post(self, url: str, **options: Any) -> httpx.Response:
        return await self.request("POST", url, **options)

    async def aclose(self) -> None:
        await self.client.aclose()
