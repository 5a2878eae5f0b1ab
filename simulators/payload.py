"""What the three systems' event types (simulators/<system>/events.py) share: reading a payload
field by field, the fields a retraction adds to a payload, and schema 2.0 of the payloads that
are not reshaped but wrapped whole.

A parser reads what a replay needs to play the event (docs/replaying.md, "payload"): those
fields must be there; the others a recorded log may leave out, and read as None (or the
source's default). A field of the wrong kind is refused either way, naming it, so a log fails
as it is loaded rather than halfway through its replay.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, NamedTuple

from seatrial.simulators.schema import obj, string


class Kind(NamedTuple):
    """What a field must hold: `accepts` its value, described as `what` in the refusal."""

    accepts: Callable[[Any], bool]
    what: str


def _time(value: Any) -> bool:
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


TEXT = Kind(lambda value: isinstance(value, str), "a string")
NUMBER = Kind(lambda value: isinstance(value, int | float) and not isinstance(value, bool),
              "a number")
INTEGER = Kind(lambda value: isinstance(value, int) and not isinstance(value, bool),
               "an integer")
BOOLEAN = Kind(lambda value: isinstance(value, bool), "true or false")
OBJECT = Kind(lambda value: isinstance(value, dict), "a JSON object")
ARRAY = Kind(lambda value: isinstance(value, list), "a list")
TIME = Kind(lambda value: isinstance(value, str) and _time(value), "an ISO 8601 time")


def one_of(vocabulary: Iterable[str]) -> Kind:
    listed = tuple(vocabulary)
    return Kind(lambda value: value in listed, f"one of {', '.join(listed)}")


def or_null(kind: Kind) -> Kind:
    return Kind(lambda value: value is None or kind.accepts(value), f"{kind.what} or null")


def need(payload: dict[str, Any], type_: str, key: str, kind: Kind) -> Any:
    """A field the replay cannot do without."""
    if key not in payload:
        raise ValueError(f"payload: a {type_} event's payload needs {key!r}")
    return _checked(payload[key], f"payload.{key}", kind)


def may(payload: dict[str, Any], key: str, kind: Kind, default: Any = None, *,
        where: str = "payload") -> Any:
    """A field a recorded log may leave out (`default` then); `where` names its container."""
    if key not in payload:
        return default
    return _checked(payload[key], f"{where}.{key}", kind)


def _checked(value: Any, where: str, kind: Kind) -> Any:
    if not kind.accepts(value):
        raise ValueError(f"{where}: {reprlib.repr(value)} is not {kind.what}")
    return value


def some_fields(event_type: type[tuple[Any, ...]], **fields: Any) -> dict[str, Any]:
    """Some of an event type's payload fields, in the payload's order: a contract's example
    leaves out what its consumer ignores, a poisoned payload has only garbage in real fields. A
    name that is no field of the type is an error, so neither drifts from the payload."""
    names: tuple[str, ...] = event_type._fields  # type: ignore[attr-defined]
    unknown = sorted(set(fields) - set(names))
    if unknown:
        raise TypeError(f"{event_type.__name__} has no field {', '.join(unknown)}")
    return {name: fields[name] for name in names if name in fields}


#: What a retraction adds to the payload it withdraws (seatrial.faults.kinds.retraction); schema
#: 2.0 keeps these at the top level.
RETRACTION = {
    "retracted_event_id": string("on a retraction: the event_id it withdraws; change nothing"),
    "retraction_reason": string("on a retraction: why"),
}

#: Schema 2.0 of every event type its system does not reshape: the v1 payload under "data".
WRAPPED_V2 = "WrappedPayloadV2"
SCHEMAS = {
    WRAPPED_V2: obj({"data": {"type": "object"}, **RETRACTION}, ["data"],
                    description="schema 2.0 of every other event: the v1 payload under data"),
}


def wrapped(payload: dict[str, Any]) -> dict[str, Any]:
    return {"data": payload}
