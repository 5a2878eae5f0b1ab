"""The shipped scenario catalogue (YAML files in the `seatrial.scenarios` package, the
repository's scenarios/ folder) and name lookup."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

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


def find(spec: str) -> Scenario:
    """A catalogue name, or a path to a scenario YAML file."""
    if spec.endswith((".yaml", ".yml")) or "/" in spec or Path(spec).is_file():
        return load_scenario_file(spec)
    scenario = catalogue().get(spec)
    if scenario is None:
        raise ScenarioError(f"unknown scenario {spec!r}; `seatrial list` shows the catalogue, "
                            "or give the path to a scenario YAML file")
    return scenario
