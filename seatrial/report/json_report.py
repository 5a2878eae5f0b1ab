"""The JSON report: a top-level `runs` list, one object per scenario x seed, each with the
evidence chains of the first three violations of each invariant."""

from __future__ import annotations

from typing import Any

from seatrial import __version__
from seatrial.judge.result import RunResult, slim


def to_document(results: list[RunResult], planned: int | None = None) -> dict[str, Any]:
    """With `planned`, an interrupted batch: the runs that finished, marked as a part that
    did not pass (a part of a gate is not a green gate)."""
    held = sum(r.passed for r in results)
    unsure = sum(r.outcome == "inconclusive" for r in results)
    return {
        "seatrial": __version__,
        "passed": held == len(results) and planned is None,
        **({} if planned is None else {"interrupted": {"planned": planned,
                                                        "finished": len(results)}}),
        "summary": {"runs": len(results), "passed": held,
                    "failed": len(results) - held - unsure, "inconclusive": unsure},
        "runs": [slim(result).to_json() for result in results],
    }

