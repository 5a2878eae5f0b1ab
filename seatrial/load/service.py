"""The simulator service of a load test: one live world whose orders come from Locust.

It runs in its own process (Locust's gevent and this asyncio loop do not share one): the three
simulators and the SUT as in a live run, plus a small control API the Locust side drives:

    POST /start    the load begins: the world's clock starts now
    POST /orders   release one order into the ERP now (an arrival)
    GET  /status   orders released, the backlog (orders still waiting for a shipment)
    POST /finish   no more orders; drain to quiescence (or `drain` wall seconds), judge every
                   invariant on the records, return the verdict and the wall-time samples

The POSTs take the service's secret (`Authorization: Bearer $SEATRIAL_LOAD_SECRET`: the Locust
master makes one up and hands it to its workers); without it they answer 401 and change
nothing. Errors are problem+json naming what to fix, like every Seatrial HTTP face.
"""

from __future__ import annotations

import asyncio
import math
import signal
import socket
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from seatrial.judge.flows import measure
from seatrial.judge.result import slim
from seatrial.ledger import Ledger
from seatrial.live import control
from seatrial.live.limits import SERVER_LIMITS, Limits
from seatrial.live.problems import problem
from seatrial.live.runner import LiveOptions, LiveSession, LiveTarget, live_session, quiescent
from seatrial.live.settings import LOAD_SECRET
from seatrial.run import judge, observe
from seatrial.scenario import Scenario
from seatrial.world.drives import Arrivals

BACKLOG_EVERY = 0.5  # wall seconds between backlog samples
EXAMPLES = 5  # violations quoted per invariant
MAX_DRAIN = 86_400.0  # wall seconds: a drain longer than a day is a mistake, not a plan
WILDCARDS = ("0.0.0.0", "::")
OUTCOMES = ("ack", "nack", "reject")
FLOWS = {"order -> shipment": "order_to_shipment", "milestone -> ERP": "milestone_to_erp",
         "POD -> invoice": "pod_to_invoice"}


class LoadService:
    """Releases the orders of `session`'s world through its drive, `arrivals`."""

    def __init__(self, session: LiveSession, arrivals: Arrivals, secret: str,
                 quiet: float = 2.0) -> None:
        self.session = session
        self.arrivals = arrivals
        self.secret = secret
        self.quiet = quiet
        self.state = "ready"  # -> running -> draining -> finished
        self.released = 0
        self.started_at = 0.0
        self.cpu_at_start = 0.0
        self.waiting: set[str] = set()  # released, not cancelled, no shipment yet
        self.backlog: list[tuple[float, int]] = []  # (wall seconds since start, len(waiting))
        self._driver: asyncio.Task | None = None
        self._sampler: asyncio.Task | None = None
        self._finishing: asyncio.Task | None = None

    def app(self) -> Starlette:
        def guarded(endpoint: control.Endpoint) -> control.Endpoint:
            return control.guarded(self.secret, LOAD_SECRET, endpoint)

        return Starlette(routes=[
            Route("/start", guarded(self.start), methods=["POST"]),
            Route("/orders", guarded(self.release), methods=["POST"]),
            Route("/status", self.status, methods=["GET"]),
            Route("/finish", guarded(self.finish), methods=["POST"]),
        ], middleware=[Middleware(Limits)])

    def _count_waiting(self) -> int:
        world = self.session.world
        orders, shipped = world.erp.orders, world.tms.by_order
        self.waiting = {order_id for order_id in self.waiting if order_id not in shipped
                        and orders[order_id].cancelled_at is None}
        return len(self.waiting)

    async def start(self, _request: Request) -> Response:
        if self.state == "ready":
            clock = self.session.stack.clock
            clock.start()
            self.started_at = time.monotonic()
            self.cpu_at_start = time.process_time()
            self._driver = asyncio.create_task(clock.drive(self.session.world.horizon))
            self._sampler = asyncio.create_task(self._sample())
            self.state = "running"
        return JSONResponse({"state": self.state})

    async def release(self, _request: Request) -> Response:
        if self.state != "running":
            return problem(409, "not accepting orders", f"the load service is {self.state}; "
                           "POST /start before releasing orders, and none after POST /finish")
        clock = self.session.stack.clock
        clock.sync()
        order_id = self.arrivals.release()
        self.released += 1
        self.waiting.add(order_id)
        clock.kick()
        return JSONResponse({"order_id": order_id}, 201)

    async def status(self, _request: Request) -> Response:
        return JSONResponse({"state": self.state, "released": self.released,
                             "waiting": self._count_waiting(),
                             "webhooks_in_flight": self.session.remote.inflight})

    async def finish(self, request: Request) -> Response:
        try:
            body = await request.json()
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            return problem(400, "bad finish request", 'send a JSON object, {"drain": SECONDS}',
                           field="body")
        drain = body.get("drain")
        if (not isinstance(drain, int | float) or isinstance(drain, bool)
                or not (math.isfinite(drain) and 0 < drain <= MAX_DRAIN)):
            return problem(422, "bad finish request", 'send {"drain": SECONDS}: how many wall '
                           f"seconds the backlog may take to drain, a number > 0 and at most "
                           f"{MAX_DRAIN:,.0f} (a day); not {drain!r}", field="drain")
        if self.state == "ready":
            return problem(409, "not started", "POST /start first: there is no load to finish")
        if self._finishing is None:
            self._finishing = asyncio.create_task(self._finish(drain))
        return JSONResponse(await asyncio.shield(self._finishing))

    async def close(self) -> None:
        tasks = [t for t in (self._driver, self._sampler, self._finishing) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _sample(self) -> None:
        while True:
            self.backlog.append((time.monotonic() - self.started_at, self._count_waiting()))
            await asyncio.sleep(BACKLOG_EVERY)

    async def _finish(self, drain: float) -> dict[str, Any]:
        self.state = "draining"
        load_ended, judging = time.monotonic(), time.perf_counter()
        deadline = load_ended + drain
        while not quiescent(self.session, self.quiet) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        drained = quiescent(self.session, self.quiet)
        cpu = time.process_time() - self.cpu_at_start  # the simulators' work, not the judging
        # the quiet spell is proof of quiescence, not part of the drain
        drain_seconds = time.monotonic() - load_ended - (self.quiet if drained else 0.0)
        for task in (self._driver, self._sampler):
            task.cancel()
        await asyncio.gather(self._driver, self._sampler, return_exceptions=True)
        world, clock = self.session.world, self.session.stack.clock
        self.session.stack.note_refusals()
        end = clock.sync()
        obs = observe(world, end)
        run = judge(world, end, self.session.remote.url, judging, obs)
        flows = obs.shared(measure)  # the verdict's own
        ms = 1000.0 / clock.scale  # wall milliseconds per simulated second
        self.state = "finished"
        return {
            "released": self.released, "drained": drained,
            "service_cpu_seconds": round(cpu, 3),
            "drain_seconds": round(max(0.0, drain_seconds), 3),
            "load_ended": round(load_ended - self.started_at, 3),  # wall s since /start
            "ledger_entries": len(world.ledger), "ledger_hash": run.ledger_hash,
            "checked": run.checked,
            "invariants": _verdicts(run.checked, run.violations),
            "samples": {
                # an effect before its cause (a naive invoice before POD) is an invariant's
                # business; as a latency it counts as none
                "FLOW": {name: [max(0.0, s.seconds * ms) for s in getattr(flows, attr)]
                         for name, attr in FLOWS.items()},
                "WEBHOOK": webhook_answer_times(world.ledger, ms),
            },
            "backlog": self.backlog,
            "run": slim(run).to_json(),  # for Seatrial's HTML report of the load run
        }


def _verdicts(checked: list[str], violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for violation in violations:
        found[violation["invariant"]].append(violation)
    return [{"invariant": name, "violations": len(found[name]),
             "examples": [v["message"] for v in found[name][:EXAMPLES]]} for name in checked]


def webhook_answer_times(ledger: Ledger, ms_per_sim_second: float) -> dict[str, list[float]]:
    """How long the SUT took to answer each webhook delivery, by "source event-type"."""
    types: dict[str, str] = {}
    sent: dict[str, deque[float]] = defaultdict(deque)
    times: dict[str, list[float]] = defaultdict(list)
    for entry in ledger.entries:
        if entry.kind == "emit":
            types[entry.ref] = f"{entry.system} {entry.data['type']}"
        elif entry.kind == "deliver":
            sent[entry.ref].append(entry.time)
        elif entry.kind in OUTCOMES and sent[entry.ref]:
            key = types.get(entry.ref, f"{entry.system} ?")
            times[key].append((entry.time - sent[entry.ref].popleft()) * ms_per_sim_second)
    return dict(times)


async def serve_load(scenario: Scenario, target: LiveTarget, options: LiveOptions,
                     sock: socket.socket, announce: Callable[[dict[str, Any]], None],
                     secret: str) -> None:
    """Serve the load service on `sock` until SIGINT or SIGTERM, its POSTs guarded by
    `secret`; everything stops after."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        arrivals = Arrivals()  # orders only as Locust releases them
        async with live_session(scenario, arrivals, target, options) as session:
            service = LoadService(session, arrivals, secret, options.quiet)
            server = uvicorn.Server(uvicorn.Config(
                service.app(), lifespan="off", access_log=False, log_config=None,
                timeout_graceful_shutdown=1, timeout_keep_alive=30, **SERVER_LIMITS))
            serving = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started and not serving.done():
                await asyncio.sleep(0.01)
            host, port = sock.getsockname()[:2]
            if host in WILDCARDS:  # bound to every interface: workers elsewhere need a name
                host = socket.gethostname()
            announce({"url": f"http://{host}:{port}", "simulators": session.stack.urls,
                      "sut": session.remote.url})
            await asyncio.wait([serving, asyncio.create_task(stop.wait())],
                               return_when=asyncio.FIRST_COMPLETED)
            server.should_exit = True
            await service.close()
            await asyncio.gather(serving, return_exceptions=True)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
