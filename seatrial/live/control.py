"""Control secrets: who may change the state of a SUT or a load service over HTTP.

`POST /seatrial/configure` wipes a SUT's state, and the load service's `/start`, `/orders` and
`/finish` drive a judged run: a local process that could call them unasked would change a
verdict and leave the blame with the SUT. So each takes a secret, sent as `Authorization:
Bearer <secret>`, random (never derived from a seed), one per run or per service, compared in
constant time. Read-only endpoints (`GET /health`, `GET /status`) stay open.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from seatrial.live.settings import CONTROL_SECRET

if TYPE_CHECKING:  # the Locust side imports this module too: no web framework needed there
    from starlette.requests import Request
    from starlette.responses import Response

Endpoint = Callable[["Request"], Awaitable["Response"]]


def new_secret() -> str:
    """A fresh control secret: 256 random bits, URL-safe text."""
    return secrets.token_urlsafe(32)


def from_env(name: str = CONTROL_SECRET, environ: Mapping[str, str] | None = None,
             ) -> str | None:
    """The secret in the environment variable `name`, or None if it is unset or empty."""
    value = (os.environ if environ is None else environ).get(name, "")
    return value or None


def bearer(secret: str | None) -> dict[str, str]:
    """The header that carries `secret` (none without one)."""
    return {} if secret is None else {"authorization": f"Bearer {secret}"}


def authorized(secret: str, authorization: str | None) -> bool:
    """Whether an Authorization header (as an ASGI server decodes it: latin-1) carries
    `secret` (UTF-8 on the wire), compared in constant time over digests, so that neither
    its length nor where it differs shows in the timing."""
    given = hashlib.sha256((authorization or "").encode("latin-1", "replace")).digest()
    wanted = hashlib.sha256(f"Bearer {secret}".encode()).digest()
    return hmac.compare_digest(given, wanted)


def guarded(secret: str, variable: str, endpoint: Endpoint) -> Endpoint:
    """`endpoint`, answering 401 (and changing nothing, its body unread) to a request without
    the secret. `variable` names where the caller's secret comes from, for the message."""
    from seatrial.live.problems import problem

    async def checked(request: Request) -> Response:
        if not authorized(secret, request.headers.get("authorization")):
            answer = problem(401, "Unauthorized", (
                f"{request.method} {request.url.path} changes state: send the control secret "
                f"as Authorization: Bearer <secret> (Seatrial sends ${variable})"),
                field="Authorization")
            answer.headers["www-authenticate"] = 'Bearer realm="seatrial-control"'
            return answer
        return await endpoint(request)

    return checked
