"""TMS domain core: shipments, tenders, X12 214 milestones, freight-charge statements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from seatrial.model.envelope import rfc3339, to_datetime
from seatrial.simulators.domain import Conflict, NotFound, operation
from seatrial.simulators.tms.events import ChargesFinalized, ShipmentStatus

if TYPE_CHECKING:
    from seatrial.simulators.events import EventSource

# Shipment states run created, planned, at_pickup, in_transit, at_hub, completed (or
# cancelled); a shipment can be cancelled until it departs the pickup location loaded.
CANCELLABLE = frozenset({"created", "planned", "at_pickup"})
STATE_AFTER = {"XB": "planned", "X3": "at_pickup", "AF": "in_transit", "X4": "at_hub",
               "A3": "returned"}


@dataclass(slots=True)
class Milestone:
    time: float
    shipment_id: str
    code: str
    classifier: str
    event_time: float
    reason: str
    eta: float | None


@dataclass(slots=True)
class Tender:
    time: float
    carrier: str
    outcome: str  # accepted / declined / expired


@dataclass(slots=True)
class Statement:
    id: str
    time: float
    shipment_id: str
    order_id: str
    lines: list[dict[str, Any]]
    total: float


@dataclass(slots=True)
class Shipment:
    id: str
    order_id: str
    ship_to: dict[str, Any]
    lines: list[Any]
    correlation_id: str
    created_at: float
    idempotency_key: str | None
    state: str = "created"
    carrier: str | None = None
    cancelled_at: float | None = None
    tenders: list[Tender] = field(default_factory=list)



@dataclass
class TmsCore:
    SYSTEM: ClassVar[str] = "tms"
    clock: Callable[[], float]
    events: EventSource
    on_created: Callable[[Shipment], None] = lambda shipment: None
    shipments: dict[str, Shipment] = field(default_factory=dict)
    by_order: dict[str, list[str]] = field(default_factory=dict)
    milestones: list[Milestone] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)

    # --- the canonical operations (what a dialect maps its wire requests to) -----------------

    @operation
    def create_shipment(self, order_id: str, ship_to: dict[str, Any], lines: list[Any],
                        correlation_id: str | None, idempotency_key: str | None) -> Shipment:
        shipment_id = f"SH-{len(self.shipments) + 1:06d}"
        shipment = Shipment(shipment_id, order_id, ship_to, lines,
                            correlation_id or f"tms-{shipment_id}", self.clock(),
                            idempotency_key)
        self.shipments[shipment_id] = shipment
        self.by_order.setdefault(order_id, []).append(shipment_id)
        self.on_created(shipment)
        return shipment

    @operation
    def get_shipment(self, shipment_id: str) -> Shipment:
        shipment = self.shipments.get(shipment_id)
        if shipment is None:
            raise NotFound("shipment", shipment_id)
        return shipment

    @operation
    def find_shipments(self, order_id: str | None) -> list[Shipment]:
        """The order's shipments; with no order, all of them."""
        if not order_id:
            return list(self.shipments.values())
        return [self.shipments[sid] for sid in self.by_order.get(order_id, ())]

    @operation
    def cancel_shipment(self, shipment: Shipment) -> Shipment:
        """Idempotent: an already cancelled shipment stays as it is."""
        if shipment.state == "cancelled":
            return shipment
        if shipment.state not in CANCELLABLE:
            raise Conflict(f"shipment {shipment.id} is {shipment.state}; it can be cancelled "
                           "only before it departs the pickup location")
        shipment.state = "cancelled"
        shipment.cancelled_at = self.clock()
        self.milestone(shipment, "CA")
        return shipment

    # --- the TMS's own business (driven by the lifecycle) ---------------------------------------

    def tender(self, shipment: Shipment, carrier: str, outcome: str) -> None:
        shipment.tenders.append(Tender(self.clock(), carrier, outcome))
        if outcome == "accepted":
            shipment.carrier = carrier
            self.milestone(shipment, "XB")  # the payload carries the carrier now accepted

    def milestone(self, shipment: Shipment, code: str, *, classifier: str = "ACT",
                  reason: str = "NS", event_time: float | None = None,
                  eta: float | None = None) -> None:
        now = self.clock()
        when = now if event_time is None else event_time
        self.milestones.append(Milestone(now, shipment.id, code, classifier, when, reason, eta))
        if classifier == "ACT" and code in STATE_AFTER:
            shipment.state = STATE_AFTER[code]
        status = ShipmentStatus(code, reason, shipment.carrier,
                                None if eta is None else rfc3339(to_datetime(eta)))
        self.events.publish(status, shipment.correlation_id, classifier=classifier,
                            event_time=when, order_id=shipment.order_id,
                            shipment_id=shipment.id)

    def finalize_charges(self, shipment: Shipment, lines: list[dict[str, Any]]) -> Statement:
        total = round(sum(line["amount"] for line in lines), 2)
        statement = Statement(f"ST-{len(self.statements) + 1:06d}", self.clock(), shipment.id,
                              shipment.order_id, lines, total)
        self.statements.append(statement)
        shipment.state = "completed"
        self.events.publish(ChargesFinalized(statement.id, lines, total, "GBP"),
                            shipment.correlation_id, order_id=shipment.order_id,
                            shipment_id=shipment.id)
        return statement
