"""The live protocol's edges: tokens and their expiry, refusals, the SUT host's answers."""

from __future__ import annotations

import asyncio
import json
import math
import time
from email.utils import parsedate_to_datetime

import httpx
import pytest
from starlette.testclient import TestClient
from test_live import FAST, SEATRIAL, SMALL

from seatrial.live.http_client import BoundedClient
from seatrial.live.runner import LiveOptions, LiveTarget, play_live
from seatrial.live.settings import url_setting
from seatrial.live.stack import SimulatorStack, running
from seatrial.live.sut import SETTINGS, HttpFace, sut_app
from seatrial.model.envelope import to_datetime
from seatrial.sdk import Call
from seatrial.sdk.webhooks import sign
from seatrial.targets import resolve
from seatrial.world import World
from seatrial.world.ports import AcceptAll

pytestmark = pytest.mark.wall_clock


def test_tokens_bearer_auth_and_refusals_on_the_wire():
    stack = SimulatorStack(SMALL, 3600.0)
    world = stack.world
    world.env.run(until=600.0)
    order = next(iter(world.erp.orders))
    with running(stack), httpx.Client(base_url=stack.urls["erp"]) as erp:
        creds = {"grant_type": "client_credentials", "client_id": stack.tokens.client_id,
                 "client_secret": stack.tokens.client_secret}
        assert erp.post("/oauth/token", data={**creds, "grant_type": "password"}
                        ).json()["field"] == "grant_type"
        wrong = erp.post("/oauth/token", data={**creds, "client_secret": "nope"})
        assert wrong.status_code == 401 and "SEATRIAL_CLIENT_SECRET" in wrong.json()["detail"]
        basic = erp.post("/oauth/token", data={"grant_type": "client_credentials"},
                         auth=(stack.tokens.client_id, stack.tokens.client_secret))
        token = basic.json()["access_token"]

        missing = erp.get(f"/orders/{order}")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert missing.headers["content-type"] == "application/problem+json"
        tms_token = httpx.post(f"{stack.urls['tms']}/oauth/token", data=creds).json()
        foreign = erp.get(f"/orders/{order}",
                          headers={"authorization": f"Bearer {tms_token['access_token']}"})
        assert foreign.status_code == 401  # each system issues its own tokens

        auth = {"authorization": f"Bearer {token}"}
        found = erp.get(f"/orders/{order}", headers=auth)
        assert found.status_code == 200 and found.json()["id"] == order
        assert float(found.headers["x-seatrial-time-scale"]) == 3600.0
        assert found.headers["x-seatrial-sim-time"] >= to_datetime(600.0).isoformat()
        bad = erp.post(f"/orders/{order}/invoice", content=b"{not json", headers=auth)
        assert bad.status_code == 400 and bad.json()["field"] == "body"
        unknown = erp.get("/nowhere", headers=auth)
        assert unknown.status_code == 404
        assert erp.get("/openapi.json").json()["openapi"].startswith("3.1")
    refused = [e for e in world.ledger.entries if e.kind == "refused"]
    assert [e.data["status"] for e in refused] == [401, 401, 400]


def test_expired_tokens_are_refused_and_the_sut_fetches_new_ones():
    short = SMALL.model_copy(update={
        "live": SMALL.live.model_copy(update={"token_lifetime": 1.0})})
    world, end, _pace = play_live(short, LiveTarget(command=f"{SEATRIAL} sut reference"),
                           LiveOptions(scale=FAST))
    expired = [e for e in world.ledger.entries
               if e.kind == "refused" and "expired" in e.data["detail"]]
    assert expired, "a 1 s token lifetime over a ~10 s run must expire tokens"
    from seatrial.run import judge

    assert judge(world, end, "reference", 0.0).passed


def settings() -> dict[str, str]:
    values = {name: f"http://127.0.0.1:9/{name}" for name in SETTINGS}
    values |= {f"SEATRIAL_{s}_WEBHOOK_SECRET": "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQ="
               for s in ("ERP", "TMS", "LASTMILE")}
    return values | {"SEATRIAL_TIME_SCALE": "3600"}


def test_the_sut_host_answers_configure_and_webhooks_as_documented():
    with TestClient(sut_app(resolve("naive").factory, {}, secret="s3cret"),
                    headers={"authorization": "Bearer s3cret"}) as sut:
        assert sut.get("/health").json() == {"status": "ok", "configured": False}
        assert sut.post("/webhooks/erp", content=b"{}").status_code == 503
        partial = sut.post("/seatrial/configure", json={"SEATRIAL_TIME_SCALE": "3600"})
        assert partial.status_code == 422 and "SEATRIAL_ERP_URL" in partial.json()["detail"]
        slow = sut.post("/seatrial/configure", json={**settings(), "SEATRIAL_TIME_SCALE": "0"})
        assert slow.status_code == 422 and "SEATRIAL_TIME_SCALE" in slow.json()["detail"]
        assert sut.post("/seatrial/configure", content=b"[").status_code == 400
        assert sut.post("/seatrial/configure", json=settings()).status_code == 200

        assert sut.post("/webhooks/erp", content=b"not json").status_code == 400
        missing = sut.post("/webhooks/erp", content=json.dumps({"event_id": "e1"}).encode())
        assert missing.status_code == 400 and "type" in missing.json()["detail"]
        assert sut.post("/webhooks/wms", content=b"{}").status_code == 404


def test_the_reference_over_http_refuses_forged_webhooks():
    event = []

    class Catch(AcceptAll):
        def deliver(self, webhook, on_result) -> None:
            event.append(webhook)
            on_result("ack", None)

    world = World(SMALL, receiver=lambda *_parts: Catch())
    world.env.run(until=1800.0)
    webhook = event[0]
    body = webhook.body
    secret = world.secrets[webhook.event.source]
    env = settings() | {f"SEATRIAL_{webhook.event.source.upper()}_WEBHOOK_SECRET": secret}
    now = int(time.time())
    signed = {"webhook-id": webhook.event.event_id, "webhook-timestamp": str(now),
              "webhook-signature": sign(secret, webhook.event.event_id, now, body)}
    forged = {**signed, "webhook-signature": sign("whsec_" + "b3RoZXI=", "x", now, body)}
    stale = {**signed, "webhook-timestamp": str(now - 3600),
             "webhook-signature": sign(secret, webhook.event.event_id, now - 3600, body)}
    with TestClient(sut_app(resolve("reference").factory, env)) as sut:
        url = f"/webhooks/{webhook.event.source}"
        assert sut.post(url, content=body, headers=forged).status_code == 401
        assert sut.post(url, content=body, headers=stale).status_code == 401
        assert sut.post(url, content=body, headers={}).status_code == 401
        assert sut.post(url, content=body, headers=signed).status_code == 204


def test_a_429_on_the_wire_carries_whole_and_exact_retry_after_and_the_ledger_the_grace():
    from seatrial.faults.kinds.rate_limit import RateLimit

    limited = SMALL.model_copy(update={"faults": (RateLimit(system="erp", rate=0.0001, burst=1),)})
    stack = SimulatorStack(limited, 3600.0)
    world = stack.world
    world.env.run(until=600.0)
    order = next(iter(world.erp.orders))
    with running(stack), httpx.Client(base_url=stack.urls["erp"]) as erp:
        token = erp.post("/oauth/token", data={
            "grant_type": "client_credentials", "client_id": stack.tokens.client_id,
            "client_secret": stack.tokens.client_secret}).json()["access_token"]
        answers = [erp.get(f"/orders/{order}", headers={"authorization": f"Bearer {token}"})
                   for _ in range(3)]
    throttled = [a for a in answers if a.status_code == 429]
    assert throttled, [a.status_code for a in answers]
    exact = float(throttled[0].headers["x-seatrial-retry-after"])
    assert int(throttled[0].headers["retry-after"]) == max(1, math.ceil(exact))
    entry = next(e for e in world.ledger.entries if e.data.get("retry_after") is not None)
    assert entry.data["retry_after"] == pytest.approx(exact * 3600.0, abs=0.01)
    assert entry.data["grace"] == pytest.approx(0.25 * 3600.0)
    assert entry.data["connection_grace"] == pytest.approx(0.001 * 3600.0)
    # the request entries name their connection: httpx.Client kept one alive for all three
    vias = {e.data["via"] for e in world.ledger.entries if e.kind == "request"}
    assert len(vias) == 1 and next(iter(vias)).startswith("127.0.0.1:")


def test_a_429_in_http_date_form_on_the_wire_is_the_wall_clocks_date_rounded_up():
    from seatrial.faults.kinds.rate_limit import RateLimit

    limited = SMALL.model_copy(update={"faults": (
        RateLimit(system="erp", rate=0.0001, burst=1, retry_after="http_date"),)})
    stack = SimulatorStack(limited, 3600.0)
    world = stack.world
    world.env.run(until=600.0)
    order = next(iter(world.erp.orders))
    with running(stack), httpx.Client(base_url=stack.urls["erp"]) as erp:
        token = erp.post("/oauth/token", data={
            "grant_type": "client_credentials", "client_id": stack.tokens.client_id,
            "client_secret": stack.tokens.client_secret}).json()["access_token"]
        answers = [(time.time(), erp.get(f"/orders/{order}",
                                         headers={"authorization": f"Bearer {token}"}))
                   for _ in range(3)]
    sent, throttled = next((t, a) for t, a in answers if a.status_code == 429)
    exact = float(throttled.headers["x-seatrial-retry-after"])
    ends = parsedate_to_datetime(throttled.headers["retry-after"]).timestamp()
    assert ends == int(ends) and sent + exact <= ends <= time.time() + exact + 1.0
    assert parsedate_to_datetime(throttled.headers["date"])  # uvicorn's, the wall clock's
    assert throttled.headers.get_list("date") == [throttled.headers["date"]]  # one, not two
    entry = next(e for e in world.ledger.entries if e.data.get("retry_after") is not None)
    # the same moment (the simulated second the in-process date was rounded up to), counted
    # from the ledger entry and, a little later, from when the header was written: the live
    # clock may move between the two while the request is in the server (3.6 simulated
    # seconds a wall millisecond at 3600x), never backwards
    moved = 3600.0 * throttled.elapsed.total_seconds()
    assert -1.0 <= entry.data["retry_after"] - exact * 3600.0 <= 1.0 + moved


@pytest.mark.parametrize("meanwhile", ["on the way", "being read"])
def test_a_request_yielded_before_its_handler_knew_of_a_429_waits_it_out(meanwhile):
    """Another handler yields a call while a 429 is on its way back (or its body is being
    read): it could not have known, so `seatrial sut` holds it until the Retry-After has
    passed, even though its task first runs after the 429's handler was told (at 60x, a
    busy loop made such requests reach the throttled system a few wall milliseconds after
    the 429, and rate-limit-respected convicted the reference)."""
    face = HttpFace(lambda: None, None)
    face.settings = {"SEATRIAL_TIME_SCALE": 60.0, url_setting("tms"): "http://tms.test",
                     "SEATRIAL_CLIENT_ID": "id", "SEATRIAL_CLIENT_SECRET": "secret"}
    arrived: dict[str, float] = {}
    later = Call("tms", "POST", "/shipments", {}, idempotency_key="later")

    def yield_later() -> None:
        face.send(later, lambda response, error: done.set_result(response))

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t"})
        key = request.headers["idempotency-key"]
        arrived[key] = time.monotonic()
        if key == "later":
            return httpx.Response(201, json={})
        if meanwhile == "on the way":
            yield_later()
        return httpx.Response(429, json={}, headers={"retry-after": "1",
                                                     "x-seatrial-retry-after": "0.200000"})

    async def play() -> None:
        nonlocal done
        done = asyncio.get_running_loop().create_future()
        face.client = BoundedClient(5.0)
        for lane in face.client._lanes:
            lane._transport = httpx.MockTransport(answer)
        if meanwhile == "being read":
            throttled = face._throttled

            def and_meanwhile(system: str, response: httpx.Response, untold: list[str]) -> None:
                throttled(system, response, untold)
                yield_later()

            face._throttled = and_meanwhile
        face.send(Call("tms", "POST", "/shipments", {}, idempotency_key="first"),
                  lambda response, error: None)
        assert (await asyncio.wait_for(done, 5.0)).status_code == 201

    done: asyncio.Future
    asyncio.run(play())
    assert arrived["later"] - arrived["first"] >= 0.2
