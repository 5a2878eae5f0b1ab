"""Provider verification of the simulators against the pacts, HTTP and messages in separate
Verifier runs.

HTTP: the real simulator app serves one system on loopback (`seatrial.live.stack`) and the
Verifier replays each interaction against it. Messages: the provider states' business actions
make a domain core publish, and the real dispatcher signs and delivers the webhook; that
delivery (body and headers) is the message.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode

from pact import Verifier
from pact.types import Message

from seatrial.contracts import PACT_DIR, api_provider, webhook_provider
from seatrial.contracts.provider_states import STATES, ProviderStates, contract_world
from seatrial.faults.layer import BASELINE_WEBHOOK_LATENCY
from seatrial.live.stack import AcceptAll, running
from seatrial.live.tokens import TokenIssuer
from seatrial.sdk.webhooks import Webhook

SCALE = 1.0  # nothing in the contract world moves on its own; a slow clock keeps it so
DELIVERED = max(BASELINE_WEBHOOK_LATENCY) + 1.0  # simulated seconds until a webhook is out


class Verification(NamedTuple):
    provider: str
    passed: bool
    output: str  # the Verifier's report: each interaction, and each mismatch with its field


def verify_api(system: str, pacts: Path = PACT_DIR) -> Verification:
    """Replay every interaction the pacts in `pacts` have with `system`'s API against the real
    simulator app."""
    world = contract_world()
    world.dispatcher.host = AcceptAll()
    with running(world, SCALE) as stack:
        token = stack.call(lambda: _token(stack.tokens, system))
        verifier = (Verifier(api_provider(system), host=stack.host)
                    .add_transport(url=stack.urls[system])
                    .state_handler(ProviderStates(world, stack.call, stack.tokens),
                                   teardown=True)
                    # a pact's example token means nothing to this issuer: send a live one
                    .add_custom_header("Authorization", f"Bearer {token}"))
        return _run(verifier, api_provider(system), pacts)


def _token(tokens: TokenIssuer, system: str) -> str:
    form = urlencode({"grant_type": "client_credentials", "client_id": tokens.client_id,
                      "client_secret": tokens.client_secret}).encode()
    return tokens.grant(system, form, None)[1]["access_token"]


class Outbox(AcceptAll):
    """Stands where the sync implementation would: keeps what the dispatcher delivers."""

    def __init__(self) -> None:
        self.webhooks: list[Webhook] = []

    def deliver(self, webhook: Webhook, on_result: Callable[[str, str | None], None]) -> None:
        self.webhooks.append(webhook)
        on_result("ack", None)

    def produce(self, name: str, metadata: dict[str, Any] | None) -> Message:
        """The message for one interaction: the latest event of the kind its last provider state
        stands for, as delivered. Whatever the states sent is then spent."""
        try:
            states = (metadata or {}).get("providerStates") or [{"name": ""}]
            last = states[-1]["name"]
            sends = STATES[last].sends if last in STATES else None
            if sends is None:
                raise LookupError(f"{name!r}: its last provider state ({last!r}) makes no "
                                  "source send a webhook")
            found = [w for w in self.webhooks if (w.event.type, w.event.classifier) == sends]
            if not found:
                raise LookupError(f"{name!r}: the simulators sent no {sends[0]} ({sends[1]})")
            webhook = max(found, key=lambda w: w.event.source_seq)  # deliveries overtake
            return Message(contents=webhook.body, metadata=dict(webhook.headers),
                           content_type="application/json")
        finally:
            self.webhooks.clear()


def verify_webhooks(system: str, pacts: Path = PACT_DIR) -> Verification:
    """Produce every message the pacts in `pacts` expect from `system`'s webhooks with the
    simulators' own event path, and check it."""
    world = contract_world()
    outbox = Outbox()
    world.dispatcher.host = outbox

    def on_world(action: Callable[[], object]) -> None:
        action()  # then let the dispatcher deliver what it published
        world.env.run(until=world.env.now + DELIVERED)

    verifier = (Verifier(webhook_provider(system), host="127.0.0.1")
                .message_handler(outbox.produce)
                .state_handler(ProviderStates(world, on_world), teardown=True))
    return _run(verifier, webhook_provider(system), pacts)


def _run(verifier: Verifier, provider: str, pacts: Path) -> Verification:
    verifier.add_source(pacts).set_error_on_empty_pact()
    try:
        verifier.verify()
    except RuntimeError:
        return Verification(provider, False, verifier.output(strip_ansi=True))
    return Verification(provider, True, verifier.output(strip_ansi=True))
