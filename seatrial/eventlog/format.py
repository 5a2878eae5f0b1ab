"""Recorded event logs: the canonical envelope as JSON Lines, or the same columns as CSV.

A log is what the source systems published, in the order they published it: one envelope per
line. A JSONL log may also carry the ERP orders it releases (`{"record": "order", ...}` lines),
because an `order.released` webhook is thin and the target reads the order from the ERP API;
orders a log does not carry are generated from the replay's seed (docs/replaying.md).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError, model_validator

from seatrial.input_limits import (
    LineTooLong,
    MiB,
    Refused,
    TooLarge,
    file_size,
    lines_limited,
    open_input,
    parse_json,
    too_large,
)
from seatrial.model.envelope import CLASSIFIERS, Event
from seatrial.report.files import write_report
from seatrial.scenario import MAX_ORDERS
from seatrial.simulators.erp.core import Customer, Order
from seatrial.simulators.erp.events import OrderReleased
from seatrial.simulators.events import EVENTS, SOURCES

#: The business keys each source's events carry besides the order.
KEYS = {"erp": (), "tms": ("shipment_id",), "lastmile": ("shipment_id", "task_id")}
#: A log's size at most. A recording of peak-day (6,912 orders) is 50 MB, about 7.2 KB an
#: order: 512 MiB holds a recording of the most orders a replay may release (MAX_ORDERS,
#: 50,000: some 360 MB) with room for chattier production logs, and reading it stays within the
#: memory such a replay needs anyway. Read line by line, never whole.
MAX_LOG_BYTES = 512 * MiB
MAX_LINE_BYTES = 1 * MiB  # an envelope is under 1 KB; an order with 200 lines some 20 KB
LIMITS = "see Limits in docs/replaying.md"
COLUMNS = ("event_id", "type", "source", "source_seq", "event_time", "recorded_time",
           "classifier", "correlation_id", "order_id", "shipment_id", "task_id",
           "schema_version", "payload")


class LogError(Exception):
    """A log that cannot be replayed; the message names the line, the field and the fix."""


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str
    type: Literal[tuple(SOURCES)]  # type: ignore[valid-type]  # a replay plays these alone
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
        if SOURCES[self.type] != self.source:
            raise ValueError(f"source: a {self.type} event comes from {SOURCES[self.type]}, "
                             f"not {self.source}")
        for key in KEYS[self.source]:
            if not getattr(self, key):
                raise ValueError(f"{key}: a {self.type} event names its {key}")
        EVENTS[self.type].parse(self.payload)  # what the replay needs, of the right kinds
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
    """Read and check a `.jsonl` or `.csv` log; every problem is a LogError naming its line.
    The file is read line by line within the limits (docs/replaying.md, "Limits"): at most
    MAX_LOG_BYTES in all, MAX_LINE_BYTES a line, MAX_DEPTH levels of nesting, MAX_ORDERS
    orders released."""
    if path.suffix not in (".jsonl", ".csv"):
        raise LogError(f"{path}: a recorded log is a .jsonl file (the canonical envelope, one "
                       "per line) or a .csv file with the envelope's columns")
    try:
        handle = open_input(path)
    except Refused as refused:
        raise LogError(f"{path}: {refused}") from None
    except OSError as error:
        raise LogError(f"{path}: cannot read it ({error.strerror or error})") from None
    events: list[Event] = []
    orders: dict[str, _OrderRecord] = {}
    released: set[str] = set()
    try:
        with handle:
            size = file_size(handle)
            if size is not None and size > MAX_LOG_BYTES:
                raise too_large("a log", MAX_LOG_BYTES, size)
            lines = _text_lines(path, lines_limited(handle, MAX_LOG_BYTES, MAX_LINE_BYTES,
                                                    "a log"))
            rows = _csv_rows(path, lines) if path.suffix == ".csv" else _jsonl_rows(path, lines)
            for line, row in rows:
                try:
                    if row.get("record") is not None:
                        record = _OrderRecord.model_validate(row)
                        orders[record.id] = record
                        continue
                    event = _Envelope.model_validate(row).event()
                except ValidationError as error:
                    raise LogError(f"{path} line {line}: {_explain(error)}") from None
                events.append(event)
                if event.type == OrderReleased.TYPE and event.order_id not in released:
                    released.add(event.order_id or "")
                    if len(released) > MAX_ORDERS:
                        raise LogError(f"{path} line {line}: the log releases more than "
                                       f"{MAX_ORDERS:,} orders, the most one replay (like one "
                                       "run) may; split it by time and replay each part; "
                                       f"{LIMITS}")
    except LineTooLong as refused:
        raise LogError(f"{path}: {refused} (an envelope is under 1 KB); {LIMITS}") from None
    except TooLarge as refused:
        raise LogError(f"{path}: {refused} (a peak day of 6,912 orders recorded is 50 MB); "
                       f"split it by time and replay each part; {LIMITS}") from None
    except OSError as error:
        raise LogError(f"{path}: cannot read it ({error.strerror or error})") from None
    if not events:
        raise LogError(f"{path}: no events; a log holds one envelope per line")
    events.sort(key=lambda event: event.recorded_time)
    _check_order_keys(path, events)
    return EventLog(events, orders)


def _text_lines(path: Path, lines: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, str]]:
    for number, line in lines:
        try:
            yield number, line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise LogError(f"{path} line {number}: not UTF-8 text (byte "
                           f"{line[error.start]:#04x}); save the log as UTF-8") from None


def _json(path: Path, number: int, text: str, what: str) -> Any:
    fix = "write one JSON object per line" if what == "the line" else \
        "the payload column holds the payload as a JSON object"
    try:
        return parse_json(text, "a log line", "an envelope needs 4")
    except Refused as refused:
        raise LogError(f"{path} line {number}: {what} {refused}; {LIMITS}") from None
    except json.JSONDecodeError as error:
        raise LogError(f"{path} line {number}: {what} is not JSON ({error.msg}); {fix}") from None
    except ValueError as error:  # NaN or Infinity; an integer of more than 4,300 digits
        reason = str(error).split("; use sys.")[0]
        raise LogError(f"{path} line {number}: {what} is not JSON as a log holds it: "
                       f"{reason}") from None


def _jsonl_rows(path: Path, lines: Iterator[tuple[int, str]],
                ) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in lines:
        if not line.strip():
            continue
        row = _json(path, number, line, "the line")
        if not isinstance(row, dict):
            raise LogError(f"{path} line {number}: write a JSON object (an envelope), "
                           f"not a {type(row).__name__}")
        yield number, row


def _csv_rows(path: Path, lines: Iterator[tuple[int, str]],
              ) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows by the header's column names. A field may span lines (quoted), so a row is named
    by the line it ends on."""
    position = {"line": 0}

    def counted() -> Iterator[str]:
        for number, line in lines:
            position["line"] = number
            yield line

    reader = csv.reader(counted())
    try:
        header = next(reader, None)
        missing = [column for column in COLUMNS if column not in (header or ())]
        if missing:
            raise LogError(f"{path}: the header lacks {', '.join(missing)}; a CSV log has the "
                           f"columns {','.join(COLUMNS)}")
        twice = sorted({column for column in header if header.count(column) > 1})
        if twice:
            raise LogError(f"{path}: the header names {', '.join(twice)} more than once; name "
                           "each column once")
        for cells in reader:
            number = position["line"]
            if not cells:  # a blank line
                continue
            if len(cells) != len(header):
                raise LogError(f"{path} line {number}: {len(cells)} cells, but the header has "
                               f"{len(header)} columns; give every row one cell per column "
                               "(empty for none)")
            row = {key: value or None for key, value in zip(header, cells, strict=True)
                   if key in COLUMNS}
            payload = _json(path, number, row["payload"] or "{}", "the payload")
            yield number, {**row, "payload": payload}
    except csv.Error as error:
        problem = (f"a cell is longer than {csv.field_size_limit():,} characters, the most "
                   "a CSV cell may hold" if "field limit" in str(error) else f"not CSV ({error})")
        raise LogError(f"{path} line {position['line']}: {problem}; {LIMITS}") from None


def _explain(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _check_order_keys(path: Path, events: list[Event]) -> None:
    """Every event concerns an order the log releases, once, earlier."""
    released: dict[str, str] = {}  # order -> the event that released it
    for event in events:
        if event.type == OrderReleased.TYPE:
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
    """Whole or not at all (seatrial.report.files); ReportWriteError names the path."""
    write_report(path, "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
