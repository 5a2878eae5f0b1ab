"""ERP domain core: orders, logistics-status write-backs, freight-charge postings, invoices.

The ERP trusts what it is told (real ERPs do): it records every write-back, so the checks can
see a status go backwards, an estimate overwrite an actual, or a second invoice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seatrial.model.envelope import CLASSIFIERS, to_datetime
from seatrial.model.vocabulary import ERP_CANCELLED, ERP_LIFECYCLE, RANK
from seatrial.simulators.api import (
    ApiRequest,
    Invalid,
    NotFound,
    Reply,
    amount,
    optional_string,
    require,
)
from seatrial.simulators.erp.events import OrderCancelled, OrderChanged, OrderReleased

if TYPE_CHECKING:
    from seatrial.simulators.events import EventSource


@dataclass(slots=True)
class Customer:
    id: str
    name: str
    email: str
    address: dict[str, str]


@dataclass(slots=True)
class Order:
    id: str
    customer_id: str
    lines: list[dict[str, Any]]
    value: float
    currency: str
    ship_to: dict[str, str]
    correlation_id: str
    released_at: float
    status: str = "REL"
    shipment_id: str | None = None
    eta: str | None = None
    cancelled_at: float | None = None
    changes: int = 0
    changed_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "customer_id": self.customer_id, "lines": self.lines,
            "value": self.value, "currency": self.currency, "ship_to": self.ship_to,
            "status": ERP_CANCELLED if self.cancelled_at is not None else self.status,
            "logistics_status": self.status, "shipment_id": self.shipment_id, "eta": self.eta,
            "released_at": to_datetime(self.released_at).isoformat(),
        }


@dataclass(slots=True)
class StatusWrite:
    time: float
    order_id: str
    status: str
    previous: str
    classifier: str
    event_time: str | None
    shipment_id: str | None
    eta: str | None
    correlation_id: str | None


@dataclass(slots=True)
class ChargePosting:
    time: float
    order_id: str
    statement_id: str
    shipment_id: str | None
    total: float
    correlation_id: str | None


@dataclass(slots=True)
class Invoice:
    id: str
    time: float
    order_id: str
    amount: float
    freight: float
    correlation_id: str | None


@dataclass
class ErpCore:
    clock: Callable[[], float]
    events: EventSource
    customers: dict[str, Customer] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    status_writes: list[StatusWrite] = field(default_factory=list)
    charge_postings: list[ChargePosting] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    freight_by_order: dict[str, float] = field(default_factory=dict)
    invoiced_orders: set[str] = field(default_factory=set)

    # --- the ERP's own business (driven by the lifecycle) ---------------------------------------

    def add_customer(self, customer: Customer) -> None:
        self.customers[customer.id] = customer

    def release_order(self, order: Order) -> None:
        self.orders[order.id] = order
        self.events.publish(OrderReleased(order.customer_id, order.value, order.currency,
                                          len(order.lines)),
                            order.correlation_id, order_id=order.id)

    def cancel_order(self, order_id: str, reason: str) -> bool:
        """Cancel unless the goods are already out for delivery or the order is invoiced."""
        order = self.orders[order_id]
        if (order.cancelled_at is not None or order_id in self.invoiced_orders
                or RANK.get(order.status, 0) >= RANK["OFD"]):
            return False
        order.cancelled_at = self.clock()
        self.events.publish(OrderCancelled(reason), order.correlation_id, order_id=order_id)
        return True

    def change_order(self, order_id: str, ship_to: dict[str, str]) -> bool:
        """A new delivery address, accepted until the goods are out for delivery."""
        order = self.orders[order_id]
        if order.cancelled_at is not None or RANK.get(order.status, 0) >= RANK["OFD"]:
            return False
        order.ship_to = ship_to
        order.changes += 1
        order.changed_at = self.clock()
        self.events.publish(OrderChanged(ship_to, order.changes), order.correlation_id,
                            order_id=order_id)
        return True

    # --- the API a sync implementation calls -----------------------------------------------------

    def _order(self, request: ApiRequest) -> Order:
        order = self.orders.get(request.params["order_id"])
        if order is None:
            raise NotFound("order", request.params["order_id"])
        return order

    def get_order(self, request: ApiRequest) -> Reply:
        return Reply(200, self._order(request).to_json())

    def get_customer(self, request: ApiRequest) -> Reply:
        customer = self.customers.get(request.params["customer_id"])
        if customer is None:
            raise NotFound("customer", request.params["customer_id"])
        return Reply(200, {"id": customer.id, "name": customer.name, "email": customer.email,
                           "address": customer.address})

    def write_logistics_status(self, request: ApiRequest) -> Reply:
        order = self._order(request)
        body = request.body
        status = require(body, "status", str, f"one of {', '.join(ERP_LIFECYCLE)}")
        if status not in RANK:
            raise Invalid("status", f"unknown ERP status {status!r}; use one of "
                          f"{', '.join(ERP_LIFECYCLE)} (map TMS and last-mile codes first)")
        classifier = body.get("classifier", "ACT")
        if classifier not in CLASSIFIERS:
            raise Invalid("classifier", f"one of {', '.join(CLASSIFIERS)}")
        shipment_id = optional_string(body, "shipment_id", "the TMS shipment id, or null")
        eta = optional_string(body, "eta", "the estimated delivery time (ISO 8601), or null")
        event_time = optional_string(body, "event_time", "when it happened (ISO 8601), or null")
        self.status_writes.append(StatusWrite(
            self.clock(), order.id, status, order.status, classifier, event_time,
            shipment_id, eta, request.correlation_id))
        order.status = status
        if shipment_id:
            order.shipment_id = shipment_id
        if eta:
            order.eta = eta
        return Reply(200, {"id": order.id, "logistics_status": order.status,
                           "shipment_id": order.shipment_id, "eta": order.eta})

    def post_freight_charges(self, request: ApiRequest) -> Reply:
        order = self._order(request)
        body = request.body
        statement_id = require(body, "statement_id", str, "the TMS charge statement id")
        lines = require(body, "lines", list, "a list of {code, amount} charge lines")
        total = amount(body.get("total"), "total", "the statement total")
        for index, line in enumerate(lines):
            if not isinstance(line, dict):
                raise Invalid(f"lines[{index}]", "a {code, amount} charge line object")
            amount(line.get("amount"), f"lines[{index}].amount", "the charge amount")
            if not isinstance(line.get("code", ""), str):
                raise Invalid(f"lines[{index}].code", "the charge code, a string, e.g. FUEL")
        if abs(sum(line["amount"] for line in lines) - total) > 0.005:
            raise Invalid("total", "must equal the sum of lines[].amount")
        shipment_id = optional_string(body, "shipment_id", "the TMS shipment id, or null")
        posting = ChargePosting(self.clock(), order.id, statement_id, shipment_id,
                                round(float(total), 2), request.correlation_id)
        self.charge_postings.append(posting)
        self.freight_by_order[order.id] = self.freight_by_order.get(order.id, 0.0) + posting.total
        return Reply(201, {"order_id": order.id, "statement_id": statement_id,
                           "posting": len(self.charge_postings)})

    def release_invoice(self, request: ApiRequest) -> Reply:
        order = self._order(request)
        if not isinstance(request.body, dict):
            raise Invalid("body", "send a JSON object, e.g. {\"pod_reference\": ...}")
        optional_string(request.body, "pod_reference", "the proof-of-delivery reference (a "
                        "string, e.g. pod/T-000001.jpg), or null")
        freight = self.freight_by_order.get(order.id, 0.0)
        invoice = Invoice(f"INV-{len(self.invoices) + 1:06d}", self.clock(), order.id,
                          round(order.value + freight, 2), round(freight, 2),
                          request.correlation_id)
        self.invoices.append(invoice)
        self.invoiced_orders.add(order.id)
        return Reply(201, {"id": invoice.id, "order_id": order.id, "amount": invoice.amount})

