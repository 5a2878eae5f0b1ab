"""Playing a recorded log into a world, in place of the simulators' own lifecycles.

Each event comes at its recorded time. It is first applied to the simulator that published it
(through the same transition its lifecycle would call, published muted), so what the target
reads from the APIs agrees with what it was told; then the recorded envelope itself goes out
through the fault layer. Shipments and tasks are the target's own: a recorded shipment or task
id stands for the target's first, second... shipment (task) for that order, its events carry
that record's ids and correlation id, and wait until the target has created it.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import simpy

from seatrial.durations import format_duration
from seatrial.eventlog.format import EventLog, LogError
from seatrial.model.envelope import EPOCH, Event, rfc3339
from seatrial.scenario import Scenario, fault_window_problems
from seatrial.simulators.erp.core import Customer, ErpCore, Order
from seatrial.simulators.erp.events import OrderCancelled, OrderReleased
from seatrial.simulators.erp.orders import OrderFactory
from seatrial.simulators.events import parse, status_code
from seatrial.simulators.lastmile.core import LastMileCore, Task
from seatrial.simulators.lastmile.events import CompletionDetails, TaskUpdated
from seatrial.simulators.tms.core import Shipment, TmsCore
from seatrial.simulators.tms.events import ChargesFinalized, ShipmentStatus

if TYPE_CHECKING:
    from seatrial.world.ports import Stage

DAY = 86400.0
#: Events the target's own calls cause: the simulators raise them again when it calls.
CAUSED_BY_TARGET = {(ShipmentStatus.TYPE, "CA"), (TaskUpdated.TYPE, "taskCancelled")}
BOUND = {"tms": "shipment_id", "lastmile": "task_id"}


@dataclass
class ReplayCounts:
    """What became of the log's events; every one is counted once."""

    replayed: int = 0
    late: int = 0  # replayed later than recorded: they waited for the target's shipment/task
    caused_by_target: int = 0  # left to the simulators: the target's calls raise them
    refused: int = 0  # not replayed: the replay's state refuses them (e.g. cancelled by then)
    never_bound: int = 0  # not replayed: the target never created their shipment or task
    orders_generated: int = 0  # orders the log did not carry, generated from the seed

    def to_json(self) -> dict[str, int]:
        return asdict(self)


def origin_shift(log: EventLog) -> timedelta:
    """Whole days that move the log's first event into the simulation's first day (so a run's
    own recording replays unshifted, and a log's times of day stay as they were)."""
    first = (log.events[0].recorded_time - EPOCH).total_seconds()
    return timedelta(days=math.floor(first / DAY))


MAX_SPAN = 30 * DAY  # a scenario's longest duration


def replay_scenario(log: EventLog, stem: str, overlay: Scenario | None) -> Scenario:
    """What a replay runs under: the overlay scenario's faults, expectations, seed and live
    settings (or none), lasting until the log's last event."""
    last = (log.events[-1].recorded_time - origin_shift(log) - EPOCH).total_seconds()
    if last >= MAX_SPAN:
        raise LogError(f"the log spans {last / DAY:.1f} days from the start of its first day; "
                       f"replay at most {MAX_SPAN / DAY:.0f} days at a time (split the log)")
    slug = re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-")
    duration = math.floor(last) + 1.0
    if overlay is not None:  # its faults were checked against its own duration, not the log's
        late = fault_window_problems(overlay.faults, duration)
        if late:
            raise LogError("\n".join(
                f"--faults {overlay.name}: faults[{index}].{field}: {message} (a replay's "
                f"duration is its log's, here {format_duration(duration)})"
                for (_, index, field), message in late))
    return (overlay or Scenario(name="replay")).model_copy(update={
        "name": f"replay-{slug}"[:80].rstrip("-"), "duration": duration,
        "description": f"The recorded log {stem}"
                       + (f" under the faults of {overlay.name}." if overlay else "."),
        "gate": False})


class Player:
    """A world's drive (`seatrial.world.ports.Drive`) that plays `log` in place of the
    simulators' lifecycles."""

    def __init__(self, log: EventLog) -> None:
        self.log = log
        self.shift = origin_shift(log)
        self.counts = ReplayCounts()
        self.nth: dict[tuple[str, str], tuple[str, int]] = {}  # recorded id -> (order, n)
        self.seen: dict[tuple[str, str], int] = defaultdict(int)  # (source, order) -> ids
        # (source, order) -> the shipments (tasks) the target made for it, in order
        self.made: dict[tuple[str, str], list[Shipment | Task]] = defaultdict(list)
        self.waiting: dict[tuple[str, str, int], simpy.Event] = {}
        self.held = 0
        self.played: dict[tuple[str, str], Event | None] = {}  # what each event went out as

    def start(self, world: Stage) -> None:
        """Once the world is built: play the log into it from time zero."""
        self.world = world
        self.env: simpy.Environment = world.env
        self.orders = OrderFactory(world.scenario.seed, world.scenario.workload.lines_per_order)
        for source in ("erp", "tms", "lastmile"):  # new events never reuse a recorded id
            core = getattr(self.world, source)
            core.events.seq = max((e.source_seq for e in self.log.events
                                   if e.source == source), default=0)
        self.env.process(self._play_all())

    def created(self, source: str, record: Shipment | Task) -> None:
        """The TMS and last-mile cores' creation hook: binds, and frees events waiting."""
        made = self.made[(source, record.order_id)]
        made.append(record)
        waiting = self.waiting.pop((source, record.order_id, len(made) - 1), None)
        if waiting is not None:
            waiting.succeed(record)

    def summary(self) -> dict[str, int]:
        """The counts, once the world has stopped: what still waits was never bound."""
        self.counts.never_bound = self.held
        return self.counts.to_json()

    def _at(self, moment: datetime) -> float:
        return (moment - self.shift - EPOCH).total_seconds()

    def _play_all(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        for event in self.log.events:
            at = self._at(event.recorded_time)
            if at > env.now:
                yield env.timeout(at - env.now)
            if (event.type, status_code(event.payload)) in CAUSED_BY_TARGET:
                self.counts.caused_by_target += 1
            elif event.source == "erp":
                self._publish(event, partial(self._apply_erp, event))
            else:
                self._bind(event)

    def _bind(self, event: Event) -> None:
        source = event.source
        key = (source, getattr(event, BOUND[source]))
        if key not in self.nth:
            self.nth[key] = (event.order_id or "", self.seen[(source, event.order_id or "")])
            self.seen[(source, event.order_id or "")] += 1
        order_id, n = self.nth[key]
        made = self.made[(source, order_id)]
        if n < len(made):
            self._publish(event, partial(self._apply_bound, event, made[n]))
            return
        waiting = self.waiting.get((source, order_id, n))
        if waiting is None:
            waiting = self.waiting[(source, order_id, n)] = self.env.event()
        self.held += 1
        waiting.callbacks.append(lambda done: self._late(event, done.value))

    def _late(self, event: Event, record: Shipment | Task) -> None:
        self.held -= 1
        self.counts.late += 1
        self._publish(event, partial(self._apply_bound, event, record))

    def _publish(self, event: Event, apply: Callable[[], Event | None]) -> None:
        """Apply the event, then send what it became; a recorded duplicate (an `event_id`
        sent before) is sent again as it went the first time, and applied only once."""
        key = (event.source, event.event_id)
        played = self.played[key] if key in self.played else apply()
        self.played[key] = played
        if played is None:
            self.counts.refused += 1
            return
        self.counts.replayed += 1
        self.world.channel.publish(played)

    def _shifted(self, event: Event, **changes: Any) -> Event:
        if self.shift:
            changes.setdefault("event_time", event.event_time - self.shift)
            changes.setdefault("recorded_time", event.recorded_time - self.shift)
            eta = event.payload.get("eta")
            if isinstance(eta, str):
                moved = datetime.fromisoformat(eta) - self.shift
                changes["payload"] = {**changes.get("payload", event.payload),
                                      "eta": rfc3339(moved)}
        return event._replace(**changes)

    # --- applying an event to the simulator that published it ----------------------------------

    def _apply_erp(self, event: Event) -> Event | None:
        erp, order_id, fact = self.world.erp, event.order_id or "", parse(event)
        with muted(erp):
            if isinstance(fact, OrderReleased):
                order, customer = self._order(event, fact)
                if customer.id not in erp.customers:
                    erp.add_customer(customer)
                erp.release_order(order)
            elif isinstance(fact, OrderCancelled):
                if not erp.cancel_order(order_id, fact.reason):
                    return None
            elif not erp.change_order(order_id, dict(fact.ship_to)):
                return None
        return self._shifted(event)

    def _order(self, event: Event, released: OrderReleased) -> tuple[Order, Customer]:
        """The order the log carries, or one generated from the seed with what the event
        says of it."""
        carried = self.log.order(event, self.env.now)
        if carried is not None:
            return carried
        self.counts.orders_generated += 1
        made, customer, _ = self.orders.next_order(self.env.now)
        customer_id = released.customer_id or customer.id
        if customer_id != customer.id:
            customer = Customer(customer_id, customer.name, customer.email, customer.address)
        made.id, made.customer_id = event.order_id or made.id, customer_id
        if released.value is not None:
            made.value = float(released.value)
        made.currency = released.currency or made.currency
        made.correlation_id = event.correlation_id
        return made, customer

    def _apply_bound(self, event: Event, record: Shipment | Task) -> Event | None:
        if record.cancelled_at is not None:
            return None  # the target cancelled it in this replay: nothing moves it any more
        if isinstance(record, Shipment):
            payload = self._apply_tms(event, record)
            return self._shifted(event, shipment_id=record.id, payload=payload,
                                 correlation_id=record.correlation_id)
        self._apply_lastmile(event, record)
        return self._shifted(event, shipment_id=record.shipment_id, task_id=record.id,
                             correlation_id=record.correlation_id)

    def _apply_tms(self, event: Event, shipment: Shipment) -> dict[str, Any]:
        """The payload to send: the recorded one, with this replay's statement id."""
        tms, payload, fact = self.world.tms, event.payload, parse(event)
        with muted(tms):
            if isinstance(fact, ChargesFinalized):
                statement = tms.finalize_charges(shipment, list(fact.lines))
                return {**payload, "statement_id": statement.id}  # only the id moves
            assert isinstance(fact, ShipmentStatus)
            if fact.status_code == "XB" and event.classifier == "ACT":
                tms.tender(shipment, str(fact.carrier), "accepted")
                return payload
            tms.milestone(shipment, fact.status_code, classifier=event.classifier,
                          reason=fact.reason_code, event_time=self._at(event.event_time),
                          eta=self._at(datetime.fromisoformat(fact.eta)) if fact.eta else None)
        return payload

    def _apply_lastmile(self, event: Event, task: Task) -> None:
        lastmile, fact = self.world.lastmile, parse(event)
        assert isinstance(fact, TaskUpdated)
        with muted(lastmile):
            if fact.trigger == "taskAssigned":
                lastmile.assign(task, fact.worker or "driver")
            elif fact.trigger == "taskStarted":
                lastmile.start(task, self.env.now)
            elif fact.trigger == "taskCompleted":
                if not task.attempts:  # a log without the start: the attempt began now
                    lastmile.start(task, self.env.now)
                details = fact.completion_details or CompletionDetails(False, None)
                lastmile.complete(task, details.success, reason=details.failure_reason,
                                  pod=details.pod)
            elif fact.trigger == "taskReturned":
                lastmile.returned(task)


@contextmanager
def muted(core: ErpCore | TmsCore | LastMileCore) -> Iterator[None]:
    """The core's transitions change its state but publish nothing: the player publishes."""
    core.events.muted = True
    try:
        yield
    finally:
        core.events.muted = False
