"""Vendor webhook payloads read into the SDK's `Event`, one module per dialect: pure functions
of the delivery's bytes, usable by any Python sync implementation (and by the hosts, which
hand a handler the event its delivery's body says, in whatever dialect its source speaks).

`event(source, dialect, body)` reads one delivery; a dialect without a module here sends the
canonical envelope (`seatrial.model.envelope`), which the hosts read themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from seatrial.model.envelope import EPOCH, Event
from seatrial.sdk.payloads import onfleet, sap_s4

#: (system, dialect) -> the reader of its deliveries' bodies
READERS: dict[tuple[str, str], Callable[[bytes], Event]] = {
    ("lastmile", "onfleet"): onfleet.event,
    ("erp", "sap-s4"): sap_s4.event,
}


def reader(source: str, dialect: str) -> Callable[[bytes], Event] | None:
    """How to read `source`'s deliveries in `dialect`, or None: the canonical envelope."""
    return READERS.get((source, dialect))


def readable(read: Callable[[bytes], Event], source: str, body: bytes) -> Event:
    """The event `read` finds in `body`, or, when it finds none, an `unreadable` event that
    names why (type `<source>.unreadable`, the reason in its payload's `error`): a handler
    parks it, as it parks any malformed message."""
    try:
        return read(body)
    except ValueError as error:
        return Event(f"{source}-unreadable-{hashlib.sha256(body).hexdigest()[:32]}",
                     f"{source}.unreadable", source, 0, EPOCH, EPOCH, "ACT", "",
                     payload={"error": str(error)})


def event(source: str, dialect: str, body: bytes) -> Event:
    """The event one delivery of `source` in `dialect` carries; ValueError names what is
    wrong with the body, or that the dialect sends the canonical envelope."""
    read = reader(source, dialect)
    if read is None:
        raise ValueError(f"{source} in {dialect} sends the canonical envelope; read it with "
                         "seatrial.model.envelope")
    return read(body)
