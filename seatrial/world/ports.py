"""The parts a world is built from, as httpx takes a `transport=`: where webhook deliveries go
(a `Receiver`), how the sources sign them (`Signing`, held by the delivery channel), what carries
the events to the receiver (a `Channel`, opened by an `OpenChannel`) and what produces the work
(a `Drive`). Each is a constructor argument of `seatrial.world.World`; none is
set on a world after it is built."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import simpy

from seatrial.cost import CostMeter
from seatrial.faults import FaultLayer
from seatrial.lag import HarnessLag
from seatrial.ledger import Ledger
from seatrial.scenario import Scenario
from seatrial.sdk.webhooks import Webhook
from seatrial.simulators.dialect import Dialect

if TYPE_CHECKING:
    from seatrial.model.envelope import Event
    from seatrial.simulators.erp.core import ErpCore
    from seatrial.simulators.lastmile.core import LastMileCore, Task
    from seatrial.simulators.tms.core import Shipment, TmsCore
    from seatrial.transport.inprocess import InProcessTransport


class Receiver(Protocol):
    """Where deliveries go: the in-process SutHost, a remote SUT over HTTP (live mode), or
    `AcceptAll`. `start` is called once the world is built (the SutHost builds and starts its
    sync implementation there). `cost` is what the SUT's own work cost (seatrial.cost); `lag`
    how late the harness played the world live (seatrial.lag), None in virtual time.
    `validate` is a webhook registration's validation request, answered at once: `GET
    <url>?check=<check>` -> (status, body text), status None when nothing answered (`url` is
    not where this receiver takes `source`'s deliveries, or the SUT is down)."""

    cost: CostMeter
    lag: HarnessLag | None

    def deliver(self, webhook: Webhook, on_result: Callable[[str, str | None], None]) -> None: ...

    def validate(self, source: str, url: str, check: str) -> tuple[int | None, str]: ...

    def crash(self, restart_after: float) -> None: ...

    def start(self) -> None: ...


#: Builds a world's receiver from its clock, the network the SUT calls the APIs over and its
#: ledger (a receiver that needs none of them ignores them).
Attach = Callable[[simpy.Environment, "InProcessTransport", Ledger], Receiver]


class AcceptAll:
    """A receiver that acknowledges every delivery at once: a world with no SUT behind the
    webhooks (serving the APIs alone, fuzzing, contract tests)."""

    def __init__(self) -> None:
        self.cost = CostMeter()  # nothing behind the webhooks: nothing spent
        self.lag = None

    def deliver(self, _webhook: object, on_result: Callable[[str, str | None], None]) -> None:
        on_result("ack", None)

    def validate(self, _source: str, _url: str, check: str) -> tuple[int | None, str]:
        return 200, check  # as a correct receiver answers

    def crash(self, _restart_after: float) -> None:
        raise RuntimeError("AcceptAll stands in for a SUT; scenarios with crash faults need one")

    def start(self) -> None:
        pass


def accept_all(*_parts: object) -> AcceptAll:
    """An `Attach` for `AcceptAll`."""
    return AcceptAll()


@dataclass(frozen=True)
class Signing:
    """How the sources sign their webhooks: each source's secret, and the clock (Unix seconds)
    the signatures' timestamps come from: virtual in-process, the wall clock live."""

    secrets: dict[str, str]
    clock: Callable[[], float]


class Channel(Protocol):
    """What carries the simulators' events to the receiver and owns their redelivery: webhooks
    (`seatrial.world.dispatcher.WebhookDispatcher`) or a message broker's queues
    (`seatrial.world.amqp.AmqpChannel`). `publish` is the simulators' event sink (and a
    replay's); `deliveries` and `outcomes` count what crossed the SUT's boundary on it: each
    message handed to the receiver, and each answer (ack, nack, reject) it gave."""

    deliveries: int
    outcomes: int

    def publish(self, event: Event) -> None: ...


#: Opens a world's channel from its clock, fault layer, ledger, receiver, the sources' signing,
#: the dialect each system speaks, and what each system's API serves (its core, or a dialect's
#: object over it, which a dialect names webhook registrations from).
OpenChannel = Callable[[simpy.Environment, FaultLayer, Ledger, Receiver, Signing,
                        dict[str, Dialect], dict[str, Any]], Channel]


class Stage(Protocol):
    """What a drive works on (a `seatrial.world.World`): its clock, scenario and random
    streams, the three cores and the channel their events go out on."""

    @property
    def env(self) -> simpy.Environment: ...
    @property
    def scenario(self) -> Scenario: ...
    @property
    def erp(self) -> ErpCore: ...
    @property
    def tms(self) -> TmsCore: ...
    @property
    def lastmile(self) -> LastMileCore: ...
    @property
    def channel(self) -> Channel: ...

    def stream(self, name: str) -> random.Random: ...


class Drive(Protocol):
    """What produces a world's work: `seatrial.world.drives.Lifecycles` (the simulators' own,
    with the release wave), `Arrivals` (orders only when the caller releases them), `Idle`
    (nothing: contract tests set records up themselves), or a recorded log replayed
    (`seatrial.eventlog.player.Player`)."""

    def created(self, source: str, record: Shipment | Task) -> None:
        """The TMS's and last mile's creation hook: the target created a shipment or task."""

    def start(self, world: Stage) -> None:
        """Once the world is built: begin producing work."""

    def summary(self) -> dict[str, int] | None:
        """Once the world has stopped: what a run's result reports of it (a replay's counts),
        or None."""
