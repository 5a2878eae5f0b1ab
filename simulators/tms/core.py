"""TMS domain core: shipments, tenders, X12 214 milestones, freight-charge statements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seatrial.model.envelope import to_datetime
from seatrial.simulators.api import (
    ApiRequest,
    Invalid,
    NotFound,
    Reply,
    conflict,
    no_fields,
    require,
    require_address,
)
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

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "order_id": self.order_id, "state": self.state,
                "carrier": self.carrier, "ship_to": self.ship_to,
                "created_at": to_datetime(self.created_at).isoformat()}


@dataclass
class TmsCore:
    clock: Callable[[], float]
    events: EventSource
    on_created: Callable[[Shipment], None] = lambda shipment: None
    shipments: dict[str, Shipment] = field(default_factory=dict)
    by_order: dict[str, list[str]] = field(default_factory=dict)
    milestones: list[Milestone] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)

    # --- the API a sync implementation calls -----------------------------------------------------

    def create_shipment(self, request: ApiRequest) -> Reply:
        body = request.body
        order_id = require(body, "order_id", str, "the ERP order id this shipment moves")
        ship_to = require_address(body.get("ship_to"), "ship_to")
        lines = body.get("lines", [])
        if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
            raise Invalid("lines", "the ERP order's lines, a list of objects (or leave it out)")
        shipment_id = f"SH-{len(self.shipments) + 1:06d}"
        shipment = Shipment(shipment_id, order_id, ship_to, lines,
                            request.correlation_id or f"tms-{shipment_id}", self.clock(),
                            request.idempotency_key)
        self.shipments[shipment_id] = shipment
        self.by_order.setdefault(order_id, []).append(shipment_id)
        self.on_created(shipment)
        return Reply(201, shipment.to_json())

    def _shipment(self, request: ApiRequest) -> Shipment:
        shipment = self.shipments.get(request.params["shipment_id"])
        if shipment is None:
            raise NotFound("shipment", request.params["shipment_id"])
        return shipment

    def get_shipment(self, request: ApiRequest) -> Reply:
        return Reply(200, self._shipment(request).to_json())

    def find_shipments(self, request: ApiRequest) -> Reply:
        order_id = request.query.get("order_id")
        if not order_id:
            return Reply(200, {"shipments": [s.to_json() for s in self.shipments.values()]})
        return Reply(200, {"shipments": [self.shipments[sid].to_json()
                                         for sid in self.by_order.get(order_id, ())]})

    def cancel_shipment(self, request: ApiRequest) -> Reply:
        shipment = self._shipment(request)
        no_fields(request.body)
        if shipment.state == "cancelled":
            return Reply(200, shipment.to_json())
        if shipment.state not in CANCELLABLE:
            return conflict(f"shipment {shipment.id} is {shipment.state}; it can be cancelled "
                            "only before it departs the pickup location")
        shipment.state = "cancelled"
        shipment.cancelled_at = self.clock()
        self.milestone(shipment, "CA")
        return Reply(200, shipment.to_json())

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
                                None if eta is None else to_datetime(eta).isoformat())
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
