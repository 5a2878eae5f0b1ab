"""The TMS's events as the X12 documents a trading partner sends (docs/dialects.md#x12):

- an accepted tender (XB) is a 990 accepting (B104 A) with the carrier's SCAC, preceded by a 990
  declining (D) for each carrier that declined before it (an expired tender gets no answer);
- every other milestone is a 214: an actual as AT701 status and AT702 reason, an estimate as
  AT703 appointment (AA pick-up, AB delivery at the hub) with its estimated time; AT705/AT706
  the time in UTC (AT707 UT), or without AT707 when the TMS sent it in local time; the LX
  line's L11 QN names the stop (1 the pick-up, 2 the hub);
- the final freight-charge statement is a 210, one L1 per charge line.

Every document names the tender by the SUT's shipment identification number (B204 of its 204)
and the TMS's shipment id (B1001 of a 214, an N9 CN on a 990 or 210), and the order (L11/N9
PO)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from seatrial.model.envelope import Event
from seatrial.model.vocabulary import V2_FIELDS
from seatrial.simulators.tms.events import ShipmentStatus as ShipmentStatusEvent
from seatrial.x12.common import Reference
from seatrial.x12.freight_invoice import Charge, FreightInvoice
from seatrial.x12.shipment_status import ShipmentStatus, Status, StatusLine
from seatrial.x12.tender_response import Reservation, TenderResponse

#: each carrier's Standard Carrier Alpha Code (the TMS's carriers, lifecycle.CARRIERS)
SCAC = {"Kuehne+Nagel Road": "KNRD", "DB Schenker": "DBSG", "DSV Road": "DSVR",
        "DHL Freight": "DHLF", "Spot Market Haulier": "SPOT"}
UNASSIGNED = "TMSX"  # a 214 before any carrier accepted (a cancellation)
#: estimates as AT703 appointment codes, by the milestone estimated
APPOINTMENT = {"X3": "AA", "X4": "AB"}
#: the stop an LX line is about (L11 QN): 1 the pick-up, 2 the hub
STOP = {"X3": "1", "AF": "1", "X4": "2"}
#: the TMS's charge codes as 210 L108 special charge codes (400 is line haul)
CHARGE_CODE = {"LINEHAUL": "400", "FUEL": "FUE", "DETENTION": "DET", "LIFTGATE": "LFT"}
OTHER_CHARGE = "ZZZ"


def references(event: Event, shipment_id: str | None) -> tuple[Reference, ...]:
    """PO the order, CR the correlation id the tender gave (the TMS's own without one), CN the
    TMS's shipment id."""
    return tuple(Reference(value, qualifier) for value, qualifier in
                 ((event.order_id, "PO"), (event.correlation_id, "CR"), (shipment_id, "CN"))
                 if value)


def tender_responses(event: Event, tender_id: str, tenders: list[Any]) -> list[TenderResponse]:
    """The 990s for an accepted tender (`tenders`: the shipment's, in the order made)."""
    day = _moment(event.event_time).date()
    refs = references(event, event.shipment_id)
    return [TenderResponse(SCAC.get(tender.carrier, UNASSIGNED), tender_id, day,
                           Reservation.ACCEPTED if tender.outcome == "accepted" else
                           Reservation.DECLINED, refs,
                           "" if tender.outcome == "accepted" else "CAPACITY")
            for tender in tenders if tender.outcome in ("accepted", "declined")]


def shipment_status(event: Event, tender_id: str) -> ShipmentStatus | None:
    """The 214 for a milestone; None for a payload that names no status (a poison message,
    which the TMS sends as it is: see `unreadable`)."""
    payload = event.payload
    code, reason, carrier = _status_fields(payload)
    if not isinstance(code, str) or not code.isalnum() or not 1 <= len(code) <= 2:
        return None
    moment = event.event_time
    estimated = event.classifier != "ACT"
    if estimated and isinstance(payload.get("eta"), str):
        moment = datetime.fromisoformat(payload["eta"])
    local = moment.tzinfo is None
    moment = _moment(moment)
    scac = SCAC.get(carrier, UNASSIGNED) if isinstance(carrier, str) else UNASSIGNED
    reason = reason if isinstance(reason, str) and reason.isalnum() and len(reason) == 2 \
        else "NS"
    status = Status(moment.date(), moment.time().replace(microsecond=0),
                    status="" if estimated else code, reason="" if estimated else reason,
                    appointment=APPOINTMENT.get(code, code) if estimated else "",
                    appointment_reason=reason if estimated else "",
                    time_code="" if local else "UT", equipment_scac=scac)
    stop = (Reference(STOP[code], "QN"),) if code in STOP else ()
    return ShipmentStatus(event.shipment_id or "", tender_id, scac,
                          (StatusLine(1, (status,), stop),),
                          references(event, None))


def freight_invoice(event: Event, tender_id: str, carrier: str | None
                    ) -> FreightInvoice | None:
    """The 210 for a final statement; None for a payload that is not one (poison)."""
    payload = event.payload
    lines, statement = payload.get("lines"), payload.get("statement_id")
    if not isinstance(lines, list) or not isinstance(statement, str) or not all(
            isinstance(line, dict) and isinstance(line.get("amount"), int | float)
            for line in lines):
        return None
    charges = tuple(Charge(number, round(line["amount"] * 100),
                           CHARGE_CODE.get(line.get("code"), OTHER_CHARGE),
                           Decimal(str(line["amount"])), "FR", str(line.get("code", ""))[:35])
                    for number, line in enumerate(lines, 1))
    day = _moment(event.event_time).date()
    return FreightInvoice(statement, tender_id, "PP", day,
                          sum(charge.charge_cents for charge in charges),
                          SCAC.get(carrier or "", UNASSIGNED), charges,
                          currency=payload.get("currency") or "GBP",
                          references=references(event, event.shipment_id))


def in_schema_1(event: Event) -> Any:
    """The event's payload in schema 1.0, whichever the TMS sent it in: X12 has one shape for
    each fact, so a `schema_drift` to 2.0 changes nothing in the files. 2.0 moves the fields
    as `vocabulary.V2_FIELDS` says: a status's to their paths, every other payload (a freight
    statement's) under `data`."""
    payload = event.payload
    if not event.schema_version.startswith("2.") or not isinstance(payload, dict):
        return payload
    if event.type != ShipmentStatusEvent.TYPE:
        data = payload.get("data")
        return data if isinstance(data, dict) else payload  # not 2.0's shape: as it came
    v1 = {}
    for field, path in V2_FIELDS["tms"].items():
        found: Any = payload
        for part in path.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        if found is not None:
            v1[field] = found
    return v1


def _status_fields(payload: Any) -> tuple[Any, Any, Any]:
    """Status code, reason and carrier (schema 1.0: `in_schema_1`)."""
    if not isinstance(payload, dict):
        return None, None, None
    return payload.get("status_code"), payload.get("reason_code"), payload.get("carrier")


def _moment(moment: datetime) -> datetime:
    """In UTC; a time without an offset stays the wall-clock time it says."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC)
