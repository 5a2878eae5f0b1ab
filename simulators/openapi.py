"""OpenAPI 3.1 documents for the simulators' HTTP APIs and for the endpoints a SUT must serve.

Why generated: the route tables in `simulators/routes.py` are the one definition of each API.
Paths, methods, path parameters, operation ids and which routes honour `Idempotency-Key` are
read from the real `Router`s; only the request and response bodies come from the small table
below (`OPERATIONS`, JSON Schema 2020-12 under `components/schemas`). A route with no table entry
makes `api_spec` raise, so a new route can never be missing from a document, and
`tests/test_openapi.py` fails when `contracts/openapi/` differs from a fresh export.

Regenerate the committed documents with `python -m seatrial.simulators.openapi`.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seatrial import contract_files
from seatrial.model.envelope import CLASSIFIERS
from seatrial.model.vocabulary import ERP_STATUSES, RANK
from seatrial.simulators.api import MAX_AMOUNT, Route, Router, problem
from seatrial.simulators.erp.core import ErpCore
from seatrial.simulators.events import BY_SOURCE, EventSource
from seatrial.simulators.events import SCHEMAS as PAYLOAD_SCHEMAS
from seatrial.simulators.lastmile.core import LastMileCore
from seatrial.simulators.lastmile.events import STATE_SCHEMA as _TASK_STATE
from seatrial.simulators.routes import erp_router, lastmile_router, tms_router
from seatrial.simulators.schema import DATE_TIME as _DATE_TIME
from seatrial.simulators.schema import nullable as _nullable
from seatrial.simulators.schema import obj as _obj
from seatrial.simulators.schema import ref as _ref
from seatrial.simulators.schema import string as _s
from seatrial.simulators.tms.core import TmsCore

OPENAPI_VERSION = "3.1.0"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
DOC_VERSION = "1.0.0"
SYSTEMS = ("erp", "tms", "lastmile")
FILES = {"erp": "erp.json", "tms": "tms.json", "lastmile": "lastmile.json",
         "sut": "sut-webhooks.json"}
CONTRACTS_DIR = contract_files.openapi()

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
FORM = "application/x-www-form-urlencoded"

# TMS shipment states in lifecycle order (core.py: CANCELLABLE, STATE_AFTER, completed).
SHIPMENT_STATES = ("created", "planned", "at_pickup", "in_transit", "at_hub", "completed",
                   "returned", "cancelled")

_ROUTERS: dict[str, tuple[Callable[[Any], Router], Callable[..., Any]]] = {
    "erp": (erp_router, ErpCore),
    "tms": (tms_router, TmsCore),
    "lastmile": (lastmile_router, LastMileCore),
}
_TITLES = {"erp": "ERP", "tms": "TMS", "lastmile": "last-mile platform"}


def routes(system: str) -> list[Route]:
    """The route table of one system, read from its real router over a throwaway core."""
    if system not in _ROUTERS:
        raise ValueError(f"unknown system {system!r}; use one of {', '.join(SYSTEMS)}")
    make_router, make_core = _ROUTERS[system]
    clock: Callable[[], float] = lambda: 0.0  # noqa: E731
    core = make_core(clock, EventSource(system, clock, lambda event: None))
    return list(make_router(core).routes)


# --- schemas shared by the three APIs ---------------------------------------------------------

_COMMON_SCHEMAS: dict[str, dict[str, Any]] = {
    "Problem": _obj({
        "type": _s("URI naming the problem, https://seatrial.dev/problems/<slug>, e.g. "
                   "not-found, no-such-endpoint, method-not-allowed, invalid-field, "
                   "idempotency-key-reused, conflict, rate-limited, unavailable", format="uri"),
        "title": _s("short, human-readable summary of the problem type"),
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": _s("what went wrong with this request and how to fix it"),
        "field": _s("the request field at fault (422), e.g. status, lines[0].amount, "
                    "Idempotency-Key"),
    }, ["type", "title", "status", "detail"],
        description="RFC 9457 problem details; extension members may be added."),
    "FieldProblem": {
        "$ref": "#/components/schemas/Problem", "required": ["field"],
        "description": "A problem that names the field at fault and the fix in `detail`.",
    },
    "Address": _obj({
        "name": _s("recipient name"),
        "street": _s("street address"),
        "city": _s("city"),
        "postcode": _s("postcode"),
        "country": _s("ISO 3166-1 alpha-2 country code", examples=["GB"]),
    }, description="A postal address as the ERP holds it: {street, city, postcode, country}."),
    "TokenRequest": _obj({
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "client_id": _s("OAuth2 client id (SEATRIAL_CLIENT_ID); or send HTTP Basic"),
        "client_secret": _s("OAuth2 client secret (SEATRIAL_CLIENT_SECRET); or HTTP Basic"),
    }, ["grant_type"]),
    "Token": _obj({
        "access_token": _s("bearer token for the Authorization header"),
        "token_type": {"type": "string", "enum": ["Bearer"]},
        "expires_in": {"type": "integer", "minimum": 1,
                       "description": "lifetime in wall-clock seconds"},
    }, ["access_token", "token_type", "expires_in"]),
}

_LINE_ITEM = _obj({
    "line": {"type": "integer", "minimum": 1},
    "sku": _s("stock keeping unit", examples=["SKU-00042"]),
    "quantity": {"type": "integer", "minimum": 1},
    "unit_price": {"type": "number", "minimum": 0},
}, ["line", "sku", "quantity", "unit_price"])

_CHARGE_LINE = _obj({
    "code": _s("charge code", examples=["LINEHAUL", "FUEL", "DETENTION", "LIFTGATE"]),
    "amount": {"type": "number"},
}, ["amount"], description="One line of a TMS freight-charge statement: {code, amount}.")

# What the ERP takes: amounts within +-MAX_AMOUNT (a finite number; 1e400 is infinity).
_AMOUNT = {"minimum": -MAX_AMOUNT, "maximum": MAX_AMOUNT}
_POSTED_CHARGE_LINE = _obj({
    **_CHARGE_LINE["properties"],
    "amount": {"type": "number", **_AMOUNT},
}, _CHARGE_LINE["required"], description=_CHARGE_LINE["description"])

_POD = _obj({
    "signed_by": _s("who signed for the parcel"),
    "photo": _s("reference of the proof-of-delivery photo", examples=["pod/T-000001.jpg"]),
    "captured_at_attempt": {"type": "integer", "minimum": 1},
}, ["signed_by", "photo"], description="Proof of delivery.")

_ERP_SCHEMAS: dict[str, dict[str, Any]] = {
    "OrderLine": _LINE_ITEM,
    "Order": _obj({
        "id": _s("ERP order id", examples=["SO-000001"]),
        "customer_id": _s("ERP customer id", examples=["C-00001"]),
        "lines": {"type": "array", "items": _ref("OrderLine")},
        "value": {"type": "number", "minimum": 0},
        "currency": _s("ISO 4217 currency code", pattern="^[A-Z]{3}$"),
        "ship_to": _ref("Address"),
        "status": {"type": "string", "enum": list(ERP_STATUSES),
                   "description": "the order's status: its logistics status, or CNL once "
                                  "cancelled"},
        "logistics_status": {"type": "string", "enum": list(RANK),
                             "description": "the last logistics status written (REL at "
                                            "release)"},
        "shipment_id": _nullable("TMS shipment id, once written back"),
        "eta": _nullable("latest estimated delivery time written back (ISO 8601)"),
        "released_at": _DATE_TIME,
    }, ["id", "customer_id", "lines", "value", "currency", "ship_to", "status",
        "logistics_status", "shipment_id", "eta", "released_at"], closed=True),
    "Customer": _obj({
        "id": _s("ERP customer id"),
        "name": _s("customer name"),
        "email": _s("email address", format="email"),
        "address": _ref("Address"),
    }, ["id", "name", "email", "address"], closed=True),
    "LogisticsStatusWrite": _obj({
        "status": {"type": "string", "enum": list(RANK),
                   "description": "ERP logistics status; map TMS and last-mile codes first"},
        "classifier": {"type": "string", "enum": list(CLASSIFIERS), "default": "ACT",
                       "description": "ACT actual, EST estimate, PLN plan"},
        "shipment_id": _nullable("TMS shipment id to record on the order"),
        "eta": _nullable("estimated delivery time to record (ISO 8601)"),
        "event_time": _nullable("when the status happened at the source (ISO 8601)"),
    }, ["status"], description="The ERP records every write as told; it does not check "
                               "order or rank."),
    "LogisticsStatus": _obj({
        "id": _s("ERP order id"),
        "logistics_status": {"type": "string", "enum": list(RANK)},
        "shipment_id": _nullable("TMS shipment id on the order"),
        "eta": _nullable("estimated delivery time on the order"),
    }, ["id", "logistics_status", "shipment_id", "eta"], closed=True),
    "ChargeLine": _POSTED_CHARGE_LINE,
    "FreightCharges": _obj({
        "statement_id": _s("TMS charge statement id", examples=["ST-000001"]),
        "lines": {"type": "array", "items": _ref("ChargeLine")},
        "total": {"type": "number", **_AMOUNT,
                  "description": "must equal the sum of lines[].amount (to 0.005)"},
        "shipment_id": _nullable("TMS shipment id"),
    }, ["statement_id", "lines", "total"]),
    "FreightPosting": _obj({
        "order_id": _s("ERP order id"),
        "statement_id": _s("TMS charge statement id"),
        "posting": {"type": "integer", "minimum": 1,
                    "description": "sequence number of this posting in the ERP"},
    }, ["order_id", "statement_id", "posting"], closed=True),
    "InvoiceRelease": _obj({
        "pod_reference": _nullable("reference of the proof of delivery",
                                   examples=["pod/T-000001.jpg"]),
    }, description="Any JSON object; the ERP invoices the order value plus posted freight."),
    "Invoice": _obj({
        "id": _s("invoice id", pattern="^INV-[0-9]{6}$"),
        "order_id": _s("ERP order id"),
        "amount": {"type": "number", "description": "order value plus freight"},
    }, ["id", "order_id", "amount"], closed=True),
}

_CANCEL = {"type": ["object", "null"],
           "description": "Its fields are ignored; send {} or no body (null counts as none)."}

_TMS_SCHEMAS: dict[str, dict[str, Any]] = {
    "ShipmentCreate": _obj({
        "order_id": _s("the ERP order id this shipment moves"),
        "ship_to": _ref("Address"),
        "lines": {"type": "array", "items": {"type": "object"},
                  "description": "the ERP order's lines", "default": []},
    }, ["order_id", "ship_to"]),
    "Shipment": _obj({
        "id": _s("TMS shipment id", examples=["SH-000001"]),
        "order_id": _s("ERP order id"),
        "state": {"type": "string", "enum": list(SHIPMENT_STATES),
                  "description": "cancellable while created, planned or at_pickup"},
        "carrier": _nullable("carrier, once a tender is accepted"),
        "ship_to": _ref("Address"),
        "created_at": _DATE_TIME,
    }, ["id", "order_id", "state", "carrier", "ship_to", "created_at"], closed=True),
    "ShipmentList": _obj({"shipments": {"type": "array", "items": _ref("Shipment")}},
                         ["shipments"], closed=True),
    "CancelRequest": _CANCEL,
}

_LASTMILE_SCHEMAS: dict[str, dict[str, Any]] = {
    "TaskCreate": _obj({
        "shipment_id": _s("the TMS shipment id the parcel came on"),
        "order_id": _s("the ERP order id"),
        "destination": _ref("Address"),
    }, ["shipment_id", "order_id", "destination"]),
    "ProofOfDelivery": _POD,
    "Task": _obj({
        "id": _s("task id", examples=["T-000001"]),
        "shipment_id": _s("TMS shipment id"),
        "order_id": _s("ERP order id"),
        "state": _TASK_STATE,
        "worker": _nullable("assigned driver"),
        "cancelled": {"type": "boolean"},
        "attempts": {"type": "integer", "minimum": 0},
        "pod": {"anyOf": [_ref("ProofOfDelivery"), {"type": "null"}]},
    }, ["id", "shipment_id", "order_id", "state", "worker", "cancelled", "attempts", "pod"],
        closed=True),
    "DestinationChange": {
        "$ref": "#/components/schemas/Address", "required": ["street", "city", "postcode"],
        "description": "The new delivery address; it replaces the task's destination whole.",
    },
    "CancelRequest": _CANCEL,
}

_SCHEMAS = {"erp": _ERP_SCHEMAS, "tms": _TMS_SCHEMAS, "lastmile": _LASTMILE_SCHEMAS}


# --- the per-route table ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Operation:
    """What the route table does not say: bodies, success status, route-specific problems.

    404 (for routes with path parameters) and 422 `idempotency-key-reused` (for idempotent
    routes) are derived from the route itself.
    """

    summary: str
    status: int                    # the success status
    response: str                  # component schema of the success body
    request: str | None = None     # component schema of the JSON body; None: no body
    request_required: bool = True
    invalid: str | None = None     # when the route answers 422 invalid-field
    conflict: str | None = None    # when the route answers 409
    query: tuple[tuple[str, str], ...] = ()  # optional string query parameters: (name, doc)


OPERATIONS: dict[str, dict[tuple[str, str], Operation]] = {
    "erp": {
        ("GET", "/orders/{order_id}"): Operation("Read an order", 200, "Order"),
        ("GET", "/customers/{customer_id}"): Operation("Read a customer", 200, "Customer"),
        ("POST", "/orders/{order_id}/logistics-status"): Operation(
            "Write back a logistics status", 200, "LogisticsStatus", "LogisticsStatusWrite",
            invalid="unknown status or classifier, shipment_id, eta or event_time neither a "
                    "string nor null, or the body is not a JSON object"),
        ("POST", "/orders/{order_id}/freight-charges"): Operation(
            "Post a freight-charge statement", 201, "FreightPosting", "FreightCharges",
            invalid="a field missing or of the wrong type, an amount beyond "
                    f"{MAX_AMOUNT:,} either way, or total is not the sum of the lines"),
        ("POST", "/orders/{order_id}/invoice"): Operation(
            "Release the invoice", 201, "Invoice", "InvoiceRelease",
            invalid="the body is not a JSON object, or pod_reference is neither a string nor "
                    "null"),
    },
    "tms": {
        ("POST", "/shipments"): Operation(
            "Create a shipment for an order", 201, "Shipment", "ShipmentCreate",
            invalid="order_id or ship_to missing or of the wrong type, a ship_to field not a "
                    "string, or lines not a list of objects"),
        ("GET", "/shipments"): Operation(
            "List shipments", 200, "ShipmentList",
            query=(("order_id", "only the shipments of this ERP order"),)),
        ("GET", "/shipments/{shipment_id}"): Operation("Read a shipment", 200, "Shipment"),
        ("POST", "/shipments/{shipment_id}/cancel"): Operation(
            "Cancel a shipment (idempotent: an already cancelled one answers 200)", 200,
            "Shipment", "CancelRequest", request_required=False,
            invalid="the body is neither a JSON object nor absent",
            conflict="the shipment has departed the pickup location; it can no longer be "
                     "cancelled"),
    },
    "lastmile": {
        ("POST", "/tasks"): Operation(
            "Create a delivery task", 201, "Task", "TaskCreate",
            invalid="shipment_id, order_id or destination missing or of the wrong type, or a "
                    "destination field not a string"),
        ("GET", "/tasks/{task_id}"): Operation("Read a task", 200, "Task"),
        ("POST", "/tasks/{task_id}/destination"): Operation(
            "Change the delivery address", 200, "Task", "DestinationChange",
            invalid="street, city or postcode missing, or an address field not a string",
            conflict="the task is finished (delivered, returned or cancelled)"),
        ("POST", "/tasks/{task_id}/cancel"): Operation(
            "Cancel a task (idempotent: an already cancelled one answers 200)", 200, "Task",
            "CancelRequest", request_required=False,
            invalid="the body is neither a JSON object nor absent",
            conflict="the task is already delivered or returned"),
    },
}

# OpenAPI links from a success answer to the operations it enables (what a client, or a stateful
# fuzzer, can do next with the id it just got): (method, template) -> link name ->
# (target operationId, {target parameter: runtime expression}).
_ID = "$response.body#/id"
LINKS: dict[str, dict[tuple[str, str], dict[str, tuple[str, dict[str, str]]]]] = {
    "erp": {
        ("GET", "/orders/{order_id}"): {
            "GetCustomer": ("get_customer", {"customer_id": "$response.body#/customer_id"}),
            "WriteLogisticsStatus": ("write_logistics_status", {"order_id": _ID}),
            "PostFreightCharges": ("post_freight_charges", {"order_id": _ID}),
            "ReleaseInvoice": ("release_invoice", {"order_id": _ID}),
        },
    },
    "tms": {
        ("POST", "/shipments"): {
            "GetShipment": ("get_shipment", {"shipment_id": _ID}),
            "FindShipmentsOfOrder": ("find_shipments", {"order_id": "$response.body#/order_id"}),
            "CancelShipment": ("cancel_shipment", {"shipment_id": _ID}),
        },
        ("GET", "/shipments/{shipment_id}"): {
            "CancelShipment": ("cancel_shipment", {"shipment_id": _ID}),
        },
    },
    "lastmile": {
        ("POST", "/tasks"): {
            "GetTask": ("get_task", {"task_id": _ID}),
            "ChangeDestination": ("change_destination", {"task_id": _ID}),
            "CancelTask": ("cancel_task", {"task_id": _ID}),
        },
        ("GET", "/tasks/{task_id}"): {
            "CancelTask": ("cancel_task", {"task_id": _ID}),
        },
    },
}

PATH_PARAMETERS = {
    "order_id": ("ERP order id", "SO-000001"),
    "customer_id": ("ERP customer id", "C-00001"),
    "shipment_id": ("TMS shipment id", "SH-000001"),
    "task_id": ("last-mile task id", "T-000001"),
}

# Paths the HTTP face serves besides the route table.
LIVE_ONLY_PATHS = ("/oauth/token", "/openapi.json")


# --- building blocks of an API document -------------------------------------------------------


def _header(ref: str) -> dict[str, Any]:
    return {"$ref": f"#/components/headers/{ref}"}


_SIM_HEADERS = {"x-seatrial-sim-time": _header("SimTime"),
                "x-seatrial-time-scale": _header("TimeScale")}


def _problem_response(description: str, example: dict[str, Any] | None = None,
                      schema: str = "Problem", **headers: Any) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": _ref(schema)}
    if example is not None:
        media["example"] = example
    return {"description": description, "headers": {**_SIM_HEADERS, **headers},
            "content": {PROBLEM_JSON: media}}


def _api_components(system: str) -> dict[str, Any]:
    return {
        "schemas": {**_COMMON_SCHEMAS, **_SCHEMAS[system]},
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "a token from POST /oauth/token"},
            # A relative tokenUrl is valid OpenAPI 3.1 (relative references are resolved
            # against the server); the 2022-10-07 3.1 JSON schema wrongly demands format "uri"
            # (OAI/OpenAPI-Specification#4327).
            "oauth2": {"type": "oauth2", "flows": {"clientCredentials": {
                "tokenUrl": "/oauth/token", "scopes": {}}}},
            "clientBasic": {"type": "http", "scheme": "basic",
                            "description": "client id and secret, for POST /oauth/token only"},
        },
        "parameters": {
            "IdempotencyKey": {
                "name": "Idempotency-Key", "in": "header", "required": False,
                "schema": {"type": "string", "minLength": 1},
                "description": "Stripe model: the first answer for a key is stored and "
                               "replayed (with idempotent-replayed: true); the same key with a "
                               "different request (method, path or JSON body; the order of "
                               "object members aside, types count: false is not 0, 1 is not "
                               "1.0) answers 422 idempotency-key-reused."},
            "CorrelationId": {
                "name": "X-Correlation-ID", "in": "header", "required": False,
                "schema": {"type": "string"},
                "description": "the correlation id of the event being handled "
                               "(corr-<order id>); carried into the events a create causes"},
        },
        "headers": {
            "SimTime": {"required": True, "schema": _DATE_TIME,
                        "description": "simulated time of the answer (ISO 8601)"},
            "TimeScale": {"required": True, "schema": {"type": "number", "exclusiveMinimum": 0},
                          "description": "simulated seconds per wall-clock second"},
            "IdempotentReplayed": {"required": False,
                                   "schema": {"type": "string", "enum": ["true"]},
                                   "description": "present on a replayed idempotent answer"},
            "RetryAfter": {"required": True, "schema": {"type": "integer", "minimum": 0},
                           "description": "whole wall-clock seconds to wait before any further "
                                          "request to this system"},
            "ExactRetryAfter": {"required": True,
                                "schema": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+$"},
                                "description": "the exact wait in decimal wall-clock seconds "
                                               "(Retry-After rounds it up to whole seconds)"},
            "WwwAuthenticate": {"required": True, "schema": {"type": "string"},
                                "description": 'Bearer error="invalid_token"'},
        },
        "responses": {
            "BadRequest": _problem_response("the body is not JSON"),
            "Unauthorized": _problem_response(
                "the bearer token is missing, unknown or expired: fetch a new one and retry",
                **{"WWW-Authenticate": _header("WwwAuthenticate")}),
            "RateLimited": _problem_response(
                "rate limited: send nothing more to this system until Retry-After has passed",
                problem(429, "rate-limited", "Too many requests",
                        "rate limit exceeded; retry after 2s").body,
                **{"Retry-After": _header("RetryAfter"),
                   "x-seatrial-retry-after": _header("ExactRetryAfter")}),
            "Unavailable": _problem_response(
                "the system is in an outage: retry with backoff and the same Idempotency-Key",
                problem(503, "unavailable", "Service unavailable",
                        f"{system} is down for maintenance or an outage; retry later").body),
        },
    }


def _path_parameters(route: Route) -> list[dict[str, Any]]:
    parameters = []
    for segment in route.segments:
        if segment.startswith("{"):
            name = segment[1:-1]
            doc, example = PATH_PARAMETERS.get(name, (name, None))
            param: dict[str, Any] = {"name": name, "in": "path", "required": True,
                                     "description": doc, "schema": {"type": "string"}}
            if example is not None:
                param["example"] = example
            parameters.append(param)
    return parameters


def _operation(route: Route, op: Operation, links: dict[str, Any]) -> dict[str, Any]:
    path_params = _path_parameters(route)
    parameters: list[dict[str, Any]] = [*path_params]
    parameters += [{"name": name, "in": "query", "required": False, "description": doc,
                    "schema": {"type": "string"}} for name, doc in op.query]
    if route.idempotent:
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    parameters.append({"$ref": "#/components/parameters/CorrelationId"})

    replay = {"idempotent-replayed": _header("IdempotentReplayed")} if route.idempotent else {}
    responses: dict[str, Any] = {str(op.status): {
        "description": f"{'created' if op.status == 201 else 'OK'}: {op.response}",
        "headers": {**_SIM_HEADERS, **replay},
        "content": {JSON: {"schema": _ref(op.response)}},
    }}
    if links:
        responses[str(op.status)]["links"] = {
            name: {"operationId": target, "parameters": parameters}
            for name, (target, parameters) in links.items()}
    if op.request is not None:
        responses["400"] = {"$ref": "#/components/responses/BadRequest"}
    responses["401"] = {"$ref": "#/components/responses/Unauthorized"}
    if path_params:
        what = path_params[0]["name"].removesuffix("_id")
        responses["404"] = _problem_response(
            f"no such {what}", problem(404, "not-found", f"{what} not found",
                                       f"{what} {path_params[0]['example']!r} not found").body)
    if op.conflict is not None:
        responses["409"] = _problem_response(op.conflict, **replay)
    invalid = []
    if op.invalid is not None:
        invalid.append(f"invalid-field: {op.invalid}")
    if op.request is not None:
        invalid.append("invalid-field: a number anywhere in the body is not finite (1e400 "
                       "overflows to infinity); field is its path")
    if route.idempotent:
        invalid.append("invalid-field Idempotency-Key: the header is empty; "
                       "idempotency-key-reused: the Idempotency-Key was first used for a "
                       "different request")
    if invalid:
        responses["422"] = _problem_response("; ".join(invalid), schema="FieldProblem")
    responses["429"] = {"$ref": "#/components/responses/RateLimited"}
    responses["503"] = {"$ref": "#/components/responses/Unavailable"}

    operation: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": op.summary,
        "tags": [route.segments[0]],
        "parameters": parameters,
        "responses": responses,
    }
    if op.request is not None:
        operation["requestBody"] = {"required": op.request_required,
                                    "content": {JSON: {"schema": _ref(op.request)}}}
    return operation


def _live_paths(system: str) -> dict[str, Any]:
    token = {
        "operationId": "issue_token",
        "summary": "Issue an access token (OAuth2 client credentials)",
        "tags": ["auth"],
        "security": [{"clientBasic": []}, {}],
        "requestBody": {"required": True,
                        "content": {FORM: {"schema": _ref("TokenRequest")}}},
        "responses": {
            "200": {"description": "a bearer token, valid for expires_in wall seconds",
                    "headers": dict(_SIM_HEADERS),
                    "content": {JSON: {"schema": _ref("Token")}}},
            "400": _problem_response("grant_type is not client_credentials, or the client "
                                     "credentials are missing"),
            "401": _problem_response("unknown client id or wrong secret"),
            "429": {"$ref": "#/components/responses/RateLimited"},
            "503": {"$ref": "#/components/responses/Unavailable"},
        },
    }
    document = {
        "operationId": "get_openapi",
        "summary": "This document",
        "tags": ["meta"],
        "security": [],
        "responses": {"200": {"description": f"the OpenAPI 3.1 document of the {system} API",
                              "headers": dict(_SIM_HEADERS),
                              "content": {JSON: {"schema": {"type": "object"}}}}},
    }
    return {"/oauth/token": {"post": token}, "/openapi.json": {"get": document}}


def _build_api_spec(system: str, table: Sequence[Route]) -> dict[str, Any]:
    operations = OPERATIONS[system]
    missing = [f"{route.method} {route.template}" for route in table
               if (route.method, route.template) not in operations]
    if missing:
        raise LookupError(f"{system} routes with no entry in "
                          f"seatrial.simulators.openapi.OPERATIONS: {', '.join(missing)}; "
                          "add their request and response schemas")
    paths: dict[str, Any] = {}
    for route in table:
        op = operations[(route.method, route.template)]
        links = LINKS[system].get((route.method, route.template), {})
        paths.setdefault(route.template, {})[route.method.lower()] = _operation(route, op, links)
    paths.update(_live_paths(system))
    title = _TITLES[system]
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": DIALECT,
        "info": {
            "title": f"Seatrial {title} simulator API",
            "version": DOC_VERSION,
            "description": (
                f"The HTTP face of Seatrial's {title} simulator, generated from "
                "simulators/routes.py by simulators/openapi.py. Every route needs a bearer "
                "token from POST /oauth/token. Errors are RFC 9457 problem documents "
                "(application/problem+json); an unknown path answers 404 no-such-endpoint, a "
                "known path with another method 405 method-not-allowed. Every answer carries "
                "x-seatrial-sim-time and x-seatrial-time-scale. See docs/live-protocol.md."),
        },
        "security": [{"bearer": []}, {"oauth2": []}],
        "tags": sorted(({"name": tag} for tag in
                        {r.segments[0] for r in table} | {"auth", "meta"}),
                       key=lambda tag: tag["name"]),
        "paths": paths,
        "components": _api_components(system),
    }


def api_spec(system: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of one simulated system's HTTP API ("erp", "tms", "lastmile").

    A fresh copy each time: callers may change it (a live face may add `servers`)."""
    return copy.deepcopy(_build_api_spec(system, routes(system)))


# --- the SUT side: webhooks it receives, endpoints it serves ----------------------------------

#: Each source's event types -> the component schema of their payload (schema 1.0), and the
#: schema 2.0 payload schemas of each source; read from the event types themselves.
EVENT_TYPES = {source: {cls.TYPE: cls.SCHEMA for cls in types}
               for source, types in BY_SOURCE.items()}
V2_PAYLOADS = {source: tuple(dict.fromkeys(cls.SCHEMA_V2 for cls in types))
               for source, types in BY_SOURCE.items()}
EVENT_SCHEMAS = {"erp": "ErpEvent", "tms": "TmsEvent", "lastmile": "LastmileEvent"}
SETTINGS = {
    "SEATRIAL_ERP_URL": "base URL of the ERP API, e.g. http://127.0.0.1:41017",
    "SEATRIAL_TMS_URL": "base URL of the TMS API",
    "SEATRIAL_LASTMILE_URL": "base URL of the last-mile API",
    "SEATRIAL_CLIENT_ID": "OAuth2 client id, the same for all three systems",
    "SEATRIAL_CLIENT_SECRET": "OAuth2 client secret, the same for all three systems",
    "SEATRIAL_ERP_WEBHOOK_SECRET": "Standard Webhooks secret of the ERP's deliveries",
    "SEATRIAL_TMS_WEBHOOK_SECRET": "Standard Webhooks secret of the TMS's deliveries",
    "SEATRIAL_LASTMILE_WEBHOOK_SECRET": "Standard Webhooks secret of the last-mile deliveries",
    "SEATRIAL_TIME_SCALE": "simulated seconds per wall-clock second, e.g. 3600",
}


# A decimal string as `seatrial run` writes the scale (3600, 0.5, 1e+06), and one that is zero.
DECIMAL = "^(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]{1,2})?$"
ZERO = "^[0.]*(?:[eE].*)?$"
# An http(s) URL with a host; no spaces or control characters.
BASE_URL = "^https?://[^/?#\\x00-\\x20\\x7f]+[^\\x00-\\x20\\x7f]*$"
# Standard Webhooks: whsec_ and the key in base64 (with its padding).
SECRET = "^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


def _setting(name: str, doc: str) -> dict[str, Any]:
    if name == "SEATRIAL_TIME_SCALE":
        return {"anyOf": [{"type": "number", "exclusiveMinimum": 0},
                          {"type": "string", "pattern": DECIMAL, "not": {"pattern": ZERO}}],
                "description": doc + " (a positive number, or its decimal string as in the "
                                     "environment)"}
    if name.endswith("_WEBHOOK_SECRET"):
        return _s(doc, pattern=SECRET)
    if name.endswith("_URL"):
        return _s(doc, pattern=BASE_URL)
    return _s(doc, minLength=1)


def _sut_schemas() -> dict[str, dict[str, Any]]:
    envelope = _obj({
        "event_id": _s("unique per event; the same on duplicates and redeliveries",
                       examples=["evt_tms_0000042"]),
        "type": _s("event type", examples=[t for types in EVENT_TYPES.values() for t in types]),
        "source": {"type": "string", "enum": list(SYSTEMS)},
        "source_seq": {"type": "integer", "minimum": 1,
                       "description": "the source's publishing sequence number"},
        "event_time": _s("when it happened at the source (simulated time, ISO 8601); without "
                         "an offset it is the source's local time",
                         anyOf=[{"format": "date-time"}, {"format": "date-time-local"}]),
        "recorded_time": {**_DATE_TIME, "description": "when the source recorded it"},
        "classifier": {"type": "string", "enum": list(CLASSIFIERS),
                       "description": "ACT actual, EST estimate, PLN plan"},
        "correlation_id": _s("corr-<order id> on ERP events; on TMS and last-mile events the "
                             "X-Correlation-ID sent when the shipment or task was created"),
        "order_id": _nullable("ERP order id"),
        "shipment_id": _nullable("TMS shipment id"),
        "task_id": _nullable("last-mile task id"),
        "schema_version": _s("payload schema version: read it on every event",
                             examples=["1.0", "2.0"]),
        "payload": {"type": "object"},
    }, ["event_id", "type", "source", "source_seq", "event_time", "recorded_time",
        "classifier", "correlation_id", "order_id", "shipment_id", "task_id",
        "schema_version", "payload"], closed=True,
        description="The event envelope, compact JSON (seatrial.model.envelope.Event.to_json).")
    schemas: dict[str, dict[str, Any]] = {
        "EventEnvelope": envelope,
        "Address": _COMMON_SCHEMAS["Address"],
        "ChargeLine": _CHARGE_LINE,
        "ProofOfDelivery": _POD,
        **PAYLOAD_SCHEMAS,
        "Settings": _obj({name: _setting(name, doc) for name, doc in SETTINGS.items()},
                         list(SETTINGS), description="The settings of a new run: the names of "
                                                     "the environment variables of a started "
                                                     "SUT."),
    }
    for source, types in EVENT_TYPES.items():
        payloads = [*(_ref(name) for name in types.values()),
                    *(_ref(name) for name in V2_PAYLOADS[source])]
        payloads.append({"type": "object", "description": "anything else: unknown codes, "
                         "poison (fields missing or of the wrong type); validate, park and "
                         "acknowledge"})
        schemas[EVENT_SCHEMAS[source]] = {
            "$ref": "#/components/schemas/EventEnvelope",
            "description": f"An event from the {_TITLES[source]}: "
                           + "; ".join(f"{t} (payload {p})" for t, p in types.items()),
            "properties": {
                "source": {"const": source},
                "type": {"type": "string", "enum": list(types)},
                "payload": {"anyOf": payloads},
            },
        }
    return schemas


def _delivery(source: str, operation_id: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": f"One event from the {_TITLES[source]}",
        "description": "At least once: duplicates, redeliveries and reordering happen; dedupe "
                       "by event_id. Verify the Standard Webhooks signature (HMAC-SHA256 of "
                       "'{webhook-id}.{webhook-timestamp}.{body}' keyed with the base64 part of "
                       f"SEATRIAL_{source.upper()}_WEBHOOK_SECRET) and refuse with 401 when it "
                       "is missing or wrong or the timestamp is more than 5 minutes from now.",
        "tags": ["webhooks"],
        "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in
                       ("WebhookId", "WebhookTimestamp", "WebhookSignature", "SimTime")],
        "requestBody": {"required": True,
                        "content": {JSON: {"schema": _ref(EVENT_SCHEMAS[source])}}},
        "responses": {
            "2XX": {"description": "accepted: handled, or durably queued"},
            "401": {"description": "refused (forged): not redelivered"},
            "403": {"description": "refused (forged): not redelivered"},
            "default": {"description": "failed (as is no answer within 10 s): the source "
                                       "redelivers the event on its schedule"},
        },
    }


def sut_spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document of what a sync implementation (SUT) serves and receives.

    A fresh copy each time, like `api_spec`."""
    return copy.deepcopy(_build_sut_spec())


def _build_sut_spec() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/health": {"get": {
            "operationId": "health", "summary": "Readiness", "tags": ["control"],
            "responses": {
                "200": {"description": "ready: Seatrial starts the run"},
                "default": {"description": "not ready yet: Seatrial polls again until its "
                                           "health timeout (30 s)"},
            },
        }},
        "/seatrial/configure": {"post": {
            "operationId": "configure",
            "summary": "Start a new run (for a SUT that is already running)",
            "description": "Forget every order, key and queue from earlier runs and use these "
                           "settings. Only for the holder of the control secret (Authorization: "
                           "Bearer, the SEATRIAL_CONTROL_SECRET the SUT was started with): "
                           "anyone else is refused with 401 and changes nothing.",
            "tags": ["control"],
            "security": [{"controlSecret": []}],
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("Settings")}}},
            "responses": {
                "2XX": {"description": "state reset; the new run starts"},
                "401": {"description": "no control secret, or the wrong one: nothing changed"},
                "default": {"description": "not configured: the run does not start"},
            },
        }},
    }
    for source in SYSTEMS:
        paths[f"/webhooks/{source}"] = {"post": _delivery(source, f"receive_{source}_event")}
    header = {"in": "header", "schema": {"type": "string"}}
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": DIALECT,
        "info": {
            "title": "Seatrial sync implementation (SUT) interface",
            "version": DOC_VERSION,
            "description": (
                "What a sync implementation under test serves in Seatrial's live mode: the "
                "webhook deliveries of the three simulated systems (webhooks; also listed "
                "under paths, POST /webhooks/{source}), readiness and per-run configuration. "
                "Generated by simulators/openapi.py; see docs/live-protocol.md."),
        },
        "tags": [{"name": "control"}, {"name": "webhooks"}],
        "webhooks": {source: {"post": _delivery(source, f"{source}_event")}
                     for source in SYSTEMS},
        "paths": paths,
        "components": {
            "schemas": _sut_schemas(),
            "securitySchemes": {"controlSecret": {  # POST /seatrial/configure's
                "type": "http", "scheme": "bearer",
                "description": "the SUT's control secret: SEATRIAL_CONTROL_SECRET in its "
                               "environment (Seatrial sets it for a command it starts), or "
                               "the one `seatrial sut` prints"}},
            "parameters": {
                "WebhookId": {**header, "name": "webhook-id", "required": True,
                              "description": "the event id (the same on duplicates and "
                                             "redeliveries)"},
                "WebhookTimestamp": {"in": "header", "name": "webhook-timestamp",
                                     "required": True,
                                     "schema": {"type": "string", "pattern": "^[0-9]+$"},
                                     "description": "when it was sent: Unix seconds, wall "
                                                    "clock"},
                "WebhookSignature": {"in": "header", "name": "webhook-signature",
                                     "required": False,
                                     "schema": {"type": "string", "pattern": "^v1,"},
                                     "description": "'v1,' + base64 HMAC-SHA256; several "
                                                    "space-separated signatures are allowed. "
                                                    "Absent on some forged deliveries: refuse "
                                                    "those (401)."},
                "SimTime": {"in": "header", "name": "x-seatrial-sim-time", "required": True,
                            "schema": _DATE_TIME,
                            "description": "simulated time of the delivery"},
            },
        },
    }


# --- export -----------------------------------------------------------------------------------


def documents() -> dict[str, dict[str, Any]]:
    """Every document, by file name."""
    docs = {FILES[system]: api_spec(system) for system in SYSTEMS}
    docs[FILES["sut"]] = sut_spec()
    return docs


def render(document: dict[str, Any]) -> str:
    """The committed form: indent 2, sorted keys, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def write_all(directory: Path) -> list[Path]:
    """Write the four documents into `directory` (created if missing); return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in documents().items():
        path = directory / name
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    directory = Path(args[0]) if args else CONTRACTS_DIR
    for path in write_all(directory):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
