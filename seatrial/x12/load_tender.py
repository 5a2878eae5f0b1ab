"""The 204 motor carrier load tender: a shipper (or its TMS) offers a load to a carrier.

Segments read and written, in order: B2 (B202 carrier SCAC, B204 shipment id, B206 method of
payment), B2A (B2A01 purpose: 00 original, 01 cancellation, 04 change), L11 references, G62
dates, the N1/N3/N4 parties, then one S5 loop per stop (S5 sequence, reason LD load / UL unload,
weight and pieces; L11 stop references; G62 appointment dates; the stop's N1/N3/N4) and the L3
totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from enum import Enum

from seatrial.x12.common import (
    PARTY_SEGMENTS,
    DateTime,
    Entity,
    Reference,
    Totals,
    date_segments,
    entity_segments,
    read_dates,
    read_entities,
    read_entity,
    read_references,
    read_totals,
    reference_segments,
    totals_segment,
)
from seatrial.x12.envelope import Segment, TransactionSet
from seatrial.x12.fields import SetReader, inside, x12_number

SET_ID = "204"
FUNCTIONAL_ID = "SM"
SEGMENTS = ("B2", "B2A", "L11", "G62", *PARTY_SEGMENTS, "S5", "L3")
PAYMENT_METHODS = ("PP", "CC", "TP", "DE", "PC", "PO", "NC", "NR")
#: G6201 date qualifier 64 and G6203 time qualifier 1: must respond by (the tender's deadline
#: for its 990)
MUST_RESPOND_BY, MUST_RESPOND_BY_TIME = "64", "1"


class Purpose(Enum):
    """B2A01, transaction set purpose code."""

    ORIGINAL = "00"
    CANCELLATION = "01"
    CHANGE = "04"


@dataclass(frozen=True)
class Stop:
    """An S5 loop: the stop's sequence number (S501), reason (S502: LD load, UL unload, CL
    complete load, CU complete unload...), weight and pieces, references, dates and place."""

    sequence: int
    reason: str
    weight: Decimal | None = None
    weight_unit: str = ""  # S504: L pounds, K kilograms
    pieces: int | None = None
    references: tuple[Reference, ...] = ()
    dates: tuple[DateTime, ...] = ()
    place: Entity | None = None


@dataclass(frozen=True)
class LoadTender:
    """A 204. `carrier_scac` (B202) is "" in a tender that leaves the carrier to the TMS;
    `shipment_id` (B204) is mandatory here: the 990 and 214s answer by it."""

    carrier_scac: str
    shipment_id: str
    payment_method: str
    purpose: Purpose
    stops: tuple[Stop, ...]
    references: tuple[Reference, ...] = ()
    dates: tuple[DateTime, ...] = ()
    parties: tuple[Entity, ...] = ()
    totals: Totals | None = None

    @property
    def respond_by(self) -> datetime | None:
        """When the tender asks its 990 by (G62 64), in UTC: G6205 `UT` as Seatrial writes
        it, and a time without a code is read so too; None if it asks no time."""
        given = next((d for d in self.dates if d.qualifier == MUST_RESPOND_BY), None)
        if given is None:
            return None
        return datetime.combine(given.day, given.time or time(), UTC)


def responding_by(moment: datetime) -> DateTime:
    """The G62 asking for a tender's 990 by `moment` (aware), in UTC to the minute."""
    moment = moment.astimezone(UTC)
    return DateTime(MUST_RESPOND_BY, moment.date(), MUST_RESPOND_BY_TIME,
                    moment.time().replace(second=0, microsecond=0), "UT")


def read_load_tender(transaction: TransactionSet) -> LoadTender:
    """The 204 in `transaction`; X12Error naming the segment and element when it is malformed."""
    with inside(transaction):
        reader = SetReader(transaction, SET_ID, SEGMENTS)
        b2, b2a = reader.take("B2"), reader.take("B2A")
        references, dates = read_references(reader), read_dates(reader)
        parties = read_entities(reader)
        stops = [_stop(reader, reader.take("S5"))]
        while reader.next_is("S5"):
            stops.append(_stop(reader, reader.take("S5")))
        totals = read_totals(reader.maybe("L3"))
        reader.finish()
        return LoadTender(
            carrier_scac=b2.optional(2, size=(2, 4)) or "",
            shipment_id=b2.text(4, size=(1, 30)),
            payment_method=b2.text(6, codes=PAYMENT_METHODS),
            purpose=Purpose(b2a.text(1, codes=[p.value for p in Purpose])),
            stops=tuple(stops), references=references, dates=dates, parties=parties,
            totals=totals)


def _stop(reader: SetReader, s5) -> Stop:
    references, dates = read_references(reader), read_dates(reader)
    place = read_entity(reader)
    weight = s5.decimal(3, required=False)
    return Stop(sequence=s5.integer(1), reason=s5.text(2, size=(2, 2)), weight=weight,
                weight_unit=s5.optional(4, codes=("K", "L")) or "",
                pieces=s5.integer(5, required=False), references=references, dates=dates,
                place=place)


def load_tender_segments(tender: LoadTender) -> tuple[Segment, ...]:
    """The 204's body, B2 to L3 (the envelope adds ST and SE)."""
    segments = [Segment.of("B2", None, tender.carrier_scac, None, tender.shipment_id, None,
                           tender.payment_method),
                Segment.of("B2A", tender.purpose.value),
                *reference_segments(tender.references), *date_segments(tender.dates)]
    for party in tender.parties:
        segments += entity_segments(party)
    for stop in tender.stops:
        segments.append(Segment.of("S5", str(stop.sequence), stop.reason,
                                   x12_number(stop.weight), stop.weight_unit,
                                   x12_number(stop.pieces), "PC" if stop.pieces else None))
        segments += reference_segments(stop.references) + date_segments(stop.dates)
        segments += entity_segments(stop.place) if stop.place else []
    if tender.totals:
        segments.append(totals_segment(tender.totals))
    return tuple(segments)
