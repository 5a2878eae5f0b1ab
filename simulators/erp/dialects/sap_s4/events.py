"""The ERP's events as S/4HANA business events: CloudEvents 1.0 in structured mode
(`application/cloudevents+json`), SAP's type names and source, thin data that carries the
sales order's key only, so a subscriber reads the order back through the API (and may find it
not yet changed there: the thin-event fault plays that).

    {"specversion": "1.0", "type": "sap.s4.beh.salesorder.v1.SalesOrder.Changed.v1",
     "source": "/default/sap.s4.beh/S4HCLNT100", "id": "...", "time": "...Z",
     "datacontenttype": "application/json", "correlationid": "corr-SO-000001",
     "data": {"SalesOrder": "SO-000001"}}

Types: a released order is `SalesOrder.Created.v1`; an address change and a cancellation are
both `SalesOrder.Changed.v1` (S/4HANA raises no event of its own for a rejection: a reader
sees OverallSDDocumentRejectionSts C); any other event type (a fault's) keeps its name's last
word, `SalesOrder.<Word>.v1`. `correlationid` is a CloudEvents extension of Seatrial's (SAP
sends none), so that a sync implementation can carry the run's correlation id on.

Delivery: SAP Event Mesh authenticates a webhook call with the receiver's OAuth2 or Basic
credentials, not with a signature of the body; Seatrial signs the CloudEvent the Standard
Webhooks way instead (`webhook-id` is the CloudEvent id), so that the forgery faults and the
signed-only check work as for every source. Departure documented in docs/dialects.md.
"""

from __future__ import annotations

import orjson

from seatrial.model.envelope import Event
from seatrial.simulators.canonical import signed_headers

SOURCE = "/default/sap.s4.beh/S4HCLNT100"
CLOUDEVENTS_JSON = "application/cloudevents+json"
PREFIX = "sap.s4.beh.salesorder.v1.SalesOrder."
TYPES = {"order.released": "Created", "order.changed": "Changed", "order.cancelled": "Changed"}


def event_type(canonical: str) -> str:
    """SAP's type for a canonical event type (e.g. order.released -> ...Created.v1)."""
    word = TYPES.get(canonical)
    if word is None:
        last = canonical.rsplit(".", 1)[-1]
        word = "".join(part.capitalize() for part in last.split("_")) or "Changed"
    return f"{PREFIX}{word}.v1"


def render_event(event: Event) -> bytes:
    """The CloudEvent of one ERP event, compact JSON."""
    when = event.event_time.isoformat().replace("+00:00", "Z")
    return orjson.dumps({
        "specversion": "1.0", "type": event_type(event.type), "source": SOURCE,
        "id": event.event_id, "time": when, "datacontenttype": "application/json",
        "correlationid": event.correlation_id,
        "data": {"SalesOrder": event.order_id or ""},
    })


def sign_webhook(secret: str, event: Event, timestamp: int, body: bytes,
                 forgery: str | None = None) -> dict[str, str]:
    """Standard Webhooks headers over the CloudEvent (see the module docstring)."""
    return {**signed_headers(secret, event.event_id, timestamp, body, forgery),
            "content-type": CLOUDEVENTS_JSON}
