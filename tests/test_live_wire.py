"""The live round trip of generic requests: a handler's header fields, raw bodies and cookies
go out over real HTTP from `seatrial sut`'s face to a simulator speaking a test-only dialect,
and its raw answers, ETags and Set-Cookies come back, as they do in-process."""

from __future__ import annotations

import pytest
from suts import serving
from test_sdk_requests import SMALL, check_seen
from wire_stub import TOKEN, XML, WireSut, installed

from seatrial.live.runner import LiveOptions, LiveTarget, play_live
from seatrial.live.settings import CONTROL_SECRET
from seatrial.live.sut import sut_app
from seatrial.scenario import Dialects

pytestmark = pytest.mark.wall_clock

FAST = 24_000.0  # simulated seconds per wall second: the exchange, not the pace, is tested


def test_a_sap_style_client_round_trip_live(monkeypatch):
    monkeypatch.setenv(CONTROL_SECRET, "wire-control")
    app = sut_app(WireSut, {}, secret="wire-control")
    with installed(), serving(app) as url:
        scenario = SMALL.model_copy(update={"dialects": Dialects(erp="stub-wire")})
        world, _end, _pace = play_live(scenario, LiveTarget(url=url), LiveOptions(scale=FAST))
    store = app.state.face.store
    check_seen(store.get("seen"))
    assert store.get("where") == (
        f"{url}/webhooks/lastmile", {"erp": "stub-wire", "tms": "canonical",
                                     "lastmile": "canonical"})
    requests = [e.data for e in world.ledger.entries
                if e.kind == "request" and e.system == "erp"][:6]
    assert [(r["method"], r["path"]) for r in requests] == [
        ("GET", "/service"), ("POST", "/notes"), ("PUT", "/notes/1"), ("PUT", "/notes/1"),
        ("POST", "/notes"), ("HEAD", "/notes/1")]
    # live too the ledger keeps a credential's being sent, not its value
    assert requests[1]["headers"]["cookie"] == "(sent)"
    assert requests[1]["headers"]["authorization"] == "(sent)"
    assert requests[1]["headers"]["x-csrf-token"] == TOKEN
    assert requests[1]["content"] == XML.decode()
    assert "content" not in requests[2] and requests[2]["body"] == {"Text": "v2"}
