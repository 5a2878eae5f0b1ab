"""A guard for `make test`, which spreads the in-process tests over pytest-xdist workers.

xdist schedules by node id: tests that share one id would run once between them, and the rest
be dropped without a word. pytest 9.2 gives all of a schemathesis test's API operations one id,
hence the pin in pyproject.toml, and this check should a later release do it again.
"""

from __future__ import annotations

from collections import Counter

import pytest


def pytest_collection_finish(session: pytest.Session) -> None:
    counts = Counter(item.nodeid for item in session.items)
    shared = sorted(nodeid for nodeid, count in counts.items() if count > 1)
    if shared:
        raise pytest.UsageError(
            f"{len(shared)} node id(s) name more than one test, e.g. {shared[0]!r}: xdist would "
            "run only one of each; pin pytest below the release that changed the ids")
