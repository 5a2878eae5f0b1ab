"""OpenAPI 3.1 documents: each dialect's API (its own `describe`), and the endpoints a SUT
must serve (the webhooks it receives).

Generic: the API documents come from the dialects (`seatrial.simulators.dialect`), each built
from its endpoints; nothing here names a route. `tests/test_openapi.py` fails when
`contracts/openapi/` differs from a fresh export.

Regenerate the committed documents with `python -m seatrial.simulators.openapi`.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seatrial import contract_files
from seatrial.model.envelope import CLASSIFIERS
from seatrial.simulators.canonical import DOC_VERSION, JSON, OPENAPI_VERSION
from seatrial.simulators.canonical import JSON_SCHEMA as DIALECT
from seatrial.simulators.dialect import SYSTEMS, dialect, dialects
from seatrial.simulators.events import BY_SOURCE, TypedEvent
from seatrial.simulators.events import SCHEMAS as PAYLOAD_SCHEMAS
from seatrial.simulators.schema import (
    ADDRESS,
    CHARGE_LINE,
    DATE_TIME,
    POD,
    nullable,
    obj,
    ref,
    string,
)

SUT_FILE = "sut-webhooks.json"
CONTRACTS_DIR = contract_files.openapi()
_TITLES = {system: dialect(system).title for system in SYSTEMS}


def api_spec(system: str, name: str = "canonical") -> dict[str, Any]:
    """The OpenAPI 3.1 document of one system's API in one dialect.

    A fresh copy each time: callers may change it (a live face may add `servers`)."""
    made = dialect(system, name)
    return made.describe(made)  # built afresh each time


# --- the SUT side: webhooks it receives, endpoints it serves ----------------------------------

#: Each source's event types -> the component schema of their payload (schema 1.0), and the
#: schema 2.0 payload schemas of each source; read from the event types themselves.
EVENT_TYPES = {source: {cls.TYPE: cls.SCHEMA for cls in types}
               for source, types in BY_SOURCE.items()}
V2_PAYLOADS = {source: tuple(dict.fromkeys(cls.SCHEMA_V2 for cls in types))
               for source, types in BY_SOURCE.items()}
EVENT_SCHEMAS = {"erp": "ErpEvent", "tms": "TmsEvent", "lastmile": "LastmileEvent"}
SETTINGS = {
    "SEATRIAL_ERP_URL": "base URL of the ERP API, e.g. http://127.0.0.1:41017",
    "SEATRIAL_TMS_URL": "base URL of the TMS API",
    "SEATRIAL_LASTMILE_URL": "base URL of the last-mile API",
    "SEATRIAL_CLIENT_ID": "OAuth2 client id, the same for all three systems",
    "SEATRIAL_CLIENT_SECRET": "OAuth2 client secret, the same for all three systems",
    "SEATRIAL_ERP_WEBHOOK_SECRET": "Standard Webhooks secret of the ERP's deliveries",
    "SEATRIAL_TMS_WEBHOOK_SECRET": "Standard Webhooks secret of the TMS's deliveries",
    "SEATRIAL_LASTMILE_WEBHOOK_SECRET": "Standard Webhooks secret of the last-mile deliveries",
    "SEATRIAL_TIME_SCALE": "simulated seconds per wall-clock second, e.g. 3600",
}
# Settings a SUT may go without (`canonical` dialects; its own URL as it was configured).
OPTIONAL_SETTINGS = {
    "SEATRIAL_ERP_DIALECT": "the dialect the ERP speaks (optional; canonical when absent)",
    "SEATRIAL_TMS_DIALECT": "the dialect the TMS speaks (optional; canonical when absent)",
    "SEATRIAL_LASTMILE_DIALECT": "the dialect the last-mile system speaks (optional; "
                                 "canonical when absent)",
    "SEATRIAL_SUT_URL": "the base URL at which Seatrial reaches the SUT, its webhooks under "
                        "/webhooks/ (optional)",
    # the TMS's SFTP mailbox, sent only when the TMS speaks x12 (then all six are needed)
    "SEATRIAL_TMS_SFTP_HOST": "where the TMS's SFTP mailbox listens, 127.0.0.1 (only when the "
                              "TMS speaks x12)",
    "SEATRIAL_TMS_SFTP_PORT": "the mailbox's port, a decimal string (only with x12)",
    "SEATRIAL_TMS_SFTP_USERNAME": "the mailbox's user name for this run (only with x12)",
    "SEATRIAL_TMS_SFTP_PASSWORD": "the mailbox's password for this run (only with x12)",
    "SEATRIAL_TMS_SFTP_KEY_PATH": "the path of this run's private key for the mailbox, "
                                  "OpenSSH format (only with x12)",
    "SEATRIAL_TMS_SFTP_KNOWN_HOSTS": "the known_hosts line of the mailbox's host key (only "
                                     "with x12)",
    # the run's broker, sent only when the events travel on the amqp channel (then all four)
    "SEATRIAL_AMQP_URL": "amqp://USER:PASSWORD@HOST:PORT/VHOST the SUT consumes its events "
                         "from, with the run's credentials (only on the amqp channel)",
    "SEATRIAL_ERP_AMQP_QUEUE": "the queue of the ERP's events (only on the amqp channel)",
    "SEATRIAL_TMS_AMQP_QUEUE": "the queue of the TMS's events (only on the amqp channel)",
    "SEATRIAL_LASTMILE_AMQP_QUEUE": "the queue of the last-mile events (only on the amqp "
                                    "channel)",
}
# An AMQP URL (RabbitMQ's URI spec), with a host.
AMQP_URL = "^amqps?://[^/?#\\x00-\\x20\\x7f]+[^\\x00-\\x20\\x7f]*$"


# A decimal string as `seatrial run` writes the scale (3600, 0.5, 1e+06), and one that is zero.
DECIMAL = "^(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]{1,2})?$"
ZERO = "^[0.]*(?:[eE].*)?$"
# An http(s) URL with a host; no spaces or control characters.
BASE_URL = "^https?://[^/?#\\x00-\\x20\\x7f]+[^\\x00-\\x20\\x7f]*$"
# Standard Webhooks: whsec_ and the key in base64 (with its padding).
SECRET = "^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


#: The headers of every delivery, by component name: the Standard Webhooks signature and the
#: simulated time. A webhook carries them as HTTP headers, the broker channel as message headers
#: (seatrial.contracts.asyncapi).
DELIVERY_HEADERS: dict[str, dict[str, Any]] = {
    "WebhookId": {"name": "webhook-id", "required": True, "schema": {"type": "string"},
                  "description": "the event id (the same on duplicates and redeliveries)"},
    "WebhookTimestamp": {"name": "webhook-timestamp", "required": True,
                         "schema": {"type": "string", "pattern": "^[0-9]+$"},
                         "description": "when it was sent: Unix seconds, wall clock"},
    "WebhookSignature": {"name": "webhook-signature", "required": False,
                         "schema": {"type": "string", "pattern": "^v1,"},
                         "description": "'v1,' + base64 HMAC-SHA256; several space-separated "
                                        "signatures are allowed. Absent on some forged "
                                        "deliveries: refuse those (401)."},
    "SimTime": {"name": "x-seatrial-sim-time", "required": True, "schema": DATE_TIME,
                "description": "simulated time of the delivery"},
}


def _setting(name: str, doc: str) -> dict[str, Any]:
    if name == "SEATRIAL_TIME_SCALE":
        return {"anyOf": [{"type": "number", "exclusiveMinimum": 0},
                          {"type": "string", "pattern": DECIMAL, "not": {"pattern": ZERO}}],
                "description": doc + " (a positive number, or its decimal string as in the "
                                     "environment)"}
    if name.endswith("_WEBHOOK_SECRET"):
        return string(doc, pattern=SECRET)
    if name == "SEATRIAL_AMQP_URL":
        return string(doc, pattern=AMQP_URL)
    if name.endswith("_URL"):
        return string(doc, pattern=BASE_URL)
    if name.endswith("_SFTP_PORT"):
        return string(doc, pattern="^(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]"
                                   "{2}|655[0-2][0-9]|6553[0-5])$")
    if name.endswith("_DIALECT"):  # one of the system's dialects (seatrial sut checks it)
        system = name.removeprefix("SEATRIAL_").removesuffix("_DIALECT").lower()
        return {"type": "string", "enum": list(dialects(system)), "description": doc}
    return string(doc, minLength=1)


def _mailbox_needed() -> dict[str, Any]:
    """A TMS whose dialect's events are files (x12) needs its SFTP mailbox's settings, all
    six."""
    filed = [name for name, made in dialects("tms").items() if made.post_event is not None]
    return {"if": {"properties": {"SEATRIAL_TMS_DIALECT": {"enum": filed}},
                   "required": ["SEATRIAL_TMS_DIALECT"]},
            "then": {"required": [name for name in OPTIONAL_SETTINGS if "_SFTP_" in name]}}


def _sut_schemas() -> dict[str, dict[str, Any]]:
    envelope = obj({
        "event_id": string("unique per event; the same on duplicates and redeliveries",
                       examples=["evt_tms_0000042"]),
        "type": string("event type", examples=[t for types in EVENT_TYPES.values() for t in types]),
        "source": {"type": "string", "enum": list(SYSTEMS)},
        "source_seq": {"type": "integer", "minimum": 1,
                       "description": "the source's publishing sequence number"},
        "event_time": string("when it happened at the source (simulated time, ISO 8601); without "
                         "an offset it is the source's local time",
                         anyOf=[{"format": "date-time"}, {"format": "date-time-local"}]),
        "recorded_time": {**DATE_TIME, "description": "when the source recorded it"},
        "classifier": {"type": "string", "enum": list(CLASSIFIERS),
                       "description": "ACT actual, EST estimate, PLN plan"},
        "correlation_id": string("corr-<order id> on ERP events; on TMS and last-mile events the "
                             "X-Correlation-ID sent when the shipment or task was created"),
        "order_id": nullable("ERP order id"),
        "shipment_id": nullable("TMS shipment id"),
        "task_id": nullable("last-mile task id"),
        "schema_version": string("payload schema version: read it on every event",
                             examples=["1.0", "2.0"]),
        "payload": {"type": "object"},
    }, ["event_id", "type", "source", "source_seq", "event_time", "recorded_time",
        "classifier", "correlation_id", "order_id", "shipment_id", "task_id",
        "schema_version", "payload"], closed=True,
        description="The event envelope, compact JSON (seatrial.model.envelope.Event.to_json).")
    schemas: dict[str, dict[str, Any]] = {
        "EventEnvelope": envelope,
        "Address": ADDRESS,
        "ChargeLine": CHARGE_LINE,
        "ProofOfDelivery": POD,
        **PAYLOAD_SCHEMAS,
        "Settings": {**obj({name: _setting(name, doc)
                            for name, doc in {**SETTINGS, **OPTIONAL_SETTINGS}.items()},
                           list(SETTINGS), description="The settings of a new run: the names "
                           "of the environment variables of a started SUT; the TMS's SFTP "
                           "mailbox's when it speaks x12; the broker's on the amqp channel."),
                     **_mailbox_needed(),
                     "dependentRequired": {"SEATRIAL_AMQP_URL": [
                         name for name in OPTIONAL_SETTINGS if name.endswith("_AMQP_QUEUE")]}},
    }
    for source, types in EVENT_TYPES.items():
        schemas[EVENT_SCHEMAS[source]] = {
            "$ref": "#/components/schemas/EventEnvelope",
            "description": f"An event from the {_TITLES[source]}: "
                           + "; ".join(f"{t} (payload {p})" for t, p in types.items()),
            "properties": narrowed(source, BY_SOURCE[source]),
        }
    return schemas


def event_schemas() -> dict[str, dict[str, Any]]:
    """The component schemas an event envelope's schema refers to, by name: the envelope,
    each payload (schema 1.0 and 2.0) and what they refer to; the broker channel's AsyncAPI
    document (seatrial.contracts.asyncapi) shares them with this one."""
    return {name: schema for name, schema in _sut_schemas().items()
            if name not in ("Settings", *EVENT_SCHEMAS.values())}


def narrowed(source: str, types: Sequence[type[TypedEvent]]) -> dict[str, Any]:
    """The envelope's properties narrowed to events of `types` from `source`: their payloads in
    schema 1.0 and 2.0, or anything else (a SUT must park what it cannot read, not refuse it)."""
    payloads = [*(ref(cls.SCHEMA) for cls in types),
                *(ref(name) for name in dict.fromkeys(cls.SCHEMA_V2 for cls in types))]
    payloads.append({"type": "object", "description": "anything else: unknown codes, "
                     "poison (fields missing or of the wrong type); validate, park and "
                     "acknowledge"})
    return {"source": {"const": source},
            "type": {"type": "string", "enum": [cls.TYPE for cls in types]},
            "payload": {"anyOf": payloads}}


def _delivery(source: str, operation_id: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": f"One event from the {_TITLES[source]}",
        "description": "At least once: duplicates, redeliveries and reordering happen; dedupe "
                       "by event_id. Verify the Standard Webhooks signature (HMAC-SHA256 of "
                       "'{webhook-id}.{webhook-timestamp}.{body}' keyed with the base64 part of "
                       f"SEATRIAL_{source.upper()}_WEBHOOK_SECRET) and refuse with 401 when it "
                       "is missing or wrong or the timestamp is more than 5 minutes from now.",
        "tags": ["webhooks"],
        "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in
                       ("WebhookId", "WebhookTimestamp", "WebhookSignature", "SimTime")],
        "requestBody": {"required": True,
                        "content": {JSON: {"schema": ref(EVENT_SCHEMAS[source])}}},
        "responses": {
            "2XX": {"description": "accepted: handled, or durably queued"},
            "401": {"description": "refused (forged): not redelivered"},
            "403": {"description": "refused (forged): not redelivered"},
            "default": {"description": "failed (as is no answer within 10 s): the source "
                                       "redelivers the event on its schedule"},
        },
    }


def _validation(source: str) -> dict[str, Any]:
    """A webhook registration's validation request (Onfleet's `GET ?check=`): a SUT that
    registers webhooks through a dialect's API answers it (SyncImplementation.validate_webhook,
    docs/dialects.md#onfleet)."""
    return {
        "operationId": f"validate_{source}_webhook",
        "summary": f"Answer the validation request of a {source} webhook registration",
        "tags": ["webhooks"],
        "parameters": [{"name": "check", "in": "query", "required": True,
                        "schema": {"type": "string"},
                        "description": "the random string to answer with"}],
        "responses": {
            "200": {"description": "the check string as the body: the registration goes on",
                    "content": {"text/plain": {"schema": {"type": "string"}}}},
            "204": {"description": "no body: the registration is refused"},
            "default": {"description": "the registration is refused"},
        },
    }


def sut_spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document of what a sync implementation (SUT) serves and receives.

    A fresh copy each time, like `api_spec`."""
    return copy.deepcopy(_build_sut_spec())


def _build_sut_spec() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/health": {"get": {
            "operationId": "health", "summary": "Readiness", "tags": ["control"],
            "responses": {
                "200": {"description": "ready: Seatrial starts the run"},
                "default": {"description": "not ready yet: Seatrial polls again until its "
                                           "health timeout (30 s)"},
            },
        }},
        "/seatrial/configure": {"post": {
            "operationId": "configure",
            "summary": "Start a new run (for a SUT that is already running)",
            "description": "Forget every order, key and queue from earlier runs and use these "
                           "settings. Only for the holder of the control secret (Authorization: "
                           "Bearer, the SEATRIAL_CONTROL_SECRET the SUT was started with): "
                           "anyone else is refused with 401 and changes nothing.",
            "tags": ["control"],
            "security": [{"controlSecret": []}],
            "requestBody": {"required": True, "content": {JSON: {"schema": ref("Settings")}}},
            "responses": {
                "2XX": {"description": "state reset; the new run starts"},
                "401": {"description": "no control secret, or the wrong one: nothing changed"},
                "default": {"description": "not configured: the run does not start"},
            },
        }},
    }
    for source in SYSTEMS:
        paths[f"/webhooks/{source}"] = {"post": _delivery(source, f"receive_{source}_event"),
                                        "get": _validation(source)}
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": DIALECT,
        "info": {
            "title": "Seatrial sync implementation (SUT) interface",
            "version": DOC_VERSION,
            "description": (
                "What a sync implementation under test serves in Seatrial's live mode: the "
                "webhook deliveries of the three simulated systems (webhooks; also listed "
                "under paths, POST /webhooks/{source}), readiness and per-run configuration. "
                "Generated by simulators/openapi.py; see docs/live-protocol.md."),
        },
        "tags": [{"name": "control"}, {"name": "webhooks"}],
        "webhooks": {source: {"post": _delivery(source, f"{source}_event")}
                     for source in SYSTEMS},
        "paths": paths,
        "components": {
            "schemas": _sut_schemas(),
            "securitySchemes": {"controlSecret": {  # POST /seatrial/configure's
                "type": "http", "scheme": "bearer",
                "description": "the SUT's control secret: SEATRIAL_CONTROL_SECRET in its "
                               "environment (Seatrial sets it for a command it starts), or "
                               "the one `seatrial sut` prints"}},
            "parameters": {name: {"in": "header", **header}
                           for name, header in DELIVERY_HEADERS.items()},
        },
    }


# --- export -----------------------------------------------------------------------------------


def documents() -> dict[str, dict[str, Any]]:
    """Every document, by file name."""
    docs = {made.document: api_spec(system, name)
            for system in SYSTEMS for name, made in dialects(system).items()}
    docs[SUT_FILE] = sut_spec()
    return docs


def render(document: dict[str, Any]) -> str:
    """The committed form: indent 2, sorted keys, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def write_all(directory: Path) -> list[Path]:
    """Write the four documents into `directory` (created if missing); return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in documents().items():
        path = directory / name
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    directory = Path(args[0]) if args else CONTRACTS_DIR
    for path in write_all(directory):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
