"""The 990 response to a load tender: the carrier accepts (B104 A) or declines (D) a 204.

Segments: B1 (B101 the carrier's SCAC, B102 the tender's shipment id, B103 the response date,
B104 the reservation action code), N9 references, and a K1 remark (why it was declined).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from seatrial.x12.common import Reference, read_references, reference_segments
from seatrial.x12.envelope import Segment, TransactionSet
from seatrial.x12.fields import SetReader, inside, x12_date

SET_ID = "990"
FUNCTIONAL_ID = "GF"
SEGMENTS = ("B1", "N9", "K1")


class Reservation(Enum):
    """B104, reservation action code."""

    ACCEPTED = "A"
    DECLINED = "D"


@dataclass(frozen=True)
class TenderResponse:
    carrier_scac: str
    shipment_id: str
    responded_on: date
    action: Reservation
    references: tuple[Reference, ...] = ()
    remark: str = ""


def read_tender_response(transaction: TransactionSet) -> TenderResponse:
    """The 990 in `transaction`; X12Error naming the segment and element when it is malformed."""
    with inside(transaction):
        reader = SetReader(transaction, SET_ID, SEGMENTS)
        b1 = reader.take("B1")
        references = read_references(reader, "N9")
        k1 = reader.maybe("K1")
        reader.finish()
        return TenderResponse(
            carrier_scac=b1.text(1, size=(2, 4)), shipment_id=b1.text(2, size=(1, 30)),
            responded_on=b1.day(3), action=Reservation(b1.text(4, codes=("A", "D"))),
            references=references, remark=k1.text(1, size=(1, 30)) if k1 else "")


def tender_response_segments(response: TenderResponse) -> tuple[Segment, ...]:
    """The 990's body, B1 to K1 (the envelope adds ST and SE)."""
    return (Segment.of("B1", response.carrier_scac, response.shipment_id,
                       x12_date(response.responded_on), response.action.value),
            *reference_segments(response.references, "N9"),
            *([Segment.of("K1", response.remark)] if response.remark else []))
