"""A DurableStore that outlives its process: `seatrial sut` keeps it in SQLite under
$SEATRIAL_STATE_DIR, so a crash fault (SIGKILL, restart) loses what a real database would not."""

from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path
from typing import Any

from seatrial.sdk.store import DurableStore


class SqliteStore(DurableStore):
    """Reads from memory; every write goes through to SQLite before it returns."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._db = sqlite3.connect(path, isolation_level=None)  # autocommit
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")  # survives a killed process, not the OS
        self._db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB)")
        for key, value in self._db.execute("SELECT key, value FROM kv"):
            self._data[key] = pickle.loads(value)

    def put(self, key: str, value: Any) -> None:
        self._db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, pickle.dumps(value)))
        super().put(key, value)

    def delete(self, key: str) -> None:
        self._db.execute("DELETE FROM kv WHERE key = ?", (key,))
        super().delete(key)

    def clear(self) -> None:
        self._db.execute("DELETE FROM kv")
        self._data.clear()
