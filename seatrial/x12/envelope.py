"""The X12 envelope: ISA/IEA around GS/GE groups around ST/SE transaction sets, strictly.

Parsing reads the delimiters from the ISA itself (fixed width, 106 characters: the element
separator is its 4th character, the component separator ISA16 its 105th, the segment
terminator its 106th; ISA11 is the repetition separator from version 00402 on and the standards
identifier `U` before), then checks every count and control number a receiver checks: SE01
against the segments counted, SE02 against ST02, GE01/GE02 against the sets and GS06, IEA01/IEA02
against the groups and ISA13, and that no two sets of a group share a control number. The first
problem raises an X12Error naming the segment's position, id and element. Rendering is the
inverse and refuses data a receiver could not split back (a delimiter inside an element, an ISA
field wider than its fixed width).

A carriage return or line feed after a segment terminator is tolerated when reading (many
partners write one segment a line) and written on request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from seatrial.x12.errors import ElementSyntax, GroupSyntax, SegmentSyntax, SetSyntax, X12Error

ISA_LENGTH = 106
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)  # ISA01 .. ISA16
ISA_VERSION = "00401"  # ISA12 of the interchanges Seatrial writes
VERSION = "004010"  # GS08: the only version the transaction sets here are read in
FIRST_REPETITION_VERSION = "00402"  # from this ISA12 on, ISA11 is the repetition separator
SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
LINE_BREAKS = "\r\n"

Element = str | tuple[str, ...]  # a simple element, or a composite's components


@dataclass(frozen=True)
class Delimiters:
    """The characters an interchange declares in its ISA. `repetition` is None in 00401, where
    ISA11 holds the standards identifier `U` instead."""

    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = None

    def __post_init__(self) -> None:
        chosen = [self.element, self.component, self.segment]
        chosen += [self.repetition] if self.repetition is not None else []
        if any(len(char) != 1 or char.isalnum() or char == " " for char in chosen):
            raise ValueError(f"X12 delimiters must be single non-alphanumeric, non-space "
                             f"characters, not {chosen!r}")
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"X12 delimiters must differ from each other, not {chosen!r}")

    def characters(self) -> str:
        return self.element + self.component + self.segment + (self.repetition or "")


@dataclass(frozen=True)
class Segment:
    """One segment: its id and its elements, element 1 first. Trailing empty elements are not
    kept: X12 writes none."""

    id: str
    elements: tuple[Element, ...] = ()

    @classmethod
    def of(cls, segment_id: str, *elements: Element | None) -> Segment:
        """A segment from elements in order, None or "" for an unused one."""
        values = [element if element is not None else "" for element in elements]
        while values and values[-1] in ("", ()):
            values.pop()
        return cls(segment_id, tuple(values))

    def element(self, position: int) -> Element:
        """Element `position` (1-based); "" when the segment stops before it."""
        return self.elements[position - 1] if position <= len(self.elements) else ""


@dataclass(frozen=True)
class TransactionSet:
    """ST .. SE: the set's id (ST01), control number (ST02) and the segments between. `fault`
    is what was wrong with its trailer or control number when it was read keeping set errors
    (the receiver still rejects it, in its 997, but reads the rest of the group)."""

    set_id: str
    control_number: str
    body: tuple[Segment, ...]
    fault: X12Error | None = None


@dataclass(frozen=True)
class FunctionalGroup:
    """GS .. GE: sets of one functional kind (GS01: SM 204, GF 990, QM 214, IM 210, FA 997)."""

    functional_id: str
    sender: str
    receiver: str
    prepared: datetime
    control_number: int
    transactions: tuple[TransactionSet, ...]
    version: str = VERSION


@dataclass(frozen=True)
class Party:
    """An interchange sender or receiver: ISA05/ISA06 or ISA07/ISA08 (ZZ: mutually defined,
    02: SCAC, 01: DUNS...)."""

    qualifier: str
    id: str


@dataclass(frozen=True)
class Interchange:
    """ISA .. IEA. `control_number` is ISA13, the number a receiver spots duplicates by."""

    sender: Party
    receiver: Party
    prepared: datetime
    control_number: int
    groups: tuple[FunctionalGroup, ...]
    usage: str = "P"  # ISA15: P production, T test
    acknowledgment_requested: bool = False  # ISA14: a TA1 wanted
    delimiters: Delimiters = field(default_factory=Delimiters)
    version: str = ISA_VERSION
    authorization: tuple[str, str] = ("00", "")  # ISA01, ISA02
    security: tuple[str, str] = ("00", "")  # ISA03, ISA04


# ---------------------------------------------------------------------------------- reading


def parse_interchange(data: bytes, *, keep_set_errors: bool = False) -> Interchange:
    """One interchange from a file's bytes; X12Error at the first thing a receiver rejects.
    With `keep_set_errors`, a transaction set whose SE count or control number is wrong, or
    whose ST02 repeats another's, is kept with its `fault` instead, so a 997 can reject that
    set and still answer the others; every other error still raises."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as error:
        raise X12Error("ISA", 1, None, ElementSyntax.INVALID_CHARACTER,
                       f"byte {error.start} is not ASCII: X12 files are ASCII text") from None
    header, delimiters = _read_isa(text)
    segments = _split(text[ISA_LENGTH:], delimiters)
    return _Envelope(header, delimiters, segments, keep_set_errors).interchange()


def _fail(segment_id: str, position: int, element: int | None, code, detail: str,
          value: str = "") -> X12Error:
    return X12Error(segment_id, position, element, code, detail, value)


def _read_isa(text: str) -> tuple[list[str], Delimiters]:
    if not text.startswith("ISA"):
        found = re.match(r"[A-Za-z0-9]{0,3}", text).group() or "ISA"
        raise _fail(found, 1, None, SegmentSyntax.MANDATORY_SEGMENT_MISSING,
                    "an interchange starts with the ISA segment")
    if len(text) < ISA_LENGTH:
        raise _fail("ISA", 1, None, SegmentSyntax.DATA_ELEMENT_ERRORS,
                    f"the ISA is fixed width, {ISA_LENGTH} characters; the file has only "
                    f"{len(text)}")
    separator, fields, offset = text[3], [], 4
    for number, width in enumerate(ISA_WIDTHS, start=1):
        value, offset = text[offset:offset + width], offset + width
        fields.append(value)
        if number == len(ISA_WIDTHS):
            break
        if text[offset] != separator:
            short = separator in value
            raise _fail("ISA", 1, number,
                        ElementSyntax.TOO_SHORT if short else ElementSyntax.TOO_LONG,
                        f"ISA{number:02d} must be exactly {width} characters wide (the ISA is "
                        f"fixed width), padded with spaces: it is "
                        f"{'shorter' if short else 'longer'}",
                        value.split(separator)[0] if short else value)
        offset += 1
    component, terminator = text[ISA_LENGTH - 2], text[ISA_LENGTH - 1]
    version = fields[11]
    if not re.fullmatch(r"\d{5}", version):
        raise _fail("ISA", 1, 12, ElementSyntax.INVALID_CODE,
                    "ISA12 is the 5-digit interchange version, such as 00401", version)
    repetition = None
    if version >= FIRST_REPETITION_VERSION:
        repetition = fields[10]
    elif fields[10] != "U":
        raise _fail("ISA", 1, 11, ElementSyntax.INVALID_CODE,
                    f"in version {version} ISA11 is the standards identifier U", fields[10])
    try:
        delimiters = Delimiters(separator, component, terminator, repetition)
    except ValueError as error:
        raise _fail("ISA", 1, 16, ElementSyntax.INVALID_CHARACTER, str(error)) from None
    _check_isa_fields(fields)
    return fields, delimiters


def _check_isa_fields(fields: list[str]) -> None:
    rules = ((1, r"\d\d", "a 2-digit qualifier"), (3, r"\d\d", "a 2-digit qualifier"),
             (5, r"[0-9A-Z]{2}", "a 2-character qualifier"),
             (7, r"[0-9A-Z]{2}", "a 2-character qualifier"),
             (13, r"\d{9}", "the 9-digit interchange control number"),
             (14, r"[01]", "0 or 1 (TA1 requested)"), (15, r"[PTI]", "P, T or I"))
    for number, pattern, meaning in rules:
        if not re.fullmatch(pattern, fields[number - 1]):
            raise _fail("ISA", 1, number, ElementSyntax.INVALID_CODE,
                        f"ISA{number:02d} must be {meaning}", fields[number - 1])
    for number in (6, 8):
        if not fields[number - 1].strip():
            raise _fail("ISA", 1, number, ElementSyntax.MANDATORY_MISSING,
                        f"ISA{number:02d} names the interchange "
                        f"{'sender' if number == 6 else 'receiver'}; it is blank")
    _timestamp("ISA", 1, (9, 10), fields[8], fields[9], "%y%m%d")


def _timestamp(segment_id: str, position: int, elements: tuple[int, int], day: str,
               clock: str, day_format: str) -> datetime:
    try:
        parsed_day = datetime.strptime(day, day_format)
    except ValueError:
        raise _fail(segment_id, position, elements[0], ElementSyntax.INVALID_DATE,
                    f"{segment_id}{elements[0]:02d} is not a date "
                    f"({'YYMMDD' if day_format == '%y%m%d' else 'CCYYMMDD'})", day) from None
    if not re.fullmatch(r"\d{4}(\d{2})?", clock):
        raise _fail(segment_id, position, elements[1], ElementSyntax.INVALID_TIME,
                    f"{segment_id}{elements[1]:02d} is not a time (HHMM)", clock)
    try:
        return parsed_day.replace(hour=int(clock[:2]), minute=int(clock[2:4]),
                                  second=int(clock[4:6] or 0))
    except ValueError:
        raise _fail(segment_id, position, elements[1], ElementSyntax.INVALID_TIME,
                    f"{segment_id}{elements[1]:02d} is not a time of day", clock) from None


def _split(rest: str, delimiters: Delimiters) -> list[Segment]:
    pieces = rest.split(delimiters.segment)
    if pieces[-1].strip(LINE_BREAKS):
        raise _fail(pieces[-1][:3], len(pieces) + 1, None, SegmentSyntax.UNEXPECTED_SEGMENT,
                    "the file ends inside a segment: the last segment has no terminator "
                    f"{delimiters.segment!r}")
    segments = []
    for position, piece in enumerate(pieces[:-1], start=2):
        raw = piece.lstrip(LINE_BREAKS)
        values = raw.split(delimiters.element)
        if not SEGMENT_ID.fullmatch(values[0]):
            raise _fail(values[0][:3], position, None, SegmentSyntax.UNRECOGNIZED_SEGMENT,
                        f"{values[0]!r} is not a segment id (2 or 3 upper-case letters and "
                        "digits)")
        elements = tuple(tuple(value.split(delimiters.component))
                         if delimiters.component in value else value for value in values[1:])
        segments.append(Segment(values[0], elements))
    return segments


class _Envelope:
    """The walk over an interchange's segments after the ISA, position by position."""

    def __init__(self, header: list[str], delimiters: Delimiters, segments: list[Segment],
                 keep_set_errors: bool):
        self.header, self.delimiters, self.segments = header, delimiters, segments
        self.keep_set_errors = keep_set_errors
        self.index = 0  # segments[index] is at interchange position index + 2

    def position(self) -> int:
        return self.index + 2

    def next(self, expected: str) -> Segment:
        if self.index >= len(self.segments):
            code = {"IEA": SegmentSyntax.MANDATORY_SEGMENT_MISSING,
                    "GE": GroupSyntax.TRAILER_MISSING, "SE": SetSyntax.TRAILER_MISSING}
            raise _fail(expected, self.position(), None,
                        code.get(expected, SegmentSyntax.MANDATORY_SEGMENT_MISSING),
                        f"the file ends where {expected} belongs")
        segment = self.segments[self.index]
        self.index += 1
        return segment

    def interchange(self) -> Interchange:
        header, groups = self.header, []
        while (segment := self.next("IEA")).id == "GS":
            groups.append(self.group(segment))
        position = self.position() - 1
        if segment.id != "IEA":
            raise _fail(segment.id, position, None, SegmentSyntax.UNEXPECTED_SEGMENT,
                        f"{segment.id} outside a functional group: only GS or IEA may follow "
                        "the ISA or a GE")
        _count(segment, position, 1, len(groups), "functional groups",
               SegmentSyntax.DATA_ELEMENT_ERRORS)
        if segment.element(2) != header[12]:
            raise _fail("IEA", position, 2, ElementSyntax.INVALID_CODE,
                        f"IEA02 must repeat the interchange control number ISA13 "
                        f"{header[12]}", str(segment.element(2)))
        if self.index < len(self.segments):
            raise _fail(self.segments[self.index].id, self.position(), None,
                        SegmentSyntax.UNEXPECTED_SEGMENT,
                        "segments after the IEA: a file holds one interchange")
        return Interchange(
            sender=Party(header[4], header[5].rstrip()),
            receiver=Party(header[6], header[7].rstrip()),
            prepared=_timestamp("ISA", 1, (9, 10), header[8], header[9], "%y%m%d"),
            control_number=int(header[12]), groups=tuple(groups), usage=header[14],
            acknowledgment_requested=header[13] == "1", delimiters=self.delimiters,
            version=header[11], authorization=(header[0], header[1].rstrip()),
            security=(header[2], header[3].rstrip()))

    def group(self, gs: Segment) -> FunctionalGroup:
        position = self.position() - 1
        values = [str(gs.element(number)) for number in range(1, 9)]
        missing = next((n for n, value in enumerate(values, start=1) if not value), None)
        if missing is not None:
            raise _fail("GS", position, missing, ElementSyntax.MANDATORY_MISSING,
                        f"GS{missing:02d} is mandatory (all 8 GS elements are)")
        if len(gs.elements) > len(values):
            raise _fail("GS", position, len(values) + 1, ElementSyntax.TOO_MANY_ELEMENTS,
                        "GS has 8 elements")
        if not re.fullmatch(r"\d{1,9}", values[5]):
            raise _fail("GS", position, 6, GroupSyntax.INVALID_CONTROL_NUMBER,
                        "GS06 is the group control number, 1 to 9 digits", values[5])
        if values[6] != "X" or values[7] != VERSION:
            raise _fail("GS", position, 8 if values[6] == "X" else 7,
                        GroupSyntax.VERSION_NOT_SUPPORTED,
                        f"only X12 (GS07 X) version {VERSION} (GS08) is read here",
                        values[7] if values[6] == "X" else values[6])
        prepared = _timestamp("GS", position, (4, 5), values[3], values[4], "%Y%m%d")
        transactions: list[TransactionSet] = []
        while (segment := self.next("GE")).id == "ST":
            transaction = self.transaction(segment)
            if any(t.control_number == transaction.control_number for t in transactions):
                transaction = self.faulty(transaction, X12Error(
                    "ST", 1, 2, SetSyntax.CONTROL_NUMBER_NOT_UNIQUE, "ST02 repeats the control "
                    "number of an earlier set in this group", transaction.control_number,
                    transaction.control_number))
            transactions.append(transaction)
        trailer = self.position() - 1
        if segment.id != "GE":
            raise _fail(segment.id, trailer, None, GroupSyntax.TRAILER_MISSING,
                        f"{segment.id} where the group's next ST or its GE belongs")
        _count(segment, trailer, 1, len(transactions), "transaction sets",
               GroupSyntax.SET_COUNT_MISMATCH)
        if segment.element(2) != values[5]:
            raise _fail("GE", trailer, 2, GroupSyntax.CONTROL_NUMBER_MISMATCH,
                        f"GE02 must repeat the group control number GS06 {values[5]}",
                        str(segment.element(2)))
        return FunctionalGroup(values[0], values[1], values[2], prepared, int(values[5]),
                               tuple(transactions))

    def transaction(self, st: Segment) -> TransactionSet:
        set_id, control = str(st.element(1)), str(st.element(2))
        if not re.fullmatch(r"\d{3}", set_id):
            raise X12Error("ST", 1, 1, SetSyntax.INVALID_SET_IDENTIFIER,
                           "ST01 is the 3-digit transaction set identifier", set_id, control)
        if not re.fullmatch(r"[0-9A-Za-z]{4,9}", control):
            raise X12Error("ST", 1, 2, SetSyntax.INVALID_CONTROL_NUMBER,
                           "ST02 is the set control number, 4 to 9 characters", control,
                           control or None)
        body = []
        while (segment := self.next("SE")).id not in ("SE", "ST", "GE", "IEA"):
            body.append(segment)
        if segment.id != "SE":
            raise X12Error(segment.id, len(body) + 2, None, SetSyntax.TRAILER_MISSING,
                           f"{segment.id} before the set's SE", set_control=control)
        count, transaction = len(body) + 2, TransactionSet(set_id, control, tuple(body))
        try:
            _count(segment, count, 1, count, "segments (ST to SE)",
                   SetSyntax.SEGMENT_COUNT_MISMATCH)
        except X12Error as error:
            return self.faulty(transaction, error.in_set(control))
        if segment.element(2) != control:
            return self.faulty(transaction, X12Error(
                "SE", count, 2, SetSyntax.CONTROL_NUMBER_MISMATCH,
                f"SE02 must repeat the set control number ST02 {control}",
                str(segment.element(2)), control))
        return transaction

    def faulty(self, transaction: TransactionSet, fault: X12Error) -> TransactionSet:
        """The set kept with its fault, when set errors are kept; else the fault raised."""
        if not self.keep_set_errors:
            raise fault
        return TransactionSet(transaction.set_id, transaction.control_number, transaction.body,
                              fault)


def _count(trailer: Segment, position: int, element: int, actual: int, what: str,
           code) -> None:
    declared = trailer.element(element)
    if declared != str(actual):
        raise _fail(trailer.id, position, element, code,
                    f"{trailer.id}{element:02d} says {declared or 'nothing'}; the "
                    f"{what} counted are {actual}", str(declared))


# ---------------------------------------------------------------------------------- writing


def render_interchange(interchange: Interchange, *, line_breaks: bool = False) -> bytes:
    """The interchange's bytes, with a line feed after each terminator when `line_breaks`.
    X12Error (naming the segment and element) for data a receiver could not read back."""
    d = interchange.delimiters
    after = d.segment + ("\n" if line_breaks else "")
    lines = [_isa(interchange)]
    position = 1
    for group in interchange.groups:
        gs = Segment.of("GS", group.functional_id, group.sender, group.receiver,
                        group.prepared.strftime("%Y%m%d"), group.prepared.strftime("%H%M"),
                        str(group.control_number), "X", group.version)
        segments = [gs]
        for transaction in group.transactions:
            count = len(transaction.body) + 2
            segments += [Segment.of("ST", transaction.set_id, transaction.control_number),
                         *transaction.body,
                         Segment.of("SE", str(count), transaction.control_number)]
        segments.append(Segment.of("GE", str(len(group.transactions)),
                                   str(group.control_number)))
        for segment in segments:
            position += 1
            lines.append(_render_segment(segment, d, position))
    lines.append(_render_segment(
        Segment.of("IEA", str(len(interchange.groups)), f"{interchange.control_number:09d}"),
        d, position + 1))
    return (after.join(lines) + after).encode("ascii")


def _isa(interchange: Interchange) -> str:
    d = interchange.delimiters
    if d.repetition is not None and interchange.version < FIRST_REPETITION_VERSION:
        raise ValueError(f"ISA12 {interchange.version} has no repetition separator (ISA11 is "
                         "U before 00402): leave Delimiters.repetition None")
    values = [*interchange.authorization, *interchange.security,
              interchange.sender.qualifier, interchange.sender.id,
              interchange.receiver.qualifier, interchange.receiver.id,
              interchange.prepared.strftime("%y%m%d"), interchange.prepared.strftime("%H%M"),
              d.repetition or "U", interchange.version, f"{interchange.control_number:09d}",
              "1" if interchange.acknowledgment_requested else "0", interchange.usage,
              d.component]
    for number, (value, width) in enumerate(zip(values, ISA_WIDTHS, strict=True), start=1):
        if len(value) > width:
            raise X12Error("ISA", 1, number, ElementSyntax.TOO_LONG,
                           f"ISA{number:02d} is {width} characters wide at most", value)
        if number not in (11, 16):  # ISA11 and ISA16 are the declared separators
            _check_data("ISA", 1, number, value, d)
    padded = [value.ljust(width) for value, width in zip(values, ISA_WIDTHS, strict=True)]
    return d.element.join(["ISA", *padded])


def _render_segment(segment: Segment, d: Delimiters, position: int) -> str:
    values = []
    for number, element in enumerate(segment.elements, start=1):
        parts = element if isinstance(element, tuple) else (element,)
        for part in parts:
            _check_data(segment.id, position, number, part, d)
        values.append(d.component.join(parts))
    return d.element.join([segment.id, *values])


def _check_data(segment_id: str, position: int, number: int, value: str, d: Delimiters) -> None:
    clash = next((char for char in value if char in d.characters() or char in LINE_BREAKS),
                 None)
    if clash is not None or not value.isascii():
        raise X12Error(segment_id, position, number, ElementSyntax.INVALID_CHARACTER,
                       f"{segment_id}{number:02d} holds {clash or 'a non-ASCII character'!r}, "
                       "a character a receiver would split the data on or cannot read",
                       value)
