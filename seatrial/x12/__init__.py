"""ANSI X12 (version 004010) for the transportation sets: a strict codec and typed documents.

Neutral ground: the TMS simulator that plays an EDI trading partner and the SDK a sync
implementation uses both import it, so it imports neither. `envelope` reads and writes
interchanges (ISA/GS/ST with their trailers, counts and control numbers), `errors` says what is
wrong and where, `control` hands out and remembers control numbers, and one module per
transaction set maps its segments to a dataclass: `load_tender` (204), `tender_response` (990),
`shipment_status` (214), `freight_invoice` (210), `acknowledgment` (997). `documents` ties them
together; `golden` writes the reference files in contracts/edi/. The modules are imported here
so that a SUT reaches them all through the SDK (`from seatrial.sdk import x12`).
"""

from seatrial.x12 import (
    acknowledgment,
    common,
    control,
    documents,
    envelope,
    errors,
    freight_invoice,
    load_tender,
    shipment_status,
    tender_response,
)

__all__ = ["acknowledgment", "common", "control", "documents", "envelope", "errors",
           "freight_invoice", "load_tender", "shipment_status", "tender_response"]
