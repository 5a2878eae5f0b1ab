"""The live protocol's edges: tokens and their expiry, refusals, the SUT host's answers."""

from __future__ import annotations

import json
import math
import time

import httpx
import pytest
from starlette.testclient import TestClient
from test_live import FAST, SEATRIAL, SMALL

from seatrial.live.runner import LiveOptions, LiveTarget, play_live
from seatrial.live.stack import SimulatorStack, running
from seatrial.live.sut import SETTINGS, sut_app
from seatrial.model.envelope import to_datetime
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
    world, end = play_live(short, LiveTarget(command=f"{SEATRIAL} sut reference"),
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
