"""The onfleet dialect in process: webhook registration with its validation request, deliveries
only for registered triggers, Onfleet's signature, redelivery and auto-disable, and bad input
answered 4xx in Onfleet's error shape (the vendor's own client drives it live:
test_dialect_onfleet_live.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
from itertools import pairwise

import pytest

from seatrial.scenario import Scenario
from seatrial.sdk.implementation import SyncImplementation
from seatrial.sdk.messages import Call
from seatrial.simulators.lastmile.dialects.onfleet import ids
from seatrial.simulators.lastmile.dialects.onfleet.webhooks import secret_of
from seatrial.world import World
from seatrial.world.drives import Idle

URL = "inprocess://sut/webhooks/lastmile"  # io.webhook_url("lastmile") in process
TASK = {"destination": {"address": {"number": "12", "street": "Quai des Chartrons",
                                    "city": "Bordeaux", "postalCode": "33000",
                                    "country": "France"}},
        "recipients": [{"name": "Ada Lovelace", "phone": "+33556000000"}],
        "completeAfter": 1767600000000, "completeBefore": 1767636000000,
        "metadata": [{"name": "order_id", "type": "string", "value": "SO-000001"},
                     {"name": "shipment_id", "type": "string", "value": "SH-000001"}]}


class Receiver(SyncImplementation):
    """Answers validation requests with `answer(check)`, keeps every delivery it is handed and
    fails the ones `fail` says."""

    name = "receiver"

    def __init__(self, answer=lambda check: check, fail=lambda event: False) -> None:
        self.answer, self.fail = answer, fail
        self.received: list[tuple[bytes, dict[str, str]]] = []

    def validate_webhook(self, source, check, io):
        return self.answer(check)

    def authenticate(self, webhook, io):
        self.received.append((webhook.body, webhook.headers))
        return True

    def on_event(self, event, io):
        if self.fail(event):
            raise RuntimeError("not now")


def onfleet_world(sut: Receiver) -> World:
    return World(Scenario(name="t", dialects={"lastmile": "onfleet"}), lambda: sut, drive=Idle())


def call(world: World, method: str, path: str, body=None):
    return world.transport.routers["lastmile"].dispatch(method, "/api/v2" + path, None, body)


def register(world: World, trigger: int, url: str = URL):
    return call(world, "POST", "/webhooks", {"url": url, "name": f"t{trigger}",
                                             "trigger": trigger})


def assigned_tasks(world: World, count: int) -> list:
    tasks = []
    for _ in range(count):
        made = call(world, "POST", "/tasks", TASK)
        assert made.status == 200, made.body
        task = world.lastmile.tasks[ids.task_id(made.body["id"])]
        world.lastmile.assign(task, "driver-01")
        tasks.append(task)
    return tasks


def refused(reply, status: int, number: int) -> None:
    assert reply.status == status, reply.body
    assert set(reply.body) == {"code", "message"}
    assert set(reply.body["message"]) == {"error", "message", "cause", "request"}
    assert reply.body["message"]["error"] == number


# --- registration ---------------------------------------------------------------------------


def test_a_webhook_is_registered_when_the_url_echoes_the_check_string():
    sut = Receiver()
    world = onfleet_world(sut)
    made = register(world, 3)
    assert made.status == 200 and made.body["trigger"] == 3 and made.body["isEnabled"]
    assert made.body["url"] == URL and len(made.body["id"]) == 24
    assert call(world, "GET", "/webhooks").body == [made.body]
    assert call(world, "DELETE", f"/webhooks/{made.body['id']}").status == 200
    assert call(world, "GET", "/webhooks").body == []
    refused(call(world, "DELETE", f"/webhooks/{made.body['id']}"), 404, 1402)


@pytest.mark.parametrize("answer, said", [
    (lambda check: None, "answered 204"),               # a 204 is refused, as Onfleet does
    (lambda check: check[::-1], "answered 200"),        # not the string it was sent
    (lambda check: f"{check}\n", "answered 200"),
])
def test_a_validation_answered_otherwise_is_refused(answer, said):
    world = onfleet_world(Receiver(answer))
    reply = register(world, 3)
    refused(reply, 400, 1008)
    assert reply.body["code"] == "InvalidContent" and said in reply.body["message"]["cause"]
    assert world.lastmile.webhooks == {}


def test_a_url_where_the_sut_does_not_listen_is_refused():
    world = onfleet_world(Receiver())
    reply = register(world, 3, "https://example.com/hooks")
    refused(reply, 400, 1008)
    assert "nothing answered" in reply.body["message"]["cause"]


def test_the_check_strings_come_from_the_seed():
    seen: list[list[str]] = []
    for _ in range(2):
        checks: list[str] = []
        world = onfleet_world(Receiver(lambda check, kept=checks: kept.append(check) or check))
        register(world, 3)
        register(world, 4)
        seen.append(checks)
    assert seen[0] == seen[1] and len(set(seen[0])) == 2


# --- deliveries -----------------------------------------------------------------------------


def test_deliveries_go_only_to_registered_triggers_signed_the_onfleet_way():
    sut = Receiver()
    world = onfleet_world(sut)
    assert register(world, 9).status == 200  # taskAssigned only
    (task,) = assigned_tasks(world, 1)
    world.lastmile.start(task, eta=world.env.now + 3600)  # taskStarted, taskEta: unregistered
    world.env.run(until=7200)
    (body, headers), = sut.received
    payload = json.loads(body)
    onfleet_id = ids.encode("task", 1)
    assert payload["triggerId"] == 9 and payload["triggerName"] == "taskAssigned"
    assert payload["taskId"] == onfleet_id == payload["data"]["task"]["id"]
    assert payload["data"]["task"]["state"] == 1 and isinstance(payload["time"], int)
    key = bytes.fromhex(secret_of(world.secrets["lastmile"]))
    assert headers["x-onfleet-signature"] == hmac.new(key, body, hashlib.sha512).hexdigest()
    drops = [e for e in world.ledger.entries if e.kind == "drop"]
    assert len(drops) == 2 and all(d.data == {"reason": "no webhook registered for it"}
                                   for d in drops)


def test_a_failed_attempt_is_task_failed_and_two_webhooks_get_one_each():
    sut = Receiver()
    world = onfleet_world(sut)
    register(world, 4)
    register(world, 4)
    register(world, 3)
    (task,) = assigned_tasks(world, 1)
    world.lastmile.start(task, eta=world.env.now)
    world.lastmile.complete(task, False, "RECIPIENT_NOT_HOME", notes="Nobody home")
    world.env.run(until=60)
    bodies = [json.loads(body) for body, _ in sut.received]
    assert [b["triggerName"] for b in bodies] == ["taskFailed", "taskFailed"]
    details = bodies[0]["data"]["task"]["completionDetails"]
    assert details["success"] is False and details["failureReason"] == "RECIPIENT_NOT_HOME"
    assert details["notes"] == "Nobody home"
    hooks = {e.data["webhook"] for e in world.ledger.entries if e.kind == "deliver"}
    assert hooks == {"W-000001", "W-000002"}


def test_a_failed_delivery_is_retried_every_30_minutes_for_a_day_then_abandoned():
    sut = Receiver(fail=lambda event: True)
    world = onfleet_world(sut)
    register(world, 9)
    assigned_tasks(world, 1)
    world.env.run(until=3 * 86400)
    times = [e.time for e in world.ledger.entries if e.kind == "deliver"]
    assert len(times) == 49
    assert [b - a for a, b in pairwise(times)] == pytest.approx([1800.0] * 48)
    (abandon,) = [e for e in world.ledger.entries if e.kind == "abandon"]
    assert abandon.data == {"attempts": 49}


def test_a_webhook_is_disabled_after_300_consecutive_failures():
    sut = Receiver(fail=lambda event: True)
    world = onfleet_world(sut)
    made = register(world, 9).body
    assigned_tasks(world, 7)  # 7 events x 49 attempts > 300
    world.env.run(until=3 * 86400)
    (disable,) = [e for e in world.ledger.entries if e.kind == "disable"]
    assert disable.ref == "lastmile.webhooks/W-000001"
    assert disable.data == {"consecutive_failures": 300}
    assert len([e for e in world.ledger.entries if e.kind == "deliver"]) == 300
    assert [w["isEnabled"] for w in call(world, "GET", "/webhooks").body] == [False]
    assert made["isEnabled"]
    later = [e for e in world.ledger.entries if e.kind == "drop" and e.time > disable.time]
    assert later and all(e.data == {"reason": "subscription disabled"} for e in later)


# --- tasks and bad input ----------------------------------------------------------------------


def test_a_task_is_read_by_id_and_short_id_changed_and_deleted():
    world = onfleet_world(Receiver())
    made = call(world, "POST", "/tasks", TASK).body
    assert call(world, "GET", f"/tasks/{made['id']}").body == made
    assert call(world, "GET", f"/tasks/shortId/{made['shortId']}").body == made
    moved = {"destination": {"address": {"street": "Rue Sainte-Catherine", "number": "3",
                                         "city": "Bordeaux", "postalCode": "33000"}}}
    changed = call(world, "PUT", f"/tasks/{made['id']}", moved).body
    assert changed["destination"]["address"]["street"] == "Rue Sainte-Catherine"
    assert world.lastmile.tasks["T-000001"].destination["street"] == "3 Rue Sainte-Catherine"
    assert call(world, "DELETE", f"/tasks/{made['id']}").status == 200
    refused(call(world, "GET", f"/tasks/{made['id']}"), 404, 1402)
    refused(call(world, "DELETE", f"/tasks/{made['id']}"), 404, 1402)


def test_the_ledger_records_canonical_operations_and_keys():
    """Through the network, as a SUT's calls go: each recorded with what it means."""
    world = onfleet_world(Receiver())
    done = []
    for call_ in (Call("lastmile", "POST", "/api/v2/tasks", TASK),
                  Call("lastmile", "GET", f"/api/v2/tasks/{ids.encode('task', 1)}"),
                  Call("lastmile", "GET", f"/api/v2/tasks/shortId/{ids.short_id(1)}")):
        world.transport.send(call_, lambda response, error: done.append(response.status_code))
        world.env.run(until=world.env.now + 10)
    meant = [(e.data["operation"], e.data["subject"]) for e in world.ledger.entries
             if e.kind == "request"]
    assert done == [200, 200, 200]
    assert meant == [("lastmile.create_task", {"order_id": "SO-000001",
                                               "shipment_id": "SH-000001"}),
                     ("lastmile.get_task", {"task_id": "T-000001"}),
                     ("lastmile.get_task", {"task_id": "T-000001"})]


def _without(*path):
    body = json.loads(json.dumps(TASK))
    *inner, last = path
    node = body
    for key in inner:
        node = node[key]
    del node[last]
    return body


BAD = [
    ("POST", "/tasks", None, 400, 1000),
    ("POST", "/tasks", [], 400, 1000),
    ("POST", "/tasks", "x", 400, 1000),
    ("POST", "/tasks", {}, 400, 1000),
    ("POST", "/tasks", _without("destination"), 400, 1000),
    ("POST", "/tasks", _without("destination", "address", "street"), 400, 1000),
    ("POST", "/tasks", _without("destination", "address", "postalCode"), 400, 1000),
    ("POST", "/tasks", _without("metadata"), 400, 1000),
    ("POST", "/tasks", {**TASK, "metadata": TASK["metadata"][:1]}, 400, 1000),
    ("POST", "/tasks", {**TASK, "metadata": [{"name": "order_id", "value": 7}]}, 400, 1000),
    ("POST", "/tasks", {**TASK, "metadata": [1]}, 400, 1000),
    ("POST", "/tasks", {**TASK, "recipients": [{"phone": "1"}]}, 400, 1000),
    ("POST", "/tasks", {**TASK, "recipients": "Ada"}, 400, 1000),
    ("POST", "/tasks", {**TASK, "completeAfter": "soon"}, 400, 1000),
    ("POST", "/tasks", {**TASK, "completeAfter": 2, "completeBefore": 1}, 400, 1000),
    ("POST", "/tasks", {**TASK, "completeBefore": True}, 400, 1000),
    ("POST", "/tasks", {**TASK, "notes": 1e400}, 400, 1000),
    ("POST", "/tasks", {**TASK, "notes": "x" * 2001}, 400, 1000),
    ("GET", "/tasks/nope", None, 404, 1402),
    ("GET", "/tasks/" + ids.encode("webhook", 1), None, 404, 1402),
    ("GET", "/tasks/shortId/zzzzzzzz", None, 404, 1402),
    ("GET", "/tasks/shortId/" + ids.short_id(2), None, 404, 1402),
    ("PUT", "/tasks/" + ids.encode("task", 1), {"notes": "x"}, 400, 1000),
    ("PUT", "/tasks/" + ids.encode("task", 1), {"destination": {"address": {}}}, 400, 1000),
    ("PUT", "/tasks/" + ids.encode("task", 1), [], 400, 1000),
    ("DELETE", "/tasks/" + ids.encode("task", 9), None, 404, 1402),
    ("POST", "/webhooks", {"url": URL, "name": "x"}, 400, 1000),
    ("POST", "/webhooks", {"url": URL, "name": "x", "trigger": "3"}, 400, 1000),
    ("POST", "/webhooks", {"url": URL, "name": "x", "trigger": 99}, 400, 1000),
    ("POST", "/webhooks", {"url": URL, "name": "x", "trigger": True}, 400, 1000),
    ("POST", "/webhooks", {"url": "", "name": "x", "trigger": 3}, 400, 1000),
    ("POST", "/webhooks", {"url": URL, "name": "", "trigger": 3}, 400, 1000),
    ("POST", "/webhooks", {"url": URL, "name": "x", "trigger": 1, "threshold": 1.5},
     400, 1000),
    ("POST", "/webhooks", None, 400, 1000),
    ("DELETE", "/webhooks/nope", None, 404, 1402),
    ("PATCH", "/tasks", None, 405, 1300),
    ("GET", "/workers", None, 404, 1400),
    ("POST", "/tasks/" + ids.encode("task", 1), {}, 405, 1300),
]


@pytest.mark.parametrize("method, path, body, status, number", BAD)
def test_bad_input_gets_a_4xx_in_onfleets_error_shape(method, path, body, status, number):
    world = onfleet_world(Receiver())
    assert call(world, "POST", "/tasks", TASK).status == 200
    refused(call(world, method, path, body), status, number)


def test_a_finished_task_cannot_change_or_go():
    world = onfleet_world(Receiver())
    (task,) = assigned_tasks(world, 1)
    world.lastmile.start(task, eta=0.0)
    world.lastmile.complete(task, True, pod={"signed_by": "Ada", "photo": "pod/T-000001.jpg"},
                            photos=("pod/T-000001.jpg",))
    onfleet_id = ids.encode("task", 1)
    done = call(world, "GET", f"/tasks/{onfleet_id}").body
    assert done["state"] == 3 and done["completionDetails"]["success"] is True
    assert done["completionDetails"]["photoUploadIds"] == ["pod/T-000001.jpg"]
    assert done["completionDetails"]["signatureUploadId"]
    refused(call(world, "DELETE", f"/tasks/{onfleet_id}"), 409, 1200)
    refused(call(world, "PUT", f"/tasks/{onfleet_id}", {"destination": TASK["destination"]}),
            409, 1200)


# --- seatrial sut answers the validation request ----------------------------------------------


@pytest.mark.parametrize("answer, status, text", [
    (lambda check: check, 200, "c0ffee"),
    (lambda check: None, 204, ""),
])
def test_seatrial_sut_answers_the_validation_request_with_validate_webhook(answer, status,
                                                                           text):
    from starlette.testclient import TestClient
    from test_live_fuzz import sut_settings

    from seatrial.live.sut import sut_app

    with TestClient(sut_app(lambda: Receiver(answer), sut_settings(), secret="s")) as client:
        got = client.get("/webhooks/lastmile", params={"check": "c0ffee"})
        assert (got.status_code, got.text) == (status, text)
        assert client.get("/webhooks/lastmile").status_code == 404  # no check: not ours
