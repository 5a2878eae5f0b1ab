"""Basic authentication of a communication user, as an S/4HANA communication arrangement
has it: the user is the run's client id, the password its client secret (the same
credentials the canonical dialect trades for a bearer token). No token path."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any

from seatrial.simulators.auth import Auth

REALM = 'Basic realm="SAP NetWeaver Application Server [S4H/100]"'


def basic(credentials: Any, _system: str, authorization: str | None) -> str | None:
    """Why the request is refused, or None: `credentials` is the live face's issuer."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return "send HTTP Basic credentials of the communication user (Authorization: Basic)"
    try:
        user, colon, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "the Basic credentials are not base64 of user:password"
    good = hmac.compare_digest(user.encode(), credentials.client_id.encode()) & \
        hmac.compare_digest(password.encode(), credentials.client_secret.encode())
    return None if colon and good else "unknown user or wrong password"


AUTH = Auth(basic, REALM)
