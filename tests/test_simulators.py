"""The simulators' domain cores and routers, driven directly with a hand-held clock."""

from __future__ import annotations

import pytest
from rigs import Rig

from seatrial.model.envelope import to_datetime
from seatrial.scenario import Scenario
from seatrial.simulators.api import PROBLEM_BASE
from seatrial.simulators.erp.core import Customer, ErpCore, Order
from seatrial.simulators.lastmile.core import ASSIGNED, COMPLETED, LastMileCore
from seatrial.simulators.tms.core import TmsCore
from seatrial.targets import resolve
from seatrial.world import World

SHIP_TO = {"name": "Ada Lovelace", "street": "1 Dock Rd", "city": "Hamburg", "country": "DE"}


@pytest.fixture
def tms() -> Rig:
    return Rig(TmsCore, "tms")


@pytest.fixture
def lastmile() -> Rig:
    return Rig(LastMileCore, "lastmile")


@pytest.fixture
def erp() -> Rig:
    rig = Rig(ErpCore, "erp")
    rig.core.add_customer(Customer("C-1", "Ada", "ada@example.com", SHIP_TO))
    rig.core.release_order(Order("O-1", "C-1", [{"sku": "A", "qty": 2}], 100.0, "EUR", SHIP_TO,
                                 "corr-O-1", 0.0))
    return rig


def assert_problem(reply, status: int, slug: str) -> None:
    assert reply.status == status
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.body["type"] == PROBLEM_BASE + slug
    assert reply.body["status"] == status
    assert reply.body["title"]
    assert reply.body["detail"]


# --- Router ----------------------------------------------------------------------------------


def test_unknown_path_is_404_problem(tms):
    reply = tms.call("GET", "/trucks/7")
    assert_problem(reply, 404, "no-such-endpoint")
    assert "/trucks/7" in reply.body["detail"]


def test_wrong_method_on_known_path_is_405(tms, erp):
    assert_problem(tms.call("DELETE", "/shipments"), 405, "method-not-allowed")
    assert_problem(erp.call("POST", "/orders/O-1"), 405, "method-not-allowed")
    assert_problem(tms.call("GET", "/shipments/SH-1/cancel"), 405, "method-not-allowed")


def test_unknown_record_is_404_not_found(tms):
    assert_problem(tms.call("GET", "/shipments/SH-999999"), 404, "not-found")


@pytest.mark.parametrize(("body", "field"), [
    ({"ship_to": SHIP_TO}, "order_id"),
    ({"order_id": 17, "ship_to": SHIP_TO}, "order_id"),
    ({"order_id": "O-1"}, "ship_to"),
    ({"order_id": "O-1", "ship_to": "Hamburg"}, "ship_to"),
    ({"order_id": True, "ship_to": SHIP_TO}, "order_id"),
    (["O-1"], "body"),
])
def test_missing_or_mistyped_field_is_422_naming_it(tms, body, field):
    reply = tms.call("POST", "/shipments", body)
    assert_problem(reply, 422, "invalid-field")
    assert reply.body["field"] == field
    assert field in reply.body["title"]
    assert tms.core.shipments == {}


# --- Stripe idempotency ------------------------------------------------------------------------


def test_same_key_same_body_replays_first_reply(tms):
    body = {"order_id": "O-1", "ship_to": SHIP_TO}
    first = tms.call("POST", "/shipments", body, key="ship-O-1")
    tms.at(50.0)
    again = tms.call("POST", "/shipments", dict(body), key="ship-O-1")
    assert first.status == again.status == 201
    assert again.body["id"] == first.body["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in first.headers
    assert list(tms.core.shipments) == [first.body["id"]]
    assert tms.core.by_order == {"O-1": [first.body["id"]]}


def test_same_key_other_body_is_422_key_reused(tms):
    tms.call("POST", "/shipments", {"order_id": "O-1", "ship_to": SHIP_TO}, key="k")
    reply = tms.call("POST", "/shipments", {"order_id": "O-2", "ship_to": SHIP_TO}, key="k")
    assert_problem(reply, 422, "idempotency-key-reused")
    assert reply.body["field"] == "Idempotency-Key"
    assert len(tms.core.shipments) == 1
    assert "O-2" not in tms.core.by_order


def test_no_key_creates_twice(tms):
    body = {"order_id": "O-1", "ship_to": SHIP_TO}
    one, two = tms.call("POST", "/shipments", body), tms.call("POST", "/shipments", body)
    assert one.status == two.status == 201
    assert one.body["id"] != two.body["id"]
    assert len(tms.core.by_order["O-1"]) == 2


def test_idempotent_task_create_on_lastmile(lastmile):
    body = {"shipment_id": "SH-1", "order_id": "O-1", "destination": SHIP_TO}
    first = lastmile.call("POST", "/tasks", body, key="task-SH-1")
    again = lastmile.call("POST", "/tasks", body, key="task-SH-1")
    assert again.body["id"] == first.body["id"]
    assert len(lastmile.core.tasks) == 1


# --- TMS -----------------------------------------------------------------------------------------


def new_shipment(tms: Rig, order_id: str = "O-1"):
    reply = tms.call("POST", "/shipments", {"order_id": order_id, "ship_to": SHIP_TO})
    assert reply.status == 201
    return tms.core.shipments[reply.body["id"]]


def test_create_records_correlation_and_key(tms):
    reply = tms.call("POST", "/shipments", {"order_id": "O-1", "ship_to": SHIP_TO}, key="k1")
    shipment = tms.core.shipments[reply.body["id"]]
    assert (shipment.correlation_id, shipment.idempotency_key) == ("corr-1", "k1")
    assert reply.body["state"] == "created"


def test_cancel_before_departure(tms):
    shipment = new_shipment(tms)
    tms.core.tender(shipment, "DSV Road", "accepted")
    tms.core.milestone(shipment, "X3")
    tms.at(900.0)
    reply = tms.call("POST", f"/shipments/{shipment.id}/cancel", {"reason": "order cancelled"})
    assert reply.status == 200
    assert reply.body["state"] == "cancelled"
    assert shipment.cancelled_at == 900.0
    last = tms.events[-1]
    assert (last.type, last.payload["status_code"]) == ("shipment.status", "CA")
    assert (last.shipment_id, last.order_id, last.event_time) == (shipment.id, "O-1",
                                                                  to_datetime(900.0))
    # cancelling again is a no-op success, with no second CA event
    count = len(tms.events)
    assert tms.call("POST", f"/shipments/{shipment.id}/cancel", {}).status == 200
    assert len(tms.events) == count


def test_cancel_after_departed_loaded_is_409(tms):
    shipment = new_shipment(tms)
    tms.core.tender(shipment, "DSV Road", "accepted")
    tms.core.milestone(shipment, "X3")
    tms.core.milestone(shipment, "AF")
    reply = tms.call("POST", f"/shipments/{shipment.id}/cancel", {})
    assert_problem(reply, 409, "conflict")
    assert shipment.state == "in_transit"
    assert shipment.cancelled_at is None
    assert all(e.payload.get("status_code") != "CA" for e in tms.events)


def test_find_by_order_id(tms):
    a1, b1, a2 = new_shipment(tms, "O-A"), new_shipment(tms, "O-B"), new_shipment(tms, "O-A")
    found = tms.call("GET", "/shipments", query={"order_id": "O-A"})
    assert found.status == 200
    assert [s["id"] for s in found.body["shipments"]] == [a1.id, a2.id]
    none = tms.call("GET", "/shipments", query={"order_id": "O-ZZZ"})
    assert none.body == {"shipments": []}
    everything = tms.call("GET", "/shipments")
    assert {s["id"] for s in everything.body["shipments"]} == {a1.id, b1.id, a2.id}


def test_milestones_update_state_and_emit_events(tms):
    shipment = new_shipment(tms)
    core = tms.core
    core.tender(shipment, "DB Schenker", "declined")
    assert (shipment.state, shipment.carrier, tms.events) == ("created", None, [])
    tms.at(60.0)
    core.tender(shipment, "DSV Road", "accepted")
    assert (shipment.state, shipment.carrier) == ("planned", "DSV Road")
    assert [t.outcome for t in shipment.tenders] == ["declined", "accepted"]
    core.milestone(shipment, "X3", classifier="EST", event_time=5000.0)
    assert shipment.state == "planned"  # an estimate moves nothing
    steps = [("X3", "at_pickup"), ("AF", "in_transit"), ("X6", "in_transit"), ("X4", "at_hub")]
    for n, (code, state) in enumerate(steps, start=1):
        tms.at(60.0 + n * 100)
        core.milestone(shipment, code)
        assert shipment.state == state
        assert tms.call("GET", f"/shipments/{shipment.id}").body["state"] == state
    assert [m.code for m in core.milestones] == ["XB", "X3", "X3", "AF", "X6", "X4"]
    codes = [(e.payload["status_code"], e.classifier) for e in tms.events]
    assert codes == [("XB", "ACT"), ("X3", "EST"), ("X3", "ACT"), ("AF", "ACT"), ("X6", "ACT"),
                     ("X4", "ACT")]
    assert tms.events[1].event_time == to_datetime(5000.0)
    assert [e.source_seq for e in tms.events] == list(range(1, 7))
    assert len({e.event_id for e in tms.events}) == 6


def test_finalize_charges_totals_lines(tms):
    shipment = new_shipment(tms)
    lines = [{"code": "LINEHAUL", "amount": 200.10}, {"code": "FUEL", "amount": 24.01}]
    statement = tms.core.finalize_charges(shipment, lines)
    assert statement.total == 224.11
    assert shipment.state == "completed"
    event = tms.events[-1]
    assert event.type == "shipment.charges_finalized"
    assert event.payload["total"] == 224.11
    assert event.payload["statement_id"] == statement.id


# --- Last-mile -------------------------------------------------------------------------------


def new_task(lastmile: Rig):
    reply = lastmile.call("POST", "/tasks", {"shipment_id": "SH-1", "order_id": "O-1",
                                             "destination": SHIP_TO})
    assert reply.status == 201
    return lastmile.core.tasks[reply.body["id"]]


def test_task_create_requires_fields(lastmile):
    reply = lastmile.call("POST", "/tasks", {"shipment_id": "SH-1", "order_id": "O-1"})
    assert_problem(reply, 422, "invalid-field")
    assert reply.body["field"] == "destination"


def test_failed_attempt_then_delivery_with_pod(lastmile):
    core, task = lastmile.core, new_task(lastmile)
    core.assign(task, "driver-01")
    lastmile.at(1000.0)
    core.start(task, eta=4000.0)
    lastmile.at(3900.0)
    core.arrive(task)
    lastmile.at(4200.0)
    core.complete(task, False, reason="RECIPIENT_NOT_HOME")
    attempt = task.attempts[0]
    assert (attempt.started_at, attempt.completed_at) == (1000.0, 4200.0)
    assert (attempt.success, attempt.failure_reason) == (False, "RECIPIENT_NOT_HOME")
    assert task.state == ASSIGNED
    assert task.active and task.pod is None and task.delivered_at is None

    lastmile.at(90000.0)
    core.start(task, eta=91000.0)
    lastmile.at(91500.0)
    pod = {"signed_by": "Ada", "photo": f"pod/{task.id}.jpg"}
    core.complete(task, True, pod=pod)
    assert task.state == COMPLETED
    assert (task.pod, task.delivered_at) == (pod, 91500.0)
    assert task.attempts[1].success is True and not task.active
    assert lastmile.call("GET", f"/tasks/{task.id}").body["attempts"] == 2

    triggers = [e.payload["trigger"] for e in lastmile.events]
    assert triggers == ["taskAssigned", "taskStarted", "taskEta", "taskArrival", "taskCompleted",
                        "taskStarted", "taskEta", "taskCompleted"]
    assert all(e.type == "task.updated" and e.task_id == task.id for e in lastmile.events)
    eta = lastmile.events[2]
    assert eta.classifier == "EST" and eta.event_time == to_datetime(4000.0)
    failed, done = lastmile.events[4].payload, lastmile.events[-1].payload
    assert failed["completion_details"] == {"success": False, "attempt": 1,
                                            "failure_reason": "RECIPIENT_NOT_HOME"}
    assert done["completion_details"] == {"success": True, "attempt": 2, "pod": pod}


def test_cancel_after_delivery_with_pod_is_409(lastmile):
    core, task = lastmile.core, new_task(lastmile)
    core.assign(task, "driver-02")
    core.start(task, eta=100.0)
    core.complete(task, True, pod={"photo": "p.jpg"})
    count = len(lastmile.events)
    reply = lastmile.call("POST", f"/tasks/{task.id}/cancel", {"reason": "order cancelled"})
    assert_problem(reply, 409, "conflict")
    assert task.cancelled_at is None and len(lastmile.events) == count


def test_cancel_active_task(lastmile):
    core, task = lastmile.core, new_task(lastmile)
    core.assign(task, "driver-03")
    lastmile.at(77.0)
    reply = lastmile.call("POST", f"/tasks/{task.id}/cancel", {})
    assert reply.status == 200 and reply.body["cancelled"] is True
    assert task.cancelled_at == 77.0 and not task.active
    assert lastmile.events[-1].payload["trigger"] == "taskCancelled"


# --- ERP -----------------------------------------------------------------------------------------


def test_release_order_emits_event_and_serves_reads(erp):
    (event,) = erp.events
    assert (event.type, event.order_id, event.correlation_id) == ("order.released", "O-1",
                                                                  "corr-O-1")
    assert event.payload["value"] == 100.0
    order = erp.call("GET", "/orders/O-1")
    assert order.status == 200
    assert (order.body["status"], order.body["ship_to"]) == ("REL", SHIP_TO)
    assert erp.call("GET", "/customers/C-1").body["email"] == "ada@example.com"
    assert_problem(erp.call("GET", "/orders/O-404"), 404, "not-found")


@pytest.mark.parametrize("status", ["X4", "shipped", "taskStarted", "pln"])
def test_logistics_status_rejects_unknown_codes(erp, status):
    reply = erp.call("POST", "/orders/O-1/logistics-status", {"status": status})
    assert_problem(reply, 422, "invalid-field")
    assert reply.body["field"] == "status"
    assert erp.core.status_writes == []
    assert erp.core.orders["O-1"].status == "REL"


def test_logistics_status_records_writes(erp):
    erp.at(10.0)
    reply = erp.call("POST", "/orders/O-1/logistics-status",
                     {"status": "PLN", "shipment_id": "SH-1"})
    assert reply.status == 200 and reply.body["logistics_status"] == "PLN"
    assert reply.body["shipment_id"] == "SH-1"
    bad = erp.call("POST", "/orders/O-1/logistics-status", {"status": "ITR", "classifier": "X"})
    assert bad.status == 422 and bad.body["field"] == "classifier"
    (write,) = erp.core.status_writes
    assert (write.time, write.status, write.previous, write.classifier) == (10.0, "PLN", "REL",
                                                                            "ACT")
    assert write.correlation_id == "corr-1"


def test_freight_charges_total_must_equal_sum_of_lines(erp):
    lines = [{"code": "LINEHAUL", "amount": 100.0}, {"code": "FUEL", "amount": 12.0}]
    reply = erp.call("POST", "/orders/O-1/freight-charges",
                     {"statement_id": "ST-1", "lines": lines, "total": 120.0})
    assert_problem(reply, 422, "invalid-field")
    assert reply.body["field"] == "total"
    bad_line = erp.call("POST", "/orders/O-1/freight-charges",
                        {"statement_id": "ST-1", "lines": [{"amount": "12"}], "total": 12})
    assert bad_line.body["field"] == "lines[0].amount"
    assert erp.core.charge_postings == []
    ok = erp.call("POST", "/orders/O-1/freight-charges",
                  {"statement_id": "ST-1", "lines": lines, "total": 112.0})
    assert ok.status == 201
    assert erp.core.freight_by_order == {"O-1": 112.0}


def test_invoice_amount_is_order_value_plus_posted_freight(erp):
    lines = [{"code": "LINEHAUL", "amount": 40.5}, {"code": "DETENTION", "amount": 9.25}]
    erp.call("POST", "/orders/O-1/freight-charges",
             {"statement_id": "ST-1", "lines": lines, "total": 49.75})
    erp.at(500.0)
    reply = erp.call("POST", "/orders/O-1/invoice", {"pod_reference": "pod/T-1.jpg"})
    assert reply.status == 201
    assert reply.body["amount"] == 149.75
    (invoice,) = erp.core.invoices
    assert (invoice.amount, invoice.freight, invoice.time) == (149.75, 49.75, 500.0)
    assert erp.call("POST", "/orders/O-1/invoice", "pod").body["field"] == "body"


@pytest.mark.parametrize(("status", "allowed"), [("REL", True), ("PLN", True), ("HUB", True),
                                                  ("OFD", False), ("DLV", False)])
def test_cancel_order_refused_from_out_for_delivery(erp, status, allowed):
    if status != "REL":
        assert erp.call("POST", "/orders/O-1/logistics-status", {"status": status}).status == 200
    erp.at(42.0)
    assert erp.core.cancel_order("O-1", "customer_request") is allowed
    cancelled = [e for e in erp.events if e.type == "order.cancelled"]
    assert len(cancelled) == int(allowed)
    order = erp.call("GET", "/orders/O-1").body
    assert (order["status"] == "CNL") is allowed
    if allowed:
        assert erp.core.orders["O-1"].cancelled_at == 42.0
        assert cancelled[0].payload == {"reason": "customer_request"}
        assert erp.core.cancel_order("O-1", "again") is False  # only once


def test_cancel_order_refused_once_invoiced(erp):
    assert erp.call("POST", "/orders/O-1/invoice", {}).status == 201
    assert erp.core.cancel_order("O-1", "customer_request") is False
    assert erp.core.orders["O-1"].cancelled_at is None


# --- the whole world, once -------------------------------------------------------------------


def test_world_with_reference_plays_out_order_to_cash():
    scenario = Scenario(name="t", duration=1800, workload={"orders_per_hour": 20})
    world = World(scenario, resolve("reference").factory)
    end = world.run()
    assert end > scenario.duration
    orders = world.erp.orders
    assert orders
    assert sorted(s.order_id for s in world.tms.shipments.values()) == sorted(orders)
    assert len(world.lastmile.tasks) == len(world.tms.shipments)
    assert all(t.pod and t.delivered_at for t in world.lastmile.tasks.values())
    assert sorted(i.order_id for i in world.erp.invoices) == sorted(orders)
    assert len(world.tms.statements) == len(world.erp.charge_postings) == len(orders)
    assert all(o.status == "DLV" for o in orders.values())
    kinds = {e.kind for e in world.ledger.entries}
    assert {"emit", "deliver", "ack", "request", "response"} <= kinds
    assert "nack" not in kinds and "crash" not in kinds
