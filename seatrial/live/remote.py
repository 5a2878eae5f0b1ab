"""The SUT on the far side of HTTP: webhook deliveries POSTed to it, answers mapped back.

Stands where the in-process SutHost stands for the dispatcher, so redelivery, duplicates and
forgeries take the same path. 2xx acknowledges, 401/403 refuses, anything else or no answer in
`DELIVERY_TIMEOUT` fails the delivery (the source redelivers on its schedule).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx

from seatrial.cost import CostMeter
from seatrial.ledger import Ledger
from seatrial.live import control
from seatrial.live.clock import LiveClock
from seatrial.live.http_client import BoundedClient
from seatrial.live.process import SutProcess, TargetStartError
from seatrial.live.settings import CONTROL_SECRET
from seatrial.model.envelope import rfc3339, to_datetime
from seatrial.sdk.webhooks import Webhook
from seatrial.world.host import record_crash

DELIVERY_TIMEOUT = 10.0  # wall seconds
VALIDATION_TIMEOUT = 5.0  # wall seconds, for a webhook registration's validation request


class RemoteSut:
    def __init__(self, url: str, clock: LiveClock, client: BoundedClient,
                 process: SutProcess | None, ledger: Ledger,
                 health_timeout: float = 30.0) -> None:
        """`health_timeout`: wall seconds `process` may take to answer GET /health again after
        a crash fault."""
        self.url = url.rstrip("/")
        self.clock = clock
        self.client = client
        self.process = process
        self.ledger = ledger
        self.health_timeout = health_timeout
        self.crashes = 0
        #: why the SUT could not be run any further (it did not come back after a crash fault):
        #: the run stops and cannot be judged
        self.failure: str | None = None
        self.inflight = 0
        self.last = 0.0  # wall (monotonic) time of the last answer
        #: the wall time of each delivery's round trip (seatrial.cost), recorded, not judged: the
        #: SUT's CPU is not ours to read, and on a busy loopback a round trip is mostly queueing
        self.cost = CostMeter(time.monotonic, judged=False)
        self.lag = clock.lag  # how late the harness itself played (seatrial.lag)
        self._tasks: set[asyncio.Task] = set()
        self._closed = False  # the run is ending: no restart may start a SUT any more

    def start(self) -> None:
        """Nothing to start: the SUT runs on its own (or its `process` is launched later)."""

    def deliver(self, webhook: Webhook, on_result: Callable[[str, str | None], None]) -> None:
        self.inflight += 1
        task = asyncio.get_running_loop().create_task(self._post(webhook, on_result))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def validate(self, source: str, url: str, check: str) -> tuple[int | None, str]:
        """`GET <url>?check=<check>`, answered before the registration is: it blocks the
        simulators' loop for up to VALIDATION_TIMEOUT (the SUT runs in its own process, and
        registers webhooks once, at its start). Only the URL deliveries go to is asked."""
        wanted = f"{self.url}/webhooks/{source}"
        if url != wanted:
            return None, f"nothing listens at {url}; this SUT receives {source}'s deliveries " \
                         f"at {wanted}"
        try:
            answer = httpx.get(url, params={"check": check}, timeout=VALIDATION_TIMEOUT)
        except httpx.HTTPError as error:
            return None, f"{type(error).__name__}: {error}"
        return answer.status_code, answer.text

    async def _post(self, webhook: Webhook, on_result: Callable[[str, str | None], None]) -> None:
        event = webhook.event
        headers = {**webhook.headers,
                   "x-seatrial-sim-time": rfc3339(to_datetime(self.clock.env.now))}
        posted = time.monotonic()
        try:
            answer = await self.client.post(f"{self.url}/webhooks/{event.source}",
                                            content=webhook.body, headers=headers,
                                            timeout=DELIVERY_TIMEOUT)
        except httpx.TimeoutException:
            outcome, detail = "nack", f"no answer within {DELIVERY_TIMEOUT:g}s (wall)"
        except Exception as error:
            outcome, detail = "nack", f"{type(error).__name__}: {error}"
        else:
            status = answer.status_code
            if 200 <= status < 300:
                outcome, detail = "ack", None
            elif status in (401, 403):
                outcome, detail = "reject", f"{status}: refused by the SUT"
            else:
                outcome, detail = "nack", f"HTTP {status}"
        finally:
            self.inflight -= 1
        self.cost.charge(time.monotonic() - posted)
        self.clock.sync()
        self.last = time.monotonic()
        on_result(outcome, detail)
        self.clock.kick()  # a redelivery it scheduled must not wait for the next timer

    def crash(self, restart_after: float) -> None:
        """Kill the process now; start it again `restart_after` simulated seconds later."""
        assert self.process is not None, "crash faults in live mode need --target-cmd"
        self.crashes += 1
        record_crash(self.ledger, self.clock.env.now, self.crashes, restart_after)
        self.process.kill()
        self.clock.env.timeout(restart_after).callbacks.append(lambda _e: self._restart())

    def _restart(self) -> None:
        """Simulated time stands still until the SUT answers GET /health again, then moves on
        by the boot's real length (seatrial.live.clock): a restart is charged as it would be
        in service, not times the pace. None once the run is ending (`close`): a SUT started
        then would outlive it."""
        if self._closed:
            return
        self.clock.hold()
        task = asyncio.get_running_loop().create_task(self._boot())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _boot(self) -> None:
        began = time.monotonic()
        try:
            self.process.start()
            await self.process.wait_healthy(self.url, self.health_timeout)
        except TargetStartError as error:
            self.failure = f"restarting after a crash fault: {error}"
        finally:
            self.clock.release(time.monotonic() - began)

    async def close(self) -> None:
        """No more restarts, and any under way cancelled: before the SUT is stopped, or a
        restart due meanwhile would start one that nothing stops."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class SutUnavailable(Exception):
    """A running SUT that cannot be configured; the message names --target and the fix."""


def configure(client: httpx.Client, url: str, settings: dict[str, str],
              secret: str | None) -> None:
    """GET /health, then POST /seatrial/configure with the control secret (`secret`: the one
    the SUT was started with, by Seatrial or from $SEATRIAL_CONTROL_SECRET), as `seatrial run
    --target` does: the commands that test a running SUT (fuzz-sut, contracts verify-sut) tell
    it their settings."""
    try:
        health = client.get(f"{url}/health", timeout=5.0)
        answer = client.post(f"{url}/seatrial/configure", json=settings,
                             headers=control.bearer(secret), timeout=10.0)
    except httpx.HTTPError as error:
        raise SutUnavailable(f"--target {url}: cannot reach it ({type(error).__name__}: "
                             f"{error}); start the SUT first") from None
    if health.status_code != 200:
        raise SutUnavailable(f"--target {url}: GET /health answered {health.status_code}, not "
                             "200; the SUT must be ready before it is tested")
    if answer.status_code in (401, 403):
        fix = (f"${CONTROL_SECRET} is not the secret it was started with" if secret else
               f"set {CONTROL_SECRET} to the control secret it was started with (`seatrial "
               f"sut` prints the one it made up, or takes yours from {CONTROL_SECRET})")
        raise SutUnavailable(f"--target {url}: POST /seatrial/configure answered "
                             f"{answer.status_code}: it wants its control secret; {fix}")
    if not 200 <= answer.status_code < 300:
        raise SutUnavailable(f"--target {url}: POST /seatrial/configure answered "
                             f"{answer.status_code}; a running SUT must accept the settings "
                             "there (docs/live-protocol.md)")


async def configure_from_loop(url: str, settings: dict[str, str], secret: str | None) -> None:
    """`configure` from a running event loop: on a thread, as the SUT may call the simulators
    served by this very loop while it takes the settings."""
    with httpx.Client() as client:
        await asyncio.to_thread(configure, client, url, settings, secret)
