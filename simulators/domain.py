"""What a domain core may say besides its records: the three ways a command is refused, and the
mark that makes a core method a canonical operation.

A core knows no wire: it raises these, and each dialect renders them in its own error shape
(Seatrial's canonical API as RFC 9457 problems, a vendor dialect as that vendor does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Command = TypeVar("Command", bound=Callable[..., Any])


class Invalid(Exception):
    """Bad input: names the field and the fix (a 422 in the canonical dialect)."""

    def __init__(self, field_name: str, fix: str) -> None:
        super().__init__(f"{field_name}: {fix}")
        self.field_name = field_name
        self.fix = fix


class NotFound(Exception):
    """No record with that key (a 404)."""

    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"{what} {key!r} not found")
        self.what = what
        self.key = key


class Conflict(Exception):
    """The record's state forbids the command, e.g. cancelling a delivered task (a 409)."""


def operation(command: Command) -> Command:
    """Marks a core method as one of its system's canonical operations, named
    `<system>.<method name>` (e.g. `tms.create_shipment`): what the dialects map their wire
    requests to, and what the ledger records beside the wire detail."""
    command.__canonical_operation__ = True  # type: ignore[attr-defined]
    return command


def operations(core: type) -> tuple[str, ...]:
    """The canonical operations of a core class, `<system>.<command>`, in definition order."""
    return tuple(f"{core.SYSTEM}.{name}" for name, member in vars(core).items()
                 if getattr(member, "__canonical_operation__", False))
