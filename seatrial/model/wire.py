"""What an HTTP request may carry, in one place for the SDK (which checks a call where it is
built) and the live faces (which forward, bound and record what arrives).

Header names are RFC 9110 tokens, compared lower-case. Hop-by-hop fields (RFC 9110 7.6.1) and
the framing fields an HTTP client writes itself belong to one connection, not to the request a
dialect reads, so a call may not set them and the live simulators do not pass them on.
"""

from __future__ import annotations

import re

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
#: Methods whose request carries no body (RFC 9110 9.3.1, 9.3.2 give it no meaning).
BODILESS = frozenset({"GET", "HEAD"})

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer",
                        "transfer-encoding", "upgrade"})
#: Written by the HTTP client from the URL and the body, never by the caller.
FRAMING = frozenset({"host", "content-length"})
#: Sent by a call's own arguments (`idempotency_key=`, `correlation_id=`): one way in each.
OWN_ARGUMENTS = {"idempotency-key": "idempotency_key", "x-correlation-id": "correlation_id"}
#: Credentials: the ledger records that they were sent, never their value.
SECRET = frozenset({"authorization", "proxy-authorization", "cookie"})

# Limits (docs/live-protocol.md#limits). Real requests are under 1 KB (body and head alike).
#: A request body, in bytes, on every face (413 beyond it, live; the SDK refuses a call's).
BODY_LIMIT = 1024 * 1024
#: A request's header fields, in bytes ("name: value\r\n" each); Node's default for a head.
HEAD_LIMIT = 16 * 1024
#: A request's header fields, counted; a real one has about ten.
FIELD_LIMIT = 100
#: The fields a call may set itself, and their size: half of the above, so that what any
#: client adds (authorization, content-type, user-agent, ...) always fits beside them.
CALL_FIELD_LIMIT = FIELD_LIMIT // 2
CALL_HEAD_LIMIT = HEAD_LIMIT // 2

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
JSON_TYPES = ("application/json",)


def field_size(name: str | bytes, value: str | bytes) -> int:
    """A header field's size on the wire: "name: value\\r\\n"."""
    return len(name) + len(value) + 4


def media_type(content_type: str | None) -> str | None:
    """`application/json` from `Application/JSON; charset=utf-8`; None without one."""
    if content_type is None:
        return None
    return content_type.partition(";")[0].strip().lower()


def is_json(content_type: str | None) -> bool:
    """A JSON media type: application/json or any `+json` suffix (RFC 6839), e.g.
    application/problem+json."""
    kind = media_type(content_type)
    return kind is not None and (kind in JSON_TYPES or kind.endswith("+json"))
