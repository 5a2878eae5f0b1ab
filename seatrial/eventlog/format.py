"""Recorded event logs: the canonical envelope as JSON Lines, or the same columns as CSV.

A log is what the source systems published, in the order they published it: one envelope per
line. A JSONL log may also carry the ERP orders it releases (`{"record": "order", ...}` lines),
because an `order.released` webhook is thin and the target reads the order from the ERP API;
orders a log does not carry are generated from the replay's seed (docs/replaying.md).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError, model_validator

from seatrial.model.envelope import CLASSIFIERS, Event
from seatrial.model.vocabulary import LASTMILE_TRIGGERS
from simulators.erp.core import Customer, Order

#: What each source publishes; a replay knows how to play these and nothing else.
TYPES = {"order.released": "erp", "order.cancelled": "erp", "order.changed": "erp",
         "shipment.status": "tms", "shipment.charges_finalized": "tms",
         "task.updated": "lastmile"}
#: The payload keys each type needs to be played.
NEEDS = {"order.cancelled": ("reason",), "order.changed": ("ship_to",),
         "shipment.status": ("status_code",), "shipment.charges_finalized": ("lines",),
         "task.updated": ("trigger",)}
#: The business keys each source's events carry besides the order.
KEYS = {"erp": (), "tms": ("shipment_id",), "lastmile": ("shipment_id", "task_id")}
COLUMNS = ("event_id", "type", "source", "source_seq", "event_time", "recorded_time",
           "classifier", "correlation_id", "order_id", "shipment_id", "task_id",
           "schema_version", "payload")


class LogError(Exception):
    """A log that cannot be replayed; the message names the line, the field and the fix."""


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str
    type: Literal[tuple(TYPES)]  # type: ignore[valid-type]
    source: Literal["erp", "tms", "lastmile"]
    source_seq: int
    event_time: AwareDatetime
    recorded_time: AwareDatetime
    classifier: Literal[CLASSIFIERS]  # type: ignore[valid-type]
    correlation_id: str
    order_id: str
    shipment_id: str | None = None
    task_id: str | None = None
    schema_version: str = "1.0"
    payload: dict[str, Any]

    @model_validator(mode="after")
    def _playable(self) -> _Envelope:
        if TYPES[self.type] != self.source:
            raise ValueError(f"source: a {self.type} event comes from {TYPES[self.type]}, "
                             f"not {self.source}")
        for key in KEYS[self.source]:
            if not getattr(self, key):
                raise ValueError(f"{key}: a {self.type} event names its {key}")
        missing = [key for key in NEEDS.get(self.type, ()) if key not in self.payload]
        if missing:
            raise ValueError(f"payload: a {self.type} event's payload needs {missing[0]!r}")
        trigger = self.payload.get("trigger")
        if self.type == "task.updated" and trigger not in LASTMILE_TRIGGERS:
            raise ValueError(f"payload.trigger: {trigger!r} is not one of "
                             f"{', '.join(LASTMILE_TRIGGERS)}")
        return self

    def event(self) -> Event:
        return Event(self.event_id, self.type, self.source, self.source_seq, self.event_time,
                     self.recorded_time, self.classifier, self.correlation_id, self.order_id,
                     self.shipment_id, self.task_id, self.schema_version, self.payload)


class _CustomerRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    email: str
    address: dict[str, str]


class _OrderRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record: Literal["order"]
    id: str
    lines: list[dict[str, Any]]
    value: float
    currency: str
    ship_to: dict[str, str]
    customer: _CustomerRecord


@dataclass
class EventLog:
    """The events in publishing order (by `recorded_time`; ties keep the file's order)."""

    events: list[Event]
    orders: dict[str, _OrderRecord] = field(default_factory=dict)

    def order(self, event: Event, now: float) -> tuple[Order, Customer] | None:
        """The order an `order.released` event releases, if the log carries it."""
        record = self.orders.get(event.order_id or "")
        if record is None:
            return None
        customer = Customer(**record.customer.model_dump())
        return Order(record.id, customer.id, record.lines, record.value, record.currency,
                     dict(record.ship_to), event.correlation_id, now), customer


def read_log(path: Path) -> EventLog:
    """Read and check a `.jsonl` or `.csv` log; every problem is a LogError naming its line."""
    if path.suffix not in (".jsonl", ".csv"):
        raise LogError(f"{path}: a recorded log is a .jsonl file (the canonical envelope, one "
                       "per line) or a .csv file with the envelope's columns")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LogError(f"{path}: cannot read it ({error})") from None
    rows = _csv_rows(path, text) if path.suffix == ".csv" else _jsonl_rows(path, text)
    events: list[Event] = []
    orders: dict[str, _OrderRecord] = {}
    for line, row in rows:
        try:
            if row.get("record") is not None:
                record = _OrderRecord.model_validate(row)
                orders[record.id] = record
            else:
                events.append(_Envelope.model_validate(row).event())
        except ValidationError as error:
            raise LogError(f"{path} line {line}: {_explain(error)}") from None
    if not events:
        raise LogError(f"{path}: no events; a log holds one envelope per line")
    events.sort(key=lambda event: event.recorded_time)
    _check_order_keys(path, events)
    return EventLog(events, orders)


def _jsonl_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise LogError(f"{path} line {number}: not JSON ({error.msg}); write one JSON "
                           "object per line") from None
        if not isinstance(row, dict):
            raise LogError(f"{path} line {number}: write a JSON object (an envelope), "
                           f"not a {type(row).__name__}")
        rows.append((number, row))
    return rows


def _csv_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(text.splitlines())
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
    if missing:
        raise LogError(f"{path}: the header lacks {', '.join(missing)}; a CSV log has the "
                       f"columns {','.join(COLUMNS)}")
    rows = []
    for number, row in enumerate(reader, 2):
        try:
            payload = json.loads(row["payload"] or "{}")
        except json.JSONDecodeError as error:
            raise LogError(f"{path} line {number}: payload is not JSON ({error.msg}); the "
                           "payload column holds the payload as a JSON object") from None
        cells = {key: value or None for key, value in row.items() if key in COLUMNS}
        rows.append((number, {**cells, "payload": payload}))
    return rows


def _explain(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _check_order_keys(path: Path, events: list[Event]) -> None:
    """Every event concerns an order the log releases, once, earlier."""
    released: dict[str, str] = {}  # order -> the event that released it
    for event in events:
        if event.type == "order.released":
            first = released.setdefault(event.order_id or "", event.event_id)
            if first != event.event_id:
                raise LogError(f"{path}: order {event.order_id} is released twice, by events "
                               f"{first} and {event.event_id}; a log releases an order once "
                               "(a duplicate delivery repeats the same event_id)")
        elif event.order_id not in released:
            raise LogError(f"{path}: event {event.event_id} ({event.type}) is about order "
                           f"{event.order_id}, which no earlier order.released releases; "
                           "include the order's order.released event")


def write_log(path: Path, lines: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines),
                    encoding="utf-8")
