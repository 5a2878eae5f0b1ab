"""What SAP Gateway keeps beside the ERP core: sessions and their CSRF tokens, and when each
sales order last changed (its ETag).

CSRF, SAP's way: a GET (or HEAD) with `X-CSRF-Token: Fetch` answers a token in `x-csrf-token`
and, when the caller has no session yet, a session cookie (`SAP_SESSIONID_S4H_100`) the token
is bound to. Every write (POST, PUT, PATCH, MERGE, DELETE, `$batch`) must send both; one that
does not, or sends a token of another or an expired session, is refused 403 with
`x-csrf-token: Required`. Tokens live as long as their session; `expire_sessions` ends every
session at once, as a Gateway restart does, and a session timeout (`lifetimes`, the
csrf_expiry fault's) ends the sessions begun before it when they are next used.

ETag, SAP's way for A_SalesOrder: `W/"datetime'<LastChangeDateTime>'"`, percent-encoded as
Gateway writes it. LastChangeDateTime is the simulated time of the last change (release,
address change, cancellation, a write through this API, or a concurrent change the ETag
fault makes), plus 100 ns per change before it: SAP's 7-digit precision, and never the same
value twice even when two changes share a simulated instant.

Deterministic: tokens and session ids are counters run through SHA-256, no randomness (the
ledger hash of a seed does not depend on them).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from seatrial.model.envelope import to_datetime
from seatrial.simulators.erp.core import ErpCore, Order

COOKIE = "SAP_SESSIONID_S4H_100"
TOKEN_HEADER = "x-csrf-token"
MAX_SESSIONS = 10_000  # past it the oldest session ends (a live neighbour cannot grow it)
TICKS = 10_000_000  # LastChangeDateTime's precision: 7 digits of a second


def _digest(kind: str, number: int) -> bytes:
    return hashlib.sha256(f"sap-s4:{kind}:{number}".encode()).digest()


@dataclass
class Gateway:
    """The SAP-side state of one ERP, over its core: what the dialect's handlers get."""

    erp: ErpCore
    sessions: dict[str, str] = field(default_factory=dict)  # session cookie -> CSRF token
    born: dict[str, float] = field(default_factory=dict)  # session cookie -> when it began
    made: int = 0
    writes: dict[str, int] = field(default_factory=dict)     # order id -> changes via the API
    touched: dict[str, float] = field(default_factory=dict)  # order id -> when last
    #: order id -> what the ERP keeps of a status write beside the order (classifier,
    #: event_time), and the pricing elements posted to it (their records)
    extras: dict[str, dict[str, str]] = field(default_factory=dict)
    elements: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    hidden: dict[str, float] = field(default_factory=dict)  # order id -> unreadable until
    #: how many of the next `$batch` changesets fail as a whole, as a lock held elsewhere
    #: makes them fail (the batch_failure fault adds to it)
    failing_changesets: int = 0
    #: asked after each read of a sales order by key: True, another user changes the order
    #: right after it (the etag_conflict fault adds one)
    rivals: list[Callable[[str], bool]] = field(default_factory=list)
    #: asked whether a session begun at `born` has ended by `now` (born, now): True, its
    #: token is refused (the csrf_expiry fault adds one)
    lifetimes: list[Callable[[float, float], bool]] = field(default_factory=list)

    # --- CSRF -------------------------------------------------------------------------------

    def fetch(self, session: str | None) -> tuple[str, str | None]:
        """The token of `session`, or a new session and its token: (token, new session id or
        None when the caller's session goes on)."""
        if self._alive(session):
            return self.sessions[session], None
        self.made += 1
        session = _digest("session", self.made).hex()[:32]
        token = base64.b64encode(_digest("token", self.made)[:16]).decode()
        self.sessions[session] = token
        self.born[session] = self.erp.clock()
        if len(self.sessions) > MAX_SESSIONS:
            self._end(next(iter(self.sessions)))
        return token, session

    def _alive(self, session: str | None) -> bool:
        """Whether `session` goes on: known, and not ended by a session timeout since it began
        (`lifetimes`); one that has ended is forgotten."""
        if session is None or session not in self.sessions:
            return False
        born, now = self.born[session], self.erp.clock()
        if any(ended(born, now) for ended in self.lifetimes):
            self._end(session)
            return False
        return True

    def _end(self, session: str) -> None:
        del self.sessions[session], self.born[session]

    def refuses(self, session: str | None, token: str | None) -> str | None:
        """Why a write's CSRF token is refused, or None when it is good."""
        if not token:
            return "CSRF token validation failed: no X-CSRF-Token header; fetch one with a GET " \
                   "carrying X-CSRF-Token: Fetch"
        if session is None:
            return f"CSRF token validation failed: no {COOKIE} cookie; send the session cookie " \
                   "the token was fetched with"
        if not self._alive(session) or self.sessions[session] != token:
            return "CSRF token validation failed: the token is not that of this session, or " \
                   "the session has ended; fetch a new one"
        return None

    # --- what the dialect's faults change (simulators stay deterministic: they are told) -----

    def hide(self, order_id: str, until: float) -> None:
        """The order reads as missing (404) until simulated time `until`: a thin event that
        arrives before the data it points to is readable."""
        self.hidden[order_id] = until

    def readable(self, order_id: str) -> bool:
        return self.hidden.get(order_id, -1.0) <= self.erp.clock()

    def expire_sessions(self) -> int:
        """End every session (their tokens with them); how many ended."""
        ended = len(self.sessions)
        self.sessions.clear()
        self.born.clear()
        return ended

    def savepoint(self, order_ids: Collection[str]) -> Callable[[], None]:
        """What undoes every write from now on to the orders `order_ids` (a `$batch` changeset
        that fails as a whole: the orders its parts name; a write reaches no other): the
        core's records and those orders' logistics fields, and this gateway's own of them.
        Only those orders are kept: a copy of every order per changeset made the harness's
        own cost grow with the day's history (and hid a SUT's growth from `cost-flat`)."""
        erp = self.erp
        lengths = len(erp.status_writes), len(erp.charge_postings), len(erp.invoices)
        kept = {order_id: _Kept.of(self, order_id) for order_id in order_ids}

        def restore() -> None:
            del erp.status_writes[lengths[0]:], erp.charge_postings[lengths[1]:]
            del erp.invoices[lengths[2]:]
            for order_id, was in kept.items():
                was.restore(self, order_id)
        return restore

    # --- ETags ------------------------------------------------------------------------------

    def read(self, order_id: str) -> None:
        """A sales order was read by key, its ETag handed out: a rival's change may follow at
        once, so that a write with that ETag fails 412."""
        if any(rival(order_id) for rival in self.rivals):
            self.changed(order_id)

    def changed(self, order_id: str) -> None:
        """An order changed through the API, or concurrently (the ETag fault calls it: the
        next write with the ETag read before fails 412)."""
        self.writes[order_id] = self.writes.get(order_id, 0) + 1
        self.touched[order_id] = self.erp.clock()

    def last_change(self, order: Order) -> float:
        """LastChangeDateTime in simulated seconds, before its per-change ticks."""
        return max(order.released_at, order.changed_at or 0.0, order.cancelled_at or 0.0,
                   self.touched.get(order.id, 0.0))

    def changes(self, order: Order) -> int:
        return (order.changes + (order.cancelled_at is not None)
                + self.writes.get(order.id, 0))

    def last_change_text(self, order: Order) -> str:
        """LastChangeDateTime as Gateway writes it in an ETag: 2026-01-05T06:00:00.0000003."""
        ticks = round(self.last_change(order) * TICKS) + self.changes(order)
        seconds, fraction = divmod(ticks, TICKS)
        return f"{to_datetime(seconds):%Y-%m-%dT%H:%M:%S}.{fraction:07d}"

    def etag(self, order: Order) -> str:
        return 'W/"datetime\'' + quote(self.last_change_text(order), safe="") + '\'"'

    def matches(self, order: Order, if_match: str) -> bool:
        """If-Match against the order's ETag: `*`, or one of a list, weak or strong."""
        current = self.etag(order).removeprefix("W/")
        return any(tag.strip() == "*" or tag.strip().removeprefix("W/") == current
                   for tag in if_match.split(","))


_ABSENT = object()


def _put(into: dict[str, Any], key: str, value: Any) -> None:
    if value is _ABSENT:
        into.pop(key, None)
    else:
        into[key] = value


@dataclass(frozen=True)
class _Kept:
    """One order's state as a savepoint keeps it: its logistics fields in the core, the core's
    freight and invoiced records of it, and the gateway's (absent ones as `_ABSENT`)."""

    fields: tuple[Any, ...] | None
    freight: Any
    invoiced: bool
    writes: Any
    touched: Any
    extras: Any
    elements: Any

    @classmethod
    def of(cls, gateway: Gateway, order_id: str) -> _Kept:
        erp = gateway.erp
        order = erp.orders.get(order_id)
        extras, elements = gateway.extras.get(order_id), gateway.elements.get(order_id)
        return cls(None if order is None else (order.status, order.shipment_id, order.eta),
                   erp.freight_by_order.get(order_id, _ABSENT), order_id in erp.invoiced_orders,
                   gateway.writes.get(order_id, _ABSENT), gateway.touched.get(order_id, _ABSENT),
                   _ABSENT if extras is None else dict(extras),
                   _ABSENT if elements is None else list(elements))

    def restore(self, gateway: Gateway, order_id: str) -> None:
        erp = gateway.erp
        if self.fields is not None:
            order = erp.orders[order_id]
            order.status, order.shipment_id, order.eta = self.fields
        _put(erp.freight_by_order, order_id, self.freight)
        if self.invoiced:
            erp.invoiced_orders.add(order_id)
        else:
            erp.invoiced_orders.discard(order_id)
        _put(gateway.writes, order_id, self.writes)
        _put(gateway.touched, order_id, self.touched)
        _put(gateway.extras, order_id, self.extras)
        _put(gateway.elements, order_id, self.elements)
