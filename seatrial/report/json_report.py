"""The JSON report: a top-level `runs` list, one object per scenario x seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seatrial import __version__
from seatrial.run import RunResult


def to_document(results: list[RunResult]) -> dict[str, Any]:
    failed = [r for r in results if not r.passed]
    return {
        "seatrial": __version__,
        "passed": not failed,
        "summary": {"runs": len(results), "passed": len(results) - len(failed),
                    "failed": len(failed)},
        "runs": [result.to_json() for result in results],
    }


def write_json(results: list[RunResult], path: Path) -> None:
    path.write_text(json.dumps(to_document(results), indent=2) + "\n", encoding="utf-8")
