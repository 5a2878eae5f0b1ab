"""What every connector shares: the seam calls go out through, the order as a sync
implementation needs it, and the refusal no retry can fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from seatrial.sdk import IO, Call, Event, Handler, Webhook
from seatrial.sdk.webhooks import TOLERANCE


class Parked(Exception):
    """Retrying cannot fix this; keep the event for a human and move on."""


class Order(NamedTuple):
    """An ERP order as the business logic reads it, whichever dialect the ERP speaks."""

    cancelled: bool
    ship_to: dict[str, Any]  # street, city, postcode, country: the canonical address
    lines: list[dict[str, Any]]  # line, sku, quantity, unit_price
    shipment_id: str | None


#: Looks up whether a write whose answer was lost took effect: a generator that returns the
#: answer standing for the lost one (found), or None (not there: send the write again).
Recheck = Callable[[], Handler]


class Send(Protocol):
    """The implementation's way of calling: retries, backoff, 429 pauses are its own. A
    connector hands it each call with the statuses that are answers, not failures (`accept`),
    and, for a write the vendor cannot dedupe by Idempotency-Key, how to look it up before
    sending it again (`recheck`)."""

    def __call__(self, call: Call, accept: tuple[int, ...] = (),
                 recheck: Recheck | None = None) -> Handler: ...


#: Hands the implementation an event it missed, read back from its system (as if delivered).
Take = Callable[[Event], None]


class Connector:
    """One system in one dialect: the calls the business logic makes, in that dialect's
    shapes, through `send`; how that system's webhooks are signed (`authentic`); and, where
    the system can stop delivering (Onfleet disables a failing webhook), the events missed
    meanwhile, read back and handed to `take` (None: the implementation takes none)."""

    #: the system's deliveries carry no signing time, so a replay cannot be told by its age:
    #: only by having been taken before
    undated = False

    def __init__(self, io: IO, send: Send, take: Take | None = None) -> None:
        self.io = io
        self.send = send
        self.take = take

    def authentic(self, webhook: Webhook, tolerance: float = TOLERANCE) -> bool:
        """Signed by the system (Standard Webhooks, unless the dialect says otherwise), within
        `tolerance` seconds where the signature carries a time."""
        return self.io.verify(webhook, tolerance)

    def start(self) -> Handler | None:
        """What the system needs from a booting implementation, as a task to run; None:
        nothing (the default)."""
        return None
