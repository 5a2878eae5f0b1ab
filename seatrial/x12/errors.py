"""The one error a malformed X12 document raises, precise enough for a 997 to repeat it.

A 997 names what was wrong at three levels: the segment (AK3: its id, its position counted from
the transaction set's ST as 1, an AK304 code), the element inside it (AK4: its position, an
AK403 code, a copy of the bad value) and the transaction set or group as a whole (AK5 / AK9
codes). An X12Error carries exactly those, so the receiver of a bad 204 can answer it with an
AK3/AK4 that points at the very element, and a person reading the message sees the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class SegmentSyntax(Enum):
    """AK304, segment syntax error codes (X12 element 720)."""

    UNRECOGNIZED_SEGMENT = "1"
    UNEXPECTED_SEGMENT = "2"
    MANDATORY_SEGMENT_MISSING = "3"
    LOOP_OVER_MAXIMUM = "4"
    SEGMENT_OVER_MAXIMUM_USE = "5"
    NOT_IN_TRANSACTION_SET = "6"
    NOT_IN_SEQUENCE = "7"
    DATA_ELEMENT_ERRORS = "8"


class ElementSyntax(Enum):
    """AK403, data element syntax error codes (X12 element 723)."""

    MANDATORY_MISSING = "1"
    CONDITIONAL_MISSING = "2"
    TOO_MANY_ELEMENTS = "3"
    TOO_SHORT = "4"
    TOO_LONG = "5"
    INVALID_CHARACTER = "6"
    INVALID_CODE = "7"
    INVALID_DATE = "8"
    INVALID_TIME = "9"
    EXCLUSION_VIOLATED = "10"


class SetSyntax(Enum):
    """AK502, transaction set syntax error codes (X12 element 718)."""

    NOT_SUPPORTED = "1"
    TRAILER_MISSING = "2"
    CONTROL_NUMBER_MISMATCH = "3"
    SEGMENT_COUNT_MISMATCH = "4"
    SEGMENTS_IN_ERROR = "5"
    INVALID_SET_IDENTIFIER = "6"
    INVALID_CONTROL_NUMBER = "7"
    CONTROL_NUMBER_NOT_UNIQUE = "23"


class GroupSyntax(Enum):
    """AK905, functional group syntax error codes (X12 element 716)."""

    NOT_SUPPORTED = "1"
    VERSION_NOT_SUPPORTED = "2"
    TRAILER_MISSING = "3"
    CONTROL_NUMBER_MISMATCH = "4"
    SET_COUNT_MISMATCH = "5"
    INVALID_CONTROL_NUMBER = "6"


Code = SegmentSyntax | ElementSyntax | SetSyntax | GroupSyntax


@dataclass(eq=False)
class X12Error(ValueError):
    """What is wrong and exactly where.

    `position` is the segment's position: counted from the transaction set's ST (= 1) for an
    error inside a set, from the interchange's ISA (= 1) for an envelope error. `element` is
    the element's position in the segment (1-based) or None when the segment as a whole is
    wrong; `value` is a copy of the offending element's data (AK404). `code` is the X12 code a
    997 reports it with: an ElementSyntax for AK403, a SegmentSyntax for AK304, a SetSyntax or
    GroupSyntax for AK5/AK9. `set_control` names the transaction set (ST02) the error is in,
    when it is in one.
    """

    segment_id: str
    position: int
    element: int | None
    code: Code
    detail: str
    value: str = ""
    set_control: str | None = None

    def __str__(self) -> str:
        where = f"{self.segment_id}{self.element:02d}" if self.element else self.segment_id
        inside = f" of transaction set {self.set_control}" if self.set_control else ""
        found = f" (found {self.value!r})" if self.value else ""
        return f"{where} (segment {self.position}{inside}): {self.detail}{found}"

    def in_set(self, set_control: str) -> X12Error:
        """The same error, marked as inside transaction set `set_control`."""
        return X12Error(self.segment_id, self.position, self.element, self.code, self.detail,
                        self.value, set_control)
