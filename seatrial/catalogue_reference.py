"""The facts of docs/catalogue.md generated from the scenario files: the summary table, each
scenario's settings, faults and gate membership, and the gate's fault coverage. The prose
around them (what a scenario models, proves and exists for) is written by hand; every number a
scenario sets comes from here, so the page says what `seatrial show` prints.

    python -m seatrial.catalogue_reference docs/catalogue.md    # or: make docs

Its generated parts (seatrial.doc_blocks) are `summary`, `coverage`, and `scenario NAME`.
tests/test_catalogue_reference.py fails while the committed page differs from what this writes,
or lacks a scenario's part.
"""

from __future__ import annotations

import sys
from typing import Any

from seatrial import doc_blocks
from seatrial.catalogue import catalogue, coverage_table
from seatrial.scenario import Scenario

WRITE = "python -m seatrial.catalogue_reference docs/catalogue.md"
#: how `seatrial show` spells a scenario, less what it leaves at the defaults
SHOWN = {"mode": "json", "by_alias": True, "exclude_none": True, "exclude_defaults": True}
WHERE = ("kind", "channel", "system", "at", "for")


def refresh(page: str) -> str:
    """`page` with every generated part written anew."""
    return doc_blocks.refresh(page, render)


def wanted() -> list[str]:
    """The generated parts the page must hold: the summary, the coverage and one per
    scenario of the catalogue."""
    return ["summary", "coverage", *(f"scenario {name}" for name in catalogue())]


def render(key: str) -> str:
    """The generated part named `key`."""
    if key == "summary":
        return summary()
    if key == "coverage":
        return coverage_table()
    if key.startswith("scenario ") and key.removeprefix("scenario ") in catalogue():
        return facts(catalogue()[key.removeprefix("scenario ")])
    raise ValueError(f"docs/catalogue.md names an unknown generated part {key!r}: one of "
                     f"{', '.join(wanted())}")


def summary() -> str:
    """The catalogue as one table: every scenario, whether the gate runs it, its wave and the
    kinds of fault it carries."""
    scenarios = list(catalogue().values())
    gate = sum(scenario.gate for scenario in scenarios)
    lines = [f"{len(scenarios)} scenarios, {gate} of them in the gate suite "
             f"(`seed` and every setting: `seatrial show NAME`).", "",
             "| scenario | gate | wave | orders/h | faults | converge within |",
             "|---|---|---|---|---|---|"]
    for name, scenario in catalogue().items():
        kinds = ", ".join(dict.fromkeys(f"`{fault.kind}`" for fault in scenario.faults))
        shown = scenario.model_dump(**{**SHOWN, "exclude_defaults": False})
        lines.append(f"| [`{name}`](#{name}) | {'yes' if scenario.gate else 'no'} | "
                     f"{shown['duration']} | {_value(shown['workload']['orders_per_hour'])} | "
                     f"{kinds or 'none'} | {shown['expect']['converge_within']} |")
    return "\n".join(lines) + "\n"


def facts(scenario: Scenario) -> str:
    """A scenario's section facts: its settings as `seatrial show` prints them (less the
    defaults), its faults one a line, and whether the gate runs it."""
    shown = scenario.model_dump(exclude={"faults", "name", "description", "gate"}, **SHOWN)
    complete = scenario.model_dump(**{**SHOWN, "exclude_defaults": False})
    settings = [f"`duration: {complete['duration']}` (the release wave)",
                f"`seed: {scenario.seed}`"]
    if "channel" in shown:  # the broker's own faults travel on amqp only
        settings.append(f"`channel: {shown['channel']}`")
    for part in ("workload", "expect", "live", "dialects"):
        if shown.get(part):
            settings.append(f"{part} {_pairs(shown[part])}")
    lines = [f"- **Settings:** {'; '.join(settings)}."]
    if scenario.faults:
        lines.append("- **Faults:**")
        for fault in scenario.faults:
            dumped = fault.model_dump(**SHOWN)
            when = " ".join(f"{word} {dumped[field]}" for field, word in
                            (("at", "at"), ("for", "for")) if field in dumped)
            rest = {name: value for name, value in dumped.items() if name not in WHERE}
            where = fault.model_dump(**{**SHOWN, "exclude_defaults": False})
            place = where.get("channel") or where.get("system")
            lines.append(f"  - `{fault.kind}`{f' on `{place}`' if place else ''}"
                         f"{f' {when}' if when else ''}{f': {_pairs(rest)}' if rest else ''}")
    else:
        lines.append("- **Faults:** none.")
    lines.append(f"- **Gate:** {'yes' if scenario.gate else 'no'}.")
    return "\n".join(lines) + "\n"


def _pairs(data: dict[str, Any]) -> str:
    return ", ".join(f"`{name}: {_value(value)}`" for name, value in data.items())


def _value(value: Any) -> str:
    """A value as `seatrial show`'s YAML spells it (one line)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


if __name__ == "__main__":
    sys.exit(doc_blocks.main(sys.argv[1:], WRITE, render))
