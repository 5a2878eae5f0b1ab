"""The x12 dialect's endpoints: the mailbox as the SDK's file-exchange client reaches it in
process (`io.mailbox`: list, get, put, rename, delete), and the two canonical operations a 204
carries, declared so that the ledger records each beside the file that carried it.

The SUT writes only `inbound/`, and a file there is taken the moment it is put under its final
name: an in-process put is whole at once, so there is nothing to rename into place (a name
beginning with a dot is a file still being written, never taken; the SUT renames only in
`outbound/`, where it may mark what it has collected). The TMS collects what lands in
`inbound/`; the SUT collects, and deletes, what it finds in `outbound/`.

Each call carries the credential the SUT logged in with (`ApiRequest.login`); one the
mailbox no longer takes (its login rotated) is refused 403 before anything is done, as the
SFTP face words a denied permission."""

from __future__ import annotations

from typing import Any

from seatrial.simulators.api import ApiRequest, Endpoint, Reply, problem
from seatrial.simulators.domain import Invalid, NotFound
from seatrial.simulators.schema import obj, string
from seatrial.simulators.tms.core import TmsCore
from seatrial.simulators.tms.dialects.x12.mailbox import HIDDEN
from seatrial.simulators.tms.dialects.x12.partner import (
    CANCELLATION,
    TENDER,
    TradingPartner,
    carried,
)

X12_MEDIA = "application/edi-x12"  # RFC 1767

SCHEMAS: dict[str, dict[str, Any]] = {
    "FileList": obj({"files": {"type": "array", "items": {"type": "string"}}}, ["files"],
                    closed=True),
    "File": {"type": "string", "format": "binary",
             "description": "the file's bytes (an X12 interchange, application/edi-x12)"},
    "Rename": obj({"to": string("the new name, in the same folder")}, ["to"], closed=True),
    "Stored": obj({"name": string("the file's name"), "folder": string("its folder")},
                  ["name", "folder"], closed=True),
    "Tender": obj({"id": string("the TMS's shipment id")}, ["id"]),
}


LOGIN_REFUSED = 403


def refused(partner: TradingPartner, request: ApiRequest) -> Reply | None:
    """403 for a call whose credential the mailbox no longer takes (None: it gets in; a call
    carrying none is the HTTP face's, whose bearer token let it in)."""
    if request.login is None or partner.mailbox.login.accepts(request.login):
        return None
    return problem(LOGIN_REFUSED, "login-refused", "Permission denied",
                   "login refused: the mailbox's password and key have changed; log in with "
                   "the key its file holds now")


def list_files(partner: TradingPartner, request: ApiRequest) -> Reply:
    if (refusal := refused(partner, request)) is not None:
        return refusal
    return Reply(200, {"files": partner.mailbox.listing(request.params["folder"])})


def get_file(partner: TradingPartner, request: ApiRequest) -> Reply:
    if (refusal := refused(partner, request)) is not None:
        return refusal
    params = request.params
    return Reply(200, partner.mailbox.read(params["folder"], params["name"]),
                 {"content-type": X12_MEDIA})


def put_file(partner: TradingPartner, request: ApiRequest) -> Reply:
    if (refusal := refused(partner, request)) is not None:
        return refusal
    folder, name = request.params["folder"], request.params["name"]
    if folder != "inbound":
        raise Invalid("folder", "the SUT writes only inbound/ (outbound/ is the TMS's)")
    if request.content is None:
        raise Invalid("body", "the file's bytes, sent raw (content-type application/edi-x12)")
    partner.mailbox.put(folder, name, request.content)
    landed = () if name.startswith(HIDDEN) else partner.land(name)
    return Reply(201, {"name": name, "folder": folder}, inner=landed)


def rename_file(partner: TradingPartner, request: ApiRequest) -> Reply:
    if (refusal := refused(partner, request)) is not None:
        return refusal
    folder, name = request.params["folder"], request.params["name"]
    to = request.body.get("to") if isinstance(request.body, dict) else None
    if not isinstance(to, str):
        raise Invalid("to", "the new name, a string")
    if folder != "outbound":
        raise Invalid("folder", "put an inbound file under its final name (an in-process put "
                                "is whole at once); rename in outbound/ only")
    partner.mailbox.rename(folder, name, to)
    return Reply(200, {"name": to, "folder": folder})


def delete_file(partner: TradingPartner, request: ApiRequest) -> Reply:
    if (refusal := refused(partner, request)) is not None:
        return refusal
    params = request.params
    partner.mailbox.delete(params["folder"], params["name"])
    return Reply(200, {"name": params["name"], "folder": params["folder"]})


def tender_load(partner: TradingPartner, request: ApiRequest) -> Reply:
    """Reached only inside a 204 (`carries`): called on its own, there is no such endpoint."""
    raise NotFound("endpoint", request.path)


def cancel_tender(partner: TradingPartner, request: ApiRequest) -> Reply:
    """Reached only inside a 204 with B2A01 01 (`carries`), as `tender_load`."""
    raise NotFound("endpoint", request.path)


FILE = "/mailbox/{folder}/{name}"

ENDPOINTS = (
    Endpoint("GET", "/mailbox/{folder}", list_files, None, "List a folder's files", 200,
             "FileList"),
    Endpoint("GET", FILE, get_file, None, "Download a file", 200, "File"),
    Endpoint("PUT", FILE, put_file, None,
             "Upload a file to inbound/: the TMS takes it at once, answering with a 997",
             201, "Stored", "File",
             invalid="not inbound/, or a name with '/' or '.' or '..'",
             carries=lambda content, headers: carried(content)),
    Endpoint("POST", FILE + "/rename", rename_file, None,
             "Rename a file in outbound/ (an existing target is refused)", 200, "Stored",
             "Rename", conflict="a file of that name exists already"),
    Endpoint("DELETE", FILE, delete_file, None, "Delete a file (one collected)", 200,
             "Stored"),
    Endpoint("POST", TENDER, tender_load, TmsCore.create_shipment,
             "A 204 tender (B2A01 00), as the ledger records it: sent only inside a file",
             201, "Tender", idempotent=True),
    Endpoint("POST", CANCELLATION, cancel_tender, TmsCore.cancel_shipment,
             "A 204 cancellation (B2A01 01), as the ledger records it: sent only inside a "
             "file", 200, "Tender", idempotent=True),
)
