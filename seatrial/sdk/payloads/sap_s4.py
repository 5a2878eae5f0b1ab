"""SAP S/4HANA business events (CloudEvents 1.0, structured mode), read.

`{"specversion": "1.0", "type": "sap.s4.beh.salesorder.v1.SalesOrder.Changed.v1", "id",
"time", "correlationid", "data": {"SalesOrder": "SO-000001"}}`: thin data, the key only. A
subscriber reads the order back to learn what changed; a `Changed` may be an address change or
a rejection (cancellation) alike.

`event` reads one into the SDK's `Event`: `order.released` for `Created`, `order.changed` for
`Changed` (payload empty: thin), `order.<word>` for any other word; the CloudEvent id as the
event id, `correlationid` (an extension Seatrial's ERP sends) as the correlation id.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import orjson

from seatrial.model.envelope import Event

PREFIX = "sap.s4.beh.salesorder.v1.SalesOrder."
TYPES = {"Created": "order.released", "Changed": "order.changed"}
_WORD = re.compile(r"(?<!^)(?=[A-Z])")


def event_type(cloud_type: str) -> str:
    """The SDK's event type for a sales order CloudEvent type."""
    word = cloud_type.removeprefix(PREFIX).removesuffix(".v1")
    return TYPES.get(word) or f"order.{_WORD.sub('_', word).lower()}"


def _time(text: object) -> datetime:
    if not isinstance(text, str):
        raise ValueError("time is required, an RFC 3339 timestamp")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"time {text[:40]!r} is not an RFC 3339 timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def event(body: bytes) -> Event:
    """The event one CloudEvent carries; ValueError names what is missing or malformed."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"the body is not JSON ({error}); send a CloudEvent") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object (a CloudEvent)")
    kind, ident = data.get("type"), data.get("id")
    if not (isinstance(kind, str) and kind.startswith(PREFIX)):
        raise ValueError(f"type must be a sales order event, {PREFIX}<Word>.v1")
    if not isinstance(ident, str) or not ident:
        raise ValueError("id is required, a string")
    thin = data.get("data")
    order = thin.get("SalesOrder") if isinstance(thin, dict) else None
    if not isinstance(order, str) or not order:
        raise ValueError("data.SalesOrder is required, the sales order's key")
    correlation = data.get("correlationid")
    moment = _time(data.get("time"))
    return Event(ident, event_type(kind), "erp", 0, moment, moment, "ACT",
                 correlation if isinstance(correlation, str) else "", order)
