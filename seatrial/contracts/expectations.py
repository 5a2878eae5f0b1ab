"""What a sync implementation expects of the three systems: every HTTP interaction the reference
implementation has with their APIs and every webhook message it consumes, with provider states
and matchers.

One order's journey supplies the example values, so the examples fit together when
`consumer` plays them to the reference: the shipment id in the TMS webhooks is the one the TMS
mock answers a create with, the times run in the order the sources recorded them, and so on.
Matchers say what may vary: ids and texts by type, times by ISO 8601 pattern, status codes by
the source's vocabulary. A message's `type` and `source`, and a status write's classifier, are
literal: they say which message or request it is.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, NamedTuple

from pact import Pact, match
from pact.interaction import HttpInteraction

from seatrial.model.envelope import CLASSIFIERS, EPOCH, rfc3339
from seatrial.model.vocabulary import (
    ERP_LIFECYCLE,
    ERP_RETURNED,
    ERP_STATUSES,
    LASTMILE_TRIGGERS,
    TMS_STATUS_CODES,
)
from seatrial.simulators.erp.events import OrderCancelled, OrderChanged, OrderReleased
from seatrial.simulators.lastmile.events import CompletionDetails, TaskUpdated
from seatrial.simulators.payload import some_fields
from seatrial.simulators.tms.events import ChargesFinalized, ShipmentStatus

ORDER, SHIPMENT, TASK, STATEMENT = "SO-000001", "SH-000001", "T-000001", "ST-000001"
CORRELATION = f"corr-{ORDER}"
CLIENT_ID, CLIENT_SECRET = "seatrial-sut", "contract-client-secret"
ADDRESS = {"street": "4 Dock Road", "city": "Felixstowe", "postcode": "IP11 3SY",
           "country": "GB"}
NEW_ADDRESS = {"street": "12 Quay Street", "city": "Ipswich", "postcode": "IP4 1AS",
               "country": "GB"}
POD_PHOTO = f"pod/{TASK}.jpg"
CHARGE_TOTAL = 240.5

ISO_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$"
SIGNATURE = r"^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$"

State = tuple[str, dict[str, str]]
CREDENTIALS: State = ("client credentials are registered",
                      {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
RELEASED: State = ("an order is released", {"order_id": ORDER})
SHIPPED: State = ("a shipment exists", {"shipment_id": SHIPMENT, "order_id": ORDER})
TASKED: State = ("a delivery task exists",
                 {"task_id": TASK, "shipment_id": SHIPMENT, "order_id": ORDER})


def of_order(state: str) -> State:
    return state, {"order_id": ORDER}


def of_shipment(state: str) -> State:
    return state, {"shipment_id": SHIPMENT}


def of_task(state: str) -> State:
    return state, {"task_id": TASK}


# --- matchers ------------------------------------------------------------------------------

def text(example: str) -> Any:
    return match.str(example)


def at(minutes: float) -> Any:
    """An ISO 8601 time with an offset, `minutes` into the order's journey; the example as the
    simulators write times (`rfc3339`)."""
    return match.regex(rfc3339(EPOCH + timedelta(minutes=minutes)), regex=ISO_TIME)


def one_of(example: str, vocabulary: Iterable[str]) -> Any:
    return match.regex(example, regex=f"^({'|'.join(map(re.escape, vocabulary))})$")


def address(example: dict[str, str]) -> dict[str, Any]:
    return {name: text(value) for name, value in example.items()}


# an ERP order line as the ERP serves it; the reference passes the lines on to the TMS whole
LINES = match.each_like({"line": match.int(1), "sku": text("SKU-00042"),
                         "quantity": match.int(2), "unit_price": match.number(49.5)})
CHARGES = match.each_like({"code": text("LINEHAUL"), "amount": match.number(CHARGE_TOTAL)})


# --- the APIs ------------------------------------------------------------------------------

BEARER = ("Bearer contract-token", r"^Bearer \S+$")  # (example, pattern) of Authorization


def given(interaction: Any, states: Iterable[State]) -> None:
    for state, parameters in states:
        interaction.given(state, parameters)


def call(pact: Pact, description: str, states: Iterable[State], method: str, path: str,
         pattern: str, *, key: str | None = None, body: Any = None,
         authorization: tuple[str, str] = BEARER, correlated: bool = True) -> HttpInteraction:
    """A request as the reference sends it: its credentials (by default the bearer token),
    the correlation id (unless not `correlated`), and on every write an Idempotency-Key."""
    interaction = pact.upon_receiving(description)
    given(interaction, states)
    interaction.with_request(method, match.regex(path, regex=pattern))
    interaction.with_header("Authorization", match.regex(authorization[0],
                                                         regex=authorization[1]))
    if correlated:
        interaction.with_header("X-Correlation-ID", text(CORRELATION))
    if key is not None:
        interaction.with_header("Idempotency-Key", match.regex(key, regex=r"^\S+$"))
    if body is not None:
        interaction.with_body(body, content_type="application/json")
    return interaction


def _token(pact: Pact) -> None:
    (pact.upon_receiving("a token request")
     .given(*CREDENTIALS)
     .with_request("POST", "/oauth/token")
     .with_body({"grant_type": "client_credentials", "client_id": text(CLIENT_ID),
                 "client_secret": text(CLIENT_SECRET)},
                content_type="application/x-www-form-urlencoded")
     .will_respond_with(200)
     .with_body({"access_token": text("contract-token")}, content_type="application/json"))


def erp_api(pact: Pact) -> None:
    _token(pact)
    (call(pact, "a request for a released order", [RELEASED], "GET", f"/orders/{ORDER}",
           r"^/orders/[^/]+$")
     .will_respond_with(200)
     .with_body({"status": one_of("REL", ERP_STATUSES), "ship_to": address(ADDRESS),
                 "lines": LINES}, content_type="application/json"))
    status_path = f"/orders/{ORDER}/logistics-status"
    status_pattern = r"^/orders/[^/]+/logistics-status$"
    writable = (*ERP_LIFECYCLE, ERP_RETURNED)
    (call(pact, "an actual logistics status", [RELEASED], "POST", status_path, status_pattern,
           key=f"status-{ORDER}-PLN",
           body={"status": one_of("PLN", writable), "classifier": "ACT",
                 "shipment_id": text(SHIPMENT), "event_time": at(0)})
     .will_respond_with(200))
    (call(pact, "an estimated logistics status", [RELEASED], "POST", status_path,
           status_pattern, key="eta-evt_tms_0000001",
           body={"status": one_of("PLN", writable), "classifier": "EST", "eta": at(540),
                 "event_time": at(540)})
     .will_respond_with(200))
    (call(pact, "final freight charges", [RELEASED], "POST", f"/orders/{ORDER}/freight-charges",
           r"^/orders/[^/]+/freight-charges$", key=f"charges-{STATEMENT}",
           body={"statement_id": text(STATEMENT), "shipment_id": text(SHIPMENT),
                 "lines": CHARGES, "total": match.number(CHARGE_TOTAL)})
     .will_respond_with(201))
    (call(pact, "an invoice release", [RELEASED], "POST", f"/orders/{ORDER}/invoice",
           r"^/orders/[^/]+/invoice$", key=f"invoice-{ORDER}",
           body={"pod_reference": text(POD_PHOTO), "task_id": text(TASK)})
     .will_respond_with(201))


def tms_api(pact: Pact) -> None:
    _token(pact)
    (call(pact, "a shipment request", [], "POST", "/shipments", r"^/shipments$",
           key=f"shipment-{ORDER}",
           body={"order_id": text(ORDER), "ship_to": address(ADDRESS), "lines": LINES})
     .will_respond_with(201)
     .with_body({"id": text(SHIPMENT)}, content_type="application/json"))
    (call(pact, "a cancellation of a departed shipment",
           [SHIPPED, of_shipment("the shipment has departed the pickup location")], "POST",
           f"/shipments/{SHIPMENT}/cancel", r"^/shipments/[^/]+/cancel$",
           key=f"cancel-{SHIPMENT}", body={"reason": text("order cancelled")})
     .will_respond_with(409))


def lastmile_api(pact: Pact) -> None:
    _token(pact)
    (call(pact, "a delivery task request", [], "POST", "/tasks", r"^/tasks$",
           key=f"task-{SHIPMENT}",
           body={"shipment_id": text(SHIPMENT), "order_id": text(ORDER),
                 "destination": address(ADDRESS)})
     .will_respond_with(201)
     .with_body({"id": text(TASK)}, content_type="application/json"))
    (call(pact, "a destination change", [TASKED], "POST", f"/tasks/{TASK}/destination",
           r"^/tasks/[^/]+/destination$", key="destination-evt_erp_0000002",
           body=address(NEW_ADDRESS))
     .will_respond_with(200))
    (call(pact, "a cancellation of a delivered task",
           [TASKED, of_task("the task is delivered with proof of delivery")], "POST",
           f"/tasks/{TASK}/cancel", r"^/tasks/[^/]+/cancel$", key=f"cancel-{TASK}",
           body={"reason": text("order cancelled")})
     .will_respond_with(409))


API: dict[str, Callable[[Pact], None]] = {"erp": erp_api, "tms": tms_api,
                                          "lastmile": lastmile_api}


# --- the webhooks --------------------------------------------------------------------------

class Message(NamedTuple):
    source: str
    description: str
    states: tuple[State, ...]
    body: dict[str, Any]
    metadata: dict[str, Any]


def _message(source: str, seq: int, description: str, states: tuple[State, ...],
             type_: str, minutes: float, payload: dict[str, Any] | None = None, *,
             classifier: str = "ACT", happened: float | None = None) -> Message:
    """One event envelope; `happened` is the event time when it is not the recorded time (an
    estimate is about later). Keys a message's consumer ignores are left out."""
    event_id = f"evt_{source}_{seq:07d}"
    body = {"event_id": text(event_id), "type": type_, "source": source,
            "source_seq": match.int(seq),
            "event_time": at(minutes if happened is None else happened),
            "recorded_time": at(minutes), "classifier": one_of(classifier, CLASSIFIERS),
            "correlation_id": text(CORRELATION), "order_id": text(ORDER),
            "schema_version": match.regex("1.0", regex=r"^1\.\d+$")}
    if source != "erp":
        body["shipment_id"] = text(SHIPMENT)
    if source == "lastmile":
        body["task_id"] = text(TASK)
    if payload is not None:
        body["payload"] = payload
    signature = "v1," + base64.b64encode(bytes(32)).decode()
    metadata = {"webhook-id": text(event_id),
                "webhook-timestamp": match.regex(str(int(EPOCH.timestamp())), regex=r"^\d+$"),
                "webhook-signature": match.regex(signature, regex=SIGNATURE)}
    return Message(source, description, states, body, metadata)


def _milestone(code: str, **extra: Any) -> dict[str, Any]:
    return some_fields(ShipmentStatus, status_code=one_of(code, TMS_STATUS_CODES), **extra)


def _trigger(trigger: str, **extra: Any) -> dict[str, Any]:
    return some_fields(TaskUpdated, trigger=one_of(trigger, LASTMILE_TRIGGERS), **extra)


# In the order the sources record them (minutes into the journey); `consumer` plays them so.
MESSAGES = (
    _message("erp", 1, "an order released", (RELEASED,), OrderReleased.TYPE, 0),
    _message("tms", 1, "an estimated arrival at the hub",
             (SHIPPED, of_shipment("the hub arrival is estimated")), ShipmentStatus.TYPE, 60,
             _milestone("X4", eta=at(540)), classifier="EST", happened=540),
    _message("tms", 2, "a shipment at the hub",
             (SHIPPED, of_shipment("the shipment reached the hub")), ShipmentStatus.TYPE, 300,
             _milestone("X4")),
    _message("erp", 2, "a delivery address change",
             (RELEASED, of_order("the delivery address changed")), OrderChanged.TYPE, 330,
             some_fields(OrderChanged, ship_to=address(NEW_ADDRESS))),
    _message("lastmile", 1, "a delivery started",
             (TASKED, of_task("the driver started the delivery")), TaskUpdated.TYPE, 600,
             _trigger("taskStarted")),
    _message("lastmile", 2, "an estimated delivery time",
             (TASKED, of_task("the delivery time is estimated")), TaskUpdated.TYPE, 601,
             _trigger("taskEta", eta=at(690)), classifier="EST", happened=690),
    _message("lastmile", 3, "a delivery with proof of delivery",
             (TASKED, of_task("the task is delivered with proof of delivery")),
             TaskUpdated.TYPE, 660, _trigger("taskCompleted", completion_details=some_fields(
                 CompletionDetails, success=match.bool(True), pod={"photo": text(POD_PHOTO)}))),
    _message("tms", 3, "final freight charges",
             (SHIPPED, of_shipment("freight charges are final")), ChargesFinalized.TYPE, 720,
             some_fields(ChargesFinalized, statement_id=text(STATEMENT), lines=CHARGES,
                         total=match.number(CHARGE_TOTAL))),
    _message("erp", 3, "an order cancelled", (RELEASED, of_order("the order is cancelled")),
             OrderCancelled.TYPE, 780),
)


def declare_messages(pact: Pact, messages: Iterable[Message]) -> None:
    for message in messages:
        interaction = pact.upon_receiving(message.description, "Async")
        given(interaction, message.states)
        interaction.with_body(message.body, content_type="application/json")
        interaction.with_metadata(message.metadata)
