"""Reading a transaction set's segments into typed values, with errors a 997 can repeat.

A SetReader walks the body of one transaction set in order. Each document reads the segments it
knows, in the order the implementation guide puts them; a segment it does not use (G61 contacts,
LH hazardous-material details, N7 equipment...) is passed over, as a TMS that does not use it
would, but a segment it does use turning up out of place is an error, and so is a mandatory one
missing. Element accessors check the value and raise an X12Error with the segment's position
(ST = 1), its id and the element's position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal, InvalidOperation

from seatrial.x12.envelope import Segment, TransactionSet
from seatrial.x12.errors import ElementSyntax, SegmentSyntax, SetSyntax, X12Error


@dataclass(frozen=True)
class Located:
    """A segment and its position in the transaction set (ST = 1)."""

    segment: Segment
    position: int

    def fail(self, element: int, code: ElementSyntax, detail: str, value: str = "") -> X12Error:
        return X12Error(self.segment.id, self.position, element, code, detail, value)

    def text(self, element: int, *, required: bool = True, codes: Iterable[str] = (),
             size: tuple[int, int] | None = None) -> str:
        value = self.segment.element(element)
        if isinstance(value, tuple):
            raise self.fail(element, ElementSyntax.INVALID_CHARACTER,
                            "is a simple element, not a composite", ":".join(value))
        if not value:
            if required:
                raise self.fail(element, ElementSyntax.MANDATORY_MISSING, "mandatory, missing")
            return ""
        allowed = tuple(codes)
        if allowed and value not in allowed:
            raise self.fail(element, ElementSyntax.INVALID_CODE,
                            f"must be one of {', '.join(allowed)}", value)
        if size and len(value) < size[0]:
            raise self.fail(element, ElementSyntax.TOO_SHORT,
                            f"is {size[0]} characters at least", value)
        if size and len(value) > size[1]:
            raise self.fail(element, ElementSyntax.TOO_LONG,
                            f"is {size[1]} characters at most", value)
        return value

    def optional(self, element: int, **rules) -> str | None:
        return self.text(element, required=False, **rules) or None

    def day(self, element: int, *, required: bool = True) -> date | None:
        value = self.text(element, required=required)
        if not value:
            return None
        if not re.fullmatch(r"\d{8}", value):
            raise self.fail(element, ElementSyntax.INVALID_DATE, "is a date, CCYYMMDD", value)
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            raise self.fail(element, ElementSyntax.INVALID_DATE, "is not a calendar date",
                            value) from None

    def clock(self, element: int, *, required: bool = True) -> time | None:
        value = self.text(element, required=required)
        if not value:
            return None
        if not re.fullmatch(r"\d{4}(\d{2})?", value):
            raise self.fail(element, ElementSyntax.INVALID_TIME, "is a time, HHMM or HHMMSS",
                            value)
        try:
            return time(int(value[:2]), int(value[2:4]), int(value[4:6] or 0))
        except ValueError:
            raise self.fail(element, ElementSyntax.INVALID_TIME, "is not a time of day",
                            value) from None

    def cents(self, element: int, *, required: bool = True) -> int | None:
        """An N2 amount: digits with two implied decimals, "1500" is 15.00."""
        value = self.text(element, required=required)
        if not value:
            return None
        if not re.fullmatch(r"-?\d{1,15}", value):
            raise self.fail(element, ElementSyntax.INVALID_CHARACTER,
                            "is an amount with two implied decimals (digits only: 1500 is "
                            "15.00)", value)
        return int(value)

    def integer(self, element: int, *, required: bool = True) -> int | None:
        value = self.text(element, required=required)
        if not value:
            return None
        if not re.fullmatch(r"\d{1,15}", value):
            raise self.fail(element, ElementSyntax.INVALID_CHARACTER, "is a whole number",
                            value)
        return int(value)

    def decimal(self, element: int, *, required: bool = True) -> Decimal | None:
        value = self.text(element, required=required)
        if not value:
            return None
        try:
            if not re.fullmatch(r"-?(\d+\.?\d*|\.\d+)", value):
                raise InvalidOperation
            return Decimal(value)
        except InvalidOperation:
            raise self.fail(element, ElementSyntax.INVALID_CHARACTER, "is a decimal number",
                            value) from None


class SetReader:
    """The segments of one transaction set, read in order. `known` is every segment id the
    document reads anywhere; any other id is passed over."""

    def __init__(self, transaction: TransactionSet, set_id: str, known: Iterable[str]):
        if transaction.set_id != set_id:
            raise X12Error("ST", 1, 1, SetSyntax.INVALID_SET_IDENTIFIER,
                           f"ST01 is {transaction.set_id}; this reader reads {set_id}",
                           transaction.set_id, transaction.control_number)
        self.control = transaction.control_number
        self.known = frozenset(known)
        self.segments = [Located(segment, position) for position, segment in
                         enumerate(transaction.body, start=2) if segment.id in self.known]
        self.index = 0
        self.end = len(transaction.body) + 2  # the SE's position

    def next_is(self, *segment_ids: str) -> bool:
        return self.index < len(self.segments) and \
            self.segments[self.index].segment.id in segment_ids

    def take(self, segment_id: str) -> Located:
        """The next segment, which must be `segment_id`."""
        if not self.next_is(segment_id):
            here = self.segments[self.index].position if self.index < len(self.segments) \
                else self.end
            raise X12Error(segment_id, here, None, SegmentSyntax.MANDATORY_SEGMENT_MISSING,
                           f"{segment_id} is mandatory here (segment {here})")
        self.index += 1
        return self.segments[self.index - 1]

    def maybe(self, segment_id: str) -> Located | None:
        return self.take(segment_id) if self.next_is(segment_id) else None

    def every(self, segment_id: str) -> list[Located]:
        found = []
        while self.next_is(segment_id):
            found.append(self.take(segment_id))
        return found

    def finish(self) -> None:
        """Every segment this document reads was read: one left over is out of place."""
        if self.index < len(self.segments):
            left = self.segments[self.index]
            raise X12Error(left.segment.id, left.position, None, SegmentSyntax.NOT_IN_SEQUENCE,
                           f"{left.segment.id} is out of place (segment {left.position})")


def x12_date(value: date | None) -> str | None:
    return value.strftime("%Y%m%d") if value else None


def x12_time(value: time | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%H%M%S" if value.second else "%H%M")


def x12_number(value: Decimal | int | None) -> str | None:
    """An R (decimal) or N0 (whole) number as X12 writes it: no exponent, no padding."""
    if value is None:
        return None
    return str(value) if isinstance(value, int) else format(value, "f")


@contextmanager
def inside(transaction: TransactionSet) -> Iterator[None]:
    """Errors raised while reading `transaction` name its control number (ST02)."""
    try:
        yield
    except X12Error as error:
        raise (error if error.set_control else error.in_set(transaction.control_number)) \
            from None
