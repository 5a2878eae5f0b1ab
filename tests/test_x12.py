"""The X12 envelope codec: delimiters from the ISA, counts and control numbers checked, and an
error that names the segment's position, its id and the element (what a 997 repeats)."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path

import pytest

from seatrial.x12.control import ControlNumbers, ReceivedInterchanges
from seatrial.x12.envelope import (
    ISA_LENGTH,
    Delimiters,
    FunctionalGroup,
    Interchange,
    Party,
    Segment,
    TransactionSet,
    parse_interchange,
    render_interchange,
)
from seatrial.x12.errors import ElementSyntax, GroupSyntax, SegmentSyntax, SetSyntax, X12Error

PREPARED = datetime(2026, 3, 2, 9, 30)
STANDARD = Delimiters()


def interchange(delimiters: Delimiters = STANDARD, version: str = "00401",
                body: tuple[Segment, ...] = (Segment.of("B2A", "00"),),
                sets: int = 1) -> Interchange:
    transactions = tuple(TransactionSet("204", f"{n:04d}", body) for n in range(1, sets + 1))
    group = FunctionalGroup("SM", "SHIPPER", "TMS", PREPARED, 7, transactions)
    return Interchange(Party("ZZ", "SHIPPER"), Party("ZZ", "TMS"), PREPARED, 42, (group,),
                       delimiters=delimiters, version=version)


def text() -> str:
    return render_interchange(interchange()).decode()


def error_of(data: str | bytes) -> X12Error:
    with pytest.raises(X12Error) as caught:
        parse_interchange(data.encode() if isinstance(data, str) else data)
    return caught.value


def test_the_isa_is_106_characters_and_the_envelope_round_trips():
    data = render_interchange(interchange())
    assert data.index(b"~") == ISA_LENGTH - 1
    assert data.decode().split("~")[1:] == [
        "GS*SM*SHIPPER*TMS*20260302*0930*7*X*004010", "ST*204*0001", "B2A*00",
        "SE*3*0001", "GE*1*7", "IEA*1*000000042", ""]
    assert parse_interchange(data) == interchange()


@pytest.mark.parametrize("delimiters", [Delimiters("|", "^", "\n"), Delimiters("*", ":", "'"),
                                        Delimiters("!", "\\", "~")])
def test_the_isa_declares_the_delimiters_it_is_read_with(delimiters):
    data = render_interchange(interchange(delimiters))
    assert data[3:4] == delimiters.element.encode()
    assert data[104:106] == (delimiters.component + delimiters.segment).encode()
    assert parse_interchange(data).delimiters == delimiters
    assert parse_interchange(data) == interchange(delimiters)


def test_isa11_is_the_repetition_separator_from_00402_and_u_before():
    later = interchange(Delimiters(repetition="^"), version="00501")
    data = render_interchange(later)
    assert data.decode().split("*")[11:13] == ["^", "00501"]
    assert parse_interchange(data).delimiters.repetition == "^"
    assert parse_interchange(render_interchange(interchange())).delimiters.repetition is None
    wrong = text().replace("*U*00401*", "*^*00401*", 1)
    error = error_of(wrong)
    assert (error.segment_id, error.element, error.code) == ("ISA", 11,
                                                              ElementSyntax.INVALID_CODE)


def test_a_line_break_after_each_terminator_is_read():
    data = render_interchange(interchange(), line_breaks=True)
    assert data.count(b"~\n") == 7
    assert parse_interchange(data) == interchange()
    assert parse_interchange(data.replace(b"~\n", b"~\r\n")) == interchange()


def test_an_isa_field_off_its_fixed_width_is_named():
    error = error_of(text().replace("*ZZ*SHIPPER        *", "*ZZ*SHIPPER*", 1))
    assert (error.segment_id, error.position, error.element) == ("ISA", 1, 6)
    assert error.code is ElementSyntax.TOO_SHORT
    assert "fixed width" in str(error)
    error = error_of(text().replace("*ZZ*SHIPPER        *", "*ZZ*SHIPPER         *", 1))
    assert (error.element, error.code) == (6, ElementSyntax.TOO_LONG)


@pytest.mark.parametrize(("old", "new", "where"), [
    ("*000000042*0*P*", "*00000004X*0*P*", ("ISA", 1, 13)),
    ("*260302*0930*", "*261302*0930*", ("ISA", 1, 9)),
    ("*0*P*>", "*0*Q*>", ("ISA", 1, 15)),
    ("GS*SM*SHIPPER*TMS*20260302*0930*7*X*004010", "GS*SM*SHIPPER*TMS*20260302*0930*7*X*005010",
     ("GS", 2, 8)),
    ("20260302*0930*7", "20260230*0930*7", ("GS", 2, 4)),
    ("*0930*7*X", "*0960*7*X", ("GS", 2, 5)),
    ("SE*3*0001", "SE*4*0001", ("SE", 3, 1)),  # inside a set, positions count from ST = 1
    ("SE*3*0001", "SE*3*0002", ("SE", 3, 2)),
    ("GE*1*7", "GE*2*7", ("GE", 6, 1)),  # outside, from ISA = 1
    ("GE*1*7", "GE*1*8", ("GE", 6, 2)),
    ("IEA*1*000000042", "IEA*1*000000043", ("IEA", 7, 2)),
    ("IEA*1*000000042", "IEA*2*000000042", ("IEA", 7, 1)),
    ("*7*X*004010", "**X*004010", ("GS", 2, 6)),
    ("*7*X*004010", "*7*X*004010*EXTRA", ("GS", 2, 9)),
    ("ST*204*0001", "ST*204*01", ("ST", 1, 2)),
    ("ST*204*0001", "ST*2O4*0001", ("ST", 1, 1)),
])
def test_a_count_or_control_number_that_does_not_match_is_named(old, new, where):
    data = text()
    assert old in data
    error = error_of(data.replace(old, new, 1))
    assert (error.segment_id, error.position, error.element) == where
    assert error.element is not None and f"{where[0]}{where[2]:02d}" in str(error)


def test_the_codes_a_997_reports_come_with_the_error():
    assert error_of(text().replace("SE*3*0001", "SE*4*0001")).code is \
        SetSyntax.SEGMENT_COUNT_MISMATCH
    assert error_of(text().replace("SE*3*0001", "SE*3*0002")).code is \
        SetSyntax.CONTROL_NUMBER_MISMATCH
    assert error_of(text().replace("GE*1*7", "GE*2*7")).code is GroupSyntax.SET_COUNT_MISMATCH
    assert error_of(text().replace("GE*1*7", "GE*1*8")).code is \
        GroupSyntax.CONTROL_NUMBER_MISMATCH
    mismatch = error_of(text().replace("SE*3*0001", "SE*4*0001"))
    assert mismatch.set_control == "0001"
    assert "transaction set 0001" in str(mismatch)


def test_two_sets_of_a_group_with_one_control_number_are_refused():
    data = render_interchange(interchange(sets=2)).decode()
    error = error_of(data.replace("ST*204*0002", "ST*204*0001").replace("SE*3*0002",
                                                                       "SE*3*0001"))
    assert (error.segment_id, error.element, error.code) == (
        "ST", 2, SetSyntax.CONTROL_NUMBER_NOT_UNIQUE)


@pytest.mark.parametrize(("cut", "segment_id", "code"), [
    ("SE*3*0001~GE*1*7~IEA*1*000000042~", "SE", SetSyntax.TRAILER_MISSING),
    ("GE*1*7~IEA*1*000000042~", "GE", GroupSyntax.TRAILER_MISSING),
    ("IEA*1*000000042~", "IEA", SegmentSyntax.MANDATORY_SEGMENT_MISSING),
])
def test_a_missing_trailer_is_named(cut, segment_id, code):
    error = error_of(text().removesuffix(cut))
    assert (error.segment_id, error.code) == (segment_id, code)


def test_the_file_must_end_with_a_terminator_and_hold_one_interchange():
    assert error_of(text().removesuffix("~")).code is SegmentSyntax.UNEXPECTED_SEGMENT
    twice = error_of(text() + text())
    assert (twice.segment_id, twice.position) == ("ISA", 8)
    assert error_of(text().replace("B2A*00", "b2a*00")).code is \
        SegmentSyntax.UNRECOGNIZED_SEGMENT
    assert error_of("GS*SM*A~").segment_id == "GS"
    assert error_of(text()[:80]).code is SegmentSyntax.DATA_ELEMENT_ERRORS
    assert error_of("ISA*00*é".encode()).code is ElementSyntax.INVALID_CHARACTER


def test_a_composite_element_is_split_on_the_declared_component_separator():
    body = (Segment.of("AK4", ("2", "1"), "", "7", "XX"),)
    data = render_interchange(interchange(body=body))
    assert b"AK4*2>1**7*XX~" in data
    assert parse_interchange(data).groups[0].transactions[0].body == body


@pytest.mark.parametrize("value", ["A*B", "A~B", "A>B", "A\nB", "CAFÉ"])
def test_data_a_receiver_could_not_split_back_is_refused_when_rendering(value):
    with pytest.raises(X12Error) as caught:
        render_interchange(interchange(body=(Segment.of("L11", value, "PO"),)))
    assert (caught.value.segment_id, caught.value.position, caught.value.element) == \
        ("L11", 4, 1)
    assert caught.value.code is ElementSyntax.INVALID_CHARACTER


def test_an_isa_field_wider_than_its_width_is_refused_when_rendering():
    wide = Interchange(Party("ZZ", "A-SENDER-ID-OVER-15"), Party("ZZ", "TMS"), PREPARED, 1, ())
    with pytest.raises(X12Error) as caught:
        render_interchange(wide)
    assert (caught.value.segment_id, caught.value.element) == ("ISA", 6)


def test_delimiters_must_be_distinct_non_alphanumeric_characters():
    for bad in (("*", "*", "~"), ("A", ":", "~"), ("*", ":", " ")):
        with pytest.raises(ValueError, match="delimiters"):
            Delimiters(*bad)


def test_a_sender_never_repeats_a_control_number():
    numbers = ControlNumbers(start=998)
    assert [numbers.interchange(), numbers.interchange()] == [998, 999]
    assert [numbers.group(), numbers.group()] == [998, 999]
    assert [numbers.transaction_set(), numbers.transaction_set()] == ["0998", "0999"]
    with pytest.raises(OverflowError):
        ControlNumbers(start=999_999_999 + 1).interchange()


def test_a_receiver_spots_the_same_interchange_twice_by_sender_and_isa13():
    received = ReceivedInterchanges()
    first = parse_interchange(render_interchange(interchange()))
    assert received.first_time(first)
    assert not received.first_time(parse_interchange(render_interchange(interchange())))
    other_sender = Interchange(Party("ZZ", "OTHER"), first.receiver, PREPARED, 42, first.groups)
    assert received.first_time(other_sender)


def test_the_codec_is_neutral_ground_importing_no_simulator_world_or_sdk():
    """The TMS simulator and the SDK both import seatrial.x12; it imports neither."""
    package = Path(__file__).resolve().parents[1] / "seatrial" / "x12"
    imported = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    seatrial = {name for name in imported if name.startswith("seatrial")}
    assert seatrial and all(name.startswith("seatrial.x12") for name in seatrial), seatrial
