"""What a fault kind is: its scenario model (a `Fault`), its `Effect` (what one fault of the
kind does while it is active, through the hooks the fault layer and the world call), and how
`seatrial explore` draws one. Each kind is one module in `seatrial.faults.kinds` declaring a
`Kind`; this module is the contract between those modules and the rest of Seatrial.

The kinds never import the world: the world hands their hooks what they may touch
(`Webhooks`, `Broker`, `Sut`, `Systems`), and the simulators' cores never see a fault at all.
A kind that only one vendor dialect has (a CSRF token's expiry in SAP's Gateway) says so (`needs`):
a scenario is refused unless that system speaks that dialect, and the kind acts through the
hooks that dialect's own state offers (`Systems.served`), never through the core.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, NamedTuple, Protocol, TypeVar

from pydantic import Field

from seatrial.model.envelope import Event
from seatrial.scenario_fields import Duration, ScenarioModel
from seatrial.simulators.events import status_code

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace


class Fault(ScenarioModel):
    """Every fault's window: from `at`, for `for` (None: until the run ends)."""

    #: (system, dialect) a kind of fault exists only in, e.g. ("erp", "sap-s4"); None: any
    needs: ClassVar[tuple[str, str] | None] = None
    #: the transports of a system's API (`Dialect.transport`) a kind of fault can act on: a
    #: gateway's 429 is HTTP's, and an SFTP mailbox has nothing that answers it. Where the
    #: system speaks another, the fault layer builds no effect for the fault (documented per
    #: kind; `FaultLayer.inert` names them)
    transports: ClassVar[frozenset[str]] = frozenset({"http", "sftp"})
    #: the channels a kind of fault can act on (`Scenario.channel`): a forger posts webhooks, and
    #: a broker redelivers on its own terms, not on a webhook provider's schedule. A scenario
    #: with a fault on a channel it cannot act on is refused (`seatrial.scenario`)
    channels: ClassVar[frozenset[str]] = frozenset({"webhooks", "amqp"})
    at: Duration = 0.0
    for_: Duration | None = Field(None, alias="for")

    def span(self, horizon: float) -> tuple[float, float]:
        return self.at, horizon if self.for_ is None else self.at + self.for_

    def lag(self) -> float | None:
        """How much later this fault can make a correct implementation show a fact (seconds,
        beyond any window the converge deadline already counts from), or None when that has no
        small bound (a redelivery schedule's steps, a rate limit's backlog). `seatrial explore`
        sets a scenario's converge deadline from it: as tight as the faults allow, since a
        deadline of half a day hides every defect that is only late."""
        return None


# How a `Retry-After` is written (RFC 9110 section 10.2.3): delta-seconds, or the HTTP-date
# the wait ends (IMF-fixdate). The option of the `rate_limit` and `outage` faults.
RetryForm = Literal["seconds", "http_date"]


# --- what effects act on ---------------------------------------------------------------------

Note = tuple[str, dict[str, Any]]  # (event id, what a fault did): one ledger entry each


class Delivery(NamedTuple):
    delay: float
    event: Event
    forgery: str | None = None  # how a forged delivery is (mis)signed


@dataclass(slots=True)
class CallPlan:
    """One API call the SUT makes: what the network and the system will do with it."""

    latency: float
    outage: str | None = None        # http_503 / hang / refused
    retry_after: float | None = None  # set when the rate limit answers 429
    back_at: float | None = None  # an outage's end, when its 503 carries Retry-After
    retry_form: RetryForm = "seconds"  # how that Retry-After is written
    lost: bool = False
    notes: list[dict[str, Any]] | None = None  # faults applied, for the ledger


@dataclass(slots=True)
class DeliveryPlan:
    """One event a source publishes, on its way to the SUT: late, skewed or reshaped by the
    webhook faults in the order they are listed, copied, and with messages they inject beside
    it."""

    delay: float
    event: Event
    notes: list[Note] = field(default_factory=list)
    copies: list[float] = field(default_factory=list)  # each copy's delay after the event's
    injected: list[Delivery] = field(default_factory=list)

    def note(self, data: dict[str, Any]) -> None:
        """A ledger note about the event itself."""
        self.notes.append((self.event.event_id, data))

    def inject(self, made: Event, kind: str, delay: float, rng: random.Random,
               forgery: str | None = None) -> None:
        """Deliver `made`, a message a fault built from the event, 0-30 s after `delay`."""
        self.notes.append((made.event_id, {
            "fault": kind, "of": self.event.event_id, "type": made.type,
            "code": status_code(made.payload)}))
        self.injected.append(Delivery(delay + rng.uniform(0.0, 30.0), made, forgery))

    def deliveries(self) -> list[Delivery]:
        """The event, its copies, then the injected messages."""
        return [Delivery(self.delay, self.event),
                *(Delivery(self.delay + gap, self.event) for gap in self.copies),
                *self.injected]


def derived(event: Event, tag: str, **changes: Any) -> Event:
    """A new message about the same business object, with its own event id."""
    return event._replace(event_id=f"{event.event_id}-{tag}", **changes)


#: a validation request passed on: the answer's status (None: none came) and body
Answer = Callable[[], tuple[int | None, str]]


class Webhooks(Protocol):
    """What the webhook dispatcher lets a fault do beyond one event's delivery."""

    def at(self, time: float, action: Callable[[], None]) -> None:
        """Call `action` at simulated time `time`."""

    def retry(self, source: str, schedule: tuple[float, ...], disable_after: int | None) -> None:
        """Redeliver `source`'s failed deliveries on `schedule`; with `disable_after`, disable
        its subscription after that many consecutive failures."""

    def published(self, source: str, since: float) -> list[Event]:
        """What `source` published from `since` on (as published, before any fault)."""

    def send(self, delivery: Delivery) -> None:
        """Deliver once more (a first attempt, redelivered if it fails)."""

    def note(self, source: str, ref: str, data: dict[str, Any]) -> None:
        """A ledger note about `source`'s webhooks, under `ref`."""

    def stream(self, name: str) -> random.Random:
        """The random stream `name`, seeded from the scenario."""


class Sut(Protocol):
    """What the world lets a fault do to the sync implementation."""

    def crash(self, at: float, restart_after: float) -> None:
        """Crash it at simulated time `at`, and restart it `restart_after` later."""


class Broker(Protocol):
    """What the broker channel (`channel: amqp`, in process) lets a fault do to the broker
    and the SUT's consumer connection."""

    def close_connection(self, at: float, unnoticed: float) -> None:
        """The way back of the SUT's consumer connection dies at simulated time `at`: the
        broker still delivers, the SUT's answers are lost; the broker notices `unnoticed`
        later and closes it, every message the SUT held unacked (as far as the broker knows)
        is requeued, and the consumer reconnects."""

    def go_down(self, at: float, until: float) -> None:
        """The broker is down from simulated time `at` to `until`: the SUT's consumer
        connection drops (what it held unacked goes back to its queue, its answers in flight
        are lost), nothing is delivered, and the gateway holds what it would publish; at
        `until` the gateway publishes what it held, in order, and the consumer reconnects."""

    def limit_length(self, system: str, max_length: int, at: float, until: float) -> None:
        """From simulated time `at` to `until`, `system`'s queue holds at most `max_length`
        ready messages: the broker refuses a publish beyond it (reject-publish), and the
        gateway holds that message and those after it, in order, and publishes them again."""


class Systems(Protocol):
    """What the world lets a fault do to the systems behind their dialects."""

    def served(self, system: str) -> Any:
        """What `system`'s API serves in its dialect: the state a dialect keeps over the core
        (sap-s4's `Gateway`), or the core itself where the dialect keeps none."""

    def at(self, time: float, action: Callable[[], None]) -> None:
        """Call `action` at simulated time `time`."""


# --- effects -----------------------------------------------------------------------------------

F = TypeVar("F", bound=Fault)


class Effect(Generic[F]):
    """One fault of a scenario at work: its window, its own random stream, and the hooks the
    fault layer and the world call. A kind overrides the hooks it needs; the others do nothing.
    `on_call`, `on_delivery` and `on_attempt` are called only while the fault is active, on its
    channel."""

    __slots__ = ("end", "fault", "rng", "start")
    #: While active, the fault's system is down: the layer asks it first for every call (a call
    #: that never reaches the system spends no rate-limit token), and the system's webhooks,
    #: first deliveries and redeliveries alike, wait until it comes back.
    takes_system_down: ClassVar[bool] = False

    def __init__(self, fault: F, horizon: float, rng: random.Random) -> None:
        self.fault = fault
        self.start, self.end = fault.span(horizon)
        self.rng = rng

    def active(self, now: float) -> bool:
        return self.start <= now < self.end

    def on_call(self, plan: CallPlan, now: float) -> None:
        """An API call the SUT makes on the fault's channel at `now`."""

    def on_delivery(self, plan: DeliveryPlan) -> None:
        """An event published on the fault's webhook channel."""

    def on_attempt(self, now: float) -> str | None:
        """A delivery attempt on the fault's webhook channel at `now` (a redelivery too), as
        it reaches the SUT's edge: why it fails there, never reaching the SUT; None: it goes
        through."""
        return None

    def on_validation(self, now: float, through: Answer) -> tuple[int | None, str]:
        """A webhook registration's validation request at `now`, on its way from the platform
        to the SUT's endpoint and back: the answer the platform gets. `through` passes it on
        (to the SUT, or the next fault on the way); a fault that does not touch it returns
        what `through` answers."""
        return through()

    def on_webhooks(self, webhooks: Webhooks) -> None:
        """Once, as the webhook dispatcher is built (at simulated time zero)."""

    def on_sut(self, sut: Sut) -> None:
        """Once, as the world is built, after the sync implementation (at simulated time
        zero)."""

    def on_broker(self, broker: Broker) -> None:
        """Once, as the broker channel is built (`channel: amqp` in process, at simulated time
        zero): a broker's fault takes hold of the broker. Only a kind that acts on amqp alone
        (`Fault.channels`) overrides it."""

    def on_systems(self, systems: Systems) -> None:
        """Once, as the world is built, after the sync implementation (at simulated time
        zero): a dialect's fault takes hold of what its system serves."""


@dataclass(frozen=True, kw_only=True)
class Kind:
    """A fault kind, as its module in `seatrial.faults.kinds` declares it (`KIND = Kind(...)`).

    `explore(space)` is the Hypothesis strategy `seatrial explore` draws faults of this kind
    from (`space`: what all kinds' strategies share, from `seatrial.explore.strategies`). It
    imports Hypothesis itself, so that runs start without it. A kind without one is never
    explored, and tests/test_fault_registry.py fails naming it.

    `reached(fault, trace)` says whether one fault of the kind acted on something the sync
    implementation saw or did, from a run's ledger (`trace`, `seatrial.faults.reach`): a fault
    that never did proves nothing, and tests/test_catalogue_reach.py fails naming it.
    """

    model: type[Fault]
    effect: type[Effect[Any]]
    reached: Callable[[Any, Trace], bool]
    explore: Callable[[Space], SearchStrategy[Any]] | None = None
    #: Its place among the kinds: `FAULT_KINDS`, the union's members, error messages.
    listed: int
    #: Its place among `seatrial explore`'s choices: Hypothesis shrinks toward the first, so
    #: the mildest come first.
    explored: int

    @property
    def name(self) -> str:
        return self.model.model_fields["kind"].default
