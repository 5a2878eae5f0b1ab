"""A tiny cookie jar for handlers that talk to an API with a session cookie (SAP's CSRF token is
bound to one): take the cookies an answer sets, send them back on the next call.

Plain immutable data, so a handler keeps it in `io.store` beside what it belongs to, and `put`s
the new jar `take` returns. Deliberately small: one API per jar, so no domain or path matching;
a cookie is dropped when an answer expires it with `Max-Age` of 0 or less (an `Expires` date is
not read: there is no wall clock in a simulation to compare it with).
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import NamedTuple

from seatrial.sdk.messages import Response


class Cookies(NamedTuple):
    """The cookies to send, as (name, value) pairs in the order they were first set."""

    pairs: tuple[tuple[str, str], ...] = ()

    def take(self, response: Response) -> Cookies:
        """This jar with the cookies `response` sets (every `Set-Cookie`) set or replaced,
        and those it expires removed."""
        jar = dict(self.pairs)
        for line in response.set_cookie:
            parsed: SimpleCookie = SimpleCookie()
            try:
                parsed.load(line)
            except CookieError:
                continue
            for name, morsel in parsed.items():
                max_age = morsel["max-age"]
                if max_age and max_age.lstrip("-").isdigit() and int(max_age) <= 0:
                    jar.pop(name, None)
                else:
                    jar[name] = morsel.coded_value  # as sent: it goes back as it came
        return Cookies(tuple(jar.items()))

    @property
    def header(self) -> str | None:
        """The `Cookie` header's value (`a=1; b=2`), or None for an empty jar."""
        return "; ".join(f"{name}={value}" for name, value in self.pairs) or None

    def headers(self) -> dict[str, str]:
        """`{"cookie": ...}` to merge into a call's `headers=`; `{}` for an empty jar."""
        value = self.header
        return {} if value is None else {"cookie": value}

    def __bool__(self) -> bool:
        return bool(self.pairs)
