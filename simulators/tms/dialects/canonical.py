"""The TMS in Seatrial's canonical dialect: each endpoint declared once, beside its schemas."""

from __future__ import annotations

from typing import Any

from seatrial.model.envelope import rfc3339, to_datetime
from seatrial.simulators.api import (
    ApiRequest,
    Endpoint,
    Reply,
    no_fields,
    require,
    require_address,
)
from seatrial.simulators.canonical import CANCEL_REQUEST, ID, describe
from seatrial.simulators.dialect import Dialect
from seatrial.simulators.domain import Invalid
from seatrial.simulators.schema import DATE_TIME, nullable, obj, ref, string
from seatrial.simulators.tms.core import Shipment, TmsCore

# Shipment states in lifecycle order (core.py: CANCELLABLE, STATE_AFTER, completed).
SHIPMENT_STATES = ("created", "planned", "at_pickup", "in_transit", "at_hub", "completed",
                   "returned", "cancelled")

SCHEMAS: dict[str, dict[str, Any]] = {
    "ShipmentCreate": obj({
        "order_id": string("the ERP order id this shipment moves"),
        "ship_to": ref("Address"),
        "lines": {"type": "array", "items": {"type": "object"},
                  "description": "the ERP order's lines", "default": []},
    }, ["order_id", "ship_to"]),
    "Shipment": obj({
        "id": string("TMS shipment id", examples=["SH-000001"]),
        "order_id": string("ERP order id"),
        "state": {"type": "string", "enum": list(SHIPMENT_STATES),
                  "description": "cancellable while created, planned or at_pickup"},
        "carrier": nullable("carrier, once a tender is accepted"),
        "ship_to": ref("Address"),
        "created_at": DATE_TIME,
    }, ["id", "order_id", "state", "carrier", "ship_to", "created_at"], closed=True),
    "ShipmentList": obj({"shipments": {"type": "array", "items": ref("Shipment")}},
                        ["shipments"], closed=True),
    "CancelRequest": CANCEL_REQUEST,
}


def shipment_json(shipment: Shipment) -> dict[str, Any]:
    return {"id": shipment.id, "order_id": shipment.order_id, "state": shipment.state,
            "carrier": shipment.carrier, "ship_to": shipment.ship_to,
            "created_at": rfc3339(to_datetime(shipment.created_at))}


def create_shipment(tms: TmsCore, request: ApiRequest) -> Reply:
    body = request.body
    order_id = require(body, "order_id", str, "the ERP order id this shipment moves")
    ship_to = require_address(body.get("ship_to"), "ship_to")
    lines = body.get("lines", [])
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise Invalid("lines", "the ERP order's lines, a list of objects (or leave it out)")
    shipment = tms.create_shipment(order_id, ship_to, lines, request.correlation_id,
                                   request.idempotency_key)
    return Reply(201, shipment_json(shipment))


def get_shipment(tms: TmsCore, request: ApiRequest) -> Reply:
    return Reply(200, shipment_json(tms.get_shipment(request.params["shipment_id"])))


def find_shipments(tms: TmsCore, request: ApiRequest) -> Reply:
    found = tms.find_shipments(request.query.get("order_id"))
    return Reply(200, {"shipments": [shipment_json(shipment) for shipment in found]})


def cancel_shipment(tms: TmsCore, request: ApiRequest) -> Reply:
    shipment = tms.get_shipment(request.params["shipment_id"])
    no_fields(request.body)
    return Reply(200, shipment_json(tms.cancel_shipment(shipment)))


_AFTER_A_SHIPMENT = {"CancelShipment": ("cancel_shipment", {"shipment_id": ID})}

ENDPOINTS = (
    Endpoint("POST", "/shipments", create_shipment, TmsCore.create_shipment,
             "Create a shipment for an order", 201, "Shipment", "ShipmentCreate",
             idempotent=True,
             invalid="order_id or ship_to missing or of the wrong type, a ship_to field not a "
                     "string, or lines not a list of objects",
             links={"GetShipment": ("get_shipment", {"shipment_id": ID}),
                    "FindShipmentsOfOrder": ("find_shipments",
                                             {"order_id": "$response.body#/order_id"}),
                    **_AFTER_A_SHIPMENT}),
    Endpoint("GET", "/shipments", find_shipments, TmsCore.find_shipments,
             "List shipments", 200, "ShipmentList",
             query=(("order_id", "only the shipments of this ERP order"),)),
    Endpoint("GET", "/shipments/{shipment_id}", get_shipment, TmsCore.get_shipment,
             "Read a shipment", 200, "Shipment", links=_AFTER_A_SHIPMENT),
    Endpoint("POST", "/shipments/{shipment_id}/cancel", cancel_shipment,
             TmsCore.cancel_shipment,
             "Cancel a shipment (idempotent: an already cancelled one answers 200)", 200,
             "Shipment", "CancelRequest", request_required=False, idempotent=True,
             invalid="the body is neither a JSON object nor absent",
             conflict="the shipment has departed the pickup location; it can no longer be "
                      "cancelled"),
)

DIALECT = Dialect("canonical", "tms", "TMS", ENDPOINTS, SCHEMAS, describe)
