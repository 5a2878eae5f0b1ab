"""A dialect: one system's API in one vendor's wire shapes, over the system's core.

It maps wire requests to the core's canonical operations (`Endpoint`s, each declared once beside
its schemas), renders records and refusals in its own shapes (`errors`), its system's events as
webhooks in its own body and signature scheme (`render_event`, `sign_webhook`; the delivery
channel calls them), tells who is calling in its own auth scheme (`auth`; the live face asks it)
and describes itself (`describe`: its OpenAPI document). Where its events go is its to say
too (`audience`: None, the canonical way, is one standing subscription to the configured
receiver; a dialect whose SUT registers webhooks names the registrations an event goes to),
how the channel redelivers them (`redelivery`, `disable_after`), what a forger sends in
its signing shape (`forgeries`), or, for a dialect whose events are files the SUT collects
(x12), how it files them (`post_event`). A system's dialects are the modules or packages of
its `dialects` package (`simulators/<system>/dialects/<name>[.py]`, each with a `DIALECT`),
found here, so a new dialect is one new module or folder; a scenario picks one per system
(default `canonical`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from seatrial.model.envelope import SYSTEMS, Event
from seatrial.model.wire import CANONICAL
from seatrial.simulators import canonical
from seatrial.simulators.api import Endpoint, Endpoints, Errors, Router, problem
from seatrial.simulators.auth import Auth


@dataclass(frozen=True, eq=False)
class Dialect:
    name: str
    system: str
    title: str                               # the system as a reader knows it, e.g. "TMS"
    endpoints: tuple[Endpoint, ...]
    schemas: dict[str, dict[str, Any]]       # the components its endpoints name
    describe: Callable[[Dialect], dict[str, Any]]  # its API document (OpenAPI 3.1)
    errors: Errors = problem
    auth: Auth = canonical.AUTH
    render_event: Callable[[Event], bytes] = canonical.render_event
    #: (secret, event, unix timestamp, body, forgery or None) -> the delivery's headers
    sign_webhook: Callable[[str, Event, int, bytes, str | None], dict[str, str]] = \
        canonical.sign_webhook
    #: (event, its system's core) -> the subscriptions it is delivered under, each with a
    #: `key` (str) and `enabled` (bool, the channel clears it when it gives up on one); None:
    #: one standing subscription per source, always to the configured receiver
    audience: Callable[[Event, Any], tuple[Any, ...]] | None = None
    #: its failed deliveries' redelivery delays, None: the channel's default schedule; and
    #: after how many consecutive failures it disables a subscription (None: never)
    redelivery: tuple[float, ...] | None = None
    disable_after: int | None = None
    #: (the genuine event, the forger's message for it, the `forged` fault's mode, whether
    #: the genuine one is delivered at all) -> what a forger sends in this dialect and how
    #: much later, or None: nothing. None here: the forger's message, at once. Where a
    #: signature carries no time (Onfleet's), a stale delivery is a replay of a genuine one
    forgeries: Callable[[Event, Event, str, bool], tuple[Event, float] | None] | None = None
    #: media types (lower-case, no parameters) whose request bodies its endpoints read raw, as
    #: `ApiRequest.content` (e.g. multipart/mixed, application/xml); any other body is JSON
    raw_media_types: frozenset[str] = frozenset()
    #: a dialect whose events travel as files, not webhooks (x12's SFTP mailbox): (event, what
    #: its router serves) -> the name of the file it wrote for the event into that object's
    #: outbound folder, which the channel calls in place of a webhook delivery; None: webhooks
    post_event: Callable[[Event, Any], str] | None = None
    #: how the SUT reaches the system's API: "http", or "sftp" for a mailbox (x12); a fault
    #: kind acts only on the transports it names (`Fault.transports`)
    transport: str = "http"
    #: checks that only make sense in this dialect (modules as `seatrial.judge.invariants`'s:
    #: NAME, ORDER, LAG_WINDOW, check), judged wherever a scenario's system speaks it; they
    #: read only the ledger and the records, as every invariant does
    invariants: tuple[Any, ...] = ()

    @cached_property
    def table(self) -> Endpoints:
        return Endpoints(self.system, self.endpoints)

    def router(self, core: Any, mailbox: Any = None) -> Router:
        """The system's API over `core` in this dialect: what both faces dispatch to.
        `mailbox`: for a dialect whose events are files (`post_event`), the folders it keeps
        them in (live: real ones the SFTP mailbox serves); None: its own, in memory."""
        return Router(self.table, core, self.errors)

    @property
    def document(self) -> str:
        """The file name of its API document in contracts/openapi/."""
        return f"{self.system}.json" if self.name == CANONICAL else \
            f"{self.system}-{self.name}.json"


@cache
def dialects(system: str) -> dict[str, Dialect]:
    """The dialects of `system`, by name (its `dialects` package's modules)."""
    if system not in SYSTEMS:
        raise ValueError(f"unknown system {system!r}; use one of {', '.join(SYSTEMS)}")
    package = importlib.import_module(f"seatrial.simulators.{system}.dialects")
    found = {}
    for module in pkgutil.iter_modules(package.__path__):
        made = importlib.import_module(f"{package.__name__}.{module.name}").DIALECT
        found[made.name] = made
    return dict(sorted(found.items()))


def dialect(system: str, name: str = CANONICAL) -> Dialect:
    """One dialect of one system, or ValueError naming the ones there are."""
    known = dialects(system)
    if name not in known:
        raise ValueError(f"{system} has no dialect {name!r}; use one of {', '.join(known)}")
    return known[name]
