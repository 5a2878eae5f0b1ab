"""Human durations ("300ms", "90s", "30m", "8h", "2d", "1h30m") to seconds and back."""

from __future__ import annotations

import math
import re

UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
SCALE = {**UNITS, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|[dhms])")


def parse_duration(value: object) -> float:
    """Seconds from a number or a duration string; raises ValueError saying what is accepted.
    A duration is a finite number: nan, inf and strings too long for a float
    ("1000...0d", which float() turns into inf) are refused, never passed on."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90s, 30m, 8h or 2d")
    seconds = None
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an int beyond any float
            seconds = math.inf
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        parts = _PART.findall(text)
        if parts and "".join(n + u for n, u in parts) == text:
            seconds = float(sum(float(n) * SCALE[u] for n, u in parts))
    if seconds is None:
        raise ValueError(f"{value!r} is not a duration; write e.g. 300ms, 90s, 30m, 8h, 2d or "
                         "1h30m")
    if not math.isfinite(seconds):
        problem = (f"a duration must be a finite number, not {_spelled(value)}"
                   if isinstance(value, float) else f"{_spelled(value)} is too long a duration")
        raise ValueError(f"{problem}; write e.g. 300ms, 90s, 30m, 8h, 2d or 1h30m")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


def _spelled(value: object) -> str:
    """nan and inf as YAML writes them (.nan, .inf), anything else as given."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
    if isinstance(value, int) and value.bit_length() > 128:  # repr() refuses > 4300 digits
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


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
