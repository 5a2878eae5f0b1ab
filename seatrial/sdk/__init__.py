"""The public SDK for sync implementations. Import from here and nowhere else in Seatrial.

    from seatrial.sdk import SyncImplementation

    class MySync(SyncImplementation):
        def on_event(self, event, io):
            if event.type == "order.released":
                order = (yield io.erp.get(f"/orders/{event.order_id}")).json()
                ...
"""

from seatrial.model import vocabulary
from seatrial.model.envelope import Event
from seatrial.sdk.cookies import Cookies
from seatrial.sdk.implementation import IO, Handler, SyncImplementation
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
    "DurableStore",
    "Event",
    "HTTPStatusError",
    "Handler",
    "RequestTimeout",
    "Response",
    "Sleep",
    "SyncImplementation",
    "TransportError",
    "Webhook",
    "verify",
    "vocabulary",
]
