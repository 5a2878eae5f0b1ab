"""ERP domain core: orders, logistics-status write-backs, freight-charge postings, invoices.

The ERP trusts what it is told (real ERPs do): it records every write-back, so the checks can
see a status go backwards, an estimate overwrite an actual, or a second invoice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from seatrial.model.envelope import CLASSIFIERS
from seatrial.model.vocabulary import ERP_LIFECYCLE, RANK
from seatrial.simulators.domain import Invalid, NotFound, operation
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
    SYSTEM: ClassVar[str] = "erp"
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

    # --- the canonical operations (what a dialect maps its wire requests to) -----------------

    @operation
    def get_order(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise NotFound("order", order_id)
        return order

    @operation
    def get_customer(self, customer_id: str) -> Customer:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise NotFound("customer", customer_id)
        return customer

    @operation
    def write_logistics_status(self, order: Order, status: str, classifier: str,
                               shipment_id: str | None, eta: str | None,
                               event_time: str | None, correlation_id: str | None) -> Order:
        """Recorded as told (the ERP does not check order or rank); the status must be one of
        its own codes, the classifier one of PLN, EST, ACT."""
        if status not in RANK:
            raise Invalid("status", f"unknown ERP status {status!r}; use one of "
                          f"{', '.join(ERP_LIFECYCLE)} (map TMS and last-mile codes first)")
        if classifier not in CLASSIFIERS:
            raise Invalid("classifier", f"one of {', '.join(CLASSIFIERS)}")
        self.status_writes.append(StatusWrite(
            self.clock(), order.id, status, order.status, classifier, event_time,
            shipment_id, eta, correlation_id))
        order.status = status
        if shipment_id:
            order.shipment_id = shipment_id
        if eta:
            order.eta = eta
        return order

    @operation
    def post_freight_charges(self, order: Order, statement_id: str,
                             lines: list[dict[str, Any]], total: float,
                             shipment_id: str | None,
                             correlation_id: str | None) -> ChargePosting:
        """The total must be the sum of the lines' amounts (to half a penny)."""
        if abs(sum(line["amount"] for line in lines) - total) > 0.005:
            raise Invalid("total", "must equal the sum of lines[].amount")
        posting = ChargePosting(self.clock(), order.id, statement_id, shipment_id,
                                round(float(total), 2), correlation_id)
        self.charge_postings.append(posting)
        self.freight_by_order[order.id] = self.freight_by_order.get(order.id, 0.0) + posting.total
        return posting

    @operation
    def release_invoice(self, order: Order, correlation_id: str | None) -> Invoice:
        """Invoices the order value plus the freight posted so far, every time it is asked."""
        freight = self.freight_by_order.get(order.id, 0.0)
        invoice = Invoice(f"INV-{len(self.invoices) + 1:06d}", self.clock(), order.id,
                          round(order.value + freight, 2), round(freight, 2), correlation_id)
        self.invoices.append(invoice)
        self.invoiced_orders.add(order.id)
        return invoice
