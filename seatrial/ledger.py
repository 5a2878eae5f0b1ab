"""The ledger: append-only history of every message that crosses the SUT boundary.

Jepsen-style separation: the world writes history, checks read it. Entries are plain tuples of
JSON-like values, so the history hashes identically for the same scenario and seed.
"""

from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

# kind -> meaning; `ref` is an event id for event kinds and a call id for API kinds.
KINDS = {
    "emit": "a simulator published an event",
    "deliver": "a delivery attempt reached the SUT: a webhook, or a broker's message "
               "(`redelivered` when the broker delivered it before)",
    "ack": "the SUT accepted the delivery (2xx)",
    "nack": "the SUT failed the delivery (any answer but 2xx, 401 or 403, or none); the source "
            "redelivers on its schedule (a broker: at once, requeued)",
    "reject": "the SUT refused the delivery (401): not signed, or not by the source (a broker "
              "dead-letters it)",
    "abandon": "the source gave up redelivering",
    "disable": "the source disabled its subscription after consecutive failures",
    "drop": "the source did not send an event: its subscription is disabled",
    "dead-letter": "the broker moved a message to its dead-letter queue: rejected, or delivered "
                   "its delivery limit of times without an ack (channel amqp)",
    "requeue": "the broker put a message back in its queue unanswered: the SUT's consumer "
               "connection closed holding it (channel amqp), delivered again once it reconnects",
    "request": "the SUT called a system's API",
    "response": "the system answered (delivered says whether the SUT received it)",
    "error": "the SUT saw a transport error (timeout, refused connection)",
    "fault": "the fault layer did something to a message",
    "crash": "the SUT crashed (fault), or its code raised outside a webhook delivery",
    "refused": "live mode: a system turned a request away before it reached the API (no or "
               "expired token, a body that is not JSON)",
}


class Entry(NamedTuple):
    seq: int
    time: float
    kind: str
    system: str
    ref: str
    order_id: str | None
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": round(self.time, 3), "kind": self.kind,
                "system": self.system, "ref": self.ref, "order_id": self.order_id,
                "data": self.data}


_new = tuple.__new__  # Entry(...) without keyword parsing: this is the hottest line of a run


class Ledger:
    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def record(self, time: float, kind: str, system: str, ref: str,
               order_id: str | None, data: dict[str, Any]) -> Entry:
        entry = _new(Entry, (len(self.entries), time, kind, system, ref, order_id, data))
        self.entries.append(entry)
        return entry

    def __len__(self) -> int:
        return len(self.entries)

    def digest(self) -> str:
        """sha256 over the entries' reprs: stable across processes (no set or hash ordering)."""
        sha = hashlib.sha256()
        entries = self.entries
        for start in range(0, len(entries), 4096):  # plain-tuple reprs run in C, in chunks
            sha.update(repr([tuple(e) for e in entries[start:start + 4096]]).encode())
        return sha.hexdigest()
