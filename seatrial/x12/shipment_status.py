"""The 214 transportation carrier shipment status message: a carrier reports milestones.

Segments: B10 (B1001 the carrier's reference, B1002 the shipment id, B1003 the SCAC), L11
references, the N1/N3/N4 parties, then one LX loop per status line: LX, and for each status an
AT7 (AT701 status code with AT702 reason, or AT703 appointment status with AT704 reason; AT705
date, AT706 time, AT707 time code: LT local, UT universal, a zone such as ET; absent, the time is
local to the place) with its MS1 place (city, state, country) and MS2 equipment (SCAC, number),
and the line's L11 references (the stop it is about: QN stop sequence number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from seatrial.x12.common import (
    PARTY_SEGMENTS,
    Entity,
    Reference,
    entity_segments,
    read_entities,
    read_references,
    reference_segments,
)
from seatrial.x12.envelope import Segment, TransactionSet
from seatrial.x12.errors import ElementSyntax
from seatrial.x12.fields import Located, SetReader, inside, x12_date, x12_time

SET_ID = "214"
FUNCTIONAL_ID = "QM"
SEGMENTS = ("B10", "L11", *PARTY_SEGMENTS, "LX", "AT7", "MS1", "MS2")


@dataclass(frozen=True)
class Status:
    """An AT7 with its MS1 and MS2. `status`/`reason` (AT701/AT702: X3 arrived at pick-up, AF
    departed pick-up, X1 arrived at delivery, D1 delivered... with NS normal, A1 missed
    delivery...) or `appointment`/`appointment_reason` (AT703/AT704) say what happened."""

    day: date
    time: time
    status: str = ""
    reason: str = ""
    appointment: str = ""
    appointment_reason: str = ""
    time_code: str = ""  # AT707; "" leaves the time local, without an offset
    city: str = ""
    state: str = ""
    country: str = ""
    equipment_scac: str = ""
    equipment_number: str = ""


@dataclass(frozen=True)
class StatusLine:
    """An LX loop: its number (LX01), its statuses and the references it carries."""

    number: int
    statuses: tuple[Status, ...]
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class ShipmentStatus:
    carrier_reference: str
    shipment_id: str
    carrier_scac: str
    lines: tuple[StatusLine, ...]
    references: tuple[Reference, ...] = ()
    parties: tuple[Entity, ...] = ()


def read_shipment_status(transaction: TransactionSet) -> ShipmentStatus:
    """The 214 in `transaction`; X12Error naming the segment and element when it is malformed."""
    with inside(transaction):
        reader = SetReader(transaction, SET_ID, SEGMENTS)
        b10 = reader.take("B10")
        references, parties = read_references(reader), read_entities(reader)
        lines = [_line(reader, reader.take("LX"))]
        while reader.next_is("LX"):
            lines.append(_line(reader, reader.take("LX")))
        reader.finish()
        return ShipmentStatus(
            carrier_reference=b10.text(1, size=(1, 30)), shipment_id=b10.text(2, size=(1, 30)),
            carrier_scac=b10.text(3, size=(2, 4)), lines=tuple(lines), references=references,
            parties=parties)


def _line(reader: SetReader, lx: Located) -> StatusLine:
    statuses = [_status(reader, reader.take("AT7"))]
    while reader.next_is("AT7"):
        statuses.append(_status(reader, reader.take("AT7")))
    return StatusLine(lx.integer(1), tuple(statuses), read_references(reader))


def _status(reader: SetReader, at7: Located) -> Status:
    status, appointment = at7.optional(1, size=(2, 2)), at7.optional(3, size=(2, 2))
    if not status and not appointment:
        raise at7.fail(1, ElementSyntax.CONDITIONAL_MISSING,
                       "a status (AT701) or an appointment status (AT703) is required")
    ms1, ms2 = reader.maybe("MS1"), reader.maybe("MS2")
    return Status(
        day=at7.day(5), time=at7.clock(6), status=status or "",
        reason=at7.text(2, required=bool(status), size=(2, 2)),
        appointment=appointment or "",
        appointment_reason=at7.text(4, required=bool(appointment), size=(2, 2)),
        time_code=at7.optional(7, size=(2, 2)) or "",
        city=(ms1.optional(1) or "") if ms1 else "", state=(ms1.optional(2) or "") if ms1 else "",
        country=(ms1.optional(3) or "") if ms1 else "",
        equipment_scac=ms2.text(1, size=(2, 4)) if ms2 else "",
        equipment_number=(ms2.optional(2) or "") if ms2 else "")


def shipment_status_segments(message: ShipmentStatus) -> tuple[Segment, ...]:
    """The 214's body, B10 to the last LX loop (the envelope adds ST and SE)."""
    segments = [Segment.of("B10", message.carrier_reference, message.shipment_id,
                           message.carrier_scac), *reference_segments(message.references)]
    for party in message.parties:
        segments += entity_segments(party)
    for line in message.lines:
        segments.append(Segment.of("LX", str(line.number)))
        for s in line.statuses:
            segments.append(Segment.of("AT7", s.status, s.reason, s.appointment,
                                       s.appointment_reason, x12_date(s.day), x12_time(s.time),
                                       s.time_code))
            if s.city or s.state or s.country:
                segments.append(Segment.of("MS1", s.city, s.state, s.country))
            if s.equipment_scac:
                segments.append(Segment.of("MS2", s.equipment_scac, s.equipment_number))
        segments += reference_segments(line.references)
    return tuple(segments)
