"""The broker channel's AsyncAPI document: current on disk, valid AsyncAPI 3.0 (the official
JSON Schema, vendored in tests/schemas/), and true to the topology `declare` declares and to the
messages the gateway publishes."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from test_openapi import published_events

from seatrial import contract_files
from seatrial.contracts import asyncapi
from seatrial.live.amqp_channel import declare, gateway_message, routing_key
from seatrial.model.envelope import SYSTEMS, Event
from seatrial.sdk.webhooks import Webhook
from seatrial.simulators.dialect import dialect
from seatrial.simulators.events import BY_SOURCE

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).resolve().parent / "schemas" / "asyncapi-3.0.0.json"
DOC = asyncapi.document()
REGENERATE = "run `python -m seatrial.contracts.asyncapi` to regenerate contracts/asyncapi/"


def official() -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(json.loads(SCHEMA.read_text(encoding="utf-8")))


def resolve(pointer: str) -> Any:
    assert pointer.startswith("#/"), pointer
    node: Any = DOC
    for part in pointer[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def schema_of(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A draft 07 validator (AsyncAPI's default schema format) whose $refs resolve in DOC."""
    return jsonschema_rs.Draft7Validator({"components": DOC["components"], **schema},
                                         validate_formats=True)


# --- on disk ----------------------------------------------------------------------------------


def test_committed_document_is_current():
    path = contract_files.asyncapi() / asyncapi.DOCUMENT
    assert path.exists(), f"contracts/asyncapi/{asyncapi.DOCUMENT} is missing: {REGENERATE}"
    assert path.read_text(encoding="utf-8") == asyncapi.render(DOC), (
        f"contracts/asyncapi/{asyncapi.DOCUMENT} differs from the code: {REGENERATE}")
    assert [p.name for p in contract_files.asyncapi().glob("*.json")] == [asyncapi.DOCUMENT]


def test_module_entry_point_writes_the_same(tmp_path):
    run = subprocess.run([sys.executable, "-m", "seatrial.contracts.asyncapi", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == str(tmp_path / asyncapi.DOCUMENT)
    assert (tmp_path / asyncapi.DOCUMENT).read_text() == asyncapi.render(DOC)


def test_document_is_a_fresh_copy():
    first = asyncapi.document()
    first["components"]["schemas"]["EventEnvelope"]["required"].clear()
    first["components"]["messages"]["OrderReleased"]["headers"]["required"].clear()
    assert asyncapi.document() == DOC


# --- valid AsyncAPI 3.0 -----------------------------------------------------------------------


def test_document_is_valid_asyncapi_3():
    validator = official()
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(DOC)]
    assert not errors, errors
    for breakage in (lambda d: d["operations"]["receive-erp-events"].update(action="consume"),
                     lambda d: d["channels"]["tms.events"]["bindings"]["amqp"].update(
                         exchange={"name": "seatrial.tms"}),
                     lambda d: d["components"]["messages"]["TaskUpdated"]["bindings"][
                         "amqp"].update(deliveryMode=2)):
        broken = copy.deepcopy(DOC)
        breakage(broken)
        assert not validator.is_valid(broken)  # the vendored schema does bite


def test_every_reference_resolves_and_operations_take_their_channels_messages():
    def refs(node: Any):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for pointer in refs(DOC):
        resolve(pointer)
    for name, operation in DOC["operations"].items():
        channel = operation["channel"]["$ref"]
        assert all(m["$ref"].startswith(f"{channel}/messages/") for m in operation["messages"])
        assert len(operation["messages"]) == len(resolve(channel)["messages"]), name
    for schema in DOC["components"]["schemas"].values():
        jsonschema_rs.meta.validate({"$schema": "http://json-schema.org/draft-07/schema#",
                                     **schema})


# --- true to the code -------------------------------------------------------------------------


class Recorder:
    """An AMQP channel that records what `declare` declares (names, kinds, arguments, bindings)."""

    def __init__(self) -> None:
        self.exchanges: dict[str, dict[str, Any]] = {}
        self.queues: dict[str, dict[str, Any]] = {}

    async def declare_exchange(self, name: str, kind: Any, **options: Any) -> Any:
        self.exchanges[name] = {"type": kind.value, **options}
        return name

    async def declare_queue(self, name: str, **options: Any) -> Any:
        queue = self.queues[name] = {**options, "bound": []}

        class Bindable:
            async def bind(self, exchange: str, routing_key: str | None = None) -> None:
                queue["bound"].append((exchange, routing_key))
        return Bindable()


def test_topology_is_what_declare_declares():
    channel = Recorder()
    exchanges = asyncio.run(declare(channel))
    assert set(exchanges) == set(SYSTEMS)
    documented_exchanges: dict[str, Any] = {}
    documented_queues: dict[str, Any] = {}
    for channel_doc in DOC["channels"].values():
        binding = channel_doc["bindings"]["amqp"]
        if binding["is"] == "routingKey":
            exchange = binding["exchange"]
            documented_exchanges[exchange["name"]] = {"type": exchange["type"],
                                                      "durable": exchange["durable"]}
            continue
        queue = binding["queue"]
        assert channel_doc["address"] == queue["name"]
        assert (queue["exclusive"], queue["autoDelete"]) == (False, False)  # aio-pika's default
        documented_queues[queue["name"]] = {"durable": queue["durable"],
                                            **({"arguments": binding["x-arguments"]}
                                               if "x-arguments" in binding else {}),
                                            "bound": []}
        for bound in binding["x-bound-to"]:
            documented_exchanges[bound["exchange"]] = {"type": bound["type"], "durable": True}
            documented_queues[queue["name"]]["bound"].append(
                (bound["exchange"], bound.get("routingKey")))
    assert channel.exchanges == documented_exchanges
    assert channel.queues == documented_queues


def test_routing_keys_are_every_event_type_of_each_system():
    for system in SYSTEMS:
        exchange = f"seatrial.{system}"
        keys = {c["address"] for c in DOC["channels"].values()
                if c["bindings"]["amqp"].get("exchange", {}).get("name") == exchange}
        assert keys == {cls.TYPE for cls in BY_SOURCE[system]}


def published(event: Event) -> Any:
    """The message the gateway publishes for `event` (signed as the dispatcher signs it)."""
    def sign(body: bytes) -> dict[str, str]:
        return dialect(event.source).sign_webhook("whsec_" + "QUJD" * 8, event, 1_700_000_000,
                                                  body, None)
    return gateway_message(Webhook(event, sign), f"{event.event_id}#1", 3600.0)


@pytest.fixture(scope="module")
def messages() -> list[tuple[Event, Any]]:
    return [(event, published(event)) for event in published_events()]


def test_published_messages_match_their_documented_message(messages):
    assert {event.type for event, _ in messages} == {
        m["name"] for m in DOC["components"]["messages"].values()}
    for event, message in messages:
        [(name, documented)] = [(name, m) for name, m in DOC["components"]["messages"].items()
                                if m["name"] == event.type]
        channel = DOC["channels"][f"{event.source}.{routing_key(message)}"]
        assert channel["bindings"]["amqp"]["exchange"]["name"] == f"seatrial.{event.source}"
        assert name in channel["messages"]
        assert name in DOC["channels"][f"{event.source}.events"]["messages"]
        properties = documented["bindings"]["amqp"]["x-properties"]
        assert (message.content_type, int(message.delivery_mode), message.type) == (
            properties["content_type"], properties["delivery_mode"], properties["type"])
        assert message.correlation_id == json.loads(message.body)["correlation_id"]
        headers = schema_of(documented["headers"])
        errors = [e.message for e in headers.iter_errors(dict(message.headers))]
        assert not errors, (event.type, errors)
        assert set(message.headers) <= set(documented["headers"]["properties"])
        payload = schema_of(documented["payload"])
        errors = [e.message for e in payload.iter_errors(json.loads(message.body))]
        assert not errors, (event.type, errors)


def test_the_message_schemas_refuse_what_is_not_their_message(messages):
    by_type = {m["name"]: m for m in DOC["components"]["messages"].values()}
    message = next(m for e, m in messages if e.type == "order.released")
    documented = by_type["order.released"]
    body = json.loads(message.body)
    payload = schema_of(documented["payload"])
    assert not payload.is_valid({**body, "type": "order.cancelled"})
    assert not payload.is_valid({**body, "source": "tms"})
    assert not payload.is_valid({k: v for k, v in body.items() if k != "event_id"})
    headers = schema_of(documented["headers"])
    assert not headers.is_valid({**message.headers, "cloudEvents:type": "order.cancelled"})
    assert not headers.is_valid({k: v for k, v in message.headers.items()
                                 if k != "webhook-signature"})
