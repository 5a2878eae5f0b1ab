"""The world: one SimPy environment holding the simulators, the fault layer and the SUT."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from typing import Any

import simpy

from seatrial.budget import WALL_BUDGET, wall_budget
from seatrial.eventlog.format import EventLog
from seatrial.eventlog.player import Player
from seatrial.eventlog.record import Recording
from seatrial.faults import FaultLayer
from seatrial.gc_pause import paused_gc
from seatrial.ledger import Ledger
from seatrial.scenario import DRAIN, Scenario
from seatrial.sdk.implementation import SyncImplementation
from seatrial.simulators.erp.core import ErpCore
from seatrial.simulators.erp.lifecycle import release_order, release_orders
from seatrial.simulators.erp.orders import OrderFactory
from seatrial.simulators.events import EventSource
from seatrial.simulators.handoff import Handoff
from seatrial.simulators.lastmile.core import LastMileCore
from seatrial.simulators.lastmile.lifecycle import task_lifecycle
from seatrial.simulators.routes import erp_router, lastmile_router, tms_router
from seatrial.simulators.tms.core import TmsCore
from seatrial.simulators.tms.lifecycle import shipment_lifecycle
from seatrial.transport.inprocess import InProcessTransport
from seatrial.world.dispatcher import WebhookDispatcher
from seatrial.world.host import SutHost


def webhook_secret(rng: random.Random) -> str:
    """A Standard Webhooks secret ("whsec_" + base64 of 24 bytes), drawn from the seed."""
    return "whsec_" + base64.b64encode(rng.randbytes(24)).decode()


class World:
    """Without a factory the world has no SUT of its own: live mode attaches a remote one
    as `dispatcher.host` and serves `transport` over HTTP. Without the release wave, orders
    come only when `release_order()` is called (a load test's arrivals). With a recorded
    `log`, the log plays in place of the simulators' lifecycles; with `record`, the world
    keeps every event it publishes in `recording` (seatrial.eventlog)."""

    def __init__(self, scenario: Scenario,
                 factory: Callable[[], SyncImplementation] | None = None,
                 release_wave: bool = True, log: EventLog | None = None,
                 record: bool = False) -> None:
        self.scenario = scenario
        self.env = env = simpy.Environment()
        self.horizon = scenario.duration + DRAIN
        seed = scenario.seed

        def stream(name: str) -> random.Random:
            return random.Random(f"{seed}:{name}")

        self.ledger = Ledger()
        self.faults = FaultLayer(scenario, self.horizon, stream)
        secrets = {source: webhook_secret(stream(f"secret.{source}"))
                   for source in ("erp", "tms", "lastmile")}
        self.dispatcher = WebhookDispatcher(env, self.faults, self.ledger, secrets)
        clock = lambda: env.now  # noqa: E731
        sink = self.dispatcher.publish
        self.recording = Recording() if record else None
        if self.recording is not None:
            sink = self.recording.around(sink, lambda: self.erp)
        self.player = None if log is None else Player(self, log)
        created = {source: self._replayed(source) for source in ("tms", "lastmile")}
        handoff = Handoff(env)
        workload = scenario.workload
        tms_rng, lastmile_rng = stream("tms.lifecycle"), stream("lastmile.lifecycle")

        self.erp = ErpCore(clock, EventSource("erp", clock, sink))
        self.tms = TmsCore(clock, EventSource("tms", clock, sink), created["tms"] or (
            lambda shipment: env.process(shipment_lifecycle(env, self.tms, shipment, handoff,
                                                            tms_rng, workload))))
        self.lastmile = LastMileCore(clock, EventSource("lastmile", clock, sink),
                                     created["lastmile"] or (lambda task: env.process(
                                         task_lifecycle(env, self.lastmile, task, handoff,
                                                        lastmile_rng, workload))))
        routers = {"erp": erp_router(self.erp), "tms": tms_router(self.tms),
                   "lastmile": lastmile_router(self.lastmile)}
        self.transport = InProcessTransport(env, routers, self.faults, self.ledger)
        self.secrets = secrets
        self.host = None if factory is None else SutHost(
            env, factory, self.transport, self.ledger, stream("sut"), secrets)
        self.dispatcher.host = self.host
        for effect in self.faults.effects:
            effect.on_sut(self)
        orders, erp_rng = OrderFactory(seed, workload.lines_per_order), stream("erp.lifecycle")
        self.release_order: Callable[[], str] = lambda: release_order(
            env, self.erp, orders, erp_rng, workload)
        if self.player is not None:
            self.player.start()
        elif release_wave:  # without it, orders come only through release_order (a load test)
            env.process(release_orders(env, self.erp, orders, erp_rng, workload,
                                       scenario.duration))

    def _replayed(self, source: str) -> Callable[[Any], None] | None:
        """Replaying, a shipment or task the target creates binds the log's events to it
        instead of starting a lifecycle."""
        player = self.player
        if player is None:
            return None
        return lambda record: player.created_by_target(source, record)

    def crash(self, at: float, restart_after: float) -> None:
        """The SUT crashes at `at` and restarts `restart_after` later (`seatrial.faults.base.Sut`,
        for a `crash` fault): in process or, live, the SUT process."""
        self.env.timeout(at - self.env.now).callbacks.append(
            lambda _e: self.dispatcher.host.crash(restart_after))

    @property
    def exchanges(self) -> int:
        """Request/answer pairs: webhook deliveries plus API calls."""
        return self.dispatcher.deliveries + self.transport.calls

    @property
    def messages(self) -> int:
        """Messages across the SUT boundary: webhook deliveries and the SUT's answers to them,
        API requests and the answers (or transport errors) the SUT received."""
        dispatcher, transport = self.dispatcher, self.transport
        return (dispatcher.deliveries + dispatcher.outcomes + transport.calls
                + transport.answers)

    def run(self, budget: float = WALL_BUDGET) -> float:
        """Run to quiescence (or the horizon); returns the simulated end time. A run that takes
        more than `budget` wall seconds ends with `seatrial.budget.Runaway`."""
        env, horizon = self.env, self.horizon
        with paused_gc(), wall_budget(budget):
            while env.peek() < horizon:
                env.step()
        return env.now
