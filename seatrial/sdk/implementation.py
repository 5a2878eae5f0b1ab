"""The contract between Seatrial and a sync implementation: `SyncImplementation` and `IO`."""

from __future__ import annotations

import random
from collections.abc import Generator, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol

from seatrial.model.envelope import SYSTEMS, Event, to_datetime
from seatrial.model.wire import CANONICAL
from seatrial.sdk.mailbox import Credential, Mailbox
from seatrial.sdk.messages import ApiClient, Call, Sleep, sleep_error
from seatrial.sdk.store import DurableStore
from seatrial.sdk.webhooks import TOLERANCE, Webhook, verify

Handler = Generator[Call | Sleep, Any, Any]
#: Where an in-process SUT "receives" webhooks: a stable symbolic URL, as no socket serves it.
IN_PROCESS = "inprocess://sut"


class Runtime(Protocol):
    """What a transport face provides underneath `IO`: a clock and a way to run tasks."""

    def now(self) -> float: ...

    def signing_now(self) -> datetime: ...

    def spawn(self, task: Handler) -> None: ...

    def mailbox_login(self, system: str) -> Credential | None:
        """`system`'s mailbox credential as it is now; None: it has no mailbox."""


class IO:
    """Everything a handler may touch: the three APIs, the TMS's EDI mailbox (`mailbox`, in
    the x12 dialect), time, tasks, durable state, randomness."""

    def __init__(self, runtime: Runtime, store: DurableStore, rng: random.Random,
                 secrets: dict[str, str], dialects: Mapping[str, str] | None = None,
                 base_url: str = IN_PROCESS) -> None:
        self._runtime = runtime
        self.erp = ApiClient("erp")
        self.tms = ApiClient("tms")
        self.lastmile = ApiClient("lastmile")
        self.mailbox = Mailbox("tms", lambda: runtime.mailbox_login("tms"))
        self.store = store
        self.random = rng  # seeded by the scenario: use it for jitter, never the global random
        self.secrets = secrets  # webhook signing secret per source system ("whsec_...")
        #: the dialect each system speaks (the scenario's `dialects:`), read-only
        self.dialects: Mapping[str, str] = MappingProxyType(
            {system: (dialects or {}).get(system, CANONICAL) for system in SYSTEMS})
        self._base_url = base_url.rstrip("/")

    def webhook_url(self, source: str) -> str:
        """The URL at which this SUT receives `source`'s deliveries, e.g. to register a webhook
        through a vendor's API: live, the SUT's own base URL + `/webhooks/<source>` (as
        `seatrial sut` serves them); in-process, `inprocess://sut/webhooks/<source>`."""
        if source not in SYSTEMS:
            raise ValueError(f"io.webhook_url({source!r}): use one of {', '.join(SYSTEMS)}")
        return f"{self._base_url}/webhooks/{source}"

    @property
    def now(self) -> datetime:
        return to_datetime(self._runtime.now())

    def sleep(self, seconds: float) -> Sleep:
        """Wait `seconds` (a finite number >= 0) of the run's clock; else raises here, in the
        handler, as live mode cannot wait a negative, NaN or infinite time either."""
        if (error := sleep_error(seconds)) is not None:
            raise error
        return Sleep(seconds)

    def verify(self, webhook: Webhook, tolerance: float = TOLERANCE) -> bool:
        """True only for a delivery signed with its source's secret, timestamped within
        `tolerance` seconds of the clock the sources sign with (virtual in-process, the wall
        clock live)."""
        secret = self.secrets.get(webhook.event.source)
        return secret is not None and verify(webhook, secret, self._runtime.signing_now(),
                                             tolerance)

    def spawn(self, task: Handler) -> None:
        """Run a generator in the background (a worker, an outbox drain), detached."""
        self._runtime.spawn(task)


class SyncImplementation:
    """Subclass this. Seatrial constructs it with no arguments, and again after a crash.

    `authenticate` sees each delivery first: False answers 401 and the event goes no further.
    `on_event` is the webhook receipt. Returning (or finishing, for a generator) answers 2xx;
    raising answers 5xx and the source system redelivers on its schedule. It may be a plain
    method or a generator that yields calls and sleeps.
    """

    name = "unnamed"

    def authenticate(self, webhook: Webhook, io: IO) -> bool:
        """Accept or refuse a delivery. The default accepts everything, as an implementation
        that never checks signatures would; override it with `return io.verify(webhook)`."""
        return True

    def start(self, io: IO) -> Handler | None:
        """Called once per boot (and after a crash/restart): resume durable work here."""
        return None

    def on_event(self, event: Event, io: IO) -> Handler | None:
        raise NotImplementedError

    def validate_webhook(self, source: str, check: str, io: IO) -> str | None:
        """Answer a webhook registration's validation request (`GET <url>?check=<check>`, as
        Onfleet sends when the SUT registers a webhook): a string answers 200 with it as the
        body, None answers 204. The default echoes `check`, as a correct receiver does."""
        return check
