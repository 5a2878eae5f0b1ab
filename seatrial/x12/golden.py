"""The golden EDI files in contracts/edi/: one interchange per transaction set, rendered from
the fixed documents below, one segment a line. They show what each document looks like on the
wire and pin the renderer: tests/test_x12_golden.py fails when a file is stale.

    python -m seatrial.x12.golden contracts/edi      rewrites them
"""

from __future__ import annotations

import sys
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from seatrial.x12.acknowledgment import acknowledge
from seatrial.x12.common import DateTime, Entity, Reference, Totals
from seatrial.x12.control import ControlNumbers
from seatrial.x12.documents import Document, compose
from seatrial.x12.envelope import Party, parse_interchange, render_interchange
from seatrial.x12.errors import X12Error
from seatrial.x12.freight_invoice import Charge, FreightInvoice
from seatrial.x12.load_tender import LoadTender, Purpose, Stop, read_load_tender
from seatrial.x12.shipment_status import ShipmentStatus, Status, StatusLine
from seatrial.x12.tender_response import Reservation, TenderResponse

SHIPPER = Party("ZZ", "SEATRIALSHIP")
TMS = Party("ZZ", "SEATRIALTMS")
PREPARED = datetime(2026, 3, 2, 9, 30)
SHIPMENT = "SHP-000042"
SCAC = "SEAC"

ORIGIN = Entity("SF", "SEATRIAL DC NORTH", "93", "DC-N", ("100 HARBOR WAY",), "OAKLAND", "CA",
                "94607", "US")
DESTINATION = Entity("ST", "ACME RETAIL 17", "93", "ST-17", ("5 MARKET ST", "DOCK 2"),
                     "SACRAMENTO", "CA", "95814", "US")

TENDER = LoadTender(
    carrier_scac=SCAC, shipment_id=SHIPMENT, payment_method="PP", purpose=Purpose.ORIGINAL,
    references=(Reference("ORD-7731", "PO"), Reference("BOL-99120", "BM")),
    parties=(Entity("SH", "SEATRIAL SHIPPER", "93", "SHIP-1"),
             Entity("BT", "SEATRIAL ACCOUNTS", "93", "BILL-1", ("1 LEDGER RD",), "OAKLAND",
                    "CA", "94612", "US")),
    stops=(Stop(1, "LD", Decimal("1200.5"), "L", 24, (Reference("1", "QN"),),
                (DateTime("69", date(2026, 3, 3), "U", time(8, 0), "PT"),), ORIGIN),
           Stop(2, "UL", Decimal("1200.5"), "L", 24, (Reference("2", "QN"),),
                (DateTime("70", date(2026, 3, 3), "X", time(16, 30), "PT"),), DESTINATION)),
    totals=Totals(Decimal("1200.5"), "G", 84500, 24, "L"))

RESPONSE = TenderResponse(SCAC, SHIPMENT, date(2026, 3, 2), Reservation.ACCEPTED,
                          (Reference("ORD-7731", "PO"),))

STATUS = ShipmentStatus(
    carrier_reference="PRO-55012", shipment_id=SHIPMENT, carrier_scac=SCAC,
    references=(Reference("ORD-7731", "PO"),),
    lines=(StatusLine(1, (Status(date(2026, 3, 3), time(8, 5), "X3", "NS", time_code="PT",
                                 city="OAKLAND", state="CA", country="US",
                                 equipment_scac=SCAC, equipment_number="TRL-0042"),
                          Status(date(2026, 3, 3), time(8, 50), "AF", "NS", time_code="PT",
                                 city="OAKLAND", state="CA", country="US")),
                      (Reference("1", "QN"),)),
           StatusLine(2, (Status(date(2026, 3, 3), time(16, 45), "D1", "NS", time_code="PT",
                                 city="SACRAMENTO", state="CA", country="US"),),
                      (Reference("2", "QN"),))))

INVOICE = FreightInvoice(
    invoice_number="INV-3001", shipment_id=SHIPMENT, payment_method="PP",
    invoiced_on=date(2026, 3, 4), net_amount_cents=91750, carrier_scac=SCAC,
    delivered_on=date(2026, 3, 3), references=(Reference("ORD-7731", "PO"),),
    parties=(Entity("BT", "SEATRIAL ACCOUNTS", "93", "BILL-1"),),
    charges=(Charge(1, 84500, "400", Decimal("845"), "FR", "LINE HAUL"),
             Charge(2, 5250, "FUE", Decimal("0.35"), "PM", "FUEL SURCHARGE"),
             Charge(3, 2000, "DET", Decimal("40"), "PH", "DETENTION AT CONSIGNEE")),
    totals=Totals(Decimal("1200.5"), "G", 91750, 24, "L"))


def rejected_tender_acknowledgment() -> Document:
    """The 997 a TMS sends back for the golden 204 with its B2A01 purpose code made 07 (not
    00, 01 or 04): the AK3/AK4 come from the error reading it raised."""
    malformed = GOLDEN["204-load-tender.x12"]().replace(b"B2A*00~", b"B2A*07~")
    received = parse_interchange(malformed).groups[0]
    transaction = received.transactions[0]
    try:
        read_load_tender(transaction)
    except X12Error as error:
        return acknowledge(received, {transaction.control_number: error})
    raise AssertionError("a 204 with purpose code 07 was read without an error")


def _file(document_of, sender: Party, receiver: Party, start: int):
    def render() -> bytes:
        interchange = compose([document_of()], sender=sender, receiver=receiver,
                              prepared=PREPARED, numbers=ControlNumbers(start))
        return render_interchange(interchange, line_breaks=True)
    return render


GOLDEN = {
    "204-load-tender.x12": _file(lambda: TENDER, SHIPPER, TMS, 1001),
    "990-tender-response.x12": _file(lambda: RESPONSE, TMS, SHIPPER, 2001),
    "214-shipment-status.x12": _file(lambda: STATUS, TMS, SHIPPER, 2002),
    "210-freight-invoice.x12": _file(lambda: INVOICE, TMS, SHIPPER, 2003),
    "997-rejects-204.x12": _file(rejected_tender_acknowledgment, TMS, SHIPPER, 2004),
}


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, render in GOLDEN.items():
        (folder / name).write_bytes(render())
        written.append(folder / name)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "contracts/edi")):
        print(path)
