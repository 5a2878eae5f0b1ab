"""The OpenAPI documents: current on disk, complete against the routers, valid OpenAPI 3.1, and
true to what the real routers answer and the real sources publish."""

from __future__ import annotations

import copy
import json
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from schemathesis.specs.openapi.definitions import OPENAPI_31

from seatrial import contract_files
from seatrial.faults.kinds.clock_skew import skewed
from seatrial.faults.kinds.forged import forged
from seatrial.faults.kinds.poison import poison
from seatrial.faults.kinds.retraction import retraction
from seatrial.faults.kinds.schema_drift import to_v2, unknown_code
from seatrial.live import settings as live_settings
from seatrial.model.envelope import Event
from seatrial.simulators import openapi
from seatrial.simulators.api import Reply, Router
from seatrial.simulators.canonical import LIVE_ONLY_PATHS
from seatrial.simulators.dialect import dialect
from seatrial.simulators.erp.core import ErpCore
from seatrial.simulators.erp.orders import OrderFactory
from seatrial.simulators.events import EventSource
from seatrial.simulators.lastmile.core import LastMileCore
from seatrial.simulators.tms.core import STATE_AFTER, TmsCore
from seatrial.simulators.tms.dialects.canonical import SHIPMENT_STATES

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = contract_files.openapi()
DOCS = openapi.documents()
REGENERATE = "run `python -m seatrial.simulators.openapi` to regenerate contracts/openapi/"


# --- helpers ----------------------------------------------------------------------------------


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s (JSON pointers into the document) until a plain object."""
    while "$ref" in node and len(node) == 1:
        pointer = node["$ref"]
        assert pointer.startswith("#/"), pointer
        target: Any = doc
        for part in pointer[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def schema_validator(doc: dict[str, Any], schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A JSON Schema 2020-12 validator for a schema of `doc`; its $refs resolve in `doc`."""
    root = {"$schema": openapi.DIALECT, "components": doc["components"], **schema}
    return jsonschema_rs.validator_for(root, validate_formats=True)


def walk(node: Any, path: str = "#"):
    """Every (pointer, dict) in a JSON document."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


def openapi_31_validator() -> jsonschema_rs.Validator:
    """The official OpenAPI 3.1 schema (2022-10-07, as schemathesis bundles it), with formats
    checked; tokenUrl relaxed to uri-reference as the specification text allows relative URLs
    (OAI/OpenAPI-Specification#4327)."""
    meta = copy.deepcopy(OPENAPI_31)
    for flow in meta["$defs"]["oauth-flows"]["$defs"].values():
        for name in ("tokenUrl", "refreshUrl", "authorizationUrl"):
            if name in flow.get("properties", {}):
                flow["properties"][name]["format"] = "uri-reference"
    return jsonschema_rs.Draft202012Validator(meta, validate_formats=True)


# --- on disk ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DOCS))
def test_committed_document_is_current(name):
    path = CONTRACTS / name
    assert path.exists(), f"contracts/openapi/{name} is missing: {REGENERATE}"
    assert path.read_text(encoding="utf-8") == openapi.render(DOCS[name]), (
        f"contracts/openapi/{name} differs from the code: {REGENERATE}")


def test_no_stray_documents():
    assert sorted(p.name for p in CONTRACTS.glob("*.json")) == sorted(DOCS), REGENERATE


def test_write_all_and_module_entry_point(tmp_path):
    written = openapi.write_all(tmp_path / "a")
    assert sorted(p.name for p in written) == sorted(DOCS)
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert text.endswith("}\n") and text == openapi.render(json.loads(text))
    run = subprocess.run([sys.executable, "-m", "seatrial.simulators.openapi", str(tmp_path / "b")],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert len(run.stdout.splitlines()) == len(DOCS)
    for path in written:
        assert (tmp_path / "b" / path.name).read_text() == path.read_text()


# --- complete against the routers -------------------------------------------------------------


@pytest.mark.parametrize("system", openapi.SYSTEMS)
def test_every_route_is_documented(system):
    doc = openapi.api_spec(system)
    for route in dialect(system).endpoints:
        assert route.template in doc["paths"], f"{system}: {route.template} missing"
        operation = doc["paths"][route.template].get(route.method.lower())
        assert operation is not None, f"{system}: {route.method} {route.template} missing"
        assert operation["operationId"] == route.operation_id
        params = [resolve(doc, p) for p in operation["parameters"]]
        in_path = {p["name"] for p in params if p["in"] == "path"}
        assert in_path == set(re.findall(r"{(\w+)}", route.template))
        headers = {p["name"] for p in params if p["in"] == "header"}
        assert "X-Correlation-ID" in headers
        assert ("Idempotency-Key" in headers) == route.idempotent
        responses = operation["responses"]
        assert {"401", "429", "503"} <= set(responses)
        assert ("404" in responses) == bool(in_path)
        if route.idempotent:
            assert "422" in responses
        assert operation["security"] if "security" in operation else doc["security"]


@pytest.mark.parametrize("system", openapi.SYSTEMS)
def test_no_operation_without_a_route(system):
    doc = openapi.api_spec(system)
    documented = {(method.upper(), path) for path, item in doc["paths"].items()
                  for method in item if path not in LIVE_ONLY_PATHS}
    assert documented == {(e.method, e.template) for e in dialect(system).endpoints}
    for path in LIVE_ONLY_PATHS:
        assert path in doc["paths"]


def test_status_vocabularies_track_the_code():
    assert set(STATE_AFTER.values()) <= set(SHIPMENT_STATES)
    assert {"created", "completed", "cancelled"} <= set(SHIPMENT_STATES)


def test_settings_match_the_live_protocol_doc():
    names = set(re.findall(r"`(SEATRIAL_[A-Z_]+)`", (ROOT / "docs" / "live-protocol.md")
                           .read_text(encoding="utf-8")))
    names -= {"SEATRIAL_STATE_DIR"}  # like PORT: only for a started command, never configured
    settings = DOCS["sut-webhooks.json"]["components"]["schemas"]["Settings"]
    assert set(settings["properties"]) == names
    assert set(settings["required"]) == names - set(openapi.OPTIONAL_SETTINGS)
    assert set(openapi.OPTIONAL_SETTINGS) == set(live_settings.OPTIONAL_SETTINGS) < names


# --- valid OpenAPI 3.1 ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DOCS))
def test_document_is_valid_openapi_31(name):
    doc = DOCS[name]
    assert doc["openapi"].startswith("3.1.")
    errors = [f"{e.instance_path}: {e.message}" for e in openapi_31_validator().iter_errors(doc)]
    assert not errors, errors

    for _, node in walk(doc):  # every $ref resolves
        if isinstance(node.get("$ref"), str):
            resolve(doc, {"$ref": node["$ref"]})
    for schema_name, schema in doc["components"]["schemas"].items():
        jsonschema_rs.meta.validate({"$schema": openapi.DIALECT, **schema})
        schema_validator(doc, {"$ref": f"#/components/schemas/{schema_name}"})
    for pointer, node in walk(doc):  # inline schemas of parameters, headers, media types
        if pointer.endswith("/schema") and "/components/schemas/" not in pointer:
            jsonschema_rs.meta.validate({"$schema": openapi.DIALECT, **node})

    operation_ids = [node["operationId"] for _, node in walk(doc) if "operationId" in node
                     and isinstance(node.get("responses"), dict)]
    assert len(operation_ids) == len(set(operation_ids))
    for path, item in doc["paths"].items():
        for operation in item.values():
            names = {resolve(doc, p)["name"] for p in operation.get("parameters", [])
                     if resolve(doc, p)["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", path)), path


@pytest.mark.parametrize("name", sorted(DOCS))
def test_schemathesis_loads_every_operation(name):
    doc = json.loads(openapi.render(DOCS[name]))
    loaded = schemathesis.openapi.from_dict(doc)
    operations = {(r.ok().method.upper(), r.ok().path) for r in loaded.get_all_operations()}
    assert operations == {(m.upper(), p) for p, item in doc["paths"].items() for m in item}


def test_sut_document_has_one_webhook_per_source():
    doc = DOCS["sut-webhooks.json"]
    assert set(doc["webhooks"]) == set(openapi.SYSTEMS)
    assert {"/health", "/seatrial/configure", "/webhooks/erp", "/webhooks/tms",
            "/webhooks/lastmile"} == set(doc["paths"])
    for source in openapi.SYSTEMS:
        delivery = doc["webhooks"][source]["post"]
        assert {"2XX", "401", "403", "default"} == set(delivery["responses"])
        headers = {resolve(doc, p)["name"] for p in delivery["parameters"]}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature",
                           "x-seatrial-sim-time"}


# --- true to the real routers -----------------------------------------------------------------


class Rig:
    """One system's real core and router, as the faces build them, and its document."""

    def __init__(self, system: str, core_cls) -> None:
        self.system = system
        self.t = [0.0]
        self.events: list[Event] = []
        clock = lambda: self.t[0]  # noqa: E731
        self.core = core_cls(clock, EventSource(system, clock, self.events.append))
        self.router: Router = dialect(system).router(self.core)
        self.doc = openapi.api_spec(system)
        self.seen: set[tuple[str, str, int]] = set()

    def call(self, method: str, path: str, body: Any = None, *, key: str | None = None,
             query: dict[str, str] | None = None, expect: int) -> dict[str, Any]:
        headers = {"x-correlation-id": "corr-SO-000001"}
        if key is not None:
            headers["idempotency-key"] = key
        reply = self.router.dispatch(method, path, query, body, headers)
        assert reply.status == expect, reply.body
        self.check(method, path, reply)
        return reply.body

    def check(self, method: str, path: str, reply: Reply) -> None:
        route, _ = self.router.match(method, path)
        operation = self.doc["paths"][route.template][method.lower()]
        status = str(reply.status)
        assert status in operation["responses"], (
            f"{method} {route.template} answered {status}, which its document does not list")
        response = resolve(self.doc, operation["responses"][status])
        content_type = reply.headers.get("content-type", openapi.JSON)
        assert content_type in response["content"], (method, route.template, status)
        schema = response["content"][content_type]["schema"]
        errors = [f"{e.instance_path}: {e.message}" for e in
                  schema_validator(self.doc, schema).iter_errors(json.loads(
                      json.dumps(reply.body)))]
        assert not errors, (method, path, status, errors)
        if "idempotent-replayed" in reply.headers:
            assert "idempotent-replayed" in response["headers"]
        self.seen.add((method, route.template, reply.status))


def test_erp_answers_match_the_document():
    rig = Rig("erp", ErpCore)
    factory = OrderFactory(7, (1, 4))
    order, customer, _ = factory.next_order(0.0)
    rig.core.add_customer(customer)
    rig.core.release_order(order)
    oid = order.id

    rig.call("GET", f"/orders/{oid}", expect=200)
    rig.call("GET", f"/customers/{customer.id}", expect=200)
    write = {"status": "PLN", "classifier": "ACT", "shipment_id": "SH-000001",
             "event_time": "2026-01-05T07:00:00+00:00"}
    rig.call("POST", f"/orders/{oid}/logistics-status", write, key="s1", expect=200)
    rig.call("POST", f"/orders/{oid}/logistics-status", write, key="s1", expect=200)  # replay
    rig.call("POST", f"/orders/{oid}/logistics-status", {"status": "ITR"}, key="s1", expect=422)
    rig.call("POST", f"/orders/{oid}/logistics-status",
             {"status": "PLN", "classifier": "EST", "eta": "2026-01-06T10:00:00+00:00"},
             key="s2", expect=200)
    rig.call("POST", f"/orders/{oid}/logistics-status", {"status": "X4"}, expect=422)
    rig.call("POST", f"/orders/{oid}/logistics-status", {"status": "PLN", "classifier": "X"},
             expect=422)
    charges = {"statement_id": "ST-000001", "shipment_id": "SH-000001", "total": 30.5,
               "lines": [{"code": "LINEHAUL", "amount": 25.0}, {"code": "FUEL", "amount": 5.5}]}
    rig.call("POST", f"/orders/{oid}/freight-charges", charges, key="c1", expect=201)
    rig.call("POST", f"/orders/{oid}/freight-charges", {**charges, "total": 1}, expect=422)
    rig.call("POST", f"/orders/{oid}/invoice", {"pod_reference": "pod/T-000001.jpg"},
             key="i1", expect=201)
    rig.call("POST", f"/orders/{oid}/invoice", [], expect=422)
    rig.call("GET", f"/orders/{oid}", expect=200)
    rig.core.cancel_order(oid, "customer_request")  # refused (invoiced): status stays
    rig.call("GET", "/orders/SO-999999", expect=404)
    rig.call("GET", "/customers/C-99999", expect=404)
    rig.call("POST", "/orders/SO-999999/invoice", {}, expect=404)

    second, customer2, _ = factory.next_order(60.0)
    rig.core.add_customer(customer2)
    rig.core.release_order(second)
    assert rig.core.cancel_order(second.id, "payment_failed")
    assert rig.call("GET", f"/orders/{second.id}", expect=200)["status"] == "CNL"
    assert {s for _, _, s in rig.seen} == {200, 201, 404, 422}


def test_tms_answers_match_the_document():
    rig = Rig("tms", TmsCore)
    ship_to = {"street": "1 Dock Rd", "city": "Leeds", "postcode": "LS1 1AA", "country": "GB"}
    create = {"order_id": "SO-000001", "ship_to": ship_to,
              "lines": [{"line": 1, "sku": "SKU-00001", "quantity": 2, "unit_price": 9.5}]}
    first = rig.call("POST", "/shipments", create, key="k1", expect=201)
    rig.call("POST", "/shipments", create, key="k1", expect=201)  # replay
    rig.call("POST", "/shipments", {**create, "order_id": "SO-2"}, key="k1", expect=422)
    rig.call("POST", "/shipments", {"order_id": "SO-000002"}, expect=422)
    rig.call("GET", "/shipments", query={"order_id": "SO-000001"}, expect=200)
    rig.call("GET", "/shipments", expect=200)
    rig.call("GET", f"/shipments/{first['id']}", expect=200)
    rig.call("GET", "/shipments/SH-999999", expect=404)
    rig.call("POST", "/shipments/SH-999999/cancel", {}, expect=404)
    rig.call("POST", f"/shipments/{first['id']}/cancel", {}, key="x1", expect=200)
    rig.call("POST", f"/shipments/{first['id']}/cancel", None, expect=200)  # already cancelled

    second = rig.call("POST", "/shipments", {**create, "order_id": "SO-000002"}, expect=201)
    shipment = rig.core.shipments[second["id"]]
    rig.core.tender(shipment, "Kuehne+Nagel Road", "accepted")
    rig.core.milestone(shipment, "AF")
    assert rig.call("GET", f"/shipments/{second['id']}", expect=200)["state"] == "in_transit"
    rig.call("POST", f"/shipments/{second['id']}/cancel", {}, key="x2", expect=409)
    rig.call("POST", f"/shipments/{second['id']}/cancel", {}, key="x2", expect=409)  # replay
    for code in ("X4", "A3"):
        rig.core.milestone(shipment, code)
        rig.call("GET", f"/shipments/{second['id']}", expect=200)
    rig.core.finalize_charges(shipment, [{"code": "LINEHAUL", "amount": 10.0}])
    rig.call("GET", "/shipments", expect=200)
    assert {s for _, _, s in rig.seen} == {200, 201, 404, 409, 422}


def test_lastmile_answers_match_the_document():
    rig = Rig("lastmile", LastMileCore)
    destination = {"street": "1 Dock Rd", "city": "Leeds", "postcode": "LS1 1AA",
                   "country": "GB"}
    create = {"shipment_id": "SH-000001", "order_id": "SO-000001", "destination": destination}
    task = rig.call("POST", "/tasks", create, key="t1", expect=201)
    rig.call("POST", "/tasks", create, key="t1", expect=201)  # replay
    rig.call("POST", "/tasks", {**create, "order_id": "SO-2"}, key="t1", expect=422)
    rig.call("POST", "/tasks", {"shipment_id": "SH-000001", "order_id": "SO-1"}, expect=422)
    tid = task["id"]
    rig.call("POST", f"/tasks/{tid}/destination", {**destination, "street": "2 Quay St"},
             key="d1", expect=200)
    rig.call("POST", f"/tasks/{tid}/destination", {"street": "2 Quay St"}, expect=422)
    rig.call("GET", "/tasks/T-999999", expect=404)
    rig.call("POST", "/tasks/T-999999/destination", destination, expect=404)

    record = rig.core.tasks[tid]
    rig.core.assign(record, "driver-01")
    rig.core.start(record, eta=3600.0)
    rig.core.complete(record, False, reason="RECIPIENT_NOT_HOME")
    rig.call("GET", f"/tasks/{tid}", expect=200)
    rig.core.start(record, eta=7200.0)
    rig.core.complete(record, True, pod={"signed_by": "recipient", "photo": f"pod/{tid}.jpg",
                                         "captured_at_attempt": 2})
    assert rig.call("GET", f"/tasks/{tid}", expect=200)["pod"]["photo"] == f"pod/{tid}.jpg"
    rig.call("POST", f"/tasks/{tid}/cancel", {}, key="c1", expect=409)
    rig.call("POST", f"/tasks/{tid}/destination", destination, expect=409)

    other = rig.call("POST", "/tasks", {**create, "shipment_id": "SH-000002"}, expect=201)
    rig.call("POST", f"/tasks/{other['id']}/cancel", {}, key="c2", expect=200)
    rig.call("POST", f"/tasks/{other['id']}/cancel", {}, key="c2", expect=200)  # replay
    rig.call("POST", f"/tasks/{other['id']}/cancel", {}, expect=200)  # already cancelled
    assert {s for _, _, s in rig.seen} == {200, 201, 404, 409, 422}


# --- true to the real event sources -----------------------------------------------------------


def published_events() -> list[Event]:
    """Events of every type from real cores, driven through a small life."""
    erp = Rig("erp", ErpCore)
    factory = OrderFactory(3, (1, 3))
    for when in (0.0, 60.0):
        order, customer, _ = factory.next_order(when)
        erp.core.add_customer(customer)
        erp.core.release_order(order)
    erp.core.change_order("SO-000001", factory.new_address())
    erp.core.cancel_order("SO-000002", "customer_request")

    tms = Rig("tms", TmsCore)
    body = {"order_id": "SO-000001", "ship_to": factory.new_address()}
    shipment = tms.core.shipments[tms.call("POST", "/shipments", body, expect=201)["id"]]
    tms.core.tender(shipment, "DHL Freight", "accepted")
    tms.core.milestone(shipment, "X3", classifier="EST", event_time=3600.0)
    tms.core.milestone(shipment, "X4", classifier="EST", event_time=9000.0, eta=9000.0)
    tms.core.milestone(shipment, "SD", reason="AO")
    tms.core.milestone(shipment, "X4")
    tms.core.finalize_charges(shipment, [{"code": "LINEHAUL", "amount": 120.0},
                                         {"code": "FUEL", "amount": 14.4}])

    lastmile = Rig("lastmile", LastMileCore)
    create = {"shipment_id": shipment.id, "order_id": "SO-000001",
              "destination": factory.new_address()}
    task = lastmile.core.tasks[lastmile.call("POST", "/tasks", create, expect=201)["id"]]
    lastmile.core.assign(task, "driver-02")
    lastmile.core.start(task, eta=12000.0)
    lastmile.core.arrive(task)
    lastmile.core.complete(task, False, reason="REFUSED")
    lastmile.core.returned(task)
    other = lastmile.core.tasks[lastmile.call("POST", "/tasks", create, expect=201)["id"]]
    lastmile.core.assign(other, "driver-03")
    lastmile.core.start(other, eta=13000.0)
    lastmile.core.complete(other, True, pod={"signed_by": "recipient", "photo": "pod/x.jpg",
                                             "captured_at_attempt": 1})
    lastmile.call("POST", "/tasks", create, key="t9", expect=201)
    lastmile.call("POST", "/tasks/T-000003/cancel", {}, expect=200)
    return erp.events + tms.events + lastmile.events


def test_published_events_match_the_webhook_schemas():
    doc = DOCS["sut-webhooks.json"]
    events = published_events()
    assert {e.type for e in events} == {t for ts in openapi.EVENT_TYPES.values() for t in ts}
    envelope = {s: schema_validator(doc, openapi.ref(openapi.EVENT_SCHEMAS[s]))
                for s in openapi.SYSTEMS}
    rng = random.Random(1)

    def wire(event: Event) -> dict[str, Any]:
        return json.loads(json.dumps(event.to_json(), separators=(",", ":")))

    for event in events:
        variants = [event, to_v2(event), poison(event, rng), unknown_code(event), forged(event),
                    *retraction(event), skewed(event, "local_time", rng, 0.0)]
        for variant in variants:
            errors = [e.message for e in envelope[event.source].iter_errors(wire(variant))]
            assert not errors, (variant.event_id, errors)
        v1 = schema_validator(doc, openapi.ref(openapi.EVENT_TYPES[event.source][event.type]))
        assert v1.is_valid(wire(event)["payload"]), (event.type, event.payload)
        assert v1.is_valid(wire(retraction(event)[0])["payload"])
        v2 = [schema_validator(doc, openapi.ref(name))
              for name in openapi.V2_PAYLOADS[event.source]]
        assert any(v.is_valid(wire(to_v2(event))["payload"]) for v in v2), event.type


def test_documents_are_fresh_copies():
    first = openapi.api_spec("erp")
    first["components"]["schemas"]["Order"]["properties"].clear()
    first["components"]["schemas"]["Problem"]["required"].clear()
    sut = openapi.sut_spec()
    sut["components"]["schemas"]["EventEnvelope"]["required"].clear()
    assert openapi.api_spec("erp") == DOCS["erp.json"]
    assert openapi.api_spec("tms") == DOCS["tms.json"]
    assert openapi.sut_spec() == DOCS["sut-webhooks.json"]
