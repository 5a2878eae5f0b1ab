"""Each connector against the simulators, in process: the calls the business logic makes, in
each dialect, and after a lost answer the lookup before the write is sent again (Onfleet and
SAP dedupe nothing by Idempotency-Key), so a lost answer never makes a second task, freight
posting or billing document. Each lookup test runs the faulty twin too (its retries drop the
key, and so the lookup): there the same loss does make a second one, so the test can fail."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import NamedTuple

import pytest

from seatrial.scenario import Scenario
from seatrial.sdk import payloads
from seatrial.sdk.payloads import onfleet, sap_s4
from seatrial.simulators.erp.core import Customer, Order
from seatrial.sync_implementations.connectors import Parked
from seatrial.sync_implementations.faulty import RetryWithoutKey
from seatrial.sync_implementations.reference import ReferenceSync
from seatrial.world import World
from seatrial.world.drives import Idle

ADDRESS = {"street": "12 Quai des Chartrons", "city": "Bordeaux", "postcode": "33000",
           "country": "FR"}
LINES = [{"line": 1, "sku": "SKU-1", "quantity": 4, "unit_price": 36.31},
         {"line": 2, "sku": "SKU-2", "quantity": 3, "unit_price": 230.94}]
#: every answer lost from 5 s to 15 s: the scripts write at 6 s, after their set-up (webhooks
#: registered, a session fetched); the lookup comes a timeout later, when answers arrive again
LOST_AT_6S = {"kind": "lost_response", "probability": 1.0, "at": "5s", "for": "10s"}


class Driver:
    """Runs `script(links, io)` as the implementation's boot task (after its own), keeping
    what it returns in `done`."""

    def __init__(self, base: type[ReferenceSync], script) -> None:
        self.base, self.script, self.done = base, script, []

    def __call__(self) -> ReferenceSync:
        driver = self

        class Driven(driver.base):
            def start(self, io):
                booting = super().start(io)

                def run():
                    if booting is not None:
                        yield from booting
                    driver.done.append((yield from driver.script(self.links(io), io)))
                return run()
        return Driven()


def with_order(made: World) -> World:
    """The world with one order in its ERP, set up as a provider state is: no event about it
    (the driver alone calls)."""
    made.erp.add_customer(Customer("C-00001", "Ada Lovelace", "ada@example.net", ADDRESS))
    made.erp.orders["SO-000001"] = Order("SO-000001", "C-00001", LINES, 838.06, "GBP",
                                         dict(ADDRESS), "corr-SO-000001", 0.0)
    return made


class Ran(NamedTuple):
    world: World
    done: list  # what the script returned


def world(script, dialects: dict[str, str], faults=(), base=ReferenceSync) -> Ran:
    driver = Driver(base, script)
    made = with_order(World(Scenario(name="t", duration=86400.0, dialects=dialects,
                                     faults=faults), driver, drive=Idle()))
    made.run(600)
    return Ran(made, driver.done)


def requests(made: World, operation: str) -> list:
    return [e for e in made.ledger.entries
            if e.kind == "request" and e.data.get("operation") == operation]


# --- canonical ----------------------------------------------------------------------------------

def test_canonical_connectors_make_the_calls_the_reference_made():
    def script(link, io):
        order = yield from link.erp.read_order("SO-000001", "corr-SO-000001")
        shipment = yield from link.tms.create_shipment("SO-000001", order, "shipment-SO-000001",
                                                       "corr-SO-000001")
        task = yield from link.lastmile.create_task("SO-000001", shipment, order.ship_to,
                                                    f"task-{shipment}", "corr-SO-000001")
        return order, shipment, task

    made, done = world(script, {})
    (order, shipment, task), = done
    assert order.ship_to == ADDRESS and order.lines == LINES and not order.cancelled
    assert made.tms.shipments[shipment].order_id == "SO-000001"
    assert made.lastmile.tasks[task].shipment_id == shipment
    paths = [e.data["path"] for e in made.ledger.entries if e.kind == "request"]
    assert paths == ["/orders/SO-000001", "/shipments", "/tasks"]


# --- onfleet ------------------------------------------------------------------------------------

def create_task(link, io):
    yield io.sleep(6)
    return (yield from link.lastmile.create_task("SO-000001", "SH-000001", ADDRESS,
                                                 "task-SH-000001", "corr-SO-000001"))


def test_onfleet_registers_one_webhook_per_trigger_and_creates_a_task():
    made, done = world(create_task, {"lastmile": "onfleet"})
    hooks = made.lastmile.list_webhooks()
    assert sorted(h.trigger for h in hooks) == sorted(
        ("taskStarted", "taskEta", "taskArrival", "taskCompleted", "taskFailed", "taskUpdated",
         "taskDeleted"))
    (task_id,), (task,) = done, made.lastmile.tasks.values()
    assert len(task_id) == 24 and task.destination == ADDRESS  # Onfleet's id, the core's address
    assert (task.order_id, task.shipment_id) == ("SO-000001", "SH-000001")


def test_onfleet_lost_answer_is_looked_up_not_sent_again():
    made, done = world(create_task, {"lastmile": "onfleet"},
                 [{**LOST_AT_6S, "system": "lastmile"}])
    assert len(made.lastmile.tasks) == 1
    assert len(requests(made, "lastmile.create_task")) == 1
    lookups = [e for e in made.ledger.entries if e.kind == "request"
               and e.data["path"] == "/api/v2/tasks/metadata"]
    assert lookups and done[0] is not None


def test_onfleet_without_the_lookup_a_lost_answer_makes_a_second_task():
    made, _ = world(create_task, {"lastmile": "onfleet"},
              [{**LOST_AT_6S, "system": "lastmile"}], base=RetryWithoutKey)
    assert len(made.lastmile.tasks) == 2


def test_onfleet_disabled_webhook_is_registered_anew():
    def script(link, io):
        hook = next(h for h in made_hooks(io) if h.trigger == "taskCompleted")
        hook.enabled = False
        yield from link.lastmile.keep_webhooks()
        return None

    holder: dict = {}

    def made_hooks(io):
        return holder["world"].lastmile.list_webhooks()

    driver = Driver(ReferenceSync, script)
    made = World(Scenario(name="t", dialects={"lastmile": "onfleet"}), driver, drive=Idle())
    holder["world"] = made
    made.run(600)
    completed = [h for h in made.lastmile.list_webhooks() if h.trigger == "taskCompleted"]
    assert [h.enabled for h in completed] == [True]  # the disabled one deleted, a new one made
    assert len(made.lastmile.list_webhooks()) == 7


# --- sap-s4 -------------------------------------------------------------------------------------

def test_sap_reads_the_order_and_writes_status_with_csrf_and_etag():
    def script(link, io):
        order = yield from link.erp.read_order("SO-000001", "corr-SO-000001")
        yield from link.erp.write_status("SO-000001", {"status": "PLN", "classifier": "ACT",
                                                       "shipment_id": "SH-000001"},
                                         "status-SO-000001-PLN", "corr-SO-000001")
        gateway.expire_sessions()  # CSRF token gone: refetched
        gateway.changed("SO-000001")  # a concurrent change: the ETag read is stale (412)
        yield from link.erp.write_status("SO-000001", {"status": "PCK"}, "status-PCK",
                                         "corr-SO-000001")
        return order

    holder: dict = {}
    driver = Driver(ReferenceSync, script)
    made = World(Scenario(name="t", dialects={"erp": "sap-s4"}), driver, drive=Idle())
    gateway = made.transport.routers["erp"].core
    with_order(made).run(600)
    holder["order"], = driver.done
    assert holder["order"].ship_to == ADDRESS and holder["order"].lines == LINES
    assert [w.status for w in made.erp.status_writes] == ["PLN", "PCK"]
    statuses = [e.data["status"] for e in made.ledger.entries if e.kind == "response"]
    assert 403 in statuses and 412 in statuses  # both refused once, then written


def bill(link, io):
    yield from link.erp.read_order("SO-000001", "corr-SO-000001")  # the session, the ETag
    yield io.sleep(6)
    yield from link.erp.release_invoice("SO-000001", {"task_id": "T"}, "invoice-SO-000001",
                                        "corr-SO-000001")
    return True


def post_charges(link, io):
    yield from link.erp.read_order("SO-000001", "corr-SO-000001")
    yield io.sleep(6)
    yield from link.erp.post_charges("SO-000001", {
        "statement_id": "ST-000001", "shipment_id": "SH-000001",
        "lines": [{"code": "LINEHAUL", "amount": 120.5}], "total": 120.5},
        "charges-ST-000001", "corr-SO-000001")
    return True


def write_status(link, io):
    yield from link.erp.read_order("SO-000001", "corr-SO-000001")
    yield io.sleep(6)
    yield from link.erp.write_status("SO-000001", {"status": "PLN", "classifier": "ACT"},
                                     "status-SO-000001-PLN", "corr-SO-000001")
    return True


@pytest.mark.parametrize(("script", "records"), [(bill, "invoices"),
                                                 (post_charges, "charge_postings"),
                                                 (write_status, "status_writes")])
def test_sap_lost_answer_is_looked_up_not_sent_again(script, records):
    faults = [{**LOST_AT_6S, "system": "erp"}]
    made, done = world(script, {"erp": "sap-s4"}, faults)
    assert done == [True]
    assert len(getattr(made.erp, records)) == 1
    twin, _ = world(script, {"erp": "sap-s4"}, faults, base=RetryWithoutKey)
    assert len(getattr(twin.erp, records)) == 2


def test_sap_order_not_readable_for_an_hour_is_parked():
    def script(link, io):
        try:
            yield from link.erp.read_order("SO-000404", None)
        except Parked as parked:
            return str(parked)
        return None

    _, done = world(script, {"erp": "sap-s4"})
    assert "SO-000404 not readable" in done[0]


# --- payloads -----------------------------------------------------------------------------------

DELIVERY = {"taskId": "aCbtgPsM~w7lAf61t4YqQODO", "triggerId": 3, "triggerName": "taskCompleted",
            "time": 1767600000000, "workerId": "w1", "data": {"task": {
                "id": "aCbtgPsM~w7lAf61t4YqQODO", "state": 3, "worker": "w1",
                "completionDetails": {"success": True, "failureReason": "NONE", "notes": "",
                                      "photoUploadIds": ["p1"], "signatureUploadId": "s1"},
                "metadata": [{"name": "order_id", "type": "string", "value": "SO-000001"},
                             {"name": "shipment_id", "type": "string", "value": "SH-000001"}]}}}


def test_onfleet_payload_reads_a_delivery_and_its_signature():
    body = json.dumps(DELIVERY).encode()
    event = payloads.event("lastmile", "onfleet", body)
    assert (event.type, event.order_id, event.shipment_id, event.task_id) == (
        "task.updated", "SO-000001", "SH-000001", DELIVERY["taskId"])
    details = event.payload["completion_details"]
    assert details["success"] and details["pod"]["photo"] == "p1"
    secret = "0f" * 32
    good = hmac.new(bytes.fromhex(secret), body, hashlib.sha512).hexdigest()
    assert onfleet.signed(body, good, secret)
    assert not onfleet.signed(body + b" ", good, secret)
    assert not onfleet.signed(body, None, secret)
    failed = {**DELIVERY, "triggerName": "taskFailed"}
    assert payloads.event("lastmile", "onfleet", json.dumps(failed).encode()).payload[
        "trigger"] == "taskCompleted"


@pytest.mark.parametrize("body", [b"not json", b"[]", json.dumps({"taskId": "x"}).encode(),
                                  json.dumps({**DELIVERY, "triggerName": None}).encode()])
def test_onfleet_payload_refuses_a_malformed_delivery(body):
    with pytest.raises(ValueError):
        onfleet.event(body)
    unreadable = payloads.readable(onfleet.event, "lastmile", body)
    assert unreadable.type == "lastmile.unreadable" and unreadable.order_id is None


def test_sap_payload_reads_a_thin_event():
    body = json.dumps({"specversion": "1.0", "id": "evt-1", "time": "2026-01-05T06:00:00Z",
                       "type": "sap.s4.beh.salesorder.v1.SalesOrder.Changed.v1",
                       "correlationid": "corr-SO-000001",
                       "data": {"SalesOrder": "SO-000001"}}).encode()
    event = sap_s4.event(body)
    assert (event.event_id, event.type, event.order_id, event.correlation_id, event.payload) == (
        "evt-1", "order.changed", "SO-000001", "corr-SO-000001", {})
    assert sap_s4.event_type(f"{sap_s4.PREFIX}Created.v1") == "order.released"
    with pytest.raises(ValueError, match="SalesOrder"):
        sap_s4.event(body.replace(b"SO-000001", b""))
