"""Provider verification of the simulators against the pacts, HTTP and messages in separate
Verifier runs.

HTTP: the real simulator app serves one system on loopback (`seatrial.live.stack`) and the
Verifier replays each interaction against it. Messages: the provider states' business actions
make a domain core publish, and the real dispatcher signs and delivers the webhook; that
delivery (body and headers) is the message. Either can be verified with the system speaking
one of its vendor dialects (`dialect`): the contract world then speaks it, and the Verifier
calls with that dialect's credentials.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from pact import Verifier
from pact.types import Message

from seatrial.contracts import PACT_DIR, api_provider, webhook_provider
from seatrial.contracts.provider_states import SCENARIO, STATES, ProviderStates, contract_world
from seatrial.faults.layer import BASELINE_WEBHOOK_LATENCY
from seatrial.live.stack import SimulatorStack, running
from seatrial.live.sut import BASIC
from seatrial.model.wire import CANONICAL
from seatrial.scenario import Dialects, Scenario
from seatrial.sdk.webhooks import Webhook
from seatrial.world import World
from seatrial.world.drives import Idle
from seatrial.world.ports import AcceptAll

SCALE = 1.0  # nothing in the contract world moves on its own; a slow clock keeps it so
DELIVERED = max(BASELINE_WEBHOOK_LATENCY) + 1.0  # simulated seconds until a webhook is out


# Request headers a dialect's pact carries from the moment it was written, which mean nothing
# to the contract world, sent as it takes them instead: an ETag names the order's last change
# on the consumer run's clock, so If-Match is `*` (which SAP takes: any version).
REPLAYED: dict[str, dict[str, str]] = {"sap-s4": {"If-Match": "*"}}


# A delivery's event is what its body says (`seatrial.sdk.payloads`), and a thin event says
# less: SAP raises SalesOrder.Changed for a cancellation too (the reader learns which from the
# order it reads back), so that delivery reads as order.changed.
READ_AS = {"order.cancelled": "order.changed"}


class Verification(NamedTuple):
    provider: str
    passed: bool
    output: str  # the Verifier's report: each interaction, and each mismatch with its field
    state_failures: tuple[str, ...] = ()  # provider states that could not be set up, and why


class Broker(NamedTuple):
    """Pacts from a Pact Broker (or PactFlow) instead of a directory: which ones, as the
    broker's consumer version selectors, pending and WIP pacts say."""

    url: str
    token: str | None = None
    selectors: tuple[dict[str, Any], ...] = ()  # keyword arguments of consumer_version()
    include_pending: bool = False
    include_wip_since: date | None = None
    provider_branch: str | None = None


Source = Path | Broker


def speaking(system: str, dialect: str) -> Scenario:
    """The contract scenario (SCENARIO) with `system` speaking `dialect`."""
    return SCENARIO.model_copy(update={"dialects": Dialects(**{system: dialect})})


def contract_stack(scenario: Scenario = SCENARIO) -> AbstractContextManager[SimulatorStack]:
    """A contract world (`contract_world`) served live: records only the provider states
    change, its webhooks acknowledged and dropped."""
    return running(SimulatorStack(scenario, SCALE, drive=Idle()))


def authorization(stack: SimulatorStack, system: str, dialect: str) -> str:
    """Live credentials for `system` in `dialect`: a pact's example token or key means nothing
    to this stack. The canonical bearer token, or a dialect's Basic credentials (as
    `seatrial sut` sends them)."""
    if dialect not in BASIC:
        return f"Bearer {stack.call(lambda: stack.tokens.issue(system))}"
    told = {"SEATRIAL_CLIENT_ID": stack.tokens.client_id,
            "SEATRIAL_CLIENT_SECRET": stack.tokens.client_secret}
    user, password = (told[name] if name else "" for name in BASIC[dialect])
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def verify_api(system: str, pacts: Source = PACT_DIR, provider: str | None = None,
               dialect: str = CANONICAL) -> Verification:
    """Replay every interaction the pacts in `pacts` have with `system`'s API in `dialect`
    (under the provider name `provider`, by default the dialect's own) against the real
    simulator app."""
    provider = provider or api_provider(system, dialect)
    with contract_stack(speaking(system, dialect)) as stack:
        states = ProviderStates(stack.world, stack.call, stack.tokens)
        verifier = (Verifier(provider, host=stack.host)
                    .add_transport(url=stack.urls[system])
                    .state_handler(states, teardown=True)
                    .add_custom_header("Authorization", authorization(stack, system, dialect)))
        for name, value in REPLAYED.get(dialect, {}).items():
            verifier.add_custom_header(name, value)
        return run_verifier(verifier, provider, pacts, states.failures)


def as_webhook(webhook: Webhook) -> Message:
    """A delivery as the webhook channel carries it: its body, its headers as metadata."""
    return Message(contents=webhook.body, metadata=dict(webhook.headers),
                   content_type="application/json")


class Outbox(AcceptAll):
    """Stands where the sync implementation would: keeps what the dispatcher delivers, and
    gives each as the message its channel carries (`carried`: by default a webhook)."""

    def __init__(self, carried: Callable[[Webhook], Message] = as_webhook) -> None:
        super().__init__()
        self.webhooks: list[Webhook] = []
        self.carried = carried

    def deliver(self, webhook: Webhook, on_result: Callable[[str, str | None], None]) -> None:
        self.webhooks.append(webhook)
        on_result("ack", None)

    def produce(self, name: str, metadata: dict[str, Any] | None) -> Message:
        """The message for one interaction: the latest event of the kind its last provider state
        stands for, as delivered. Whatever the states sent is then spent."""
        states = (metadata or {}).get("providerStates") or [{"name": ""}]
        return self.carried(self.sent(name, states[-1]["name"]))

    def sent(self, name: str, state: str) -> Webhook:
        """The delivery of the latest event of the kind provider state `state` stands for
        (for the interaction `name`); the outbox is empty afterwards."""
        try:
            sends = STATES[state].sends if state in STATES else None
            if sends is None:
                raise LookupError(f"{name!r}: its last provider state ({state!r}) makes no "
                                  "source send a webhook")
            kinds = {sends, (READ_AS.get(sends[0]), sends[1])}
            found = [w for w in self.webhooks if (w.event.type, w.event.classifier) in kinds]
            if not found:
                raise LookupError(f"{name!r}: the simulators sent no {sends[0]} ({sends[1]})")
            return max(found, key=lambda w: w.event.source_seq)  # deliveries overtake
        finally:
            self.webhooks.clear()


def delivering(world: World, until: float = DELIVERED) -> Callable[[Callable[[], object]], None]:
    """Where provider states run for messages: the action, then `until` simulated seconds
    for the dispatcher to deliver what it published."""
    def on_world(action: Callable[[], object]) -> None:
        action()
        world.env.run(until=world.env.now + until)

    return on_world


def verify_webhooks(system: str, pacts: Source = PACT_DIR, provider: str | None = None,
                    dialect: str = CANONICAL) -> Verification:
    """Produce every message the pacts in `pacts` expect from `system`'s webhooks in
    `dialect` (provider name `provider`, by default the dialect's own) with the simulators'
    own event path, and check it."""
    outbox = Outbox()
    world = contract_world(speaking(system, dialect), host=outbox)
    provider = provider or webhook_provider(system, dialect)
    states = ProviderStates(world, delivering(world))
    verifier = (Verifier(provider, host="127.0.0.1")
                .message_handler(outbox.produce)
                .state_handler(states, teardown=True))
    return run_verifier(verifier, provider, pacts, states.failures)


def run_verifier(verifier: Verifier, provider: str, pacts: Source,
                 state_failures: list[str]) -> Verification:
    """Verify against a directory (where no pact for `provider` is an error) or a broker;
    `state_failures` collects, while it runs, the provider states that could not be set up.
    From a directory any of them fails the verification; from a broker the Verifier's verdict
    stands, as it alone knows which pacts are pending (their failures must not fail a build),
    and an interaction whose state failed fails there unless its pact is pending."""
    verifier.set_coloured_output(enabled=False)
    if isinstance(pacts, Broker):
        selected = verifier.broker_source(pacts.url, token=pacts.token, selector=True)
        for selector in pacts.selectors:
            selected.consumer_version(**selector)
        if pacts.include_pending:
            selected.include_pending()
        if pacts.include_wip_since is not None:
            selected.include_wip_since(pacts.include_wip_since)
        if pacts.provider_branch is not None:
            selected.provider_branch(pacts.provider_branch)
        selected.build()
    else:
        verifier.add_source(pacts).set_error_on_empty_pact()
    try:
        verifier.verify()
        passed = True
    except RuntimeError:
        passed = False
    failures = tuple(dict.fromkeys(state_failures))
    if not isinstance(pacts, Broker):
        passed = passed and not failures
    return Verification(provider, passed, verifier.output(strip_ansi=True), failures)
