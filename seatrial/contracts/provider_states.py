"""The simulators' side of the provider states the pacts name.

Each state sets up records through a domain core: its business methods (release an order, a
milestone, a delivery) or its API routes (create a shipment or a task), never by writing
fields, so a state holds only what the simulators can really get into. The states hold in every
dialect: they act on the cores, and a record is created through the system's canonical routes
over its core whatever dialect the world speaks (the ids are the core's, which each dialect
names its own way). A state that makes a
source send a webhook names the event it stands for (`sends`): that delivery is the message a
message pact verifies. docs/contracts.md lists every state.
"""

from __future__ import annotations

import dataclasses
import inspect
import random
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from seatrial.live.state_change import StateRefused
from seatrial.live.tokens import TokenIssuer
from seatrial.scenario import Scenario, Workload
from seatrial.simulators.api import IdempotencyStore
from seatrial.simulators.dialect import dialect
from seatrial.simulators.erp.core import Order
from seatrial.simulators.erp.orders import OrderFactory
from seatrial.simulators.lastmile.core import Task
from seatrial.simulators.lastmile.lifecycle import DRIVERS, proof_of_delivery
from seatrial.simulators.tms.core import Shipment
from seatrial.simulators.tms.lifecycle import CARRIERS, freight_lines
from seatrial.world import World
from seatrial.world.drives import Idle
from seatrial.world.ports import Receiver

HOUR = 3600.0
CSRF_FETCH = "/sap/opu/odata/sap/API_SALES_ORDER_SRV"  # where an SAP client fetches its token
# No release wave (the first order would come after about 400 years) and no lifecycles: the
# records stay exactly as the states set them.
SCENARIO = Scenario(name="contracts", duration=1.0, workload=Workload(orders_per_hour=0.001))


class StateError(StateRefused, RuntimeError):
    """The simulators cannot be put in the state the pact names; the message says why (a
    StateRefused, which `seatrial serve --provider-states` answers with a 400)."""


class State(NamedTuple):
    setup: Callable[..., None]
    sends: tuple[str, str] | None  # (event type, classifier) of the webhook it stands for


STATES: dict[str, State] = {}
#: State names that carry their parameter in their words, as teams write them from the OpenAPI
#: ("customer C-12345 exists"): the pattern, and the state it is another name for. A parameter
#: given in the state's params as well must say the same.
WORDED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"customer (?P<customer_id>\S+) exists"), "a customer exists"),
)


def state(name: str, sends: tuple[str, str] | None = None) -> Callable[[Callable], Callable]:
    def register(setup: Callable[..., None]) -> Callable[..., None]:
        STATES[name] = State(setup, sends)
        return setup

    return register


def contract_world(scenario: Scenario = SCENARIO, host: Receiver | None = None) -> World:
    """A world whose records only the provider states change (`scenario`: SCENARIO, perhaps
    with webhook faults such as forgeries); its webhooks go to `host` (default: acknowledged
    and dropped). Nothing moves on its own (`Idle`): no orders, no lifecycles."""
    return World(scenario, receiver=None if host is None else lambda *_parts: host,
                 drive=Idle())


def _directly(action: Callable[[], object]) -> None:
    action()


def _restart(record: Any, counters: bool = False) -> None:
    """A dataclass's collections back to empty (the fields with a default factory), and with
    `counters` its other fields that have a default too; what it was built with stays."""
    for field in dataclasses.fields(record):
        if field.default_factory is not dataclasses.MISSING:
            setattr(record, field.name, field.default_factory())
        elif counters and field.default is not dataclasses.MISSING:
            setattr(record, field.name, field.default)


class ProviderStates:
    """Pact's state handler (`Verifier.state_handler(states, teardown=True)`): a setup builds
    the named state; every teardown forgets all records, so each interaction starts from an
    empty world. `on_world` runs an action where the world lives (the stack's event loop)."""

    def __init__(self, world: World,
                 on_world: Callable[[Callable[[], object]], object] = _directly,
                 tokens: TokenIssuer | None = None) -> None:
        self.world = world
        self.on_world = on_world
        self.tokens = tokens
        self.orders = OrderFactory(world.scenario.seed, (1, 3))
        self.rng = random.Random(f"{world.scenario.seed}:contracts")
        # Why states could not be set up. Recorded, not raised: Pact retries a failed state
        # change for minutes; the interaction runs on what is there (and fails), and the
        # verification fails naming these.
        self.failures: list[str] = []

    def __call__(self, state: str, action: str, parameters: dict[str, Any] | None) -> None:
        try:
            self.change(state, action, parameters or {})
        except StateError as error:
            self.failures.append(str(error))

    def change(self, state: str, action: str, parameters: dict[str, Any]) -> None:
        """One state change as Pact asks for it (the `StateChange` that `seatrial serve
        --provider-states` serves): a teardown forgets every record; StateError says why a
        setup cannot be done."""
        if action == "teardown":
            self.on_world(self._forget)
        elif state:  # "": an interaction without states
            self.setup(state, parameters)

    def setup(self, state: str, parameters: dict[str, Any]) -> None:
        """Build `state` (a name in STATES, or one WORDED); StateError says why it cannot
        be."""
        state, parameters = _worded(state, parameters)
        if state not in STATES:
            raise StateError(f"unknown provider state {state!r}; the simulators know: "
                             f"{known_states()}")
        setup = STATES[state].setup
        expected = [name for name in inspect.signature(setup).parameters if name != "self"]
        if sorted(parameters) != sorted(expected):
            raise StateError(f"provider state {state!r} takes the parameters "
                             f"{', '.join(expected) or '(none)'}, not "
                             f"{', '.join(parameters) or '(none)'}")
        try:
            self.on_world(lambda: setup(self, **parameters))
        except (LookupError, ValueError) as error:  # a record the state builds on is missing
            raise StateError(f"provider state {state!r} ({parameters}) cannot be set up: "
                             f"{error!r}; set up the states it builds on first, in the same "
                             "interaction (docs/contracts.md)") from None

    def _forget(self) -> None:
        """Every record gone and numbering restarted: the first shipment is SH-000001 again.
        What a dialect keeps over a core (SAP's Gateway: sessions and their counter, ETags)
        starts over too."""
        world = self.world
        cores = (world.erp, world.tms, world.lastmile)
        for core in cores:
            _restart(core)
        for router in world.transport.routers.values():
            router.idempotency = IdempotencyStore()
            if all(router.core is not core for core in cores) \
                    and dataclasses.is_dataclass(router.core):
                _restart(router.core, counters=True)

    def _order(self) -> Order:
        return self.orders.next_order(self.world.env.now)[0]

    def _create(self, system: str, path: str, body: dict[str, Any], expected: str) -> None:
        core = {"erp": self.world.erp, "tms": self.world.tms, "lastmile": self.world.lastmile}
        reply = dialect(system).router(core[system]).dispatch("POST", path, body=body)
        made = reply.body.get("id")
        if made != expected:
            raise StateError(f"{system} POST {path} made {made!r} ({reply.status}), not "
                             f"{expected!r}: the simulators number their records from 1 in an "
                             "empty world")

    def _shipment(self, shipment_id: str) -> Shipment:
        if shipment_id not in self.world.tms.shipments:
            raise StateError(f"no shipment {shipment_id!r}: give 'a shipment exists' first")
        return self.world.tms.shipments[shipment_id]

    def _carried(self, shipment: Shipment) -> Shipment:
        """`shipment` with a carrier, as the lifecycle tenders one before the goods move: an
        accepted tender to the first carrier if none has accepted yet."""
        if shipment.carrier is None:
            self.world.tms.tender(shipment, CARRIERS[0], "accepted")
        return shipment

    def _used(self, system: str, path: str, body: dict[str, Any], key: str) -> None:
        """A create through the world's own router with Idempotency-Key `key`, stored as its
        first use: the same key with another body is then a 422."""
        reply = self.world.transport.routers[system].dispatch(
            "POST", path, body=body, headers={"idempotency-key": key})
        if reply.status != 201:
            raise StateError(f"{system} POST {path} with Idempotency-Key {key!r} answered "
                             f"{reply.status}, not 201: this state needs the canonical dialect")

    def _task(self, task_id: str) -> Task:
        if task_id not in self.world.lastmile.tasks:
            raise StateError(f"no task {task_id!r}: give 'a delivery task exists' first")
        return self.world.lastmile.tasks[task_id]

    # --- the states ------------------------------------------------------------------------

    @state("client credentials are registered")
    def _credentials(self, client_id: str, client_secret: str) -> None:
        """The token endpoints accept these client credentials (the pact's own)."""
        if self.tokens is None:
            raise StateError("client credentials belong to the HTTP APIs, not to webhooks")
        self.tokens.client_id, self.tokens.client_secret = client_id, client_secret

    @state("a webhook is registered")
    def _registered(self, trigger: str) -> None:
        """The sync implementation registered a webhook for `trigger` (in the platform's
        dialect's words, e.g. Onfleet's taskCompleted): where a dialect delivers only to
        registered webhooks, as Onfleet's does, a delivery needs one."""
        self.world.lastmile.register_webhook(f"sync {trigger}", "http://sut/webhooks/lastmile",
                                             trigger)

    @state("a CSRF token was fetched")
    def _fetched(self, token: str, session: str) -> None:
        """A CSRF token fetched through the ERP's API (`X-CSRF-Token: Fetch` on a HEAD of the
        service root, SAP's way): in an empty world the Gateway hands out its first session,
        whose token and cookie are `token` and `session`."""
        reply = self.world.transport.routers["erp"].dispatch(
            "HEAD", CSRF_FETCH, headers={"x-csrf-token": "Fetch"})
        made = (reply.headers.get("x-csrf-token"),
                next((c.split(";")[0].partition("=")[2] for c in reply.set_cookie), None))
        if made != (token, session):
            raise StateError(f"the ERP's CSRF fetch ({reply.status}) gave token and session "
                             f"{made}, not {(token, session)}: it speaks sap-s4, and hands "
                             "out its first session in an empty world")

    @state("a customer exists")
    def _customer(self, customer_id: str) -> None:
        """The ERP knows customer `customer_id` (a generated name, email and address), so
        GET /customers/{customer_id} finds it. Also worded "customer C-12345 exists"."""
        _order, customer, _new = self.orders.next_order(self.world.env.now)
        self.world.erp.add_customer(dataclasses.replace(customer, id=customer_id))

    @state("an Idempotency-Key was used for a shipment")
    def _shipment_key(self, key: str) -> None:
        """The TMS created a shipment (SH-000001, for a generated order) under Idempotency-Key
        `key`: POST /shipments with that key and any other body is the documented 422."""
        order = self._order()
        self._used("tms", "/shipments", {"order_id": order.id, "ship_to": order.ship_to,
                                         "lines": order.lines}, key)

    @state("an Idempotency-Key was used for a delivery task")
    def _task_key(self, key: str) -> None:
        """The last-mile platform created a task (T-000001, for a generated order) under
        Idempotency-Key `key`: POST /tasks with that key and any other body is a 422."""
        order = self._order()
        self._used("lastmile", "/tasks", {"shipment_id": "SH-000001", "order_id": order.id,
                                          "destination": order.ship_to}, key)

    @state("an order is released", sends=("order.released", "ACT"))
    def _released(self, order_id: str) -> None:
        """The ERP releases order `order_id`, made by the workload generator (a customer,
        order lines, a delivery address)."""
        erp = self.world.erp
        order, customer, _new = self.orders.next_order(self.world.env.now)
        erp.add_customer(customer)
        erp.release_order(dataclasses.replace(order, id=order_id,
                                              correlation_id=f"corr-{order_id}"))

    @state("the delivery address changed", sends=("order.changed", "ACT"))
    def _changed(self, order_id: str) -> None:
        """The customer gives the released order a new delivery address."""
        if not self.world.erp.change_order(order_id, self.orders.new_address()):
            raise StateError(f"the ERP refuses to change order {order_id!r}")

    @state("the order is cancelled", sends=("order.cancelled", "ACT"))
    def _cancelled(self, order_id: str) -> None:
        """The customer cancels the released order."""
        if not self.world.erp.cancel_order(order_id, "customer_request"):
            raise StateError(f"the ERP refuses to cancel order {order_id!r}")

    @state("a shipment exists")
    def _shipped(self, shipment_id: str, order_id: str) -> None:
        """The TMS created shipment `shipment_id` for order `order_id` through its API."""
        order = self._order()
        self._create("tms", "/shipments", {"order_id": order_id, "ship_to": order.ship_to,
                                           "lines": order.lines}, shipment_id)

    @state("the shipment has departed the pickup location")
    def _departed(self, shipment_id: str) -> None:
        """An accepted tender (if none yet), then an actual AF milestone: the shipment can no
        longer be cancelled."""
        self.world.tms.milestone(self._carried(self._shipment(shipment_id)), "AF")

    @state("the hub arrival is estimated", sends=("shipment.status", "EST"))
    def _hub_estimated(self, shipment_id: str) -> None:
        """An estimated X4 milestone with its ETA, six hours ahead, naming the carrier (an
        accepted tender first if none yet)."""
        due = self.world.env.now + 6 * HOUR
        self.world.tms.milestone(self._carried(self._shipment(shipment_id)), "X4", classifier="EST",
                                 event_time=due, eta=due)

    @state("the shipment reached the hub", sends=("shipment.status", "ACT"))
    def _at_hub(self, shipment_id: str) -> None:
        """An actual X4 milestone: the goods are at the last-mile hub, brought by the carrier
        that accepted the tender (one first if none has, as the lifecycle sends it)."""
        self.world.tms.milestone(self._carried(self._shipment(shipment_id)), "X4")

    @state("freight charges are final", sends=("shipment.charges_finalized", "ACT"))
    def _charges(self, shipment_id: str) -> None:
        """The carrier's freight bill is in: a charge statement (line haul, fuel)."""
        self.world.tms.finalize_charges(self._shipment(shipment_id),
                                        freight_lines(self.rng, detention_hours=0.0))

    @state("a delivery task exists")
    def _tasked(self, task_id: str, shipment_id: str, order_id: str) -> None:
        """The last-mile platform created task `task_id` through its API."""
        self._create("lastmile", "/tasks", {"shipment_id": shipment_id, "order_id": order_id,
                                            "destination": self._order().ship_to}, task_id)

    @state("the driver started the delivery", sends=("task.updated", "ACT"))
    @state("the delivery time is estimated", sends=("task.updated", "EST"))
    def _started(self, task_id: str) -> None:
        """A driver is assigned and sets off: taskStarted, and the taskEta estimate with it."""
        task = self._task(task_id)
        self.world.lastmile.assign(task, DRIVERS[0])
        self.world.lastmile.start(task, eta=self.world.env.now + 2 * HOUR)

    @state("the task is delivered with proof of delivery", sends=("task.updated", "ACT"))
    def _delivered(self, task_id: str) -> None:
        """The first attempt succeeds: taskCompleted with the POD."""
        self._started(task_id)
        task = self._task(task_id)
        self.world.lastmile.arrive(task)
        self.world.lastmile.complete(task, True, pod=proof_of_delivery(task, 1))


def named(state: str) -> str | None:
    """The name in STATES that `state` stands for (itself, or the state a WORDED name says),
    or None for a state the simulators do not know."""
    return _worded(state, {})[0] if state in STATES or any(
        pattern.fullmatch(state) for pattern, _ in WORDED) else None


def known_states() -> str:
    """Every state the simulators know, as an error message lists them."""
    return (f"{', '.join(STATES)}; and worded: {', '.join(_shown(p) for p, _ in WORDED)} "
            "(docs/contracts.md)")


def _shown(pattern: re.Pattern[str]) -> str:
    """A WORDED pattern as a reader writes it: 'customer <customer_id> exists'."""
    return repr(re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", pattern.pattern))


def _worded(state: str, parameters: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A WORDED state name as the state it names, its parameters taken from its words (and
    `parameters`, which must agree); any other name as it is."""
    for pattern, named in WORDED:
        found = pattern.fullmatch(state)
        if found:
            said = found.groupdict()
            clash = {k: v for k, v in parameters.items() if k in said and v != said[k]}
            if clash:
                raise StateError(f"provider state {state!r} names {said}, but its params say "
                                 f"{clash}: give one or make them agree")
            return named, {**parameters, **said}
    return state, parameters
