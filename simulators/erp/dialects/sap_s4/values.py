"""OData V2 values on the wire, as SAP Gateway writes and reads them in JSON: `/Date(ms)/`
for Edm.DateTime, `/Date(ms+0000)/` for Edm.DateTimeOffset, Edm.Decimal as a string with its
scale's digits, and entity keys in the URL as `A_SalesOrder('SO-000001')` or, for several,
`(SalesOrder='SO-000001',SalesOrderItem='10')`.

Every reader raises `Invalid` naming the property and the form it wants (a 400 in SAP's
error shape).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from seatrial.simulators.domain import Invalid
from seatrial.simulators.erp.dialects.sap_s4.model import EntityType, Prop

MAX_KEY = 40          # characters of one key value
MAX_STRING = 255      # characters of a string property a write may carry (its MaxLength rules)
_DATE = re.compile(r"^/Date\((-?[0-9]{1,15})(?:[+-][0-9]{4})?\)/$")
_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]{0,79})\((.*)\)$", re.S)
_NAMED = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,79})=('(?:[^']|'')*')")


def date_json(moment: datetime, offset: bool) -> str:
    """`/Date(ms)/` (Edm.DateTime) or `/Date(ms+0000)/` (Edm.DateTimeOffset), in UTC."""
    ms = round(moment.timestamp() * 1000)
    return f"/Date({ms}+0000)/" if offset else f"/Date({ms})/"


def parse_date(value: Any, name: str) -> datetime:
    """A date as OData V2 JSON carries it, or the ISO 8601 form Gateway also takes."""
    if isinstance(value, str):
        found = _DATE.match(value)
        if found:
            # the milliseconds are the instant (UTC); an offset only says where it was written
            try:
                return datetime.fromtimestamp(int(found.group(1)) / 1000, UTC)
            except (ValueError, OverflowError, OSError):
                raise Invalid(name, "a date from year 1 to 9999") from None
        if len(value) <= 40:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise Invalid(name, "a date as /Date(<milliseconds since 1970>)/ or /Date(<ms>+0000)/, "
                        "or ISO 8601 such as 2026-01-05T06:00:00Z")


def decimal_json(value: float, scale: int) -> str:
    return f"{Decimal(str(value)):.{scale}f}"


def parse_decimal(value: Any, prop: Prop) -> Decimal:
    """An Edm.Decimal as a string (SAP's form; a JSON number is taken too), within its
    precision and scale."""
    if isinstance(value, bool) or not isinstance(value, str | int | float) or (
            isinstance(value, str) and len(value) > 40):
        raise Invalid(prop.name, "a decimal as a string, e.g. \"12.50\"")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Invalid(prop.name, "a decimal as a string, e.g. \"12.50\"") from None
    if not number.is_finite():
        raise Invalid(prop.name, "a finite decimal")
    scale, precision = prop.scale or 0, prop.precision or 16
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > scale:
        raise Invalid(prop.name, f"a decimal with at most {scale} digits after the point")
    if abs(number) >= Decimal(10) ** (precision - scale):
        raise Invalid(prop.name, f"a decimal of at most {precision - scale} digits before "
                                 "the point")
    return number


def read_value(prop: Prop, value: Any) -> Any:
    """A property's value from a JSON body: str, datetime or Decimal (None for null)."""
    if value is None:
        if not prop.nullable:
            raise Invalid(prop.name, "a value; it may not be null")
        return None
    if prop.type == "Edm.String":
        limit = min(prop.max_length or MAX_STRING, MAX_STRING)
        if not isinstance(value, str) or len(value) > limit:
            raise Invalid(prop.name, f"a string of at most {limit} characters")
        return value
    if prop.type in ("Edm.DateTime", "Edm.DateTimeOffset"):
        return parse_date(value, prop.name)
    if prop.type == "Edm.Decimal":
        return parse_decimal(value, prop)
    raise Invalid(prop.name, f"a {prop.type} value")  # no other type in the model


def write_value(prop: Prop, value: Any) -> Any:
    """A property's value in OData V2 JSON (None stays null)."""
    if value is None:
        return None
    if prop.type == "Edm.DateTime":
        return date_json(value, offset=False)
    if prop.type == "Edm.DateTimeOffset":
        return date_json(value, offset=True)
    if prop.type == "Edm.Decimal":
        return decimal_json(value, prop.scale or 0)
    return value


def parse_literal(text: str, name: str) -> str:
    """A quoted Edm.String literal, '' for a quote inside."""
    if len(text) < 2 or text[0] != "'" or text[-1] != "'":
        raise Invalid(name, f"a string key in quotes, e.g. {name}='SO-000001'")
    value = text[1:-1]
    if "'" in value.replace("''", ""):
        raise Invalid(name, "a quote inside a key is written twice ('')")
    value = value.replace("''", "'")
    if not value or len(value) > MAX_KEY:
        raise Invalid(name, f"a key of 1 to {MAX_KEY} characters")
    return value


def parse_key(segment: str, entity: EntityType) -> dict[str, str]:
    """The key values of `A_SalesOrder('X')` or `A_SalesOrderItem(SalesOrder='X',...)`;
    `Invalid` when the segment is not a key of `entity`."""
    found = _SEGMENT.match(segment)
    if found is None or found.group(1) != entity.entity_set:
        raise Invalid("key", f"{entity.entity_set}(<key>), e.g. {entity.entity_set}('SO-1')")
    inside = found.group(2)
    if len(entity.keys) == 1 and inside.startswith("'"):
        return {entity.keys[0]: parse_literal(inside, entity.keys[0])}
    pairs = _NAMED.findall(inside)
    rebuilt = ",".join(f"{name}={literal}" for name, literal in pairs)
    if rebuilt != inside or {name for name, _ in pairs} != set(entity.keys) \
            or len(pairs) != len(entity.keys):
        raise Invalid("key", f"every key of {entity.entity_set} once: "
                             + ",".join(f"{k}='...'" for k in entity.keys))
    return {name: parse_literal(literal, name) for name, literal in pairs}


def key_segment(entity: EntityType, values: dict[str, str]) -> str:
    """The URL segment of one entity, as SAP writes it in `__metadata.uri`."""
    def quoted(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"
    if len(entity.keys) == 1:
        return f"{entity.entity_set}({quoted(values[entity.keys[0]])})"
    inner = ",".join(f"{k}={quoted(values[k])}" for k in entity.keys)
    return f"{entity.entity_set}({inner})"
