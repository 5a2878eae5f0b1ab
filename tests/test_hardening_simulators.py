"""Issue 15, hardening found by attacking Seatrial: the simulators' request validation and the
SDK's in-process checks.

1. The Idempotency-Key fingerprint compares the request as sent (canonical JSON: members
   sorted, types kept), not Python's loose equality (False == 0 == 0.0), and snapshots it.
2. Every number in every simulator request is finite (1e400 parses to infinity), and amounts
   are bounded (MAX_AMOUNT), answered 422 naming the field.
3. In-process, the SDK refuses what live mode cannot send (non-JSON bodies, NaN, negative or
   infinite sleeps, ...), inside the handler, the same way on both faces.
"""

from __future__ import annotations

import enum
import json
import math
from collections import OrderedDict

import pytest
from rigs import Rig

from seatrial.scenario import Scenario
from seatrial.sdk import IO, Call, Event, Sleep, SyncImplementation
from seatrial.sdk.messages import ApiClient
from seatrial.simulators import openapi
from seatrial.simulators.api import MAX_AMOUNT, PROBLEM_BASE
from seatrial.simulators.erp.core import Customer, ErpCore, Order
from seatrial.simulators.lastmile.core import LastMileCore
from seatrial.simulators.tms.core import TmsCore
from seatrial.world import World

SHIP_TO = {"name": "Ada Lovelace", "street": "1 Dock Rd", "city": "Hamburg", "postcode": "20457",
           "country": "DE"}
INF, NAN = float("inf"), float("nan")


@pytest.fixture
def erp() -> Rig:
    rig = Rig(ErpCore, "erp")
    rig.core.add_customer(Customer("C-1", "Ada", "ada@example.com", SHIP_TO))
    rig.core.release_order(Order("O-1", "C-1", [{"sku": "A", "qty": 2}], 100.0, "EUR", SHIP_TO,
                                 "corr-O-1", 0.0))
    return rig


@pytest.fixture
def tms() -> Rig:
    return Rig(TmsCore, "tms")


@pytest.fixture
def lastmile() -> Rig:
    rig = Rig(LastMileCore, "lastmile")
    created = rig.call("POST", "/tasks", {"shipment_id": "SH-1", "order_id": "O-1",
                                          "destination": SHIP_TO})
    assert created.status == 201
    return rig


def charges(total, lines=()):
    return {"statement_id": "ST-1", "lines": list(lines), "total": total}


def is_problem(reply, status: int, slug: str) -> bool:
    return (reply.status == status and reply.body["type"] == PROBLEM_BASE + slug
            and reply.headers["content-type"] == "application/problem+json")


# --- 1. the idempotency fingerprint ---------------------------------------------------------


@pytest.mark.parametrize(("first", "second"), [
    (charges(0.0), charges(False)),                                   # the reported case
    (charges(0), charges(False)),
    (charges(1.0, [{"amount": 1.0}]), charges(True, [{"amount": True}])),
    (charges(2.0, [{"amount": 1}, {"amount": 1.0}]), charges(2.0, [{"amount": 1.0}] * 2)),
    (charges(1.0, [{"amount": 1.0}]), charges(1, [{"amount": 1}])),  # 1 and 1.0: other bytes
    ({**charges(0.0), "shipment_id": None}, {**charges(0.0), "shipment_id": False}),
])
def test_same_key_with_a_request_equal_only_loosely_is_422_not_a_replay(erp, first, second):
    path = "/orders/O-1/freight-charges"
    assert erp.call("POST", path, first, key="K").status == 201
    again = erp.call("POST", path, second, key="K")
    assert is_problem(again, 422, "idempotency-key-reused"), again.body
    assert "idempotent-replayed" not in again.headers
    assert len(erp.core.charge_postings) == 1


def test_member_order_does_not_matter_and_a_true_repeat_still_replays(erp):
    path = "/orders/O-1/freight-charges"
    first = {"statement_id": "ST-1", "lines": [{"code": "A", "amount": 2.5}], "total": 2.5}
    reordered = {"total": 2.5, "lines": [{"amount": 2.5, "code": "A"}], "statement_id": "ST-1"}
    assert erp.call("POST", path, first, key="K").status == 201
    replay = erp.call("POST", path, reordered, key="K")
    assert replay.status == 201 and replay.headers["idempotent-replayed"] == "true"
    assert len(erp.core.charge_postings) == 1


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("note", [2 ** 70, "\ud800 lone surrogate", nested(300)])
def test_bodies_beyond_the_fast_encoder_are_compared_the_same_way(erp, note):
    """orjson writes nearly every body; Python's encoder takes integers beyond 64 bits, lone
    surrogates (json.loads makes them from \\ud800) and nesting deeper than 255: the same
    rules either way."""
    path = "/orders/O-1/freight-charges"
    body = {**charges(0.0), "note": note}
    assert erp.call("POST", path, body, key="K").status == 201
    replay = erp.call("POST", path, json.loads(json.dumps(body)), key="K")
    assert replay.status == 201 and replay.headers["idempotent-replayed"] == "true"
    assert is_problem(erp.call("POST", path, {**body, "total": False}, key="K"), 422,
                      "idempotency-key-reused")
    if isinstance(note, int):
        assert is_problem(erp.call("POST", path, {**body, "note": float(note)}, key="K"), 422,
                          "idempotency-key-reused")


def test_the_fingerprint_is_a_snapshot_of_the_first_request(erp):
    """In-process the router gets the caller's own dict: changing it after the first request
    must not change what the key was first used for (over the wire it could not)."""
    path = "/orders/O-1/freight-charges"
    body = charges(2.5, [{"code": "A", "amount": 2.5}])
    assert erp.call("POST", path, body, key="K").status == 201
    body["statement_id"] = "ST-2"
    assert is_problem(erp.call("POST", path, body, key="K"), 422, "idempotency-key-reused")


class Repost(SyncImplementation):
    """On the first release, posts the same freight charge twice under one key: `first`, then
    `second`; keeps both answers."""

    def __init__(self, first, second) -> None:
        self.bodies = (first, second)
        self.answers: list = []

    def on_event(self, event: Event, io: IO):
        if event.type != "order.released" or self.answers:
            return
        self.answers.append(None)
        for body in self.bodies:
            response = yield io.erp.post(f"/orders/{event.order_id}/freight-charges", json=body,
                                         idempotency_key="charges-once")
            self.answers.append(response)


def run_world(factory) -> World:
    scenario = Scenario(name="hardening", seed=3, duration=3600.0,
                        workload={"orders_per_hour": 4.0})
    world = World(scenario, factory)
    world.run()
    return world


def test_in_process_same_key_false_after_zero_is_422():
    world = run_world(lambda: Repost(charges(0.0), charges(False)))
    _, first, second = world.receiver.sut.answers
    assert first.status_code == 201
    assert second.status_code == 422, second.body
    assert second.body["type"] == PROBLEM_BASE + "idempotency-key-reused"
    assert "idempotent-replayed" not in second.headers
    assert len(world.erp.charge_postings) == 1


def test_in_process_a_true_repeat_still_replays():
    world = run_world(lambda: Repost(charges(0.0), charges(0.0)))
    _, first, second = world.receiver.sut.answers
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["idempotent-replayed"] == "true"
    assert len(world.erp.charge_postings) == 1


# --- 2. finite numbers and bounded amounts --------------------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    (charges(INF, [{"amount": INF}]), "lines[0].amount"),  # the first, in the body's order
    (charges(-INF), "total"),
    (charges(NAN), "total"),
    (charges(1.0, [{"code": "A", "amount": NAN}]), "lines[0].amount"),
    (charges(0.0, [{"amount": 1.0}, {"amount": -INF}]), "lines[1].amount"),
    ({**charges(0.0), "shipment_id": INF}, "shipment_id"),
])
def test_a_non_finite_freight_number_is_422_naming_it(erp, body, field):
    reply = erp.call("POST", "/orders/O-1/freight-charges", body, key="K")
    assert is_problem(reply, 422, "invalid-field"), reply.body
    assert reply.body["field"] == field
    assert "finite" in reply.body["detail"]
    assert erp.core.charge_postings == []
    fixed = {**body, "total": 0.0, "lines": [], "shipment_id": None}
    assert erp.call("POST", "/orders/O-1/freight-charges", fixed, key="K").status == 201


def test_1e400_over_the_wire_is_422_naming_the_field(erp):
    """The live face parses bodies with json.loads, which makes 1e400 infinity (and refuses the
    NaN and Infinity literals); the router refuses it, so both faces do."""
    wire = b'{"statement_id":"ST-1","lines":[{"code":"X","amount":1e400}],"total":1e400}'
    body = json.loads(wire)
    assert math.isinf(body["total"])
    reply = erp.call("POST", "/orders/O-1/freight-charges", body)
    assert is_problem(reply, 422, "invalid-field")
    assert reply.body["field"] == "lines[0].amount"
    del body["lines"][0]
    assert erp.call("POST", "/orders/O-1/freight-charges", body).body["field"] == "total"
    assert erp.core.charge_postings == []


@pytest.mark.parametrize(("total", "lines", "field"), [
    (MAX_AMOUNT * 10.0, [{"amount": MAX_AMOUNT * 10.0}], "total"),
    (10 ** 400, [{"amount": 10 ** 400}], "total"),
    (-MAX_AMOUNT - 1, [{"amount": -MAX_AMOUNT - 1}], "total"),
    (1.0, [{"amount": MAX_AMOUNT + 1}, {"amount": -MAX_AMOUNT}], "lines[0].amount"),
])
def test_an_amount_beyond_the_bound_is_422_naming_it(erp, total, lines, field):
    reply = erp.call("POST", "/orders/O-1/freight-charges", charges(total, lines))
    assert is_problem(reply, 422, "invalid-field"), reply.body
    assert reply.body["field"] == field
    assert f"{MAX_AMOUNT:,}" in reply.body["detail"]
    assert erp.core.charge_postings == []


def test_amounts_at_the_bound_are_accepted(erp):
    lines = [{"amount": MAX_AMOUNT}, {"amount": -MAX_AMOUNT}, {"amount": 12.5}]
    assert erp.call("POST", "/orders/O-1/freight-charges", charges(12.5, lines)).status == 201
    assert erp.call("POST", "/orders/O-1/freight-charges",
                    charges(float(MAX_AMOUNT), [{"amount": MAX_AMOUNT}])).status == 201


@pytest.mark.parametrize(("system", "path", "body", "field"), [
    ("erp", "/orders/O-1/logistics-status", {"status": "PLN", "attempt": INF}, "attempt"),
    ("erp", "/orders/O-1/invoice", {"pod_reference": "p", "extra": {"a": [1, NAN]}},
     "extra.a[1]"),
    ("tms", "/shipments", {"order_id": "O-1", "ship_to": SHIP_TO,
                           "lines": [{"sku": "A", "quantity": 1, "unit_price": INF}]},
     "lines[0].unit_price"),
    ("tms", "/shipments/SH-000001/cancel", {"reason": "x", "weight": -INF}, "weight"),
    ("lastmile", "/tasks", {"shipment_id": "SH-1", "order_id": "O-1",
                            "destination": {**SHIP_TO, "lat": NAN}}, "destination.lat"),
    ("lastmile", "/tasks/T-000001/destination", {**SHIP_TO, "lng": INF}, "lng"),
    ("lastmile", "/tasks/T-000001/cancel", [INF], "body[0]"),
    ("lastmile", "/tasks/T-000001/cancel", INF, "body"),
])
def test_every_endpoint_refuses_a_non_finite_number_anywhere(erp, tms, lastmile, system,
                                                              path, body, field):
    rig = {"erp": erp, "tms": tms, "lastmile": lastmile}[system]
    if path.startswith("/shipments/"):
        assert tms.call("POST", "/shipments", {"order_id": "O-1", "ship_to": SHIP_TO}).status == 201
    for key in (None, "K"):
        reply = rig.call("POST", path, body, key=key)
        assert is_problem(reply, 422, "invalid-field"), reply.body
        assert reply.body["field"] == field


def test_the_openapi_documents_declare_the_amount_bound():
    schemas = openapi.api_spec("erp")["components"]["schemas"]
    for schema in (schemas["FreightCharges"]["properties"]["total"],
                   schemas["ChargeLine"]["properties"]["amount"]):
        assert (schema["minimum"], schema["maximum"]) == (-MAX_AMOUNT, MAX_AMOUNT)


# --- 3. the SDK refuses in-process what live mode cannot send ---------------------------------


class Color(enum.StrEnum):
    RED = "red"


class Size(enum.IntEnum):
    BIG = 3


@pytest.mark.parametrize(("body", "error", "words"), [
    (object(), TypeError, ["json is an object", "not JSON"]),
    ({"tags": {1, 2}}, TypeError, ["json['tags'] is a set", "list"]),
    (b"{}", TypeError, ["json is bytes", "decode"]),
    ({"lines": (1, 2)}, TypeError, ["json['lines'] is a tuple", "list"]),
    ({1: "a"}, TypeError, ["json has the key 1", "string"]),
    ({"a": {None: 1}}, TypeError, ["json['a'] has the key None", "string"]),
    (NAN, ValueError, ["json is nan", "finite"]),
    ({"lines": [{"amount": INF}]}, ValueError, ["json['lines'][0]['amount'] is inf", "finite"]),
    ({"x": -INF}, ValueError, ["json['x'] is -inf", "finite"]),
    ({"name": "a\ud800"}, ValueError, ["json['name']", "UTF-8"]),
    ({"a\udfff": 1}, ValueError, ["json has the key 'a\\udfff'", "UTF-8"]),
    ({"n": 10 ** 5000}, ValueError, ["json['n']", "digits"]),
])
def test_a_body_json_cannot_carry_is_refused_where_the_call_is_built(body, error, words):
    with pytest.raises(error) as refused:
        ApiClient("erp").post("/orders/O-1/invoice", json=body, idempotency_key="k")
    message = str(refused.value)
    assert message.startswith("io.erp.post('/orders/O-1/invoice', json=...): ")
    for word in words:
        assert word in message, message


def test_a_self_containing_body_is_refused():
    body: dict = {}
    body["me"] = body
    with pytest.raises(ValueError, match="nested too deeply or contains itself"):
        ApiClient("tms").post("/shipments", json=body)


@pytest.mark.parametrize("body", [
    None, {}, [], "text", 0, -0.0, 1e308, True, {"a": [1, 2.5, None, False, "Zoë ✓"]},
    {"nested": {"deep": [{"x": [[]]}]}}, OrderedDict(a=1), {"colour": Color.RED},
    {"size": Size.BIG}, 10 ** 4000, {"é": "ü"},
])
def test_every_json_body_is_sent(body):
    call = ApiClient("erp").post("/orders/O-1/invoice", json=body)
    assert call.json is body


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"path": "orders/O-1"}, ValueError, ["path", "'/'"]),
    ({"path": 5}, TypeError, ["path", "string"]),
    ({"path": "/orders/O-1?x=1"}, ValueError, ["params="]),
    ({"path": "/orders/O-1#frag"}, ValueError, ["#"]),
    ({"path": "/orders/SO%2D1"}, ValueError, ["%"]),
    ({"path": "/orders/../customers/C-1"}, ValueError, ["'..'"]),
    ({"path": "/orders/./O-1"}, ValueError, ["'.'"]),
    ({"path": "/orders/O-1\n"}, ValueError, ["control"]),
    ({"path": "/orders/\ud800"}, ValueError, ["UTF-8"]),
    ({"params": {"order_id": 5}}, TypeError, ["params", "string"]),
    ({"params": [("order_id", "O-1")]}, TypeError, ["params", "dict"]),
    ({"correlation_id": 7}, TypeError, ["correlation_id", "string"]),
    ({"correlation_id": "corr-é"}, ValueError, ["correlation_id", "ASCII"]),
    ({"correlation_id": "corr\n1"}, ValueError, ["correlation_id", "ASCII"]),
    ({"correlation_id": " corr-1"}, ValueError, ["correlation_id", "spaces"]),
    ({"timeout": NAN}, ValueError, ["timeout", "> 0"]),
    ({"timeout": INF}, ValueError, ["timeout", "finite"]),
    ({"timeout": 0}, ValueError, ["timeout", "> 0"]),
    ({"timeout": -1.0}, ValueError, ["timeout", "> 0"]),
    ({"timeout": "30"}, TypeError, ["timeout", "number"]),
    ({"timeout": True}, TypeError, ["timeout", "number"]),
])
def test_a_get_live_mode_cannot_send_is_refused_naming_the_argument(kwargs, error, words):
    path = kwargs.pop("path", "/shipments")
    with pytest.raises(error) as refused:
        ApiClient("tms").get(path, **kwargs)
    message = str(refused.value)
    assert message.startswith("io.tms.get(")
    for word in words:
        assert word in message, message


@pytest.mark.parametrize(("key", "error"), [
    (42, TypeError), ("clé", ValueError), ("a\tb", ValueError), ("key ", ValueError)])
def test_an_idempotency_key_live_mode_cannot_send_is_refused(key, error):
    with pytest.raises(error, match="idempotency_key"):
        ApiClient("erp").post("/orders/O-1/invoice", json={}, idempotency_key=key)


def test_calls_that_live_mode_sends_are_built_unchanged():
    call = ApiClient("tms").get("/shipments", params={"order_id": "SO-1"},
                                correlation_id="corr-SO-1", timeout=5)
    assert call.params == {"order_id": "SO-1"} and call.timeout == 5
    post = ApiClient("tms").post("/shipments/SH-1/cancel", json={}, idempotency_key="",
                                 correlation_id="corr SO 1", timeout=0.5)
    assert post.idempotency_key == "" and post.correlation_id == "corr SO 1"
    assert ApiClient("erp").get("/orders/SO-1:a@b!$&'()*+,;=~").path.endswith("~")
    with pytest.raises(ValueError, match="timeout"):  # a valid StrEnum key checks on
        ApiClient("erp").post("/orders/SO-1/invoice", idempotency_key=Color.RED, timeout=-1)
    assert ApiClient("erp").post("/orders/SO-1/invoice", idempotency_key=Color.RED,
                                 correlation_id=Color.RED).idempotency_key == "red"


@pytest.mark.parametrize(("seconds", "error"), [
    (-5, ValueError), (-0.001, ValueError), (NAN, ValueError), (INF, ValueError),
    ("5", TypeError), (None, TypeError), (True, TypeError),
])
def test_io_sleep_refuses_what_is_not_a_finite_number_of_seconds(seconds, error):
    io = IO(None, None, None, {})
    with pytest.raises(error) as refused:
        io.sleep(seconds)
    assert str(refused.value).startswith(f"io.sleep({seconds!r}): give a finite number of "
                                         "seconds >= 0")


def test_io_sleep_takes_zero_and_any_finite_number():
    io = IO(None, None, None, {})
    assert io.sleep(0) == Sleep(0) and io.sleep(1.5) == Sleep(1.5) and io.sleep(10 ** 9)


class Misbehaving(SyncImplementation):
    """Yields `act(io, event)` on every delivery: one thing live mode refuses."""

    def __init__(self, act) -> None:
        self.act = act

    def on_event(self, event: Event, io: IO):
        yield self.act(io, event)


@pytest.mark.parametrize(("act", "error"), [
    (lambda io, event: io.sleep(-5), "ValueError: io.sleep(-5): give a finite number of "
                                     "seconds >= 0"),
    (lambda io, event: io.sleep(NAN), "ValueError: io.sleep(nan): give a finite number"),
    (lambda io, event: io.sleep(INF), "ValueError: io.sleep(inf): give a finite number"),
    (lambda io, event: io.erp.post(f"/orders/{event.order_id}/invoice", json={"x": NAN}),
     "ValueError: io.erp.post('/orders/"),
    (lambda io, event: io.tms.post("/shipments", json=object()), "TypeError: io.tms.post("),
    (lambda io, event: io.tms.post("/shipments", json={1: 2}), "TypeError: io.tms.post("),
    (lambda io, event: io.lastmile.post("/tasks", json=b"{}"), "TypeError: io.lastmile.post("),
])
def test_in_process_the_refusal_fails_the_delivery_inside_the_handler(act, error):
    world = run_world(lambda: Misbehaving(act))
    nacks = [e for e in world.ledger.entries if e.kind == "nack"]
    delivers = [e for e in world.ledger.entries if e.kind == "deliver"]
    assert delivers and len(nacks) == len(delivers)
    assert all(n.data["error"].startswith(error) for n in nacks), nacks[0].data
    assert not [e for e in world.ledger.entries if e.kind in ("ack", "request")]


@pytest.mark.parametrize(("call", "error"), [
    (Call("erp", "GET", 5), "TypeError: io.erp.get(5): path 5: give a string"),
    (Call("erp", "GET", "/orders/SO-000001", timeout="3"), "TypeError: io.erp.get("),
    (Call("erp", "GET", "/orders/SO-000001", timeout=NAN), "ValueError: io.erp.get("),
])
def test_a_hand_built_call_that_would_crash_the_run_fails_its_delivery(call, error):
    """`Call(...)` built by hand skips the SDK's check; the in-process transport refuses what
    it cannot carry with the same error, at the yield, instead of crashing the whole run."""
    world = run_world(lambda: Misbehaving(lambda io, event: call))
    nacks = [e for e in world.ledger.entries if e.kind == "nack"]
    assert nacks and all(n.data["error"].startswith(error) for n in nacks), nacks[0].data
    assert not [e for e in world.ledger.entries if e.kind in ("ack", "request", "error")]


@pytest.mark.parametrize(("seconds", "error"), [
    (-5, "ValueError: io.sleep(-5): give a finite number of seconds >= 0"),
    (NAN, "ValueError: io.sleep(nan)"),
    ("5", "TypeError: io.sleep('5')"),
])
def test_a_hand_built_sleep_is_refused_like_io_sleep(seconds, error):
    """`Sleep(-5)` by hand was taken as 0, and `Sleep("5")` crashed the whole run."""
    world = run_world(lambda: Misbehaving(lambda io, event: Sleep(seconds)))
    nacks = [e for e in world.ledger.entries if e.kind == "nack"]
    assert nacks and all(n.data["error"].startswith(error) for n in nacks), nacks[0].data


def test_a_hand_built_call_with_a_body_json_cannot_carry_gets_a_422():
    body = {"pod_reference": "p", "when": object()}
    world = run_world(lambda: Misbehaving(
        lambda io, event: Call("erp", "POST", f"/orders/{event.order_id}/invoice", body)))
    answers = [e.data for e in world.ledger.entries if e.kind == "response"]
    assert answers and all(a["status"] == 422 and a["body"]["field"] == "when" for a in answers)
    assert not world.erp.invoices


class Catcher(SyncImplementation):
    """A handler may catch the refusal: it is raised at the call site, in the handler."""

    def __init__(self) -> None:
        self.caught: list[str] = []

    def on_event(self, event: Event, io: IO):
        try:
            yield io.sleep(-1)
        except ValueError as error:
            self.caught.append(str(error))
        yield io.sleep(1)


def test_the_refusal_is_raised_in_the_handler_and_can_be_caught():
    world = run_world(Catcher)
    assert world.receiver.sut.caught
    assert not [e for e in world.ledger.entries if e.kind == "nack"]


# --- the live face: the same router behind real HTTP ------------------------------------------


@pytest.fixture(scope="module")
def stack():
    from seatrial.catalogue import catalogue
    from seatrial.live.stack import SimulatorStack, running

    stack = SimulatorStack(catalogue()["happy-path"], 60.0)  # no SUT: only the APIs count
    stack.world.env.run(until=3600.0)  # an hour of releases: SO-000001 exists
    with running(stack) as live:
        yield live


def post_raw(stack, system: str, path: str, body: bytes, key: str | None = None):
    import httpx

    from seatrial.live.serve import issue_tokens

    headers = {"authorization": f"Bearer {issue_tokens(stack)[system]}",
               "content-type": "application/json"}
    if key is not None:
        headers["idempotency-key"] = key
    return httpx.post(stack.urls[system] + path, content=body, headers=headers)


@pytest.mark.wall_clock
def test_live_1e400_is_422_naming_the_field(stack):
    path = "/orders/SO-000001/freight-charges"
    answer = post_raw(stack, "erp", path, b'{"statement_id":"ST-9","lines":[{"amount":1e400}],'
                                          b'"total":1e400}')
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == "lines[0].amount"
    answer = post_raw(stack, "tms", "/shipments",
                      b'{"order_id":"SO-1","ship_to":{},"lines":[{"unit_price":-1e999}]}')
    assert (answer.status_code, answer.json()["field"]) == (422, "lines[0].unit_price")


@pytest.mark.wall_clock
@pytest.mark.parametrize(("second", "status"), [
    (b'{"statement_id":"ST-8","lines":[],"total":false}', 422),
    (b'{"statement_id":"ST-8","lines":[],"total":0}', 422),
    (b'{"total":0.0, "lines":[], "statement_id":"ST-8"}', 201),  # the same request, reordered
])
def test_live_same_key_is_compared_by_canonical_json(stack, second, status):
    path, key = "/orders/SO-000001/freight-charges", f"hardening-{second.hex()}"
    first = post_raw(stack, "erp", path, b'{"statement_id":"ST-8","lines":[],"total":0.0}', key)
    assert first.status_code == 201, first.text
    again = post_raw(stack, "erp", path, second, key)
    assert again.status_code == status, again.text
    assert (again.headers.get("idempotent-replayed") == "true") == (status == 201)
