"""The broker channel's message pacts: a sync implementation (`seatrial-sync`) as the consumer of
each system's messages on the broker (`seatrial-<system>-amqp`), and their verification against
the simulators' publisher.

The messages are the canonical webhook pacts' (`expectations.MESSAGES`: the same bodies and
provider states, since the gateway publishes what the source would post), with the AMQP
metadata a consumer relies on. Pact's message metadata is one flat map, so the message's AMQP
side is spelt in it as:

- where it was published: `exchange` (`seatrial.<system>`) and `routingKey` (the event type);
- its basic properties: `contentType`, `deliveryMode` (2, persistent), `type` (the event
  type), `messageId` (`<event_id>#<n>`), `correlationId`;
- its headers, each under its own name: the Standard Webhooks signature (`webhook-id`,
  `webhook-timestamp`, `webhook-signature`), the webhook's `content-type`,
  `x-seatrial-sim-time` and the `cloudEvents:` attributes.

Literal are the names of the place and of the message (exchange, routing key, type, source,
CloudEvents version, delivery mode, content type); ids and times match by type or pattern.

Written by `make pacts` into contracts/pacts/amqp/; each message is first checked with
`Pact.verify` by what the reference's consumer (`seatrial sut`'s, seatrial.live.amqp_consumer)
reads of it: the body as an event envelope (the webhooks' parser: one handler serves both
channels), published to its source's exchange under its own type, its CloudEvents attributes
those of the envelope. What the reference then does with the event is the webhook pacts' play
(consumer.py), the same body through the same handler. The provider side (`verify_amqp`): the
provider states make a domain core publish, the dispatcher signs the delivery, and the live
gateway's own `gateway_message` turns it into the AMQP message the Verifier checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pact import Pact, Verifier, match
from pact.types import Message as PactMessage

from seatrial.contracts import CONSUMER, amqp_provider
from seatrial.contracts.expectations import CORRELATION, ISO_TIME, MESSAGES, Message, given
from seatrial.contracts.provider_states import SCENARIO, ProviderStates, contract_world
from seatrial.contracts.verify import Outbox, Source, Verification, delivering, run_verifier
from seatrial.live.amqp_channel import (
    CONTENT_TYPE,
    DELIVERY_MODE,
    gateway_message,
    routing_key,
)
from seatrial.live.settings import SYSTEMS
from seatrial.live.sut import parse_event
from seatrial.sdk.webhooks import Webhook
from seatrial.world.amqp import topology

#: A gateway message id: the event id, `#`, the publish's number.
MESSAGE_ID = r"^\S+#[0-9]+$"


class PactError(ValueError):
    """A message pact the reference's consumer would not take as it is."""


def metadata(message: Message) -> dict[str, Any]:
    """The AMQP metadata the consumer expects of `message` (one of the canonical messages)."""
    body = message.body
    event_type, source = body["type"], body["source"]
    event_id = body["event_id"].value
    return {
        "exchange": topology(source).exchange, "routingKey": event_type,
        "contentType": CONTENT_TYPE, "deliveryMode": int(DELIVERY_MODE), "type": event_type,
        "messageId": match.regex(f"{event_id}#1", regex=MESSAGE_ID),
        "correlationId": match.str(CORRELATION),
        **message.metadata, "content-type": CONTENT_TYPE,
        "x-seatrial-sim-time": match.regex(body["recorded_time"].value, regex=ISO_TIME),
        "cloudEvents:specversion": "1.0", "cloudEvents:id": match.str(event_id),
        "cloudEvents:source": source, "cloudEvents:type": event_type,
        "cloudEvents:time": match.regex(body["event_time"].value, regex=ISO_TIME),
        "cloudEvents:subject": body["order_id"],
    }


def write_amqp_pacts(directory: Path) -> None:
    """Declare each system's broker messages, check each as the reference's consumer reads it,
    and write the three pacts into `directory` (replacing those there)."""
    directory.mkdir(parents=True, exist_ok=True)
    for system in SYSTEMS:
        pact = Pact(CONSUMER, amqp_provider(system))
        for message in (m for m in MESSAGES if m.source == system):
            interaction = pact.upon_receiving(message.description, "Async")
            given(interaction, message.states)
            interaction.with_body(message.body, content_type=CONTENT_TYPE)
            interaction.with_metadata(metadata(message))
        pact.verify(consumed, "Async")
        pact.write_file(directory, overwrite=True)


def consumed(body: str | bytes | None, metadata: dict[str, Any]) -> None:
    """What the reference's consumer needs of a message: an event envelope as its body,
    published to the exchange of its source under its own type, and CloudEvents attributes
    that say the same as the envelope. PactError names what does not fit."""
    raw = body.encode() if isinstance(body, str) else bytes(body or b"")
    event = parse_event(raw)
    expected = {"exchange": topology(event.source).exchange, "routingKey": event.type,
                "type": event.type, "cloudEvents:type": event.type,
                "cloudEvents:source": event.source, "cloudEvents:id": event.event_id,
                "webhook-id": event.event_id, "correlationId": event.correlation_id}
    wrong = [f"{name}: {metadata.get(name)!r}, the envelope says {value!r}"
             for name, value in expected.items() if metadata.get(name) != value]
    if wrong:
        raise PactError(f"{event.type} {event.event_id}: " + "; ".join(wrong))


def as_published(webhook: Webhook, now: float) -> PactMessage:
    """A delivery as the live gateway publishes it at simulated time `now`, in the pacts'
    spelling of its AMQP side."""
    message = gateway_message(webhook, f"{webhook.event.event_id}#1", now)
    carried = {"exchange": topology(webhook.event.source).exchange,
               "routingKey": routing_key(message), "contentType": message.content_type,
               "deliveryMode": int(message.delivery_mode), "type": message.type,
               "messageId": message.message_id, "correlationId": message.correlation_id,
               **(message.headers or {})}
    return PactMessage(contents=message.body, metadata=json.loads(json.dumps(carried)),
                       content_type=CONTENT_TYPE)


def verify_amqp(system: str, pacts: Source, provider: str | None = None) -> Verification:
    """Produce every message the pacts in `pacts` expect of `system` on the broker (provider
    name `provider`, by default `seatrial-<system>-amqp`) with the simulators' own event path
    and the live gateway's message, and check it."""
    outbox = Outbox(lambda webhook: as_published(webhook, world.env.now))
    world = contract_world(SCENARIO, host=outbox)
    provider = provider or amqp_provider(system)
    states = ProviderStates(world, delivering(world))
    verifier = (Verifier(provider, host="127.0.0.1")
                .message_handler(outbox.produce)
                .state_handler(states, teardown=True))
    return run_verifier(verifier, provider, pacts, states.failures)
