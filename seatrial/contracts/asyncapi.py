"""The AsyncAPI 3.0 document of the broker channel (docs/broker.md#the-amqp-channel): what a
sync implementation consumes when its events travel through RabbitMQ.

Everything in it comes from the code that makes the channel, so it cannot drift: the topology
from `seatrial.world.amqp.topology` and the queue arguments `declare` gives
(`seatrial.live.amqp_channel`), the routing keys from each system's event types
(`seatrial.simulators.events.BY_SOURCE`), the payload schemas from the SUT's OpenAPI document
(`seatrial.simulators.openapi`: the same components, written once), the headers from the
webhook's and the gateway's (`gateway_message`). `tests/test_asyncapi.py` fails when
`contracts/asyncapi/` differs from a fresh export, validates it against the official AsyncAPI
3.0 JSON Schema, and checks it against what `declare` declares and the gateway publishes.

The schemas are JSON Schema draft 07 (AsyncAPI's default schema format is a superset of it):
where the OpenAPI document narrows the envelope with `$ref` beside other keywords (2020-12),
this one says `allOf`, which means the same in both drafts.

Regenerate the committed document with `python -m seatrial.contracts.asyncapi`.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seatrial import contract_files
from seatrial.live.amqp_channel import (
    BOUND_WITH,
    CONTENT_TYPE,
    DELIVERY_MODE,
    queue_arguments,
)
from seatrial.model.envelope import SYSTEMS
from seatrial.simulators.canonical import DOC_VERSION
from seatrial.simulators.dialect import dialect
from seatrial.simulators.events import BY_SOURCE, TypedEvent
from seatrial.simulators.openapi import (
    DELIVERY_HEADERS,
    event_schemas,
    narrowed,
    ref,
    render,
)
from seatrial.simulators.schema import DATE_TIME
from seatrial.world.amqp import topology

ASYNCAPI_VERSION = "3.0.0"
BINDING_VERSION = "0.3.0"  # AsyncAPI's AMQP 0-9-1 bindings
DOCUMENT = "broker.json"
CONTRACTS_DIR = contract_files.asyncapi()
AMQP = {"bindingVersion": BINDING_VERSION}

#: The CloudEvents attributes every message carries (the AMQP binding's binary mode: each an
#: application property, `cloudEvents:<attribute>`), and what each holds.
CLOUD_EVENTS = {
    "specversion": "the CloudEvents version, 1.0",
    "id": "the event id (the envelope's event_id)",
    "source": "the system that published it (the envelope's source)",
    "type": "the event type (the envelope's type, and the routing key)",
    "time": "when it happened (the envelope's event_time, RFC 3339)",
    "subject": "the order id, where the event has one (the envelope's order_id)",
}


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the broker channel, a fresh copy each time."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for system in SYSTEMS:
        types = BY_SOURCE[system]
        messages.update({cls.__name__: _message(system, cls) for cls in types})
        names = topology(system)
        refs = {cls.__name__: {"$ref": f"#/components/messages/{cls.__name__}"}
                for cls in types}
        for cls in types:
            channels[f"{system}.{cls.TYPE}"] = {
                "address": cls.TYPE,
                "title": f"{cls.TYPE} on {names.exchange}",
                "description": f"The routing key of {cls.TYPE} on the {_title(system)}'s "
                               f"topic exchange: where the event gateway publishes it.",
                "messages": {cls.__name__: refs[cls.__name__]},
                "bindings": {"amqp": {"is": "routingKey", "exchange": {
                    "name": names.exchange, "type": "topic", "durable": True,
                    "autoDelete": False}, **AMQP}},
            }
        channels[f"{system}.events"] = {
            "address": names.queue,
            "title": f"The {_title(system)}'s events",
            "description": f"The quorum queue the SUT consumes the {_title(system)}'s events "
                           f"from (SEATRIAL_{system.upper()}_AMQP_QUEUE), bound to "
                           f"{names.exchange} with `{BOUND_WITH}`: every routing key. A "
                           f"message delivered x-delivery-limit times without an ack, or "
                           f"rejected, goes to its dead-letter exchange.",
            "messages": refs,
            "bindings": {"amqp": {
                "is": "queue", "queue": _queue(names.queue),
                "x-arguments": queue_arguments(system),
                "x-bound-to": [{"exchange": names.exchange, "type": "topic",
                                "routingKey": BOUND_WITH}], **AMQP}},
        }
        channels[f"{system}.dead"] = {
            "address": names.dead,
            "title": f"The {_title(system)}'s dead letters",
            "description": "Where the broker dead-letters what the SUT rejected or nacked past "
                           "the delivery limit (its x-death header says why). The harness "
                           "consumes it, to record each dead letter; a SUT never does.",
            "bindings": {"amqp": {
                "is": "queue", "queue": _queue(names.dead),
                "x-bound-to": [{"exchange": names.dead, "type": "fanout"}], **AMQP}},
        }
        operations[f"receive-{system}-events"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{system}.events"},
            "title": f"Consume the {_title(system)}'s events",
            "description": "At least once: duplicates, redeliveries and reordering happen; "
                           "dedupe by event_id. Acknowledge what was handled (basic.ack); "
                           "nack with requeue what could not be handled yet (the broker "
                           "delivers it again at once, flagged redelivered); reject without "
                           "requeue what is not genuine (no valid Standard Webhooks signature "
                           f"with SEATRIAL_{system.upper()}_WEBHOOK_SECRET, or a timestamp "
                           "more than 5 minutes from now) or not an event: it is "
                           "dead-lettered.",
            "messages": [{"$ref": f"#/channels/{system}.events/messages/{cls.__name__}"}
                         for cls in types],
            "bindings": {"amqp": {"ack": True, "deliveryMode": int(DELIVERY_MODE), **AMQP}},
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Seatrial broker channel (AMQP 0-9-1)",
            "version": DOC_VERSION,
            "description": (
                "What a sync implementation consumes when a run's events travel through a "
                "message broker (`--channel amqp`): per system, a topic exchange whose "
                "routing keys are the event types, bound to one quorum queue the SUT "
                "consumes, with a dead-letter queue beside it. Each message is the event "
                "envelope a webhook would carry, with the same signature. The SUT consumes; "
                "it declares nothing. Generated by seatrial/contracts/asyncapi.py; see "
                "docs/broker.md and docs/live-protocol.md."),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {"run": {
            "host": "{host}:{port}",
            "pathname": "/{vhost}",
            "protocol": "amqp",
            "protocolVersion": "0-9-1",
            "title": "The run's broker",
            "description": "SEATRIAL_AMQP_URL (amqp://USER:PASSWORD@HOST:PORT/VHOST): a "
                           "virtual host of the run's own, reached through the harness's "
                           "recording proxy on loopback.",
            "variables": {
                "host": {"default": "127.0.0.1", "description": "the URL's host"},
                "port": {"description": "the URL's port: one the run picked"},
                "vhost": {"examples": ["seatrial-0123456789ab"],
                          "description": "the URL's virtual host: seatrial-<12 hex digits>, "
                                         "one per run"},
            },
            "security": [{"$ref": "#/components/securitySchemes/runUser"}],
        }},
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": copy.deepcopy(event_schemas()),
            "messages": messages,
            "securitySchemes": {"runUser": {
                "type": "userPassword",
                "description": "the user and password in SEATRIAL_AMQP_URL, made for the run"}},
        },
    }


def _title(system: str) -> str:
    return dialect(system).title


def _queue(name: str) -> dict[str, Any]:
    return {"name": name, "durable": True, "exclusive": False, "autoDelete": False}


def _message(system: str, cls: type[TypedEvent]) -> dict[str, Any]:
    """One event type's message: its envelope, headers and AMQP properties."""
    headers = {header["name"]: {**header["schema"], "description": header["description"]}
               for header in DELIVERY_HEADERS.values()}
    headers["content-type"] = {"const": CONTENT_TYPE, "description": "the webhook's "
                               "Content-Type header, carried along as the signature's are"}
    attributes = {f"cloudEvents:{name}": {"type": "string", "description": description}
                  for name, description in CLOUD_EVENTS.items()}
    attributes["cloudEvents:specversion"]["const"] = "1.0"
    attributes["cloudEvents:source"]["const"] = system
    attributes["cloudEvents:type"]["const"] = cls.TYPE
    attributes["cloudEvents:time"].update(DATE_TIME)
    headers.update(attributes)
    return {
        "name": cls.TYPE,
        "title": f"{cls.TYPE} from the {_title(system)}",
        "contentType": CONTENT_TYPE,
        "correlationId": {"location": "$message.payload#/correlation_id",
                          "description": "the envelope's correlation_id, also the message's "
                                         "AMQP correlation_id property"},
        "headers": {"type": "object", "properties": headers,
                    "required": [name for name in headers if name != "cloudEvents:subject"]},
        "payload": {"allOf": [ref("EventEnvelope"),
                              {"properties": narrowed(system, (cls,))}]},
        "bindings": {"amqp": {"messageType": cls.TYPE, **AMQP, "x-properties": {
            "content_type": CONTENT_TYPE,
            "delivery_mode": int(DELIVERY_MODE),
            "type": cls.TYPE,
            "correlation_id": "the envelope's correlation_id",
            "message_id": "<event_id>#<n>: unique per publish, so a duplicate is a message "
                          "of its own",
        }}},
    }


def write(directory: Path) -> Path:
    """Write the document into `directory` (created if missing); return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / DOCUMENT
    path.write_text(render(document()), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    print(write(Path(args[0]) if args else CONTRACTS_DIR))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
