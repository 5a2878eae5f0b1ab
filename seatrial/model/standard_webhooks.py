"""The Standard Webhooks signature: what the canonical dialect signs with and what the SDK's
`verify` checks (seatrial.sdk.webhooks), defined once below both."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`"v1," + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}"))`, the key the base64 part
    of a `whsec_...` secret."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
