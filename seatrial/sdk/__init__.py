"""The public SDK for sync implementations. Import from here and nowhere else in Seatrial.

    from seatrial.sdk import SyncImplementation

    class MySync(SyncImplementation):
        def on_event(self, event, io):
            if event.type == "order.released":
                order = (yield io.erp.get(f"/orders/{event.order_id}")).json()
                ...

`x12` is the X12 004010 codec (`seatrial.x12`) for a SUT that trades EDI files through
`io.mailbox` (the TMS's x12 dialect).
"""

from seatrial import x12
from seatrial.model import vocabulary
from seatrial.model.envelope import Event
from seatrial.sdk.cookies import Cookies
from seatrial.sdk.implementation import IO, Handler, SyncImplementation
from seatrial.sdk.mailbox import Credential, Mailbox
from seatrial.sdk.messages import (
    Call,
    ConnectError,
    HTTPStatusError,
    RequestTimeout,
    Response,
    Sleep,
    TransportError,
)
from seatrial.sdk.store import DurableStore
from seatrial.sdk.webhooks import Webhook, verify

__all__ = [
    "IO",
    "Call",
    "ConnectError",
    "Cookies",
    "Credential",
    "DurableStore",
    "Event",
    "HTTPStatusError",
    "Handler",
    "Mailbox",
    "RequestTimeout",
    "Response",
    "Sleep",
    "SyncImplementation",
    "TransportError",
    "Webhook",
    "verify",
    "vocabulary",
    "x12",
]
