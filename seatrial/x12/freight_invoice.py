"""The 210 motor carrier freight details and invoice: the carrier bills a delivered shipment.

Segments: B3 (B302 invoice number, B303 shipment id, B304 method of payment, B306 invoice date,
B307 net amount due in cents, B309 delivery date, B311 the SCAC), C3 currency, N9 references, the
N1/N3/N4 parties, one LX loop per charge line (LX number, L1: L102 rate, L103 rate qualifier,
L104 charge in cents, L108 special charge code: 400 line haul, FUE fuel surcharge, DET
detention...; L112 description), and the L3 totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from seatrial.x12.common import (
    PARTY_SEGMENTS,
    Entity,
    Reference,
    Totals,
    entity_segments,
    read_entities,
    read_references,
    read_totals,
    reference_segments,
    totals_segment,
)
from seatrial.x12.envelope import Segment, TransactionSet
from seatrial.x12.fields import Located, SetReader, inside, x12_date, x12_number
from seatrial.x12.load_tender import PAYMENT_METHODS

SET_ID = "210"
FUNCTIONAL_ID = "IM"
SEGMENTS = ("B3", "C3", "N9", *PARTY_SEGMENTS, "LX", "L1", "L3")
LINE_HAUL = "400"


@dataclass(frozen=True)
class Charge:
    """An LX loop's L1: one line-haul or accessorial charge."""

    number: int
    charge_cents: int
    code: str = LINE_HAUL  # L108
    rate: Decimal | None = None
    rate_qualifier: str = ""  # L103: FR flat rate, PM per mile, PH per hour...
    description: str = ""


@dataclass(frozen=True)
class FreightInvoice:
    invoice_number: str
    shipment_id: str
    payment_method: str
    invoiced_on: date
    net_amount_cents: int
    carrier_scac: str
    charges: tuple[Charge, ...]
    currency: str = "USD"
    delivered_on: date | None = None
    references: tuple[Reference, ...] = ()
    parties: tuple[Entity, ...] = ()
    totals: Totals | None = None


def read_freight_invoice(transaction: TransactionSet) -> FreightInvoice:
    """The 210 in `transaction`; X12Error naming the segment and element when it is malformed."""
    with inside(transaction):
        reader = SetReader(transaction, SET_ID, SEGMENTS)
        b3, c3 = reader.take("B3"), reader.take("C3")
        references, parties = read_references(reader, "N9"), read_entities(reader)
        charges = [_charge(reader, reader.take("LX"))]
        while reader.next_is("LX"):
            charges.append(_charge(reader, reader.take("LX")))
        totals = read_totals(reader.maybe("L3"))
        reader.finish()
        delivered = b3.day(9, required=False)
        return FreightInvoice(
            invoice_number=b3.text(2, size=(1, 22)), shipment_id=b3.text(3, size=(1, 30)),
            payment_method=b3.text(4, codes=PAYMENT_METHODS), invoiced_on=b3.day(6),
            net_amount_cents=b3.cents(7), carrier_scac=b3.text(11, size=(2, 4)),
            charges=tuple(charges), currency=c3.text(1, size=(3, 3)), delivered_on=delivered,
            references=references, parties=parties, totals=totals)


def _charge(reader: SetReader, lx: Located) -> Charge:
    l1 = reader.take("L1")
    return Charge(number=lx.integer(1), charge_cents=l1.cents(4),
                  code=l1.optional(8, size=(3, 3)) or "", rate=l1.decimal(2, required=False),
                  rate_qualifier=l1.optional(3, size=(2, 2)) or "",
                  description=l1.optional(12, size=(1, 80)) or "")


def freight_invoice_segments(invoice: FreightInvoice) -> tuple[Segment, ...]:
    """The 210's body, B3 to L3 (the envelope adds ST and SE)."""
    segments = [Segment.of("B3", None, invoice.invoice_number, invoice.shipment_id,
                           invoice.payment_method, None, x12_date(invoice.invoiced_on),
                           str(invoice.net_amount_cents), None,
                           x12_date(invoice.delivered_on),
                           "035" if invoice.delivered_on else None, invoice.carrier_scac),
                Segment.of("C3", invoice.currency),
                *reference_segments(invoice.references, "N9")]
    for party in invoice.parties:
        segments += entity_segments(party)
    for charge in invoice.charges:
        segments += [Segment.of("LX", str(charge.number)),
                     Segment.of("L1", str(charge.number), x12_number(charge.rate),
                                charge.rate_qualifier, str(charge.charge_cents), None, None,
                                None, charge.code, None, None, None, charge.description)]
    if invoice.totals:
        segments.append(totals_segment(invoice.totals))
    return tuple(segments)
