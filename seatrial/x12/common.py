"""Segments the transportation sets share: the N1/N3/N4 party loop, L11 and N9 references,
G62 dates and L3 totals. One reader and one writer each, used by every document that has them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from seatrial.x12.envelope import Segment
from seatrial.x12.errors import ElementSyntax
from seatrial.x12.fields import Located, SetReader, x12_date, x12_number, x12_time

PARTY_SEGMENTS = ("N1", "N3", "N4")


@dataclass(frozen=True)
class Entity:
    """An N1 loop: who (N101 entity code: SH shipper, CN consignee, BT bill-to, CA carrier...)
    and where (N3 street lines, N4 city, state, postal code, country)."""

    code: str
    name: str = ""
    id_qualifier: str = ""  # N103: 93 code assigned by the organisation, 1 DUNS, ZZ...
    id: str = ""
    street: tuple[str, ...] = ()
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""


def read_entities(reader: SetReader) -> tuple[Entity, ...]:
    return tuple(_entity(reader, n1) for n1 in iter(lambda: reader.maybe("N1"), None))


def read_entity(reader: SetReader) -> Entity | None:
    """One N1 loop, when the next segment starts one (a stop's place: one at most)."""
    n1 = reader.maybe("N1")
    return _entity(reader, n1) if n1 else None


def _entity(reader: SetReader, n1: Located) -> Entity:
    street = tuple(line for n3 in reader.every("N3")
                   for line in (n3.text(1), n3.optional(2)) if line)
    n4 = reader.maybe("N4")
    if n1.optional(3) and not n1.optional(4):
        raise n1.fail(4, ElementSyntax.CONDITIONAL_MISSING,
                      "is required when N103 names an id qualifier")
    return Entity(
        code=n1.text(1, size=(2, 3)), name=n1.optional(2, size=(1, 60)) or "",
        id_qualifier=n1.optional(3, size=(1, 2)) or "", id=n1.optional(4) or "",
        street=street,
        city=(n4.optional(1) or "") if n4 else "", state=(n4.optional(2) or "") if n4 else "",
        postal_code=(n4.optional(3) or "") if n4 else "",
        country=(n4.optional(4) or "") if n4 else "")


def entity_segments(entity: Entity) -> list[Segment]:
    segments = [Segment.of("N1", entity.code, entity.name, entity.id_qualifier, entity.id)]
    lines = list(entity.street)
    segments += [Segment.of("N3", *lines[index:index + 2]) for index in range(0, len(lines), 2)]
    if entity.city or entity.state or entity.postal_code or entity.country:
        segments.append(Segment.of("N4", entity.city, entity.state, entity.postal_code,
                                   entity.country))
    return segments


@dataclass(frozen=True)
class Reference:
    """An L11 (or N9) reference: the value and its qualifier (BM bill of lading, PO purchase
    order, SI shipper's identifying number, CR customer reference, QN stop sequence...)."""

    value: str
    qualifier: str
    description: str = ""


def read_references(reader: SetReader, segment_id: str = "L11") -> tuple[Reference, ...]:
    """L11: value first, qualifier second; N9: qualifier first."""
    found = []
    for located in reader.every(segment_id):
        value_at, qualifier_at = (1, 2) if segment_id == "L11" else (2, 1)
        found.append(Reference(located.optional(value_at, size=(1, 30)) or "",
                               located.text(qualifier_at, size=(2, 3)),
                               located.optional(3, size=(1, 80)) or ""))
    return tuple(found)


def reference_segments(references: tuple[Reference, ...], segment_id: str = "L11"
                       ) -> list[Segment]:
    if segment_id == "L11":
        return [Segment.of("L11", r.value, r.qualifier, r.description) for r in references]
    return [Segment.of("N9", r.qualifier, r.value, r.description) for r in references]


@dataclass(frozen=True)
class DateTime:
    """A G62: a date qualifier (68 requested delivery, 69 promised pick-up, 70 scheduled
    delivery, 10 requested ship...) and a date, with a time qualifier and time, and the time
    code (LT local, UT universal, ET...) saying which clock."""

    qualifier: str
    day: date
    time_qualifier: str = ""
    time: time | None = None
    time_code: str = ""


def read_dates(reader: SetReader) -> tuple[DateTime, ...]:
    dates = []
    for g62 in reader.every("G62"):
        # G6203 qualifies the time; published tenders leave it empty before a time (G62*04*
        # 20230517**1910*LT), so a time is read without one, but a qualifier needs its time
        clock = g62.clock(4, required=bool(g62.optional(3)))
        dates.append(DateTime(g62.text(1, size=(2, 2)), g62.day(2), g62.optional(3) or "",
                              clock, g62.optional(5, size=(2, 2)) or ""))
    return tuple(dates)


def date_segments(dates: tuple[DateTime, ...]) -> list[Segment]:
    return [Segment.of("G62", d.qualifier, x12_date(d.day), d.time_qualifier, x12_time(d.time),
                       d.time_code) for d in dates]


@dataclass(frozen=True)
class Totals:
    """An L3: the shipment's weight (L301, L302 qualifier G gross, L312 unit L pounds or K
    kilograms), its total charge in cents (L305, two implied decimals) and lading quantity
    (L311)."""

    weight: Decimal | None = None
    weight_qualifier: str = ""
    charge_cents: int | None = None
    lading_quantity: int | None = None
    weight_unit: str = ""


def read_totals(located: Located | None) -> Totals | None:
    if located is None:
        return None
    return Totals(weight=located.decimal(1, required=False),
                  weight_qualifier=located.optional(2, size=(1, 2)) or "",
                  charge_cents=located.cents(5, required=False),
                  lading_quantity=located.integer(11, required=False),
                  weight_unit=located.optional(12, codes=("K", "L")) or "")


def totals_segment(totals: Totals) -> Segment:
    return Segment.of("L3", x12_number(totals.weight), totals.weight_qualifier, None, None,
                      x12_number(totals.charge_cents), None, None, None, None, None,
                      x12_number(totals.lading_quantity), totals.weight_unit)
