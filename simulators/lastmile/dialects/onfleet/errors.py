"""Onfleet's error shape and its API-key auth.

Every refusal is `{"code": <class>, "message": {"error": <number>, "message": <what the number
means>, "cause": <why, naming the field>, "request": <id>}}`, as docs.onfleet.com shows it
(reference/an-invalid-request) and pyonfleet reads it (`error['message']['error']` picks its
exception: 1000-1012 ValidationError, 1100-1112 PermissionError, 2300-2301 RateLimitError,
2500+ ServiceError). The request id is derived from the answer (a uuid5), so that the same run
records the same bodies. Numbers Onfleet's public list does not give for a case (a state
conflict, an unknown path) are Seatrial's choice, in the list's ranges; docs/dialects.md#onfleet.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from typing import Any

from seatrial.simulators.api import Reply
from seatrial.simulators.auth import Auth

#: slug (what the router and the live face say) -> (HTTP status, code, error number, message)
SHAPES: dict[str, tuple[int, str, int, str]] = {
    "invalid-field": (400, "InvalidContent", 1000,
                      "The values of one or more parameters are invalid."),
    "malformed-json": (400, "InvalidContent", 1005,
                       "The data types of one or more parameters are invalid."),
    "webhook-validation": (400, "InvalidContent", 1008,
                           "The webhook URL provided did not pass our validation test."),
    "unauthorized": (401, "InvalidCredentials", 1102, "The API key provided is invalid."),
    "not-found": (404, "ResourceNotFound", 1402, "The requested resource does not exist."),
    "no-such-endpoint": (404, "ResourceNotFound", 1400, "The requested path does not exist."),
    "method-not-allowed": (405, "MethodNotAllowed", 1300,
                           "The method is not allowed on this path."),
    "conflict": (409, "PreconditionFailed", 1200,
                 "The resource is in a state that does not allow this operation."),
    "rate-limited": (429, "TooManyRequests", 2300,
                     "You have exceeded the rate limit of your organization."),
    "unavailable": (503, "ServiceUnavailable", 2502,
                    "The service is temporarily unavailable."),
}
_REQUEST_IDS = uuid.UUID("5e47a1a1-0f1e-4e7b-9a1d-0000000000cc")
#: Onfleet's organisation-wide limit, requests a second (docs.onfleet.com, "Rate limiting"); a
#: 429 says it in its rate-limit headers, and that none is left
ORG_LIMIT = 20


def errors(status: int, slug: str, title: str, detail: str, **extra: Any) -> Reply:
    """A refusal in Onfleet's shape (`seatrial.simulators.api.Errors`)."""
    http, code, number, message = SHAPES.get(slug, (status, "InvalidContent", 1000, title))
    field = extra.get("field")
    cause = f"{field}: {detail}" if field and not detail.startswith(str(field)) else detail
    body = {"code": code, "message": {
        "error": number, "message": message, "cause": cause,
        "request": str(uuid.uuid5(_REQUEST_IDS, f"{http}:{number}:{cause}"))}}
    headers = {"content-type": "application/json"}
    if http == 429:
        headers |= {"x-ratelimit-limit": str(ORG_LIMIT), "x-ratelimit-remaining": "0"}
    return Reply(http, body, headers)


def _same(given: str, wanted: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                               wanted.encode("utf-8", "surrogatepass"))


def check_api_key(credentials: Any, _system: str, authorization: str | None) -> str | None:
    """HTTP Basic with the API key as the user name and no password (Onfleet's scheme). The
    key is the live face's client secret (`SEATRIAL_CLIENT_SECRET`, seatrial.live.tokens),
    which the SUT is told already; it does not expire, as Onfleet's keys do not."""
    if not authorization or not authorization.lower().startswith("basic "):
        return "send your API key as the user name of HTTP Basic auth (Authorization: Basic)"
    try:
        user = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "the Basic credentials are not base64 of <api key>:"
    key = user.partition(":")[0]
    if not _same(key, credentials.client_secret):
        return "This key does not exist or is no longer active."
    return None


AUTH = Auth(check_api_key, 'Basic realm="Onfleet API"')
