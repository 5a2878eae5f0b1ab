"""A dialect's API auth scheme, as the live face asks it (seatrial.live.simulator_app)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Auth:
    """How a dialect's live API tells who is calling: `check(credentials, system,
    Authorization header)` says why a request is refused (None: let in), `challenge` is the
    WWW-Authenticate answer to a refused one, and `token_path` the path that issues tokens, if
    the scheme has one. `credentials` is the live face's issuer (seatrial.live.tokens)."""

    check: Callable[[Any, str, str | None], str | None]
    challenge: str
    token_path: str | None = None
