"""Human durations ("300ms", "90s", "30m", "8h", "2d", "1h30m") to seconds and back."""

from __future__ import annotations

import re

UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
SCALE = {**UNITS, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|[dhms])")


def parse_duration(value: object) -> float:
    """Seconds from a number or a duration string; raises ValueError saying what is accepted."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90s, 30m, 8h or 2d")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        parts = _PART.findall(text)
        if parts and "".join(n + u for n, u in parts) == text:
            return float(sum(float(n) * SCALE[u] for n, u in parts))
    raise ValueError(f"{value!r} is not a duration; write e.g. 300ms, 90s, 30m, 8h, 2d or 1h30m")


def format_duration(seconds: float) -> str:
    """The shortest exact spelling, so scenarios round-trip through YAML unchanged."""
    if seconds == 0:
        return "0s"
    if seconds != int(seconds):
        text = repr(float(seconds))  # shortest spelling that reads back to the same float
        return (f"{seconds:.20f}".rstrip("0") if "e" in text else text) + "s"
    rest, out = int(seconds), []
    for unit, size in UNITS.items():
        count, rest = divmod(rest, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)
