"""Scenario files: YAML in, `Scenario` out; errors name the line, the field and the fix.

Strict YAML, within limits (docs/scenarios.md, "Limits"): a file of at most 1 MiB, read no
further; lists and mappings nested at most 64 deep (the format needs 4), counted while the YAML
is composed so a deeper file is refused before anything recurses on it; at most 100,000 values
with aliases expanded (an alias bomb is refused, not expanded); no key twice in one mapping.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from seatrial.faults.kinds import FAULT_KINDS
from seatrial.input_limits import MAX_DEPTH, MiB, Refused, TooLarge, read_limited
from seatrial.judge.invariants import NAMES, OWN
from seatrial.scenario import Scenario

MAX_SCENARIO_BYTES = 1 * MiB  # the catalogue's largest file is 2 KB
MAX_VALUES = 100_000  # scalars, lists and mappings, aliases expanded; a real scenario has ~100
MAX_PROBLEMS = 20  # listed, one a line; then how many more
LIMITS = "see Limits in docs/scenarios.md"
FRIENDLIER = {
    "missing": "missing required field",
    "extra_forbidden": "unknown field",
}


class ScenarioError(ValueError):
    """A scenario that cannot be used; str() is the message to show."""


def load_scenario_file(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        data = read_limited(path, MAX_SCENARIO_BYTES, "a scenario file")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except TooLarge as refused:
        raise ScenarioError(f"{path}: {refused} (real ones are a few KB); {LIMITS}") from None
    except Refused as refused:
        raise ScenarioError(f"{path}: {refused}") from None
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read it ({error.strerror or error})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ScenarioError(f"{path}:{line}: not UTF-8 text (byte {data[error.start]:#04x}); "
                            "save the file as UTF-8") from None
    return load_scenario(text, str(path))


def load_scenario(text: str, source: str = "<scenario>") -> Scenario:
    if len(text) > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"{source}: larger than {MAX_SCENARIO_BYTES // MiB} MiB, the most a "
                            f"scenario may hold (real ones are a few KB); {LIMITS}")
    try:
        root, data = _parse(text)
    except _Refusal as refusal:
        raise ScenarioError(f"{source}:{refusal.line}: {refusal}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(error, "problem", None) or str(error)
        raise ScenarioError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}:1: a scenario is a YAML mapping with at least `name:`; "
                            "see docs/scenarios.md")
    try:
        return Scenario.model_validate(data, context={"invariants": (*NAMES, *OWN)})
    except ValidationError as invalid:
        errors = invalid.errors()
        lines = [_explain(error, root, source) for error in errors[:MAX_PROBLEMS]]
        if len(errors) > MAX_PROBLEMS:
            lines.append(f"{source}: and {len(errors) - MAX_PROBLEMS:,} more problems")
        raise ScenarioError("\n".join(lines)) from None


class _Refusal(Exception):
    """Well-formed YAML that is not accepted: too deep, too many values, a duplicate key."""

    def __init__(self, mark: yaml.Mark, message: str) -> None:
        super().__init__(message)
        self.line = mark.line + 1


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader (its scanner and parser are iterative; its composer recurses once
    per level, so the depth is counted here before a level is composed), refusing what
    `_Refusal` lists as it composes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0  # collections open around the node being composed
        self.values = 0  # values composed so far, aliases counted as what they stand for
        self.shapes: dict[int, tuple[int, int]] = {}  # id(node) -> (height, values)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        alias = isinstance(event, yaml.AliasEvent)
        node = super().compose_node(parent, index)
        if alias:
            shape = self.shapes.get(id(node))
            if shape is None:
                raise _Refusal(event.start_mark, f"the alias *{event.anchor} stands for a "
                               "value that contains it (a recursive alias); write the value "
                               "out instead")
            if self.depth + shape[0] > MAX_DEPTH:
                raise _too_deep(event.start_mark, f" (with the alias *{event.anchor} expanded)")
            self._count(event.start_mark, shape[1], alias=True)
        elif isinstance(node, yaml.ScalarNode):
            self.shapes[id(node)] = (0, 1)
            self._count(event.start_mark, 1)
        return node

    def compose_sequence_node(self, anchor: str | None) -> yaml.Node:
        return self._collection(super().compose_sequence_node, anchor)

    def compose_mapping_node(self, anchor: str | None) -> yaml.Node:
        node = self._collection(super().compose_mapping_node, anchor)
        _no_duplicate_keys(node)
        return node

    def _collection(self, compose: Any, anchor: str | None) -> yaml.Node:
        start = self.peek_event().start_mark
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _too_deep(start)
        node = compose(anchor)
        self.depth -= 1
        children = (node.value if isinstance(node, yaml.SequenceNode)
                    else [child for pair in node.value for child in pair])
        shapes = [self.shapes[id(child)] for child in children]
        self.shapes[id(node)] = (1 + max((h for h, _ in shapes), default=0),
                                 1 + sum(v for _, v in shapes))
        self._count(start, 1)
        return node

    def _count(self, mark: yaml.Mark, values: int, alias: bool = False) -> None:
        self.values += values
        if self.values > MAX_VALUES:
            how, fix = (("with its aliases expanded, ", "write it without anchors and aliases")
                        if alias else ("", "write a smaller one"))
            raise _Refusal(mark, f"{how}the scenario holds more than {MAX_VALUES:,} values "
                           f"(a real one holds about 100); {fix}; {LIMITS}")

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value PyYAML cannot build (an integer of 5,000 digits, 30 February) is a YAML
        error at its line, like any other."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as error:
            reason = str(error).split(";")[0]  # not Python's advice on its own settings
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {_short(node)} ({reason})", node.start_mark) from None


def _too_deep(mark: yaml.Mark, how: str = "") -> _Refusal:
    return _Refusal(mark, f"lists and mappings nest deeper than {MAX_DEPTH} levels here{how}; "
                    f"a scenario needs at most 4; {LIMITS}")


def _no_duplicate_keys(node: yaml.MappingNode) -> None:
    """A key given twice in one mapping: YAML says keys are unique, PyYAML keeps the last."""
    first: dict[tuple[str, str], yaml.Node] = {}  # (tag, text) -> where it is first given
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
            continue  # a merge (<<: *defaults) may repeat keys: the mapping's own win
        earlier = first.setdefault((key.tag, key.value), key)
        if earlier is not key:
            raise _Refusal(key.start_mark, f"duplicate key {_short(key)}: given on line "
                           f"{earlier.start_mark.line + 1} and again here; keep one of them")


def _short(node: yaml.Node) -> str:
    text = repr(node.value) if isinstance(node, yaml.ScalarNode) else "this value"
    return text if len(text) <= 40 else text[:37] + "..."


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's root node (for error lines) and its value."""
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        return root, None if root is None else loader.construct_document(root)
    finally:
        loader.dispose()


def _explain(error: dict[str, Any], root: yaml.Node, source: str) -> str:
    loc = [part for part in error["loc"] if not _internal(part)]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    line = _line_of(root, loc)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] in FRIENDLIER:
        message = FRIENDLIER[error["type"]]
    if error["type"] == "union_tag_invalid":
        message = f"unknown fault kind; use one of {', '.join(FAULT_KINDS)}"
    if error["type"] == "too_long":
        message = (f"at most {error['ctx']['max_length']} items, not "
                   f"{error['ctx']['actual_length']}; {LIMITS}")
    if error["type"] == "finite_number":
        message = f"must be a finite number, not {_spelled(error['input'])}"
    return f"{source}:{line}: {field or '(top level)'}: {message}"


def _spelled(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return ".nan"
    if isinstance(value, float) and math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


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
