"""The typed transportation documents: each round trips through its segments and the wire,
published sample documents read as their authors meant, and a malformed one is answered by a
997 that names the segment and element.

Published samples (copied verbatim, as quoted in the apimeister/x12-types repository's tests):
- TENDER_EXPORT: an anonymised ocean-carrier export 204 (GS SM, 2023-05-17, control 22310),
  apimeister/x12-types src/v004010/_204_test.rs, test_2.
- TENDER_IMPORT: an import 204 (2023-05-24, control 136909), same file, test_3.
- STATUS_1EDISOURCE: the 214 sample of 1EDI Source's "EDI 214" page
  (https://www.1edisource.com/resources/edi-transactions-sets/edi-214/), quoted in
  apimeister/x12-types src/v004010/_214_test.rs, parse_214_1.
- STATUS_PDF: the 214 sample of agentforfreightforce.com/general/pdfForms/EDI214.pdf, quoted in
  the same file, parse_214_2 (its spaces collapsed on the way: the ISA is no longer fixed width).
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from seatrial.x12 import golden
from seatrial.x12.acknowledgment import (
    Acceptance,
    ElementNote,
    SegmentNote,
    acknowledge,
    acknowledgment_segments,
    read_acknowledgment,
)
from seatrial.x12.control import ControlNumbers
from seatrial.x12.documents import compose, read_document
from seatrial.x12.envelope import (
    Interchange,
    Segment,
    TransactionSet,
    parse_interchange,
    render_interchange,
)
from seatrial.x12.errors import ElementSyntax, SegmentSyntax, SetSyntax, X12Error
from seatrial.x12.freight_invoice import freight_invoice_segments, read_freight_invoice
from seatrial.x12.load_tender import Purpose, load_tender_segments, read_load_tender
from seatrial.x12.shipment_status import read_shipment_status, shipment_status_segments
from seatrial.x12.tender_response import read_tender_response, tender_response_segments

TENDER_EXPORT = (
    b"ISA*00*          *00*          *ZZ*XXXXXXXXX      *ZZ*XXXXXX         *230517*1710*U*00401"
    b"*000022310*0*P*+~GS*SM*XXXXXXXXX*SUDU*20230517*1710*22310*X*004010~ST*204*22310~B2**SUDU*"
    b"*3PHLT0XXXX**DE~B2A*00~L11*3PHLT0XXXX*9R~L11*Shippers Reference: 3PHT0XXXX*4F~L11**BN~L11"
    b"*9389409*WU~L11*319S*V3~L11*USLGB*4B~L11*100970343*SI~L11*CMA CGM DUTCH HARBOR*ABS~L11*RP*"
    b"ZZ~G62*04*20230517**1910*LT~AT5*XP**EXPORT~LH6*HAZARDOUS CARGO - HAZARDOUS DOCUMENTATION R"
    b"EQUIRED~LH6*DO NOT MOVE WITHOUT HAZARDOUS DOCUMENTATION~N1*SH*KAWASAKI MOTORS MFG CORP*93*"
    b"100970343~N3*6600 NW 27TH ST~N4*LINCOLN*NE*68524*US~G61*IC*N/A*TE*1 4024766600~N1*CA*HS~N"
    b"3*2000 MARKET ST*F 9 STE 900~N4*PHILADELPHIA*PA*19103*US~G61*IC*MATTHEW STRONG*TE*2152827"
    b"292~N1*BT*HAMBURG SUD NORTH AMERICA, INC~N3*180 PARK AVE~N4*FLORHAM PARK*NJ*07932*US~S5*1"
    b"*LD~N1*PW*UNION PACIFIC ICTF RAMP~N3*2401 E. SEPULVEDA BLVD.~N4*LONG BEACH*CA*90810*US*ZZ"
    b"*USLGBUPIC~L5*1*CHEMICALS:DG CLASS 9~G61*HM*INFO TRAC   89786*TE*1 352 323 3500~LH1*PK*4"
    b"*UN3166***KG*4276~LH2*9~LH3*VEHICLE, FLAMMABLE LIQUID*I~LFH*TEC*NON ELECTRIC NON HYBRID G"
    b"~LFH*EMS*F-E~LFH*ADI*CRATES~LH1*PK*2*UN3166***KG*2084~LH2*9~LH3*VEHICLE, FLAMMABLE LIQUID"
    b"*I~LFH*TEC*NON ELECTRIC NON HYBRID G~LFH*EMS*F-E~LFH*ADI*CRATES~LH1*PK*6*UN3166***KG*6414"
    b"~LH2*9~LH3*VEHICLE, FLAMMABLE LIQUID*I~LFH*TEC*NON ELECTRIC NON HYBRID G~LFH*EMS*F-E~LFH*"
    b"ADI*CRATES~N7*MSKU*913109*8880*G*3880******CN*SUDU****A*K*6*RP***4500~S5*2*DT~N1*DA*ITS L"
    b"ONG BEACH~N3*1281 PIER G WAY~N4*LONG BEACH*CA*90802*US*ZZ*USLGBITST~G61*IC*N/A*TE*NOT AVA"
    b"ILABLE~SE*58*22310~GE*1*22310~IEA*1*000022310~")

TENDER_IMPORT = (
    b"ISA*00*          *00*          *ZZ*USANYC999      *ZZ*8435778122     *230524*1214*U*00401"
    b"*000136909*0*P*>~GS*SM*USANYC999*8435778122*20230524*1214*136909*X*004010~ST*204*136581~B"
    b"2******DE~B2A*00~L11*SUDU33SYD002692X*BM~L11*MAERSK WILLEMSTADT*WU~L11*316N*V3~L11*3PHLT0"
    b"0RVY*PO~AT5*IP**IMPORT~N1*SH*ADCHEM (AUSTRALIA) PTY LTD~N7*GESU*132086*17600*N*2180******"
    b"CN*SUDU***2000**K*8****2200~M7*SF0046088~S5*1*PA~N1*RO*CN~S5*2*DT~N1*RD*CSX~LH1*PK*20*UN3"
    b"077***KG*17600***III~SE*17*136581~GE*1*136909~IEA*1*000136909~")

STATUS_1EDISOURCE = (
    b"ISA*01*0000000000*01*0000000000*ZZ*ABCDEFGHIJKLMNO*ZZ*123456789012345*101127*1719*U*00400"
    b"*000003438*0*P*>~\n"
) + b"""GS*QM*4405197800*999999999*20111219*1739*2510*X*004010~
ST*214*0001~
B10*995551*99948782*XXXX~
LX*1~
AT7***AA*NA*20111217*0830*PS~
AT7*X3*NS***20111217*0930*PS~
AT7*CP*NS***20111217*0930*PS~
AT7***AB*NA*20111222*0745*PS~
AT7*X1*AD***20111222*0745*PS~
AT7*D1*NS***20111222*0745*PS~
L11*99997666*DO~
LX*2~
AT7***AA*NA*20111217*0830*PS~
AT7*X3*NS***20111217*0930*PS~
AT7*CP*NS***20111217*0930*PS~
AT7***AB*NA*20111218*1100*PS~
AT7*X1*AD***20111218*1100*PS~
AT7*D1*NS***20111219*1100*PS~
L11*99990835*DO~
LX*3~
AT7***AA*NA*20111217*0830*PS~
AT7*X3*NS***20111217*0930*PS~
AT7*CP*NS***20111217*0930*PS~
AT7***AB*NA*20111218*0330*PS~
AT7*X1*AD***20111219*0430*PS~
AT7*D1*NS***20111219*0430*PS~
L11*99991280*DO~
SE*27*0001~
GE*1*2510~
IEA*1*000002510~
"""

STATUS_PDF = b"""ISA*00* *00* *02*SCAC *02*KLSA *060301*0028*U*00401*001*0*P*:~
GS*QM*SCAC*KLSA *20060301*0028*001*X*004010~
ST*214*001~
B10*1234567*1234567*SCAC~
"""


def transaction_of(data: bytes) -> TransactionSet:
    return parse_interchange(data).groups[0].transactions[0]


def rewrap(transaction: TransactionSet, body: tuple[Segment, ...]) -> TransactionSet:
    return TransactionSet(transaction.set_id, transaction.control_number, body)


# ------------------------------------------------------------------------- published samples


def test_a_published_204_round_trips_byte_for_byte_and_reads_as_its_author_meant():
    interchange = parse_interchange(TENDER_EXPORT)
    assert interchange.delimiters.component == "+"
    assert render_interchange(interchange) == TENDER_EXPORT
    tender = read_load_tender(interchange.groups[0].transactions[0])
    assert (tender.carrier_scac, tender.shipment_id, tender.payment_method, tender.purpose) == (
        "SUDU", "3PHLT0XXXX", "DE", Purpose.ORIGINAL)
    assert [(r.value, r.qualifier) for r in tender.references][:2] == [
        ("3PHLT0XXXX", "9R"), ("Shippers Reference: 3PHT0XXXX", "4F")]
    assert [(p.code, p.city) for p in tender.parties] == [
        ("SH", "LINCOLN"), ("CA", "PHILADELPHIA"), ("BT", "FLORHAM PARK")]
    assert [(s.sequence, s.reason, s.place.name) for s in tender.stops] == [
        (1, "LD", "UNION PACIFIC ICTF RAMP"), (2, "DT", "ITS LONG BEACH")]
    assert tender.dates[0].day == date(2023, 5, 17) and tender.dates[0].time == time(19, 10)


def test_a_published_204_without_a_shipment_id_is_refused_naming_b204():
    """Our implementation guide needs B204: the 990 and every 214 answer by it."""
    with pytest.raises(X12Error) as caught:
        read_load_tender(transaction_of(TENDER_IMPORT))
    error = caught.value
    assert (error.segment_id, error.position, error.element, error.code, error.set_control) == (
        "B2", 2, 4, ElementSyntax.MANDATORY_MISSING, "136581")


def test_the_published_1edisource_214_has_an_iea02_that_is_not_its_isa13():
    """The sample's IEA02 (000002510) repeats GS06, not ISA13 (000003438): a strict receiver
    rejects it, naming IEA02 at position 31."""
    with pytest.raises(X12Error) as caught:
        parse_interchange(STATUS_1EDISOURCE)
    assert (caught.value.segment_id, caught.value.position, caught.value.element) == (
        "IEA", 31, 2)
    repaired = STATUS_1EDISOURCE.replace(b"IEA*1*000002510", b"IEA*1*000003438")
    message = read_shipment_status(transaction_of(repaired))
    assert (message.carrier_reference, message.shipment_id, message.carrier_scac) == (
        "995551", "99948782", "XXXX")
    assert [line.number for line in message.lines] == [1, 2, 3]
    first = message.lines[0]
    assert [(s.status, s.reason, s.appointment, s.appointment_reason) for s in
            first.statuses[:2]] == [("", "", "AA", "NA"), ("X3", "NS", "", "")]
    assert first.statuses[-1].status == "D1"
    assert (first.statuses[-1].day, first.statuses[-1].time, first.statuses[-1].time_code) == (
        date(2011, 12, 22), time(7, 45), "PS")
    assert [(r.value, r.qualifier) for r in first.references] == [("99997666", "DO")]
    assert shipment_status_segments(message) == transaction_of(repaired).body


def test_the_published_pdf_214_lost_its_fixed_width_isa():
    with pytest.raises(X12Error) as caught:
        parse_interchange(STATUS_PDF)
    assert (caught.value.segment_id, caught.value.element, caught.value.code) == (
        "ISA", 2, ElementSyntax.TOO_SHORT)


# ---------------------------------------------------------------------------- round trips


@pytest.mark.parametrize(("document", "write", "read"), [
    (golden.TENDER, load_tender_segments, read_load_tender),
    (golden.RESPONSE, tender_response_segments, read_tender_response),
    (golden.STATUS, shipment_status_segments, read_shipment_status),
    (golden.INVOICE, freight_invoice_segments, read_freight_invoice),
], ids=["204", "990", "214", "210"])
def test_each_document_round_trips_through_segments_and_the_wire(document, write, read):
    interchange = compose([document], sender=golden.SHIPPER, receiver=golden.TMS,
                          prepared=golden.PREPARED, numbers=ControlNumbers())
    transaction = interchange.groups[0].transactions[0]
    assert transaction.body == write(document)
    assert read(transaction) == document
    back = parse_interchange(render_interchange(interchange))
    assert back == interchange
    assert read_document(back.groups[0].transactions[0]) == document


def test_a_cancellation_and_a_change_are_204s_with_their_purpose_code():
    for purpose, code in ((Purpose.CANCELLATION, "01"), (Purpose.CHANGE, "04")):
        tender = golden.TENDER.__class__(**{**golden.TENDER.__dict__, "purpose": purpose})
        body = load_tender_segments(tender)
        assert body[1] == Segment("B2A", (code,))
        assert read_load_tender(TransactionSet("204", "0001", body)).purpose is purpose


def test_several_documents_of_several_kinds_make_one_group_per_kind():
    interchange = compose([golden.STATUS, golden.RESPONSE, golden.STATUS],
                          sender=golden.TMS, receiver=golden.SHIPPER,
                          prepared=golden.PREPARED, numbers=ControlNumbers(100))
    assert [(g.functional_id, g.control_number, [t.control_number for t in g.transactions])
            for g in interchange.groups] == [("QM", 100, ["0100", "0102"]),
                                             ("GF", 101, ["0101"])]
    assert interchange.control_number == 100
    assert parse_interchange(render_interchange(interchange)) == interchange


def test_the_214_time_code_may_be_absent_and_then_the_time_is_local():
    status = golden.STATUS.lines[0].statuses[0]
    local = status.__class__(**{**status.__dict__, "time_code": ""})
    body = shipment_status_segments(golden.STATUS.__class__(
        **{**golden.STATUS.__dict__, "lines": (golden.STATUS.lines[0].__class__(
            1, (local,)),)}))
    assert Segment("AT7", ("X3", "NS", "", "", "20260303", "0805")) in body
    assert read_shipment_status(TransactionSet("214", "0001", body)).lines[0].statuses[0] \
        .time_code == ""


# ---------------------------------------------------------------- malformed -> precise error


def read_error(read, transaction: TransactionSet) -> X12Error:
    with pytest.raises(X12Error) as caught:
        read(transaction)
    return caught.value


def tender_with(old: Segment, new: Segment | None) -> TransactionSet:
    body = load_tender_segments(golden.TENDER)
    assert old in body
    changed = tuple(new if segment == old else segment for segment in body)
    return TransactionSet("204", "0042", tuple(s for s in changed if s is not None))


@pytest.mark.parametrize(("old", "new", "where"), [
    (Segment("B2A", ("00",)), Segment("B2A", ("07",)), ("B2A", 3, 1, ElementSyntax.INVALID_CODE)),
    (Segment("B2A", ("00",)), None, ("B2A", 3, None, SegmentSyntax.MANDATORY_SEGMENT_MISSING)),
    (Segment.of("G62", "69", "20260303", "U", "0800", "PT"),
     Segment.of("G62", "69", "20260231", "U", "0800", "PT"),
     ("G62", 12, 2, ElementSyntax.INVALID_DATE)),
    (Segment.of("G62", "69", "20260303", "U", "0800", "PT"),
     Segment.of("G62", "69", "20260303", "U", "2460", "PT"),
     ("G62", 12, 4, ElementSyntax.INVALID_TIME)),
    (Segment.of("S5", "1", "LD", "1200.5", "L", "24", "PC"),
     Segment.of("S5", "1", "LD", "12OO", "L", "24", "PC"),
     ("S5", 10, 3, ElementSyntax.INVALID_CHARACTER)),
    (Segment.of("L3", "1200.5", "G", "", "", "84500", "", "", "", "", "", "24", "L"),
     Segment.of("L3", "1200.5", "G", "", "", "845.00", "", "", "", "", "", "24", "L"),
     ("L3", 22, 5, ElementSyntax.INVALID_CHARACTER)),
    (Segment.of("L3", "1200.5", "G", "", "", "84500", "", "", "", "", "", "24", "L"),
     Segment.of("B2A", "00"), ("B2A", 22, None, SegmentSyntax.NOT_IN_SEQUENCE)),
])
def test_a_malformed_204_names_the_segment_position_and_element(old, new, where):
    """Positions count from ST = 1, as in contracts/edi/204-load-tender.x12 (B2A is 3, the
    first stop's S5 10 and its G62 12, L3 22); a missing segment is named where it belongs."""
    error = read_error(read_load_tender, tender_with(old, new))
    assert (error.segment_id, error.position, error.element, error.code) == where
    assert error.set_control == "0042"
    assert where[0] in str(error) and "segment" in str(error)


def test_reading_a_set_as_the_wrong_kind_or_an_unknown_kind_is_refused():
    tender = TransactionSet("204", "0001", load_tender_segments(golden.TENDER))
    assert read_error(read_shipment_status, tender).code is SetSyntax.INVALID_SET_IDENTIFIER
    assert read_error(read_document, TransactionSet("850", "0001", ())).code is \
        SetSyntax.NOT_SUPPORTED


# --------------------------------------------------------------------------------- the 997


def test_a_997_rejects_a_malformed_204_with_ak3_and_ak4_naming_it():
    malformed = tender_with(Segment("B2A", ("00",)), Segment("B2A", ("07",)))
    group = compose([golden.TENDER], sender=golden.SHIPPER, receiver=golden.TMS,
                    prepared=golden.PREPARED, numbers=ControlNumbers(5)).groups[0]
    group = group.__class__(**{**group.__dict__, "transactions": (malformed,)})
    error = read_error(read_load_tender, malformed)
    ack = acknowledge(group, {"0042": error})
    assert ack.acceptance is Acceptance.REJECTED
    assert (ack.functional_id, ack.group_control, ack.included, ack.received, ack.accepted) == (
        "SM", 5, 1, 1, 0)
    result = ack.result("0042")
    assert result.acceptance is Acceptance.REJECTED and result.codes == ("5",)
    assert result.segments == (SegmentNote("B2A", 3, "8", (ElementNote(1, "7", "07"),)),)
    assert [s.id for s in acknowledgment_segments(ack)] == ["AK1", "AK2", "AK3", "AK4", "AK5",
                                                           "AK9"]
    assert read_acknowledgment(TransactionSet("997", "0001", acknowledgment_segments(ack))) == ack


def test_a_997_accepts_good_sets_and_partially_accepts_a_mixed_group():
    interchange = compose([golden.STATUS, golden.STATUS], sender=golden.TMS,
                          receiver=golden.SHIPPER, prepared=golden.PREPARED,
                          numbers=ControlNumbers())
    group = interchange.groups[0]
    accepted = acknowledge(group)
    assert accepted.acceptance is Acceptance.ACCEPTED and accepted.accepted == 2
    assert acknowledgment_segments(accepted)[-1] == Segment("AK9", ("A", "2", "2", "2"))
    missing = X12Error("SE", 9, 1, SetSyntax.SEGMENT_COUNT_MISMATCH, "count", "8", "0002")
    mixed = acknowledge(group, {"0002": missing})
    assert mixed.acceptance is Acceptance.PARTIALLY_ACCEPTED
    assert mixed.result("0002").codes == ("4",) and mixed.result("0002").segments == ()
    assert mixed.result("0001").acceptance is Acceptance.ACCEPTED
    body = acknowledgment_segments(mixed)
    assert Segment("AK5", ("R", "4")) in body and body[-1] == Segment("AK9",
                                                                      ("P", "2", "2", "1"))
    assert read_acknowledgment(TransactionSet("997", "0001", body)) == mixed


def test_a_published_style_997_with_a_composite_ak401_is_read():
    body = (Segment.of("AK1", "SM", "17"), Segment.of("AK2", "204", "0001"),
            Segment.of("AK3", "N4", "12", "", "8"), Segment.of("AK4", ("4", "1"), "26", "7",
                                                                "XX"),
            Segment.of("AK5", "R", "5"), Segment.of("AK9", "R", "1", "1", "0"))
    ack = read_acknowledgment(TransactionSet("997", "0009", body))
    assert ack.result("0001").segments[0].elements == (ElementNote(4, "7", "XX"),)


def test_a_golden_997_is_the_rejection_of_the_golden_204_made_malformed():
    interchange: Interchange = parse_interchange(golden.GOLDEN["997-rejects-204.x12"]())
    ack = read_document(interchange.groups[0].transactions[0])
    assert ack.result("1001").segments == (SegmentNote("B2A", 3, "8",
                                                       (ElementNote(1, "7", "07"),)),)
    assert ack.acceptance is Acceptance.REJECTED


def test_the_invoice_charges_add_up_in_cents():
    invoice = read_freight_invoice(TransactionSet("210", "0001",
                                                  freight_invoice_segments(golden.INVOICE)))
    assert sum(c.charge_cents for c in invoice.charges) == invoice.net_amount_cents == 91750
    assert [c.code for c in invoice.charges] == ["400", "FUE", "DET"]
    assert invoice.charges[1].rate == Decimal("0.35")


def test_a_set_with_a_bad_trailer_is_rejected_in_the_997_and_its_neighbours_answered():
    interchange = compose([golden.STATUS, golden.STATUS, golden.STATUS], sender=golden.TMS,
                          receiver=golden.SHIPPER, prepared=golden.PREPARED,
                          numbers=ControlNumbers())
    data = render_interchange(interchange)
    broken = data.replace(b"SE*15*0002~", b"SE*14*0002~").replace(b"ST*214*0003~",
                                                                   b"ST*214*0001~")
    broken = broken.replace(b"SE*15*0003~", b"SE*15*0001~")
    with pytest.raises(X12Error) as caught:
        parse_interchange(broken)
    assert (caught.value.segment_id, caught.value.set_control) == ("SE", "0002")
    group = parse_interchange(broken, keep_set_errors=True).groups[0]
    assert [t.fault is None for t in group.transactions] == [True, False, False]
    ack = acknowledge(group)
    assert [(r.control_number, r.acceptance.value, r.codes) for r in ack.sets] == [
        ("0001", "A", ()), ("0002", "R", ("4",)), ("0001", "R", ("23",))]
    assert (ack.acceptance, ack.accepted) == (Acceptance.PARTIALLY_ACCEPTED, 1)
    assert read_shipment_status(group.transactions[1]) == golden.STATUS
