"""Scenario files: YAML in, `Scenario` out; errors name the line, the field and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from seatrial.scenario import FAULT_KINDS, Scenario

FRIENDLIER = {
    "missing": "missing required field",
    "extra_forbidden": "unknown field",
}


class ScenarioError(ValueError):
    """A scenario that cannot be used; str() is the message to show."""


def load_scenario_file(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: cannot read it ({error})") from None
    return load_scenario(text, str(path))


def load_scenario(text: str, source: str = "<scenario>") -> Scenario:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(error, "problem", None) or str(error)
        raise ScenarioError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}:1: a scenario is a YAML mapping with at least `name:`; "
                            "see docs/scenarios.md")
    try:
        return Scenario.model_validate(data)
    except ValidationError as invalid:
        lines = [_explain(error, root, source) for error in invalid.errors()]
        raise ScenarioError("\n".join(lines)) from None


def _explain(error: dict[str, Any], root: yaml.Node, source: str) -> str:
    loc = [part for part in error["loc"] if not _internal(part)]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    line = _line_of(root, loc)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] in FRIENDLIER:
        message = FRIENDLIER[error["type"]]
    if error["type"] == "union_tag_invalid":
        message = f"unknown fault kind; use one of {', '.join(FAULT_KINDS)}"
    return f"{source}:{line}: {field or '(top level)'}: {message}"


def _internal(part: object) -> bool:
    """pydantic inserts union tags and validator names into error locations."""
    return isinstance(part, str) and ("[" in part or part in FAULT_KINDS)


def _line_of(node: yaml.Node | None, loc: list[Any]) -> int:
    """The 1-based line of the deepest YAML node the location reaches."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif (isinstance(node, yaml.SequenceNode) and isinstance(part, int)
              and part < len(node.value)):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def dump_scenario(scenario: Scenario, complete: bool = False) -> str:
    """YAML that `load_scenario` turns back into an equal `Scenario`: only what differs from
    the defaults, or with `complete` every setting spelled out."""
    options = {"mode": "json", "by_alias": True, "exclude_none": True,
               "exclude_defaults": not complete}
    data = scenario.model_dump(exclude={"faults"}, **options)
    data = {"name": scenario.name, "seed": scenario.seed,
            "duration": data.pop("duration", "8h"), **data}
    if scenario.faults:
        data["faults"] = [{"kind": fault.kind, **fault.model_dump(**options)}
                          for fault in scenario.faults]
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96)


class _Dumper(yaml.SafeDumper):
    """Reads like the hand-written catalogue: [1, 5] inline, long descriptions folded."""


def _list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flat = all(not isinstance(item, dict | list) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = ">" if len(data) > 80 and "\n" not in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _list)
_Dumper.add_representer(str, _text)
