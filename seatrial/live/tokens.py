"""Mock OAuth2 client-credentials: one client, tokens per system, expiring on the wall clock."""

from __future__ import annotations

import base64
import binascii
import hmac
import random
import time
from urllib.parse import parse_qsl


def _same(given: str, wanted: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                               wanted.encode("utf-8", "surrogatepass"))


class TokenIssuer:
    """The client secret and the tokens are drawn from `rng`: `secrets.SystemRandom()` (the
    operating system's randomness) for credentials nobody can guess, a seeded stream only for
    reproducible demos (`seatrial serve --seeded-credentials`) and benchmarks."""

    def __init__(self, rng: random.Random, lifetime: float) -> None:
        self.client_id = "seatrial-sut"
        self.client_secret = rng.randbytes(18).hex()
        self.lifetime = lifetime  # wall seconds
        self._rng = rng
        self._expiry: dict[tuple[str, str], float] = {}  # (system, token) -> monotonic deadline

    def grant(self, system: str, body: bytes, authorization: str | None) -> tuple[int, dict]:
        """Answer a token request: (200, token) or (4xx, problem fields: slug, title, detail)."""
        try:
            form = dict(parse_qsl(body.decode("utf-8"), strict_parsing=bool(body)))
        except (UnicodeDecodeError, ValueError):
            return 400, {"slug": "invalid-request", "title": "Invalid token request",
                         "detail": "send an application/x-www-form-urlencoded body",
                         "field": "body"}
        if form.get("grant_type") != "client_credentials":
            return 400, {"slug": "unsupported-grant-type", "title": "Unsupported grant type",
                         "detail": "send grant_type=client_credentials", "field": "grant_type"}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:], validate=True).decode()
                client_id, _, secret = decoded.partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return 400, {"slug": "invalid-request", "title": "Invalid token request",
                             "detail": "the Basic credentials are not base64 of id:secret",
                             "field": "Authorization"}
        if client_id is None or secret is None:
            return 400, {"slug": "invalid-request", "title": "Invalid token request",
                         "detail": "send client_id and client_secret (form) or HTTP Basic",
                         "field": "client_id"}
        # constant time, both compared whatever the first says (no short circuit)
        if not (_same(client_id, self.client_id) & _same(secret, self.client_secret)):
            return 401, {"slug": "invalid-client", "title": "Invalid client",
                         "detail": "unknown client_id or wrong client_secret; use "
                                   "SEATRIAL_CLIENT_ID and SEATRIAL_CLIENT_SECRET",
                         "field": "client_secret"}
        return 200, {"access_token": self.issue(system), "token_type": "Bearer",
                     "expires_in": int(self.lifetime)}

    def issue(self, system: str) -> str:
        """A fresh token for `system`, as a granted request gets it (also for Seatrial's own
        callers: `seatrial serve`'s printed tokens, the Pact verifier, the bench)."""
        token = self._rng.randbytes(16).hex()
        self._expiry[(system, token)] = time.monotonic() + self.lifetime
        return token

    def check(self, system: str, authorization: str | None) -> str | None:
        """None for a live bearer token of this system, else why not."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return "missing bearer token: send Authorization: Bearer <token> from /oauth/token"
        deadline = self._expiry.get((system, authorization[7:].strip()))
        if deadline is None:
            return f"unknown token: get one from this system's ({system}) /oauth/token"
        if time.monotonic() >= deadline:
            return "token expired: get a new one from /oauth/token"
        return None
