"""Onfleet's identifiers, derived from the core's: a record's 24-character id and a task's
8-hex-digit shortId.

Derived, not stored, and reversible, so that a request's canonical keys (what the checks read)
come from its path alone (`Endpoint.subject` sees no core): the id is the base64 (alphabet
A-Za-z0-9~*, as Onfleet's ids look) of a 64-bit permutation of the record's number behind a
10-byte tag, so a made-up or mistyped id decodes to nothing (404), never to another record.
The shortId is a 32-bit permutation: every one names a number, which may have no task.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

_MASK64, _ODD64, _XOR64 = (1 << 64) - 1, 0x9E3779B97F4A7C15, 0x5DEECE66DA3F0C2B
_MASK32, _ODD32, _XOR32 = (1 << 32) - 1, 0x2545F491, 0x6C8E9CF5
_ALT = b"~*"


def _tag(kind: str, body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=10, person=kind.encode()[:16]).digest()


def encode(kind: str, number: int) -> str:
    """The 24-character id of record `number` (1, 2, ...) of `kind` ("task", "webhook")."""
    body = (((number * _ODD64) & _MASK64) ^ _XOR64).to_bytes(8, "big")
    return base64.b64encode(_tag(kind, body) + body, _ALT).decode()


def decode(kind: str, text: str) -> int | None:
    """The record number an id of `kind` stands for, or None for one no record has."""
    if len(text) != 24:
        return None
    try:
        raw = base64.b64decode(text.encode("ascii"), _ALT, validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    tag, body = raw[:10], raw[10:]
    if tag != _tag(kind, body):
        return None
    return ((int.from_bytes(body, "big") ^ _XOR64) * pow(_ODD64, -1, 1 << 64)) & _MASK64


def short_id(number: int) -> str:
    """A task's shortId: 8 lower-case hex digits."""
    return f"{((number * _ODD32) & _MASK32) ^ _XOR32:08x}"


def from_short_id(text: str) -> int | None:
    if len(text) != 8 or text.strip("0123456789abcdef"):
        return None
    return ((int(text, 16) ^ _XOR32) * pow(_ODD32, -1, 1 << 32)) & _MASK32


def number(canonical_id: str) -> int:
    """1 for T-000001 or W-000001."""
    return int(canonical_id[2:])


def task_id(text: str) -> str | None:
    """The core's task id for an Onfleet task id, or None."""
    found = decode("task", text)
    return None if found is None else f"T-{found:06d}"


def task_of_short_id(text: str) -> str | None:
    found = from_short_id(text)
    return None if found is None else f"T-{found:06d}"


def webhook_id(text: str) -> str | None:
    found = decode("webhook", text)
    return None if found is None else f"W-{found:06d}"
