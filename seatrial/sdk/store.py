"""The durable key-value store a sync implementation keeps its dedupe records and outbox in.

It stands for the database a real middleware has: it survives a crash/restart of the
implementation (the instance is rebuilt over the same store); process memory does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class DurableStore:
    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def put(self, key: str, value: Any) -> None:
        self._data[key] = value

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def keys(self, prefix: str = "") -> Iterator[str]:
        return (key for key in list(self._data) if key.startswith(prefix))
