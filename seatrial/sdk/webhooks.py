"""Standard Webhooks signatures (webhook-id, webhook-timestamp, webhook-signature).

`signature = "v1," + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}"))`, with the key the
base64 part of a `whsec_...` secret. The harness signs with `sign`; a sync implementation checks
with `verify`, exactly as it would check a live provider's webhooks.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime

from seatrial.model.envelope import Event, envelope_body
from seatrial.model.standard_webhooks import sign

TOLERANCE = 300  # seconds: the usual replay window


class Webhook:
    """One delivery as it arrives: the event, its wire body (in the source's dialect: `render`,
    the canonical envelope by default) and its headers (built on demand, so implementations
    that never look pay nothing)."""

    __slots__ = ("_body", "_headers", "_make_headers", "_render", "event")

    def __init__(self, event: Event, make_headers: Callable[[bytes], dict[str, str]],
                 render: Callable[[Event], bytes] = envelope_body) -> None:
        self.event = event
        self._make_headers = make_headers
        self._render = render
        self._body: bytes | None = None
        self._headers: dict[str, str] | None = None

    @classmethod
    def received(cls, event: Event, body: bytes, headers: dict[str, str]) -> Webhook:
        """One that came in over HTTP: the exact bytes and headers that arrived."""
        webhook = cls(event, lambda _body: headers)
        webhook._body = body
        return webhook

    @property
    def body(self) -> bytes:
        if self._body is None:
            self._body = self._render(self.event)
        return self._body

    @property
    def headers(self) -> dict[str, str]:
        if self._headers is None:
            self._headers = self._make_headers(self.body)
        return self._headers


def verify(webhook: Webhook, secret: str, now: datetime, tolerance: float = TOLERANCE) -> bool:
    """True only for a webhook signed with `secret` whose timestamp is within `tolerance`."""
    headers = webhook.headers
    message_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (message_id and timestamp and signatures) or not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, message_id, int(timestamp), webhook.body)
    return any(hmac.compare_digest(expected, candidate)
               for candidate in signatures.split(" ") if candidate.startswith("v1,"))
