"""The 997 functional acknowledgment: the receiver's answer to every functional group.

AK1 names the group (GS01, GS06); per transaction set an AK2 (ST01, ST02), for each segment in
error an AK3 (segment id, position counted from ST = 1, AK304 code) with an AK4 per element in
error (its position, AK403 code, a copy of the bad data), and an AK5 (A accepted, R rejected,
with AK502 codes); AK9 closes the group (its code, the sets included, received and accepted).
A receiver builds one from the X12Error its reading raised, so the AK3/AK4 say exactly which
segment and element a sender must fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from seatrial.x12.envelope import FunctionalGroup, Segment, TransactionSet
from seatrial.x12.errors import ElementSyntax, SegmentSyntax, SetSyntax, X12Error
from seatrial.x12.fields import Located, SetReader, inside

SET_ID = "997"
FUNCTIONAL_ID = "FA"
SEGMENTS = ("AK1", "AK2", "AK3", "AK4", "AK5", "AK9")
CODES = ("A", "E", "M", "P", "R", "W", "X")


class Acceptance(Enum):
    """AK501 / AK901, the acknowledgment code."""

    ACCEPTED = "A"
    ACCEPTED_WITH_ERRORS = "E"
    PARTIALLY_ACCEPTED = "P"
    REJECTED = "R"


@dataclass(frozen=True)
class ElementNote:
    """An AK4: the element's position in its segment, the AK403 code, the bad data."""

    position: int
    code: str
    value: str = ""


@dataclass(frozen=True)
class SegmentNote:
    """An AK3: the segment's id, its position from ST (= 1), the AK304 code, its AK4s."""

    segment_id: str
    position: int
    code: str
    elements: tuple[ElementNote, ...] = ()


@dataclass(frozen=True)
class SetResult:
    """AK2 .. AK5 for one transaction set."""

    set_id: str
    control_number: str
    acceptance: Acceptance
    segments: tuple[SegmentNote, ...] = ()
    codes: tuple[str, ...] = ()  # AK502 .. AK506


@dataclass(frozen=True)
class FunctionalAcknowledgment:
    functional_id: str
    group_control: int
    acceptance: Acceptance
    sets: tuple[SetResult, ...]
    included: int
    received: int
    accepted: int
    codes: tuple[str, ...] = ()  # AK905 .. AK909

    def result(self, control_number: str) -> SetResult | None:
        return next((s for s in self.sets if s.control_number == control_number), None)


def acknowledge(group: FunctionalGroup, problems: Mapping[str, X12Error] | None = None
                ) -> FunctionalAcknowledgment:
    """The 997 answering `group`: each set accepted, except those in `problems` (by ST02)
    and those read with a `fault`, rejected with the AK3/AK4/AK5 their error says."""
    problems = problems or {}
    results = tuple(_result(t, t.fault or problems.get(t.control_number))
                    for t in group.transactions)
    accepted = sum(r.acceptance is Acceptance.ACCEPTED for r in results)
    acceptance = (Acceptance.ACCEPTED if accepted == len(results) else
                  Acceptance.REJECTED if accepted == 0 else Acceptance.PARTIALLY_ACCEPTED)
    return FunctionalAcknowledgment(group.functional_id, group.control_number, acceptance,
                                    results, len(results), len(results), accepted)


def _result(transaction: TransactionSet, error: X12Error | None) -> SetResult:
    if error is None:
        return SetResult(transaction.set_id, transaction.control_number, Acceptance.ACCEPTED)
    if isinstance(error.code, SetSyntax):
        return SetResult(transaction.set_id, transaction.control_number, Acceptance.REJECTED,
                         codes=(error.code.value,))
    if isinstance(error.code, ElementSyntax):
        note = SegmentNote(error.segment_id, error.position,
                           SegmentSyntax.DATA_ELEMENT_ERRORS.value,
                           (ElementNote(error.element or 1, error.code.value, error.value),))
    else:
        note = SegmentNote(error.segment_id, error.position, error.code.value)
    return SetResult(transaction.set_id, transaction.control_number, Acceptance.REJECTED,
                     (note,), (SetSyntax.SEGMENTS_IN_ERROR.value,))


def acknowledgment_segments(ack: FunctionalAcknowledgment) -> tuple[Segment, ...]:
    """The 997's body, AK1 to AK9 (the envelope adds ST and SE)."""
    segments = [Segment.of("AK1", ack.functional_id, str(ack.group_control))]
    for result in ack.sets:
        segments.append(Segment.of("AK2", result.set_id, result.control_number))
        for note in result.segments:
            segments.append(Segment.of("AK3", note.segment_id, str(note.position), None,
                                       note.code))
            segments += [Segment.of("AK4", str(e.position), None, e.code, e.value)
                         for e in note.elements]
        segments.append(Segment.of("AK5", result.acceptance.value, *result.codes))
    segments.append(Segment.of("AK9", ack.acceptance.value, str(ack.included),
                               str(ack.received), str(ack.accepted), *ack.codes))
    return tuple(segments)


def read_acknowledgment(transaction: TransactionSet) -> FunctionalAcknowledgment:
    """The 997 in `transaction`; X12Error naming the segment and element when it is malformed."""
    with inside(transaction):
        reader = SetReader(transaction, SET_ID, SEGMENTS)
        ak1 = reader.take("AK1")
        results = []
        while reader.next_is("AK2"):
            results.append(_read_result(reader, reader.take("AK2")))
        ak9 = reader.take("AK9")
        reader.finish()
        return FunctionalAcknowledgment(
            functional_id=ak1.text(1, size=(2, 2)), group_control=ak1.integer(2),
            acceptance=_acceptance(ak9, 1), sets=tuple(results), included=ak9.integer(2),
            received=ak9.integer(3), accepted=ak9.integer(4),
            codes=tuple(c for c in (ak9.optional(n) for n in range(5, 10)) if c))


def _read_result(reader: SetReader, ak2: Located) -> SetResult:
    notes = []
    while reader.next_is("AK3"):
        ak3 = reader.take("AK3")
        elements = tuple(ElementNote(_position(ak4), ak4.text(3, size=(1, 3)),
                                     ak4.optional(4) or "") for ak4 in reader.every("AK4"))
        notes.append(SegmentNote(ak3.text(1, size=(2, 3)), ak3.integer(2),
                                 ak3.optional(4, size=(1, 3)) or "", elements))
    ak5 = reader.take("AK5")
    return SetResult(ak2.text(1, size=(3, 3)), ak2.text(2, size=(4, 9)), _acceptance(ak5, 1),
                     tuple(notes), tuple(c for c in (ak5.optional(n) for n in range(2, 7)) if c))


def _position(ak4: Located) -> int:
    """AK401 is a composite (element position : component position); the element's is read."""
    value = ak4.segment.element(1)
    first = value[0] if isinstance(value, tuple) else value
    if not first.isdigit():
        raise ak4.fail(1, ElementSyntax.MANDATORY_MISSING if not first else
                       ElementSyntax.INVALID_CHARACTER, "is the element's position, a number",
                       first)
    return int(first)


def _acceptance(located: Located, element: int) -> Acceptance:
    code = located.text(element, codes=CODES)
    try:
        return Acceptance(code)
    except ValueError:
        raise located.fail(element, ElementSyntax.INVALID_CODE,
                           "is read here as A, E, P or R only", code) from None
