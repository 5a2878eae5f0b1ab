"""The dialect seam: cores name their canonical operations once, every dialect maps its
endpoints onto them, a scenario picks a dialect per system, and the ledger records the canonical
operation beside the wire detail."""

from __future__ import annotations

import dataclasses
import random

import pytest
import simpy
import yaml
from starlette.testclient import TestClient

from seatrial.faults import FaultLayer
from seatrial.ledger import Ledger
from seatrial.live.clock import LiveClock
from seatrial.live.simulator_app import Activity, simulator_app
from seatrial.live.tokens import TokenIssuer
from seatrial.model.envelope import Event, to_datetime
from seatrial.run import play
from seatrial.scenario import Scenario
from seatrial.scenario_yaml import ScenarioError, load_scenario
from seatrial.simulators.api import Reply
from seatrial.simulators.auth import Auth
from seatrial.simulators.dialect import SYSTEMS, dialect, dialects
from seatrial.simulators.domain import operations
from seatrial.simulators.erp.core import ErpCore
from seatrial.simulators.lastmile.core import LastMileCore
from seatrial.simulators.tms.core import TmsCore
from seatrial.targets import resolve
from seatrial.world import World
from seatrial.world.dispatcher import WebhookDispatcher
from seatrial.world.ports import Signing

CORES = {"erp": ErpCore, "tms": TmsCore, "lastmile": LastMileCore}


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_endpoint_performs_a_canonical_operation_of_its_system(system):
    named = operations(CORES[system])
    assert named and all(name.startswith(f"{system}.") for name in named)
    for made in dialects(system).values():
        served = {made.table.operation(endpoint) for endpoint in made.endpoints}
        # or none: the API's own description ($metadata), a batch (its parts have theirs)
        assert served - {None} <= set(named), (made.name, served - set(named))


@pytest.mark.parametrize("system", SYSTEMS)
def test_the_canonical_dialect_serves_every_operation(system):
    """But webhook registration: in the canonical dialect the subscription stands."""
    made = dialect(system)
    standing = {f"{system}.{name}" for name in getattr(CORES[system], "REGISTRATIONS", ())}
    assert {made.table.operation(e) for e in made.endpoints} == \
        set(operations(CORES[system])) - standing


def test_an_unknown_dialect_is_refused_naming_the_field_and_the_known_ones():
    text = yaml.safe_dump({"name": "x", "dialects": {"lastmile": "onfleat"}})
    with pytest.raises(ScenarioError) as caught:
        load_scenario(text, "x.yaml")
    message = str(caught.value)
    assert "dialects.lastmile" in message and "canonical" in message and "onfleat" in message


def test_the_ledger_records_each_calls_canonical_operation_and_keys():
    scenario = load_scenario(yaml.safe_dump({"name": "x", "duration": "2h"}), "x.yaml")
    world, _end = play(scenario, resolve("reference"))
    requests = [e for e in world.ledger.entries if e.kind == "request"]
    assert requests
    named = {name for core in CORES.values() for name in operations(core)}
    for entry in requests:
        assert entry.data["operation"] in named, entry
        assert entry.data["operation"].startswith(f"{entry.system}.")
    creates = [e for e in requests if e.data["operation"] == "tms.create_shipment"]
    assert creates and all(e.data["subject"] == {"order_id": e.data["body"]["order_id"]}
                           for e in creates)


def test_a_request_no_endpoint_serves_has_no_operation():
    router = dialect("tms").router(None)
    assert router.meaning(router.match("DELETE", "/shipments/SH-1"), None) == (None, {})
    found = router.match("POST", "/shipments/SH-1/cancel")
    assert router.meaning(found, {}) == ("tms.cancel_shipment", {"shipment_id": "SH-1"})



def test_the_delivery_channel_sends_each_source_in_its_dialects_body_and_signature():
    """A dialect owns its webhooks' shape: the channel asks it for the body and the headers."""
    seen = []

    class Keep:
        def deliver(self, webhook, on_result):
            seen.append((webhook.body, webhook.headers))
            on_result("ack", None)

    signed = []
    made = dataclasses.replace(
        dialect("tms"), render_event=lambda event: f"<status id={event.event_id}/>".encode(),
        sign_webhook=lambda secret, event, when, body, forgery: signed.append(
            (secret, when, body, forgery)) or {"x-vendor-signature": "sig"})
    env = simpy.Environment()
    scenario = Scenario(name="x")
    channel = WebhookDispatcher(env, FaultLayer(scenario, 3600.0, lambda n: random.Random(n)),
                                Ledger(), Keep(), Signing({"tms": "whsec_AAAA"}, lambda: 1e9),
                                {"tms": made})
    channel.publish(Event("evt_tms_1", "shipment.status", "tms", 1, to_datetime(0),
                          to_datetime(0), "ACT", "corr-1"))
    env.run()
    assert seen == [(b"<status id=evt_tms_1/>", {"x-vendor-signature": "sig"})]
    assert signed == [("whsec_AAAA", 1_000_000_000, b"<status id=evt_tms_1/>", None)]


def test_the_live_face_lets_callers_in_by_their_dialects_auth_scheme():
    """A dialect with an API-key scheme and its own error shape: the live face asks it, serves
    no token path it does not have, and answers a refusal in the dialect's shape."""
    key = Auth(lambda _tokens, system, authorization: None
               if authorization == f"Basic key-{system}" else "send your API key",
               'Basic realm="vendor"')
    made = dataclasses.replace(dialect("erp"), auth=key, errors=lambda status, slug, title,
                               detail, **extra: Reply(status, {"code": slug, "cause": detail}))
    world = World(Scenario(name="x"))
    world.env.run(until=3600.0)
    order = next(iter(world.erp.orders))
    app = simulator_app("erp", world.transport, LiveClock(world.env, 3600.0),
                        TokenIssuer(random.Random(1), 3600.0), Activity(), lambda: {}, made)
    with TestClient(app) as client:
        refused = client.get(f"/orders/{order}", headers={"authorization": "Bearer abc"})
        assert refused.status_code == 401
        assert refused.json() == {"code": "unauthorized", "cause": "send your API key"}
        assert refused.headers["www-authenticate"] == 'Basic realm="vendor"'
        let_in = client.get(f"/orders/{order}", headers={"authorization": "Basic key-erp"})
        assert let_in.status_code == 200 and let_in.json()["id"] == order
        no_token_path = client.post("/oauth/token", headers={"authorization": "Basic key-erp"})
        # no token path: the request goes to the API, whose world speaks canonical here
        assert no_token_path.status_code == 404
        assert no_token_path.json()["type"].endswith("/no-such-endpoint")
