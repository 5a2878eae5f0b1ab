"""The `sap-s4` dialect's contracts: its EDMX documents current on disk (contracts/edmx/),
loadable by SAP's OData client, and the same document `$metadata` serves; and bad input over
HTTP answered with a 4xx in SAP's OData error body, never a 5xx."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyodata.v2.model import MetadataBuilder

from seatrial.catalogue import catalogue
from seatrial.live.stack import SimulatorStack, running
from seatrial.model.wire import BODY_LIMIT
from seatrial.scenario import Dialects
from seatrial.simulators.dialect import dialect
from seatrial.simulators.erp.dialects.sap_s4 import edmx, export
from seatrial.simulators.erp.dialects.sap_s4.model import SERVICES

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "run `python -m seatrial.simulators.erp.dialects.sap_s4.export` to regenerate"


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_the_committed_edmx_is_current(service):
    path = export.directory() / f"{service.name}.xml"
    assert path.exists(), f"contracts/edmx/{path.name} is missing: {REGENERATE}"
    assert path.read_bytes() == edmx.document(service.name), f"{path} is stale: {REGENERATE}"


def test_no_stray_edmx_documents():
    assert sorted(p.name for p in export.directory().glob("*.xml")) == sorted(
        f"{service.name}.xml" for service in SERVICES), REGENERATE


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_pyodata_loads_every_entity_set_and_function(service):
    schema = MetadataBuilder((export.directory() / f"{service.name}.xml").read_bytes()).build()
    assert {s.name for s in schema.entity_sets} == {t.entity_set for t in service.types}
    assert {f.name for f in schema.function_imports} == {f.name for f in service.functions}
    for entity in service.types:
        loaded = schema.entity_type(entity.name)
        assert [k.name for k in loaded.key_proprties] == list(entity.keys)
        assert {n.name for n in loaded.nav_proprties} == {n.name for n in entity.navs}


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_metadata_serves_the_exported_document(service):
    router = dialect("erp", "sap-s4").router(None)
    reply = router.dispatch("GET", f"{service.path}/$metadata")
    assert reply.status == 200 and reply.body == edmx.document(service.name)


def test_the_export_entry_point_writes_both(tmp_path):
    run = subprocess.run([sys.executable, "-m", "seatrial.simulators.erp.dialects.sap_s4.export",
                          str(tmp_path)], cwd=ROOT, capture_output=True, text=True, check=True)
    assert len(run.stdout.splitlines()) == len(SERVICES)
    for service in SERVICES:
        assert (tmp_path / f"{service.name}.xml").read_bytes() == edmx.document(service.name)


# --- bad input over HTTP: SAP's error body and a 4xx, never a 5xx ------------------------------
# tests/test_dialect_sap.py holds the router's table (bad keys, $filter, $select, writes,
# $batch bodies); this one goes through the live face too, where bodies are parsed and
# credentials checked before the router sees a request.

SO = "/sap/opu/odata/sap/API_SALES_ORDER_SRV"
ORDER = f"{SO}/A_SalesOrder('{{order}}')"
STATUS = {"YY1_LogisticsStatus_SDH": "PCK"}
JSON = {"content-type": "application/json"}
MULTIPART = "multipart/mixed; boundary=batch_1"


@pytest.fixture(scope="module")
def sap() -> Iterator[SimulatorStack]:
    scenario = catalogue()["happy-path"].model_copy(update={"dialects": Dialects(erp="sap-s4")})
    stack = SimulatorStack(scenario, 60.0)  # no SUT: only the ERP's API counts
    stack.world.env.run(until=3 * 3600.0)  # a few released orders to write to
    with running(stack) as live:
        yield live


@pytest.fixture
def client(sap: SimulatorStack) -> Iterator[httpx.Client]:
    """Basic auth as the communication user; cookies kept, as an OData client keeps them."""
    with httpx.Client(base_url=sap.urls["erp"], timeout=10.0,
                      auth=(sap.tokens.client_id, sap.tokens.client_secret)) as made:
        yield made


@pytest.fixture
def order(sap: SimulatorStack) -> str:
    return next(iter(sap.world.erp.orders))


def _fetched(client: httpx.Client) -> dict[str, str]:
    """A CSRF token for the client's session (its cookie, kept by the client)."""
    answer = client.get(SO, headers={"x-csrf-token": "Fetch"})
    assert answer.status_code == 200, answer.text
    return {"x-csrf-token": answer.headers["x-csrf-token"]}


def _etag(client: httpx.Client, order: str) -> dict[str, str]:
    return {"if-match": client.get(ORDER.format(order=order)).headers["etag"]}


def _stale(client: httpx.Client, order: str) -> dict[str, str]:
    """An ETag the order had before a write changed it."""
    before = _etag(client, order)
    written = client.patch(ORDER.format(order=order), json={"YY1_LogisticsStatus_SDH": "PLN"},
                           headers={**_fetched(client), **before})
    assert written.status_code == 204, written.text
    return before


Headers = Callable[[httpx.Client, str], dict[str, str]]


def _session(client: httpx.Client, order: str) -> dict[str, str]:
    return {**_fetched(client), **_etag(client, order)}


def _nothing(_client: httpx.Client, _order: str) -> dict[str, str]:
    return {}


# (what, method, path, headers (made on the live session), body bytes or None, status)
LIVE_BAD: list[tuple[str, str, str, Headers, bytes | None, int]] = [
    ("malformed JSON", "PATCH", ORDER, _session, b'{"YY1_LogisticsStatus_SDH": "PCK"', 400),
    ("not UTF-8", "PATCH", ORDER, _session, b"\xff\xfe{}", 400),
    ("NaN is no JSON", "PATCH", ORDER, _session, b'{"YY1_ETA_SDH": NaN}', 400),
    ("nested too deeply", "PATCH", ORDER, _session, b"[" * 100_000, 400),
    ("no CSRF token", "PATCH", ORDER, lambda c, o: _etag(c, o), json.dumps(STATUS).encode(),
     403),
    ("another session's token", "PATCH", ORDER,
     lambda c, o: {**_etag(c, o), "x-csrf-token": "not-the-sessions-token"},
     json.dumps(STATUS).encode(), 403),
    ("a stale ETag", "PATCH", ORDER, lambda c, o: {**_fetched(c), **_stale(c, o)},
     json.dumps(STATUS).encode(), 412),
    ("no If-Match", "PATCH", ORDER, lambda c, _o: _fetched(c), json.dumps(STATUS).encode(),
     428),
    ("unknown entity set", "GET", f"{SO}/A_Nothing('1')", _nothing, None, 404),
    ("a bad key", "GET", f"{SO}/A_SalesOrder(SO-1)", _nothing, None, 400),
    ("a bad $filter", "GET", f"{SO}/A_SalesOrder?$filter=SalesOrder%20eq", _nothing, None,
     400),
    ("an unknown property", "PATCH", ORDER, _session,
     json.dumps({**STATUS, "NoSuchProperty": 1}).encode(), 400),
    ("a method the entity set does not take", "DELETE", ORDER, _session, None, 405),
    ("$batch without a boundary", "POST", f"{SO}/$batch",
     lambda c, _o: {**_fetched(c), "content-type": "multipart/mixed"}, b"--batch_1--", 400),
    ("$batch with another boundary", "POST", f"{SO}/$batch",
     lambda c, _o: {**_fetched(c), "content-type": MULTIPART},
     b"--other\r\nContent-Type: application/http\r\n\r\nGET A_SalesOrder HTTP/1.1\r\n\r\n"
     b"--other--", 400),
    ("$batch never closed", "POST", f"{SO}/$batch",
     lambda c, _o: {**_fetched(c), "content-type": MULTIPART}, b"--batch_1\r\n", 400),
    ("$batch without the CSRF token", "POST", f"{SO}/$batch",
     lambda _c, _o: {"content-type": MULTIPART}, b"--batch_1--", 403),
]


def sap_error_body(answer: httpx.Response) -> dict[str, Any]:
    """SAP Gateway's OData V2 error body; AssertionError naming what is not."""
    assert answer.headers.get("content-type", "").startswith("application/json"), (
        answer.status_code, answer.headers.get("content-type"), answer.text[:300])
    error = answer.json().get("error")
    assert isinstance(error, dict) and error.get("code"), answer.text[:300]
    assert error["message"]["lang"] == "en" and error["message"]["value"], answer.text[:300]
    assert isinstance(error["innererror"]["errordetails"], list), answer.text[:300]
    return error


@pytest.mark.parametrize(("what", "method", "path", "headers", "body", "status"), LIVE_BAD,
                         ids=[row[0] for row in LIVE_BAD])
def test_bad_input_over_http_gets_sap_error_body_and_a_4xx(client, order, what, method, path,
                                                           headers, body, status):
    sent = {**(JSON if body is not None else {}), **headers(client, order)}
    answer = client.request(method, path.format(order=order), content=body, headers=sent)
    assert answer.status_code == status, (what, answer.status_code, answer.text[:300])
    sap_error_body(answer)


def test_wrong_credentials_get_sap_error_body_and_401(sap):
    answer = httpx.get(f"{sap.urls['erp']}{SO}/A_SalesOrder", auth=("someone", "wrong"),
                       timeout=10.0)
    assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Basic")
    sap_error_body(answer)


def test_an_oversize_body_gets_413_in_sap_error_body(client, order):
    answer = client.patch(ORDER.format(order=order), content=b" " * (BODY_LIMIT + 1),
                          headers={**JSON, **_session(client, order)})
    assert answer.status_code == 413
    sap_error_body(answer)


def test_the_error_body_check_fails_on_a_problem_json_body():
    """The checks above are not vacuous: the canonical problem+json body is no SAP error."""
    problem = httpx.Response(400, json={"type": "https://seatrial.dev/problems/invalid-field",
                                        "title": "Invalid field", "status": 400})
    with pytest.raises(AssertionError):
        sap_error_body(problem)
