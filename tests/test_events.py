"""The typed event types (simulators/<system>/events.py) and their registry."""

from __future__ import annotations

import re

import pytest

from seatrial.simulators import openapi
from seatrial.simulators.erp.events import OrderCancelled, OrderChanged, OrderReleased
from seatrial.simulators.events import EVENTS, SOURCES
from seatrial.simulators.lastmile.events import CompletionDetails, TaskUpdated
from seatrial.simulators.payload import some_fields
from seatrial.simulators.tms.events import ChargesFinalized, ShipmentStatus

ADDRESS = {"street": "4 Dock Road", "city": "Felixstowe", "postcode": "IP11 3SY",
           "country": "GB"}
POD = {"signed_by": "recipient", "photo": "pod/T-000001.jpg", "captured_at_attempt": 1}
ETA = "2026-01-05T12:00:00+00:00"

# every shape each core publishes
PUBLISHED = [
    OrderReleased("C-00001", 99.0, "GBP", 2),
    OrderCancelled("customer_request"),
    OrderChanged(ADDRESS, 1),
    ShipmentStatus("X3", "NS", None),
    ShipmentStatus("X4", "NS", "DB Schenker", ETA),
    ChargesFinalized("ST-000001", [{"code": "LINEHAUL", "amount": 240.5}], 240.5, "GBP"),
    TaskUpdated("taskAssigned", 1, "driver-01"),
    TaskUpdated("taskEta", 2, "driver-01", eta=ETA),
    TaskUpdated("taskCompleted", 3, "driver-01",
                completion_details=CompletionDetails(True, 1, pod=POD)),
    TaskUpdated("taskCompleted", 3, "driver-01",
                completion_details=CompletionDetails(False, 2, failure_reason="REFUSED")),
]


@pytest.mark.parametrize("event", PUBLISHED, ids=lambda event: repr(event)[:60])
def test_each_event_round_trips_through_its_payload(event):
    assert EVENTS[event.TYPE] is type(event)
    assert type(event).parse(event.payload()) == event


def test_the_registry_covers_every_type_the_openapi_document_lists():
    listed = {t: source for source, types in openapi.EVENT_TYPES.items() for t in types}
    assert listed == SOURCES
    assert {type(event) for event in PUBLISHED} == set(EVENTS.values())
    schemas = openapi.sut_spec()["components"]["schemas"]
    for cls in EVENTS.values():
        assert {cls.SCHEMA, cls.SCHEMA_V2} <= set(schemas), cls.TYPE


@pytest.mark.parametrize("cls, payload, message", [
    (OrderCancelled, {}, "payload: a order.cancelled event's payload needs 'reason'"),
    (OrderChanged, {"change": 1}, "payload: a order.changed event's payload needs 'ship_to'"),
    (ShipmentStatus, {"carrier": None}, "needs 'status_code'"),
    (ChargesFinalized, {"total": 1.0}, "needs 'lines'"),
    (TaskUpdated, {"state": 1}, "needs 'trigger'"),
    (TaskUpdated, {"trigger": "taskTeleported"},
     "payload.trigger: 'taskTeleported' is not one of taskAssigned"),
    (ShipmentStatus, {"status_code": "X4", "eta": "soon"}, "payload.eta: 'soon' is not an ISO"),
    (OrderReleased, {"value": True}, "payload.value: True is not a number"),
    (TaskUpdated, {"trigger": "taskCompleted", "completion_details": {"success": "yes"}},
     "payload.completion_details.success: 'yes' is not true or false"),
])
def test_parse_refuses_a_missing_or_bad_field_naming_it(cls, payload, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        cls.parse(payload)


def test_parse_takes_what_a_replay_needs_and_no_more():
    """docs/replaying.md: a recorded log's payload needs only what the replay plays."""
    assert OrderReleased.parse({}) == OrderReleased(None, None, None, None)
    assert ShipmentStatus.parse({"status_code": "XB"}) == ShipmentStatus("XB", "NS", None)
    assert TaskUpdated.parse({"trigger": "taskStarted"}) == TaskUpdated("taskStarted", None, None)


def test_some_fields_keeps_the_payload_order_and_refuses_other_names():
    assert list(some_fields(ShipmentStatus, eta=ETA, status_code="X4")) == ["status_code", "eta"]
    with pytest.raises(TypeError, match="no field code"):
        some_fields(ShipmentStatus, code="X4")
