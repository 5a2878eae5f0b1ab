"""The shipped scenario catalogue (YAML files in the `seatrial.scenarios` package, the
repository's scenarios/ folder) and name lookup."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal, get_args, get_origin

from seatrial.faults.base import Fault
from seatrial.faults.kinds import KINDS
from seatrial.faults.layer import channel_of
from seatrial.scenario import Scenario
from seatrial.scenario_yaml import ScenarioError, load_scenario, load_scenario_file


@cache
def catalogue() -> dict[str, Scenario]:
    found: dict[str, Scenario] = {}
    for item in sorted(resources.files("seatrial.scenarios").iterdir(), key=lambda i: i.name):
        if item.name.endswith(".yaml"):
            scenario = load_scenario(item.read_text(encoding="utf-8"), f"scenarios/{item.name}")
            found[scenario.name] = scenario
    return found


def gate_suite() -> list[Scenario]:
    return [scenario for scenario in catalogue().values() if scenario.gate]


#: A fault's fields that say where it acts, not how: not variants of its kind.
WHERE = ("kind", "channel", "system")


def choice(kind: str) -> str | None:
    """The field naming a kind's variants (`mode`, latency's `dist`): its first field with a
    fixed set of values that does not say where the fault acts."""
    return next((name for name, field in KINDS[kind].model.model_fields.items()
                 if name not in WHERE and get_origin(field.annotation) is Literal), None)


def variants(kind: str) -> list[str]:
    """A kind's variants as coverage counts them, `forged: stale_timestamp`, or the kind
    alone when it has none."""
    name = choice(kind)
    if name is None:
        return [kind]
    return [f"{kind}: {value}"
            for value in get_args(KINDS[kind].model.model_fields[name].annotation)]


def variant_of(fault: Fault) -> str:
    """The row of `variants` a fault is."""
    name = choice(fault.kind)
    return fault.kind if name is None else f"{fault.kind}: {getattr(fault, name)}"


def coverage(scenarios: list[Scenario]) -> dict[str, dict[str, list[str]]]:
    """Every fault kind and variant (in `FAULT_KINDS` order) -> the scenarios that carry it,
    each with the channels it acts on there (none for a crash, which acts on the SUT): what a
    defect that only one variant, or one system's, exposes can be caught by."""
    found: dict[str, dict[str, list[str]]] = {row: {} for kind in KINDS for row in variants(kind)}
    for scenario in scenarios:
        for fault in scenario.faults:
            channels = found[variant_of(fault)].setdefault(scenario.name, [])
            channel = channel_of(fault)
            if channel != "sut" and channel not in channels:
                channels.append(channel)
    return found


def coverage_table(scenarios: list[Scenario] | None = None) -> str:
    """`coverage` of the gate suite (or `scenarios`) as the Markdown table docs/catalogue.md
    shows."""
    lines = ["| fault | gate scenarios (channels) |", "|---|---|"]
    for row, carried in coverage(gate_suite() if scenarios is None else scenarios).items():
        cells = [f"{name} ({', '.join(channels)})" if channels else name
                 for name, channels in carried.items()]
        lines.append(f"| `{row}` | {', '.join(cells) or '(none)'} |")
    return "\n".join(lines) + "\n"


def find(spec: str) -> Scenario:
    """A catalogue name, or a path to a scenario YAML file."""
    if spec.endswith((".yaml", ".yml")) or "/" in spec or Path(spec).is_file():
        return load_scenario_file(spec)
    scenario = catalogue().get(spec)
    if scenario is None:
        raise ScenarioError(f"unknown scenario {spec!r}; `seatrial list` shows the catalogue, "
                            "or give the path to a scenario YAML file")
    return scenario
