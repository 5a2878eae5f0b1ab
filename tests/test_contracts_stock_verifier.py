"""A team's own pacts, written only from the published OpenAPI documents (contracts/openapi/)
with pact-python's consumer DSL, verified by the stock pact-python `Verifier` (not Seatrial's
`verify-simulators`) against a real `seatrial serve --provider-states` process: the state
change URL, the pact's own client credentials, and a fresh world for every interaction."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pact import Pact, Verifier, match
from test_serve import serving

pytestmark = pytest.mark.wall_clock

CLIENT = {"client_id": "acme-sync", "client_secret": "acme-s3cret"}
TOKEN_FORM = "grant_type=client_credentials&client_id=acme-sync&client_secret=acme-s3cret"
BEARER = {"Authorization": "Bearer acme-example-token"}
BEARER_HEADER = match.regex(BEARER["Authorization"], regex=r"^Bearer \S+$")
# contracts/openapi: every date-time is RFC 3339 with six fraction digits (docs/contracts.md)
TIME = match.regex("2026-01-05T06:00:00.000000+00:00",
                   regex=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")
ADDRESS = {"street": "1 Dock Road", "city": "Felixstowe", "postcode": "IP11 3SY",
           "country": "GB"}
PROBLEM = "application/problem+json"


def erp_pact(directory: Path) -> None:
    """The ERP API (erp.json): the OAuth2 token, named customers (worded and with params),
    an unknown customer on an empty world, a released order."""
    pact = Pact("acme-sync", "acme-erp")
    (pact.upon_receiving("a token for the pact's own client")
     .with_request("POST", "/oauth/token")
     .with_body(TOKEN_FORM, content_type="application/x-www-form-urlencoded")
     .will_respond_with(200)
     .with_body({"access_token": match.str("t0k3n"), "token_type": "Bearer",
                 "expires_in": match.int(3600)}, content_type="application/json"))
    (pact.upon_receiving("a named customer")
     .given("customer C-12345 exists")
     .with_request("GET", "/customers/C-12345")
     .with_header("Authorization", BEARER_HEADER)
     .will_respond_with(200)
     .with_body({"id": "C-12345", "name": match.str("Ada Lovelace"),
                 "email": match.str("ada@example.com"),
                 "address": match.like({"city": "London"})}, content_type="application/json"))
    (pact.upon_receiving("a customer named in the state's params")
     .given("a customer exists", {"customer_id": "C-777"})
     .with_request("GET", "/customers/C-777")
     .with_header("Authorization", BEARER_HEADER)
     .will_respond_with(200)
     .with_body({"id": "C-777", "name": match.str("Grace Hopper")},
                content_type="application/json"))
    (pact.upon_receiving("a customer the ERP does not know")
     .with_request("GET", "/customers/C-12345")
     .with_header("Authorization", BEARER_HEADER)
     .will_respond_with(404)
     .with_body({"status": 404, "title": match.str("customer not found")}, content_type=PROBLEM))
    (pact.upon_receiving("a released order")
     .given("an order is released", {"order_id": "SO-4711"})
     .with_request("GET", "/orders/SO-4711")
     .with_header("Authorization", BEARER_HEADER)
     .will_respond_with(200)
     .with_body({"id": "SO-4711", "released_at": TIME}, content_type="application/json"))
    with pact.serve() as server:
        httpx.post(f"{server.url}/oauth/token", content=TOKEN_FORM,
                   headers={"content-type": "application/x-www-form-urlencoded"})
        for path in ("/customers/C-12345", "/customers/C-777", "/customers/C-12345",
                     "/orders/SO-4711"):
            httpx.get(f"{server.url}{path}", headers=BEARER)
    pact.write_file(directory)


def tms_pact(directory: Path) -> None:
    """The TMS API (tms.json): the documented 422 for a reused Idempotency-Key, a first create
    on an empty world, a shipment at the hub with its carrier."""
    pact = Pact("acme-sync", "acme-tms")
    create = {"order_id": "SO-4711", "ship_to": ADDRESS, "lines": []}
    (pact.upon_receiving("a create under a key first used for another request")
     .given("an Idempotency-Key was used for a shipment", {"key": "ship-SO-4711"})
     .with_request("POST", "/shipments")
     .with_header("Authorization", BEARER_HEADER)
     .with_header("Idempotency-Key", "ship-SO-4711")
     .with_body(create, content_type="application/json")
     .will_respond_with(422)
     .with_body({"status": 422, "field": "Idempotency-Key",
                 "type": match.regex("https://seatrial.dev/problems/idempotency-key-reused",
                                     regex=r".*/idempotency-key-reused$")},
                content_type=PROBLEM))
    (pact.upon_receiving("the first shipment")
     .with_request("POST", "/shipments")
     .with_header("Authorization", BEARER_HEADER)
     .with_header("Idempotency-Key", "ship-SO-4711")
     .with_body(create, content_type="application/json")
     .will_respond_with(201)
     .with_body({"id": "SH-000001", "order_id": "SO-4711", "state": "created",
                 "carrier": None, "created_at": TIME}, content_type="application/json"))
    (pact.upon_receiving("a shipment at the hub")
     .given("a shipment exists", {"shipment_id": "SH-000001", "order_id": "SO-4711"})
     .given("the shipment reached the hub", {"shipment_id": "SH-000001"})
     .with_request("GET", "/shipments/SH-000001")
     .with_header("Authorization", BEARER_HEADER)
     .will_respond_with(200)
     .with_body({"id": "SH-000001", "state": "at_hub", "carrier": match.str("DHL Freight"),
                 "created_at": TIME}, content_type="application/json"))
    with pact.serve() as server:
        headers = {**BEARER, "Idempotency-Key": "ship-SO-4711"}
        for _ in range(2):
            httpx.post(f"{server.url}/shipments", json=create, headers=headers)
        httpx.get(f"{server.url}/shipments/SH-000001", headers=BEARER)
    pact.write_file(directory)


def stock_verifier(provider: str, url: str, pacts: Path) -> Verifier:
    """The stock Verifier as a team sets it up: the state change URL `serve` prints, with
    teardown, and a bearer token got with the pact's own client credentials."""
    token = httpx.post(f"{url}/oauth/token", data={"grant_type": "client_credentials",
                                                   **CLIENT}).json()["access_token"]
    verifier = (Verifier(provider, host="127.0.0.1")
                .add_transport(url=url)
                .add_source(pacts / f"acme-sync-{provider}.json")
                .state_handler(f"{url}/seatrial/provider-states", teardown=True, body=True)
                .add_custom_header("Authorization", f"Bearer {token}"))
    verifier.set_coloured_output(enabled=False)
    return verifier


def test_the_stock_verifier_verifies_a_pact_written_from_the_openapi(tmp_path, monkeypatch):
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")
    erp_pact(tmp_path)
    tms_pact(tmp_path)
    with serving("--provider-states", "--client-id", CLIENT["client_id"],
                 "--client-secret", CLIENT["client_secret"]) as (_proc, env, lines):
        assert any("/seatrial/provider-states" in line for line in lines), lines
        for provider, system in (("acme-erp", "ERP"), ("acme-tms", "TMS")):
            verifier = stock_verifier(provider, env[f"SEATRIAL_{system}_URL"], tmp_path)
            try:
                verifier.verify()
            except RuntimeError:
                pytest.fail(verifier.output(strip_ansi=True))


def test_an_unknown_state_is_a_4xx_naming_it():
    with serving("--provider-states") as (_proc, env, _lines):
        url = f"{env['SEATRIAL_TMS_URL']}/seatrial/provider-states"
        answer = httpx.post(url, json={"state": "the customer is on credit hold",
                                       "params": {}, "action": "setup"})
        assert answer.status_code == 400
        assert answer.headers["content-type"] == PROBLEM
        problem = answer.json()
        assert problem["field"] == "state"
        assert "'the customer is on credit hold'" in problem["detail"]
        assert "customer <customer_id> exists" in problem["detail"]  # what it knows instead
        wrong = httpx.post(url, json={"state": "a customer exists", "action": "undo"})
        assert (wrong.status_code, wrong.json()["field"]) == (400, "action")
        params = httpx.post(url, json={"state": "a customer exists", "params": {"id": "C-1"},
                                       "action": "setup"})
        assert params.status_code == 400 and "customer_id" in params.json()["detail"]
        unready = httpx.post(url, json={"state": "the order is cancelled",
                                        "params": {"order_id": "SO-9"}, "action": "setup"})
        assert unready.status_code == 400 and "SO-9" in unready.json()["detail"]


def test_serve_without_provider_states_has_no_state_change_url():
    with serving() as (_proc, env, _lines):
        answer = httpx.post(f"{env['SEATRIAL_ERP_URL']}/seatrial/provider-states",
                            json={"state": "customer C-1 exists", "action": "setup"})
        assert answer.status_code == 401  # an API path like any other: no bearer token
