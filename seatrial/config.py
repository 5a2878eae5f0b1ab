"""A team's settings, written once: `seatrial.toml`, or a `[tool.seatrial]` table in
`pyproject.toml`, in the working directory or the nearest folder above it that has one.

    [tool.seatrial]
    target = "mysync.app:MySync"        # or target-cmd = "node server.js"
    scenarios = ["happy-path", "scenarios/"]   # catalogue names, YAML files, folders of them
    seeds = 5
    dialects = { lastmile = "onfleet" }
    thresholds = { order_to_shipment_p95 = "45m", converge_within = "2h" }
    json = "reports/seatrial.json"

Each key is the default of the `seatrial run` option of the same name (`--target-cmd` is
`target-cmd`); a flag on the command line wins. Paths are relative to the file that names them.
`seatrial config` prints the settings in force and where each came from. A key that is not
known, or a value of the wrong kind, stops the command with exit 2 naming the file, the key and
what to write: a setting silently ignored would run a different gate than the team wrote.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seatrial.scenario import threshold

#: the largest config file read, in bytes: a settings file, not a data file
MAX_BYTES = 1_000_000
FILES = ("seatrial.toml", "pyproject.toml")
SCENARIO_SUFFIXES = (".yaml", ".yml")


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Setting:
    key: str  # in the file
    option: str  # the `seatrial run` parameter it is the default of
    kind: str  # what the value must be, in words
    read: Callable[[Any, Path], Any]  # (the value, the file's folder) -> the option's value


def _text(value: Any, _folder: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError
    return value


def _path(value: Any, folder: Path) -> Path:
    return folder / _text(value, folder)


def _count(low: int, high: int) -> Callable[[Any, Path], int]:
    def read(value: Any, _folder: Path) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise TypeError
        return value
    return read


def _pace(value: Any, _folder: Path) -> float | str:
    if value == "auto":
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e9:
        raise TypeError
    return float(value)


def _scenarios(value: Any, folder: Path) -> tuple[str, ...]:
    """Catalogue names stay names; a folder is its YAML files, sorted; a file is its path."""
    if not isinstance(value, list) or not value:
        raise TypeError
    found: list[str] = []
    for item in value:
        name = _text(item, folder)
        path = folder / name
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in SCENARIO_SUFFIXES)
            if not files:
                raise ConfigError(f"scenarios: the folder {name!r} holds no .yaml or .yml file")
            found += [str(p) for p in files]
        elif name.endswith(SCENARIO_SUFFIXES) or "/" in name:
            found.append(str(path))
        else:
            found.append(name)
    return tuple(found)


def _dialects(value: Any, _folder: Path) -> tuple[str, ...]:
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise TypeError
    return tuple(f"{system}={name}" for system, name in value.items())


def _thresholds(value: Any, _folder: Path) -> tuple[str, ...]:
    """KEY=VALUE texts, as `seatrial run --threshold` takes them; each checked here, so a bad
    one names its key and what to write."""
    if not isinstance(value, dict) or not value:
        raise TypeError
    for key, given in value.items():
        try:
            threshold(key, given)
        except ValueError as error:
            raise ConfigError(f"thresholds: {error}") from None
    return tuple(f"{key}={given}" for key, given in value.items())


SETTINGS = {setting.key: setting for setting in (
    Setting("target", "target", 'a target, e.g. "reference" or "mysync.app:MySync"', _text),
    Setting("target-cmd", "target_cmd", 'a command, e.g. "node server.js"', _text),
    Setting("scenarios", "scenarios", 'a list of catalogue names, YAML files or folders, e.g. '
            '["happy-path", "scenarios/"]', _scenarios),
    Setting("seed", "seed", "an integer seed, e.g. 1", _count(0, 2**63 - 1)),
    Setting("seeds", "seeds", "how many seeds each scenario runs with, 1 to 10000",
            _count(1, 10_000)),
    Setting("dialects", "dialects", 'a table of system to dialect, e.g. { lastmile = '
            '"onfleet" }', _dialects),
    Setting("thresholds", "thresholds", 'a table of threshold to duration, e.g. '
            '{ order_to_shipment_p95 = "45m", converge_within = "2h" }', _thresholds),
    Setting("time-scale", "time_scale", 'a positive number or "auto"', _pace),
    Setting("jobs", "jobs", "an integer from 1 to 256", _count(1, 256)),
    Setting("json", "json_path", 'a file path, e.g. "reports/seatrial.json"', _path),
    Setting("junit", "junit_path", 'a file path, e.g. "reports/seatrial.xml"', _path),
    Setting("html", "html_path", 'a file path, e.g. "reports/seatrial.html"', _path),
)}


@dataclass(frozen=True)
class Config:
    """The settings a file gave (by `run` option name), and the file; no file: empty."""

    values: dict[str, Any]
    source: str | None  # e.g. "pyproject.toml [tool.seatrial]", with its path
    written: dict[str, Any]  # key -> its value as the file wrote it


NONE = Config({}, None, {})


def find(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest config at or above `start`: (its file, the raw table), or None."""
    for folder in (start, *start.parents):
        for name in FILES:
            path = folder / name
            if not path.is_file():
                continue
            table = _table(path)
            if table is not None:
                return path, table
    return None


def _table(path: Path) -> dict[str, Any] | None:
    if path.stat().st_size > MAX_BYTES:
        raise ConfigError(f"{path}: over {MAX_BYTES:,} bytes; a settings file is far smaller")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML ({error}); fix the file or remove it") \
            from None
    if path.name == "seatrial.toml":
        return document
    table = document.get("tool", {}).get("seatrial")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.seatrial] must be a table")
    return table


def load(start: Path) -> Config:
    """The settings in force from the nearest config file (none: NONE)."""
    found = find(start)
    if found is None:
        return NONE
    path, table = found
    where = f"{path} [tool.seatrial]" if path.name == "pyproject.toml" else str(path)
    values = {}
    for key, value in table.items():
        setting = SETTINGS.get(key)
        if setting is None:
            raise ConfigError(f"{where}: unknown setting {key!r}; the settings are "
                              f"{', '.join(SETTINGS)}")
        try:
            values[setting.option] = setting.read(value, path.parent)
        except TypeError:
            raise ConfigError(f"{where}: {key} = {value!r}: write {setting.kind}") from None
        except ConfigError as error:
            raise ConfigError(f"{where}: {error}") from None
    if "target" in values and "target_cmd" in values:
        raise ConfigError(f"{where}: give target or target-cmd, not both")
    return Config(values, where, dict(table))


def toml_value(value: Any) -> str:
    """A value as TOML writes it inline (the kinds SETTINGS take)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) \
            + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)
