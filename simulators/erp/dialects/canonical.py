"""The ERP in Seatrial's canonical dialect: each endpoint declared once, beside its schemas."""

from __future__ import annotations

from typing import Any

from seatrial.model.envelope import CLASSIFIERS, rfc3339, to_datetime
from seatrial.model.vocabulary import ERP_CANCELLED, ERP_LIFECYCLE, ERP_STATUSES, RANK
from seatrial.simulators.api import (
    MAX_AMOUNT,
    ApiRequest,
    Endpoint,
    Reply,
    amount,
    optional_string,
    require,
)
from seatrial.simulators.canonical import ID, describe
from seatrial.simulators.dialect import Dialect
from seatrial.simulators.domain import Invalid
from seatrial.simulators.erp.core import ErpCore, Order
from seatrial.simulators.schema import CHARGE_LINE, DATE_TIME, nullable, obj, ref, string

# What the ERP takes: amounts within +-MAX_AMOUNT (a finite number; 1e400 is infinity).
_AMOUNT = {"minimum": -MAX_AMOUNT, "maximum": MAX_AMOUNT}

SCHEMAS: dict[str, dict[str, Any]] = {
    "OrderLine": obj({
        "line": {"type": "integer", "minimum": 1},
        "sku": string("stock keeping unit", examples=["SKU-00042"]),
        "quantity": {"type": "integer", "minimum": 1},
        "unit_price": {"type": "number", "minimum": 0},
    }, ["line", "sku", "quantity", "unit_price"]),
    "Order": obj({
        "id": string("ERP order id", examples=["SO-000001"]),
        "customer_id": string("ERP customer id", examples=["C-00001"]),
        "lines": {"type": "array", "items": ref("OrderLine")},
        "value": {"type": "number", "minimum": 0},
        "currency": string("ISO 4217 currency code", pattern="^[A-Z]{3}$"),
        "ship_to": ref("Address"),
        "status": {"type": "string", "enum": list(ERP_STATUSES),
                   "description": "the order's status: its logistics status, or CNL once "
                                  "cancelled"},
        "logistics_status": {"type": "string", "enum": list(RANK),
                             "description": "the last logistics status written (REL at "
                                            "release)"},
        "shipment_id": nullable("TMS shipment id, once written back"),
        "eta": nullable("latest estimated delivery time written back (ISO 8601)"),
        "released_at": DATE_TIME,
    }, ["id", "customer_id", "lines", "value", "currency", "ship_to", "status",
        "logistics_status", "shipment_id", "eta", "released_at"], closed=True),
    "Customer": obj({
        "id": string("ERP customer id"),
        "name": string("customer name"),
        "email": string("email address", format="email"),
        "address": ref("Address"),
    }, ["id", "name", "email", "address"], closed=True),
    "LogisticsStatusWrite": obj({
        "status": {"type": "string", "enum": list(RANK),
                   "description": "ERP logistics status; map TMS and last-mile codes first"},
        "classifier": {"type": "string", "enum": list(CLASSIFIERS), "default": "ACT",
                       "description": "ACT actual, EST estimate, PLN plan"},
        "shipment_id": nullable("TMS shipment id to record on the order"),
        "eta": nullable("estimated delivery time to record (ISO 8601)"),
        "event_time": nullable("when the status happened at the source (ISO 8601)"),
    }, ["status"], description="The ERP records every write as told; it does not check "
                               "order or rank."),
    "LogisticsStatus": obj({
        "id": string("ERP order id"),
        "logistics_status": {"type": "string", "enum": list(RANK)},
        "shipment_id": nullable("TMS shipment id on the order"),
        "eta": nullable("estimated delivery time on the order"),
    }, ["id", "logistics_status", "shipment_id", "eta"], closed=True),
    "ChargeLine": obj({
        **CHARGE_LINE["properties"],
        "amount": {"type": "number", **_AMOUNT},
    }, CHARGE_LINE["required"], description=CHARGE_LINE["description"]),
    "FreightCharges": obj({
        "statement_id": string("TMS charge statement id", examples=["ST-000001"]),
        "lines": {"type": "array", "items": ref("ChargeLine")},
        "total": {"type": "number", **_AMOUNT,
                  "description": "must equal the sum of lines[].amount (to 0.005)"},
        "shipment_id": nullable("TMS shipment id"),
    }, ["statement_id", "lines", "total"]),
    "FreightPosting": obj({
        "order_id": string("ERP order id"),
        "statement_id": string("TMS charge statement id"),
        "posting": {"type": "integer", "minimum": 1,
                    "description": "sequence number of this posting in the ERP"},
    }, ["order_id", "statement_id", "posting"], closed=True),
    "InvoiceRelease": obj({
        "pod_reference": nullable("reference of the proof of delivery",
                                  examples=["pod/T-000001.jpg"]),
    }, description="Any JSON object; the ERP invoices the order value plus posted freight."),
    "Invoice": obj({
        "id": string("invoice id", pattern="^INV-[0-9]{6}$"),
        "order_id": string("ERP order id"),
        "amount": {"type": "number", "description": "order value plus freight"},
    }, ["id", "order_id", "amount"], closed=True),
}


def order_json(order: Order) -> dict[str, Any]:
    return {
        "id": order.id, "customer_id": order.customer_id, "lines": order.lines,
        "value": order.value, "currency": order.currency, "ship_to": order.ship_to,
        "status": ERP_CANCELLED if order.cancelled_at is not None else order.status,
        "logistics_status": order.status, "shipment_id": order.shipment_id, "eta": order.eta,
        "released_at": rfc3339(to_datetime(order.released_at)),
    }


def _order(erp: ErpCore, request: ApiRequest) -> Order:
    return erp.get_order(request.params["order_id"])


def get_order(erp: ErpCore, request: ApiRequest) -> Reply:
    return Reply(200, order_json(_order(erp, request)))


def get_customer(erp: ErpCore, request: ApiRequest) -> Reply:
    customer = erp.get_customer(request.params["customer_id"])
    return Reply(200, {"id": customer.id, "name": customer.name, "email": customer.email,
                       "address": customer.address})


def write_logistics_status(erp: ErpCore, request: ApiRequest) -> Reply:
    order = _order(erp, request)
    body = request.body
    status = require(body, "status", str, f"one of {', '.join(ERP_LIFECYCLE)}")
    classifier = body.get("classifier", "ACT")
    order = erp.write_logistics_status(
        order, status, classifier,
        optional_string(body, "shipment_id", "the TMS shipment id, or null"),
        optional_string(body, "eta", "the estimated delivery time (ISO 8601), or null"),
        optional_string(body, "event_time", "when it happened (ISO 8601), or null"),
        request.correlation_id)
    return Reply(200, {"id": order.id, "logistics_status": order.status,
                       "shipment_id": order.shipment_id, "eta": order.eta})


def post_freight_charges(erp: ErpCore, request: ApiRequest) -> Reply:
    order = _order(erp, request)
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
    shipment_id = optional_string(body, "shipment_id", "the TMS shipment id, or null")
    erp.post_freight_charges(order, statement_id, lines, total, shipment_id,
                             request.correlation_id)
    return Reply(201, {"order_id": order.id, "statement_id": statement_id,
                       "posting": len(erp.charge_postings)})


def release_invoice(erp: ErpCore, request: ApiRequest) -> Reply:
    order = _order(erp, request)
    if not isinstance(request.body, dict):
        raise Invalid("body", "send a JSON object, e.g. {\"pod_reference\": ...}")
    optional_string(request.body, "pod_reference", "the proof-of-delivery reference (a "
                    "string, e.g. pod/T-000001.jpg), or null")
    invoice = erp.release_invoice(order, request.correlation_id)
    return Reply(201, {"id": invoice.id, "order_id": order.id, "amount": invoice.amount})


ENDPOINTS = (
    Endpoint("GET", "/orders/{order_id}", get_order, ErpCore.get_order,
             "Read an order", 200, "Order", links={
                 "GetCustomer": ("get_customer",
                                 {"customer_id": "$response.body#/customer_id"}),
                 "WriteLogisticsStatus": ("write_logistics_status", {"order_id": ID}),
                 "PostFreightCharges": ("post_freight_charges", {"order_id": ID}),
                 "ReleaseInvoice": ("release_invoice", {"order_id": ID})}),
    Endpoint("GET", "/customers/{customer_id}", get_customer, ErpCore.get_customer,
             "Read a customer", 200, "Customer"),
    Endpoint("POST", "/orders/{order_id}/logistics-status", write_logistics_status,
             ErpCore.write_logistics_status, "Write back a logistics status", 200,
             "LogisticsStatus", "LogisticsStatusWrite", idempotent=True,
             invalid="unknown status or classifier, shipment_id, eta or event_time neither a "
                     "string nor null, or the body is not a JSON object"),
    Endpoint("POST", "/orders/{order_id}/freight-charges", post_freight_charges,
             ErpCore.post_freight_charges, "Post a freight-charge statement", 201,
             "FreightPosting", "FreightCharges", idempotent=True,
             invalid="a field missing or of the wrong type, an amount beyond "
                     f"{MAX_AMOUNT:,} either way, or total is not the sum of the lines"),
    Endpoint("POST", "/orders/{order_id}/invoice", release_invoice, ErpCore.release_invoice,
             "Release the invoice", 201, "Invoice", "InvoiceRelease", idempotent=True,
             invalid="the body is not a JSON object, or pod_reference is neither a string nor "
                     "null"),
)

DIALECT = Dialect("canonical", "erp", "ERP", ENDPOINTS, SCHEMAS, describe)
