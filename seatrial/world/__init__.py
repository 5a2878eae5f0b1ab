"""The world: one SimPy environment holding the simulators, the fault layer and the SUT."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from typing import Any

import simpy

from seatrial.budget import WALL_BUDGET, wall_budget
from seatrial.eventlog.record import Recording
from seatrial.faults import FaultLayer
from seatrial.gc_pause import paused_gc
from seatrial.ledger import Ledger
from seatrial.model.envelope import EPOCH, SYSTEMS, Event
from seatrial.scenario import DRAIN, Scenario
from seatrial.sdk.implementation import SyncImplementation
from seatrial.simulators.api import Router
from seatrial.simulators.dialect import dialect
from seatrial.simulators.erp.core import ErpCore
from seatrial.simulators.events import EventSource
from seatrial.simulators.lastmile.core import LastMileCore
from seatrial.simulators.tms.core import TmsCore
from seatrial.transport.inprocess import InProcessTransport
from seatrial.world.amqp import AmqpChannel
from seatrial.world.dispatcher import WebhookDispatcher
from seatrial.world.drives import Lifecycles
from seatrial.world.host import SutHost
from seatrial.world.ports import Attach, Channel, Drive, OpenChannel, Signing, accept_all

#: Builds a world's network (the API calls' path) from its clock, the routers, the fault layer
#: and the ledger; live mode gives one with its grace for requests on the wire.
Network = Callable[[simpy.Environment, dict[str, Router], FaultLayer, Ledger],
                   InProcessTransport]




#: The channel each `Scenario.channel` names opens.
CHANNELS: dict[str, OpenChannel] = {"webhooks": WebhookDispatcher, "amqp": AmqpChannel}


def seed_stream(seed: int, name: str) -> random.Random:
    """A world's random stream `name`, drawn from its seed."""
    return random.Random(f"{seed}:{name}")



def webhook_secret(rng: random.Random) -> str:
    """A Standard Webhooks secret ("whsec_" + base64 of 24 bytes), drawn from `rng`."""
    return "whsec_" + base64.b64encode(rng.randbytes(24)).decode()


def webhook_secrets(seed: int) -> dict[str, str]:
    """The webhook secret of each source, drawn from the seed: a world's in-process ones."""
    return {source: webhook_secret(seed_stream(seed, f"secret.{source}")) for source in SYSTEMS}


class World:
    """Built from its parts (`seatrial.world.ports`), none set afterwards:

    - `factory` or `receiver`: where the webhooks go; `factory` hosts that sync implementation
      in process (a `SutHost`), `receiver` builds any other receiver (live mode: the remote SUT)
      from the world's clock, network and ledger; with neither, every delivery is acknowledged
      and dropped (`AcceptAll`).
    - `drive`: what produces the work; by default the simulators' lifecycles and release wave
      (`Lifecycles`), else e.g. a load test's `Arrivals` or a replayed log (`Player`).
    - `signing`: the webhook secrets and signing clock the delivery channel signs with; by
      default `secrets` (drawn from the seed) on the virtual clock.
    - `channel`: opens what carries the events to the receiver; by default the one the
      scenario names (`CHANNELS`: webhooks, or a broker's queues in virtual time).
    - `network`: builds the transport the API calls travel on (by default in-process as is).
    - `env`: the SimPy clock, for a caller that drives it (live mode's `LiveClock`).
    - `mailbox`: builds the folders of a system whose dialect's events are files (x12's TMS)
      from its name; by default the dialect keeps them in memory (live: the real folders the
      SFTP mailbox serves, seatrial.live.mailbox).

    With `record`, the world keeps every event it publishes in `recording`
    (seatrial.eventlog)."""

    def __init__(self, scenario: Scenario,
                 factory: Callable[[], SyncImplementation] | None = None, *,
                 receiver: Attach | None = None, drive: Drive | None = None,
                 signing: Signing | None = None, network: Network = InProcessTransport,
                 channel: OpenChannel | None = None,
                 env: simpy.Environment | None = None, record: bool = False,
                 mailbox: Callable[[str], Any] | None = None) -> None:
        if factory is not None and receiver is not None:
            raise TypeError("World takes a factory (an in-process SUT) or a receiver, not both")
        self.scenario = scenario
        self.env = env = env or simpy.Environment()
        self.horizon = scenario.duration + DRAIN
        self.ledger = Ledger()
        self.faults = FaultLayer(scenario, self.horizon, self.stream)
        #: the in-process webhook secrets (the SUT's, and the sources' unless `signing` says)
        self.secrets = webhook_secrets(scenario.seed)
        self.drive: Drive = drive or Lifecycles()
        clock = lambda: env.now  # noqa: E731
        sink = self._publish
        self.recording = Recording() if record else None
        if self.recording is not None:
            sink = self.recording.around(sink, lambda: self.erp)
        created = self.drive.created
        self.erp = ErpCore(clock, EventSource("erp", clock, sink))
        self.tms = TmsCore(clock, EventSource("tms", clock, sink),
                           lambda shipment: created("tms", shipment))
        self.lastmile = LastMileCore(clock, EventSource("lastmile", clock, sink),
                                     lambda task: created("lastmile", task),
                                     self._validate, self.stream("lastmile.checks"))
        spoken = {system: dialect(system, getattr(scenario.dialects, system))
                  for system in SYSTEMS}
        routers = {system: spoken[system].router(core, None if mailbox is None or spoken[
            system].post_event is None else mailbox(system))
                   for system, core in (("erp", self.erp), ("tms", self.tms),
                                        ("lastmile", self.lastmile))}
        self.transport = network(env, routers, self.faults, self.ledger)
        if factory is not None:
            secrets, rng = self.secrets, self.stream("sut")
            names = {system: made.name for system, made in spoken.items()}
            # a mailbox's login as the SUT reads it (`io.mailbox.login()`): the world's own
            filed = {system: routers[system].core.mailbox.login for system in SYSTEMS
                     if spoken[system].post_event is not None}
            logins = lambda system: None if system not in filed else filed[  # noqa: E731
                system].given()
            receiver = lambda env, transport, ledger: SutHost(  # noqa: E731
                env, factory, transport, ledger, rng, secrets, names, logins)
        self.receiver = (receiver or accept_all)(env, self.transport, self.ledger)
        self.channel: Channel = (channel or CHANNELS[scenario.channel])(
            env, self.faults, self.ledger, self.receiver,
            signing or Signing(self.secrets, lambda: EPOCH.timestamp() + env.now), spoken,
            {system: router.core for system, router in routers.items()})
        self.receiver.start()
        for effect in self.faults.effects:
            effect.on_sut(self)
            effect.on_systems(self)
        self.drive.start(self)

    def stream(self, name: str) -> random.Random:
        """The world's random stream `name`, drawn from the scenario's seed."""
        return seed_stream(self.scenario.seed, name)

    def _publish(self, event: Event) -> None:
        """The simulators' event sink: the delivery channel (built after the cores, which the
        network it needs serves)."""
        self.channel.publish(event)

    def _validate(self, url: str, check: str) -> tuple[int | None, str]:
        """A last-mile webhook registration's validation request: the receiver's (built after
        the cores, which the network it needs serves), through the faults on its way."""
        return self.faults.validation(
            self.env.now, lambda: self.receiver.validate("lastmile", url, check))

    def served(self, system: str) -> Any:
        """What `system`'s API serves in its dialect (`seatrial.faults.base.Systems`, for a
        dialect's fault): its router's core."""
        return self.transport.routers[system].core

    def at(self, time: float, action: Callable[[], None]) -> None:
        """Call `action` at simulated time `time` (`seatrial.faults.base.Systems`)."""
        self.env.timeout(time - self.env.now).callbacks.append(lambda _e: action())

    def crash(self, at: float, restart_after: float) -> None:
        """The SUT crashes at `at` and restarts `restart_after` later (`seatrial.faults.base.Sut`,
        for a `crash` fault): in process or, live, the SUT process."""
        self.env.timeout(at - self.env.now).callbacks.append(
            lambda _e: self.receiver.crash(restart_after))

    @property
    def exchanges(self) -> int:
        """Request/answer pairs: event deliveries plus API calls."""
        return self.channel.deliveries + self.transport.calls

    @property
    def messages(self) -> int:
        """Messages across the SUT boundary: event deliveries and the SUT's answers to them,
        API requests and the answers (or transport errors) the SUT received."""
        channel, transport = self.channel, self.transport
        return channel.deliveries + channel.outcomes + transport.calls + transport.answers

    def run(self, budget: float = WALL_BUDGET) -> float:
        """Run to quiescence (or the horizon); returns the simulated end time. A run that takes
        more than `budget` wall seconds ends with `seatrial.budget.Runaway`."""
        env, horizon = self.env, self.horizon
        with paused_gc(), wall_budget(budget):
            while env.peek() < horizon:
                env.step()
        return env.now
