"""Writes the pacts a sync implementation must honour as a provider: each source's webhook
sender (`seatrial-erp-webhooks`, ...) as the consumer of its webhook endpoint
(`seatrial-sync-webhooks`).

The deliveries are the simulators' real dispatcher output: the provider states of the canonical
message pacts make a domain core publish, and the dispatcher signs and delivers the webhook (for
forgeries, a `forged` fault makes it mis-sign a harmful copy, as it does in a scenario). Each
delivery becomes one interaction, body and headers with matchers; then the delivery itself, its
bytes and headers as the dispatcher made them, is posted to a Pact mock server, which must take
it. A genuine delivery is answered with a 2xx, a forged one with 401 (or 403), as the live
protocol says (docs/live-protocol.md).

Every interaction also names its signing, as the provider state "the delivery's signature"
(`source`, `signature`: valid, missing_signature, bad_signature or stale_timestamp): a replay
cannot carry a valid signature from when the pact was written, so `verify_sut` re-signs each
replayed delivery as that state says.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, NamedTuple

import httpx
from pact import Pact, match
from pact.error import MismatchesError

from seatrial.contracts import SUT_PROVIDER, webhook_provider
from seatrial.contracts.expectations import ISO_TIME, MESSAGES, SIGNATURE, State
from seatrial.contracts.provider_states import (
    SCENARIO,
    ProviderStates,
    StateError,
    contract_world,
)
from seatrial.contracts.verify import Outbox, delivering
from seatrial.faults.kinds.forged import Forged
from seatrial.live.settings import SYSTEMS
from seatrial.sdk.webhooks import Webhook

SIGNED_AS = "the delivery's signature"
VALID = "valid"
# One forgery per source, each of the dispatcher's three kinds, of one of its messages.
FORGERIES = {"erp": ("missing_signature", "an order released"),
             "tms": ("bad_signature", "a shipment at the hub"),
             "lastmile": ("stale_timestamp", "a delivery with proof of delivery")}
FORGED_WITHIN = 60.0  # simulated seconds: a forged copy trails its original by up to 30 s
SUCCESS = {"match": "statusCode", "status": "success"}  # any 2xx acknowledges
REFUSED = {"match": "statusCode", "status": [401, 403]}  # refused, never redelivered
LITERAL = ("type", "source")  # they say which message it is


class Recorded(NamedTuple):
    description: str
    states: tuple[State, ...]
    webhook: Webhook
    refused: bool


def write_webhook_pacts(directory: Path) -> None:
    """Record each source's deliveries, check each against a Pact mock server, and write the
    three pacts into `directory` (cleared of older interactions first: Pact merges)."""
    directory.mkdir(parents=True, exist_ok=True)
    for source in SYSTEMS:
        target = directory / f"{webhook_provider(source)}-{SUT_PROVIDER}.json"
        target.unlink(missing_ok=True)
        for recorded in record(source):
            _check(source, recorded, directory)


def record(source: str) -> list[Recorded]:
    """What `source` delivers for each canonical message, then its forgery."""
    genuine = [message for message in MESSAGES if message.source == source]
    made = [Recorded(m.description, (*m.states, _signed(source, VALID)),
                     _delivered(m.description, m.states, None), False) for m in genuine]
    forgery, of = FORGERIES[source]
    message = next(m for m in genuine if m.description == of)
    forged = _delivered(message.description, message.states,
                        Forged(channel=f"{source}.webhooks", probability=1.0, mode=forgery))
    made.append(Recorded(f"a forged {forged.event.type} ({forgery.replace('_', ' ')})",
                         (*message.states, _signed(source, forgery)), forged, True))
    return made


def _signed(source: str, signature: str) -> State:
    return SIGNED_AS, {"source": source, "signature": signature}


def _delivered(description: str, states: tuple[State, ...], forgery: Forged | None) -> Webhook:
    """The delivery the simulators make in `states` (its forged copy, given `forgery`)."""
    outbox = Outbox()
    world = contract_world(SCENARIO if forgery is None
                           else SCENARIO.model_copy(update={"faults": [forgery]}), outbox)
    setup = ProviderStates(world, delivering(world, FORGED_WITHIN))
    for name, parameters in states:
        setup(name, "setup", parameters)
    if setup.failures:
        raise StateError("; ".join(setup.failures))
    delivered = list(outbox.webhooks)
    webhook = outbox.sent(description, states[-1][0])
    if forgery is None:
        return webhook
    return next(w for w in delivered if w.event.event_id == f"{webhook.event.event_id}-forged")


def _check(source: str, recorded: Recorded, directory: Path) -> None:
    """One interaction, proven with the real delivery against a mock server, then merged into
    the source's pact file (one Pact each: two task.updated deliveries would match each
    other's interaction)."""
    pact = Pact(webhook_provider(source), SUT_PROVIDER)
    interaction = pact.upon_receiving(recorded.description)
    for name, parameters in recorded.states:
        interaction.given(name, parameters)
    interaction.with_request("POST", f"/webhooks/{source}")
    headers = recorded.webhook.headers
    interaction.with_header("webhook-id", match.str(headers["webhook-id"]))
    interaction.with_header("webhook-timestamp",
                            match.regex(headers["webhook-timestamp"], regex=r"^\d+$"))
    if "webhook-signature" in headers:
        interaction.with_header("webhook-signature",
                                match.regex(headers["webhook-signature"], regex=SIGNATURE))
    interaction.with_body(matched(json.loads(recorded.webhook.body)),
                          content_type="application/json")
    (interaction.will_respond_with(401 if recorded.refused else 204)
     .with_matching_rules({"status": {"combine": "AND", "matchers": [
         REFUSED if recorded.refused else SUCCESS]}}, "Response"))
    with pact.serve(addr="127.0.0.1", raises=False, verbose=False) as server:
        httpx.post(f"{server.url}/webhooks/{source}", content=recorded.webhook.body,
                   headers=headers, timeout=10.0)
        wrong = list(server.mismatches)
    if wrong:
        raise MismatchesError(*wrong)
    pact.write_file(directory)


def matched(value: Any, key: str = "") -> Any:
    """A delivery's body with matchers: times by ISO 8601 pattern, lists by their first item,
    everything else by type but the envelope's `type` and `source`."""
    if isinstance(value, dict):
        return {name: matched(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return match.each_like(matched(value[0])) if value else []
    if key in LITERAL or value is None:
        return value
    if isinstance(value, bool):
        return match.bool(value)
    if isinstance(value, int):
        return match.int(value)
    if isinstance(value, float):
        return match.number(value)
    if isinstance(value, str) and re.fullmatch(ISO_TIME, value):
        return match.regex(value, regex=ISO_TIME)
    return match.str(value)
