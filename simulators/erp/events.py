"""The ERP's event types: the one place their type strings, payload keys, schema 2.0 shape and
JSON Schemas are spelled (the registry is `seatrial.simulators.events`).

`payload()` builds the payload the ERP publishes; its keys and their order are part of every
run's ledger hash. `parse()` reads a recorded one (simulators/payload.py: fields a replay can do
without read as None when a log leaves them out). The ERP has no schema 2.0 shape of its own: in
2.0 its payloads are wrapped whole.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from seatrial.simulators.payload import (
    INTEGER,
    NUMBER,
    OBJECT,
    TEXT,
    WRAPPED_V2,
    may,
    need,
    wrapped,
)
from seatrial.simulators.schema import obj, ref, string


class OrderReleased(NamedTuple):
    """Thin: the target reads the order from the ERP API. A replay generates what a log leaves
    out from its seed."""

    customer_id: str | None
    value: float | None
    currency: str | None
    line_count: int | None

    TYPE = "order.released"
    SCHEMA, SCHEMA_V2 = "OrderReleasedPayload", WRAPPED_V2

    def payload(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "value": self.value,
                "currency": self.currency, "line_count": self.line_count}

    def payload_v2(self) -> dict[str, Any]:
        return wrapped(self.payload())

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> OrderReleased:
        return cls(may(payload, "customer_id", TEXT), may(payload, "value", NUMBER),
                   may(payload, "currency", TEXT), may(payload, "line_count", INTEGER))


class OrderCancelled(NamedTuple):
    """The order was cancelled (by its customer, or for payment or a duplicate): `reason`."""

    reason: str

    TYPE = "order.cancelled"
    SCHEMA, SCHEMA_V2 = "OrderCancelledPayload", WRAPPED_V2
    CODE = "reason"  # the field holding the ERP's own code (schema_drift's unknown codes)

    def payload(self) -> dict[str, Any]:
        return {"reason": self.reason}

    def payload_v2(self) -> dict[str, Any]:
        return wrapped(self.payload())

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> OrderCancelled:
        return cls(need(payload, cls.TYPE, "reason", TEXT))


class OrderChanged(NamedTuple):
    """A new delivery address; `change` counts the order's changes (1 for the first)."""

    ship_to: dict[str, str]
    change: int | None

    TYPE = "order.changed"
    SCHEMA, SCHEMA_V2 = "OrderChangedPayload", WRAPPED_V2

    def payload(self) -> dict[str, Any]:
        return {"ship_to": self.ship_to, "change": self.change}

    def payload_v2(self) -> dict[str, Any]:
        return wrapped(self.payload())

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> OrderChanged:
        return cls(need(payload, cls.TYPE, "ship_to", OBJECT), may(payload, "change", INTEGER))


#: In the order the OpenAPI document lists them.
EVENTS = (OrderReleased, OrderCancelled, OrderChanged)

SCHEMAS: dict[str, dict[str, Any]] = {
    OrderReleased.SCHEMA: obj({
        "customer_id": string("ERP customer id"), "value": {"type": "number"},
        "currency": string("ISO 4217 currency code"), "line_count": {"type": "integer"},
    }, ["customer_id", "value", "currency", "line_count"]),
    OrderCancelled.SCHEMA: obj({
        "reason": string("why", examples=["customer_request", "payment_failed",
                                          "duplicate_order"]),
    }, ["reason"]),
    OrderChanged.SCHEMA: obj({
        "ship_to": ref("Address"),
        "change": {"type": "integer", "minimum": 1,
                   "description": "1 for the order's first change, ..."},
    }, ["ship_to", "change"]),
}
