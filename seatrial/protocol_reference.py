"""The facts of docs/protocol-guide.md generated from the code: the three canonical APIs (each
endpoint as its dialect declares it, with the fields of its body), the events each source
publishes (their payload fields) and the status mapping (seatrial.model.vocabulary, the
vocabulary the reference implementation maps with), and what an implementer must size its
timers by: how late a call it stopped waiting for may still commit, and each scenario's
fastest live pace. The guide's prose says what to do with them; these tables say what they
are, so they cannot drift from the simulators and the scenario files.

    python -m seatrial.protocol_reference docs/protocol-guide.md    # or: make docs

Its generated parts (seatrial.doc_blocks) are `api erp`, `api tms`, `api lastmile`, `events`,
`schema-v2`, `local-time`, `status-mapping`, `late-commits`, `pace-ceilings` and `checklist`;
tests/test_protocol_reference.py fails while one is stale. `pace-ceilings` also stands in
docs/scenarios.md and docs/live-protocol.md, which say why a scenario sets a slower pace, and
docs/scenarios.md holds `invariant-names` and `catalogue-count` (the same command refreshes
them).
"""

from __future__ import annotations

import sys
from typing import Any

from seatrial import doc_blocks
from seatrial.catalogue import catalogue
from seatrial.faults.layer import BASELINE_API_LATENCY
from seatrial.judge.invariants import MODULES as INVARIANTS
from seatrial.live.runner import DEFAULT_SCALE
from seatrial.model.envelope import SYSTEMS
from seatrial.model.vocabulary import (
    ERP_STATUS_NAMES,
    LASTMILE_TO_ERP,
    LASTMILE_TRIGGERS,
    SOURCE_LOCAL_TIME,
    TMS_STATUS_CODES,
    TMS_TO_ERP,
    V2_FIELDS,
)
from seatrial.sdk.messages import DEFAULT_TIMEOUT
from seatrial.simulators.dialect import dialect, dialects
from seatrial.simulators.events import BY_SOURCE
from seatrial.simulators.events import SCHEMAS as EVENT_SCHEMAS

WRITE = "python -m seatrial.protocol_reference docs/protocol-guide.md"
#: the last-mile trigger that is a stage only on success with proof of delivery
DELIVERED = "taskCompleted"


def refresh(page: str) -> str:
    """`page` with every generated part written anew."""
    return doc_blocks.refresh(page, render)


def wanted() -> list[str]:
    """The parts the guide holds (the others stand only in docs/scenarios.md: `ELSEWHERE`)."""
    return [*(f"api {system}" for system in SYSTEMS), *(p for p in PARTS if p not in ELSEWHERE)]


def render(key: str) -> str:
    """The generated part named `key`."""
    if key.startswith("api ") and key.removeprefix("api ") in SYSTEMS:
        return api(key.removeprefix("api "))
    if key in PARTS:
        return PARTS[key]()
    raise ValueError(f"docs/protocol-guide.md names an unknown generated part {key!r}: one of "
                     f"{', '.join(wanted())}")


def api(system: str) -> str:
    """One system's canonical endpoints: the call, its body's fields (`*` required), its
    success answer, whether it honours Idempotency-Key, and when it answers 409."""
    spoken = dialect(system)
    schemas = spoken.describe(spoken)["components"]["schemas"]  # as its openapi.json has them
    lines = ["| call | what | body fields (`*` required) | success | Idempotency-Key | 409 when |",
             "|---|---|---|---|---|---|"]
    for endpoint in spoken.endpoints:
        body = fields(schemas, schemas[endpoint.request]) if endpoint.request else "no body"
        lines.append(f"| `{endpoint.method} {endpoint.template}` | {endpoint.summary} | {body} | "
                     f"{endpoint.status} `{endpoint.response}` | "
                     f"{'yes' if endpoint.idempotent else '-'} | {endpoint.conflict or '-'} |")
    return "\n".join(lines) + "\n"


def events() -> str:
    """Each source's event types with their payload's fields (schema 1.0)."""
    lines = ["| source | `type` | payload fields (`*` always there) | what it says |",
             "|---|---|---|---|"]
    for source, types in BY_SOURCE.items():
        for event in types:
            said = " ".join((event.__doc__ or "").split("\n\n")[0].split())
            lines.append(f"| {source} | `{event.TYPE}` | "
                         f"{fields(EVENT_SCHEMAS, EVENT_SCHEMAS[event.SCHEMA])} | {said} |")
    return "\n".join(lines) + "\n"


def status_mapping() -> str:
    """Every source code and trigger, actuals only, and the ERP status it means."""
    lines = ["| source | code (classifier `ACT`) | means | ERP status |", "|---|---|---|---|"]
    for code, meaning in TMS_STATUS_CODES.items():
        lines.append(f"| TMS `shipment.status` | `{code}` | {meaning} | "
                     f"{_erp(TMS_TO_ERP.get(code))} |")
    for trigger, meaning in LASTMILE_TRIGGERS.items():
        status = (f"{_erp('DLV')} when `completion_details.success` is true and it has a "
                  "`pod`; else no change (a failed attempt)" if trigger == DELIVERED else
                  _erp(LASTMILE_TO_ERP.get(trigger)))
        lines.append(f"| last-mile `task.updated` | `{trigger}` | {meaning} | {status} |")
    return "\n".join(lines) + "\n"


def schema_v2() -> str:
    """Where each schema 1.0 field went in 2.0, per source (vocabulary.V2_FIELDS)."""
    lines = ["| source | 1.0 field | 2.0 path |", "|---|---|---|"]
    for source, moved in V2_FIELDS.items():
        who = "every other event (ERP events, TMS charges)" if source == "*" else source
        lines.extend(f"| {who} | `{old}` | `{new}` |" for old, new in moved.items())
    return "\n".join(lines) + "\n"


def local_time() -> str:
    """The zone each source's times without an offset are in (vocabulary.SOURCE_LOCAL_TIME)."""
    lines = ["| source | zone | offset from UTC |", "|---|---|---|"]
    for source, zone in SOURCE_LOCAL_TIME.items():
        offset = zone.utcoffset(None)
        hours = offset.total_seconds() / 3600 if offset is not None else 0.0
        lines.append(f"| {source} | {zone.tzname(None)} | {hours:+g} h |")
    return "\n".join(lines) + "\n"


def late_commits() -> str:
    """How long after it reached its system a call the SUT got no answer to may still commit:
    a lost answer within the API's own latency, a call slowed past the timeout when its delay
    is over (seatrial.transport.inprocess); the bound per scenario and API that a `latency`
    fault slows, the sum of each such fault's longest delay."""
    lines = [f"A lost answer commits within {BASELINE_API_LATENCY[1]:g} simulated seconds of "
             "reaching the system (its own latency), plus any `latency` fault below; a call "
             f"slowed past {DEFAULT_TIMEOUT:g} simulated seconds gets no answer and commits "
             "when its delay is over:", "",
             "| scenario | API | a call commits at most this long after it arrived |",
             "|---|---|---|"]
    for name, scenario in catalogue().items():
        for system in SYSTEMS:
            slowest = [_longest(fault) for fault in scenario.faults
                       if fault.kind == "latency" and fault.channel == f"{system}.api"]
            if slowest:
                total = BASELINE_API_LATENCY[1] + sum(slowest)
                lines.append(f"| `{name}` | {system} | "
                             f"{f'{total:g} simulated s' if total < float('inf') else 'no bound'}"
                             " |")
    return "\n".join(lines) + "\n"


def _longest(fault: Any) -> float:
    """A latency fault's longest delay: its value, its high end, or its cap (none: unbound)."""
    if fault.dist == "fixed":
        return fault.value
    if fault.dist == "uniform":
        return fault.high
    return fault.cap if fault.cap is not None else float("inf")


def pace_ceilings() -> str:
    """The fastest pace `--time-scale auto` chooses per scenario: its live.time_scale where it
    sets one, else the default."""
    lines = ["| scenario | fastest live pace |", "|---|---|"]
    lines.extend(f"| `{name}` | {scenario.live.time_scale:g}x |"
                 for name, scenario in catalogue().items() if scenario.live.time_scale)
    lines.append(f"| every other | {DEFAULT_SCALE:g}x |")
    return "\n".join(lines) + "\n"


def checklist() -> str:
    """Every invariant with what it asks: its module's summary, first sentence."""
    lines = ["| invariant | what correct means |", "|---|---|"]
    for module in INVARIANTS:
        summary = " ".join((module.__doc__ or "").split("\n\n")[0].split())
        summary = summary.split(". ")[0].removesuffix(".") + "."
        lines.append(f"| `{module.NAME}` | {summary.removeprefix(f'{module.NAME}: ')} |")
    return "\n".join(lines) + "\n"


def invariant_names() -> str:
    """Every name `expect.invariants` may list: the general invariants, then each dialect's
    own, with the dialect that judges it."""
    general = ", ".join(f"`{module.NAME}`" for module in INVARIANTS)
    own = ", ".join(f"`{name}` (where the {system} speaks {spoken.name})"
                    for system in SYSTEMS for spoken in dialects(system).values()
                    for name in (module.NAME for module in spoken.invariants))
    return f"{general}; a dialect's own: {own or 'none'}.\n"


def catalogue_count() -> str:
    """How many scenarios ship, how many are the gate suite, and the others by name."""
    shipped = catalogue()
    gate = [name for name, scenario in shipped.items() if scenario.gate]
    others = ", ".join(f"`{name}`" for name, scenario in shipped.items() if not scenario.gate)
    return (f"{len(shipped)} scenarios, {len(gate)} of them in the gate suite; the others: "
            f"{others}.\n")


PARTS = {"events": events, "schema-v2": schema_v2, "local-time": local_time,
         "status-mapping": status_mapping, "late-commits": late_commits,
         "pace-ceilings": pace_ceilings, "checklist": checklist,
         "invariant-names": invariant_names, "catalogue-count": catalogue_count}
#: parts of docs/scenarios.md that the guide does not repeat
ELSEWHERE = ("invariant-names", "catalogue-count")


def _erp(status: str | None) -> str:
    return f"`{status}` ({ERP_STATUS_NAMES[status]})" if status else "no change (a flag)"


def fields(schemas: dict[str, Any], schema: dict[str, Any]) -> str:
    """An object schema's fields, `*` marking the required ones, a `$ref` followed."""
    while "$ref" in schema and "properties" not in schema:
        required = schema.get("required")
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        if required:
            schema = {**schema, "required": required}
    required = set(schema.get("required", ()))
    names = [f"`{name}`{'*' if name in required else ''}"
             for name in schema.get("properties", {})]
    return ", ".join(names) or schema.get("description", "any JSON object")


if __name__ == "__main__":
    sys.exit(doc_blocks.main(sys.argv[1:], WRITE, render))
