"""A test-only ERP dialect that talks the way SAP's OData V2 services do on the wire, and a sync
implementation that talks to it through the SDK: what the vendor dialects stand on, without
any of their business.

The dialect: `GET /service/` with `x-csrf-token: Fetch` hands out a CSRF token bound to a
session cookie (two Set-Cookie fields, as SAP Gateway sends them); `POST /notes` takes raw XML
(a raw media type) only with that token and cookie (else 403 `x-csrf-token: Required`) and
answers XML with an ETag; `PUT /notes/{note_id}` takes JSON only with the current ETag in
If-Match (else 412); `HEAD /notes/{note_id}` answers the ETag alone. It is not installed in
the product: `installed` adds it to the ERP's dialects for one test.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from seatrial.sdk import Cookies, SyncImplementation
from seatrial.simulators.api import ApiRequest, Endpoint, Reply
from seatrial.simulators.dialect import Dialect, dialects

NAME = "stub-wire"
TOKEN = "csrf-7f3a"
SESSION = "SAP_SESSIONID_S4H_100"
ETAG = 'W/"datetimeoffset\'2026-01-05T06%3A00%3A00Z\'"'
XML = b"<?xml version='1.0' encoding='utf-8'?><note>caf\xc3\xa9 &amp; cr\xc3\xa8me</note>"
XML_TYPE = "application/xml"


def csrf_fetch() -> None:
    """The canonical operation of a token fetch (the ledger names it erp.csrf_fetch)."""


def write_note() -> None:
    """The canonical operation of a note's create or update."""


def fetch(_core: Any, request: ApiRequest) -> Reply:
    if request.headers.get("x-csrf-token", "").lower() != "fetch":
        return Reply(200, {"d": {"EntitySets": ["Notes"]}})
    return Reply(200, {"d": {"EntitySets": ["Notes"]}}, {"x-csrf-token": TOKEN},
                 (f"{SESSION}=s-1; path=/; HttpOnly", "sap-usercontext=sap-client=100; path=/"))


def _refused(request: ApiRequest) -> Reply | None:
    cookies = request.headers.get("cookie", "").split("; ")
    if request.headers.get("x-csrf-token") == TOKEN and f"{SESSION}=s-1" in cookies:
        return None
    return Reply(403, b"CSRF token validation failed",
                 {"content-type": "text/plain; charset=utf-8", "x-csrf-token": "Required"})


def create_note(_core: Any, request: ApiRequest) -> Reply:
    refused = _refused(request)
    if refused is not None:
        return refused
    if request.content is None or request.body is not None:
        return Reply(415, {"error": {"message": {"value": "send application/xml"}}})
    echoed = (b"<created seen-type='" + request.headers["content-type"].encode() + b"'>"
              + request.content + b"</created>")
    return Reply(201, echoed, {"content-type": f"{XML_TYPE}; charset=utf-8", "etag": ETAG})


def update_note(_core: Any, request: ApiRequest) -> Reply:
    refused = _refused(request)
    if refused is not None:
        return refused
    if request.headers.get("if-match") != ETAG:
        return Reply(412, {"error": {"code": "/IWBEP/CM_MGW_RT/020",
                                     "message": {"value": "ETag mismatch"}}})
    return Reply(200, {"d": {"Text": request.body["Text"], "If-Match": ETAG}})


def head_note(_core: Any, _request: ApiRequest) -> Reply:
    return Reply(200, b"", {"content-type": XML_TYPE, "etag": ETAG})


ENDPOINTS = (
    Endpoint("GET", "/service", fetch, csrf_fetch, "Service document; fetches a CSRF token",
             200, "Service"),
    Endpoint("POST", "/notes", create_note, write_note, "Create a note (XML)", 201, "Note"),
    Endpoint("PUT", "/notes/{note_id}", update_note, write_note, "Update a note", 200, "Note",
             "Note"),
    Endpoint("HEAD", "/notes/{note_id}", head_note, write_note, "A note's ETag", 200, "Note"),
)
DIALECT = Dialect(NAME, "erp", "ERP", ENDPOINTS, {}, lambda _dialect: {"openapi": "3.1.0"},
                  raw_media_types=frozenset({XML_TYPE}))


@contextlib.contextmanager
def installed() -> Iterator[Dialect]:
    """The stub among the ERP's dialects (scenarios may name it) until the block ends."""
    known = dialects("erp")  # cached: this very dict is what `dialect()` looks in
    known[NAME] = DIALECT
    try:
        yield DIALECT
    finally:
        del known[NAME]


def summary(response: Any) -> dict[str, Any]:
    """What a handler saw of an answer, the same on both faces."""
    return {"status": response.status_code, "type": response.headers.get("content-type"),
            "body": response.body, "text": response.text, "etag": response.headers.get("etag"),
            "csrf": response.headers.get("x-csrf-token"), "cookies": response.cookies}


class WireSut(SyncImplementation):
    """On the first order released: the SAP client's dance, each answer kept in the store."""

    name = "wire-stub"

    def on_event(self, event, io):
        if event.type != "order.released" or "seen" in io.store:
            return
        io.store.put("seen", [])
        # the SAP client: fetch a token, then write with it and the session cookie
        fetched = yield io.erp.request("GET", "/service", headers={"X-CSRF-Token": "Fetch"})
        session = Cookies().take(fetched)
        signed = {"x-csrf-token": fetched.headers["x-csrf-token"], **session.headers()}
        created = yield io.erp.request("POST", "/notes", content=XML,
                                       headers={"content-type": XML_TYPE, **signed})
        updated = yield io.erp.request("PUT", "/notes/1", json={"Text": "v2"},
                                       headers={"if-match": created.headers["etag"], **signed})
        stale = yield io.erp.request("PUT", "/notes/1", json={"Text": "v3"},
                                     headers={"if-match": 'W/"old"', **signed})
        unsigned = yield io.erp.request("POST", "/notes", content=XML,
                                        headers={"content-type": XML_TYPE})
        head = yield io.erp.request("HEAD", "/notes/1")
        io.store.put("seen", [summary(answer) for answer in
                              (fetched, created, updated, stale, unsigned, head)])
        io.store.put("jar", session)
