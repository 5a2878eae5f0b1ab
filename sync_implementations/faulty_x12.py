"""Faulty sync implementations for the TMS's X12 dialect: the reference with one realistic
defect each in how it collects the TMS's files (`connectors/tms_x12.py`), caught only where the
TMS speaks X12 (the scenarios `x12-*` with the EDI faults). As in `faulty`, `defect` says in one
line what is wrong and `exists_for` names the invariant meant to catch it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from seatrial.sdk import Credential, Handler, Mailbox
from seatrial.sync_implementations.connectors import Connectors, speaking
from seatrial.sync_implementations.connectors.tms_x12 import TmsX12
from seatrial.sync_implementations.reference import ReferenceSync


class _StopsAtCopy(TmsX12):
    def retransmitted(self, name: str) -> bool:
        return False  # control numbers are unique (X12): a repeat is for an operator to see


class StopsAtDuplicateInterchange(ReferenceSync):
    """Treats an ISA13 it has taken before as an error for an operator, as X12 calls a repeated
    control number one: it leaves the file and stops the look there, so each later look stops
    at the same copy and the files behind it wait for good."""

    name = "faulty-x12-stops-at-copy"
    defect = ("stops collecting at a retransmitted interchange (an ISA13 taken before): every "
              "file listed after it waits for good")
    exists_for = "converge"
    needs = ("tms", "x12")

    def connectors(self) -> Connectors:
        return speaking("tms", "x12", _StopsAtCopy)


class _DeletesUnreadable(TmsX12):
    def unreadable(self, name: str) -> bool:
        return True  # poison: a broken file never mends, and left there it is read forever


class DeletesUnreadableFile(ReferenceSync):
    """Takes a file that is no whole interchange for poison and deletes it, so that it is not
    read again on every look: a file listed while still being written is lost for good."""

    name = "faulty-x12-deletes-unreadable"
    defect = ("deletes a file that does not parse as an interchange: one listed mid-write is "
              "lost, with every event it carries")
    exists_for = "converge"
    needs = ("tms", "x12")

    def connectors(self) -> Connectors:
        return speaking("tms", "x12", _DeletesUnreadable)


class _FirstSetOnly(TmsX12):
    def sets(self, group: Any) -> tuple[Any, ...]:
        return group.transactions[:1]  # one document a file, as our mapping was written for


class ReadsFirstSetOnly(ReferenceSync):
    """Maps one document per file, the first set of each group, as a translator set up for a
    partner that sends each document alone: a file with several 214s yields the first, and the
    others are acknowledged (the 997 is built from the group's header) but never read."""

    name = "faulty-x12-first-set-only"
    defect = ("reads only the first transaction set of each group: the other 214s of a "
              "batched interchange are lost")
    exists_for = "converge"
    needs = ("tms", "x12")

    def connectors(self) -> Connectors:
        return speaking("tms", "x12", _FirstSetOnly)


class _NoAcknowledgments(TmsX12):
    def acknowledges(self, group: Any) -> bool:
        return False  # the TMS takes our files without asking, so we send no 997s either


class SendsNo997(ReferenceSync):
    """Reads every file and acts on it, and never answers one with a 997: nothing in the
    shipment's lifecycle needs them, so every other check holds; the trading partner sees none
    and retransmits, then escalates."""

    name = "faulty-x12-no-997"
    defect = "never acknowledges the TMS's interchanges with a 997"
    exists_for = "x12-acknowledged"
    needs = ("tms", "x12")

    def connectors(self) -> Connectors:
        return speaking("tms", "x12", _NoAcknowledgments)


class _RejectionIsFinal(TmsX12):
    def resends(self, tender: dict[str, Any]) -> bool:
        return False  # a 997 R means our 204 is wrong: sending it again cannot help


class TakesRejectionAsFinal(ReferenceSync):
    """Parks a tender at the TMS's first 997 rejection, as if only its own 204 could be wrong:
    a partner's translator that refuses a well-formed 204 now and then costs it the order."""

    name = "faulty-x12-rejection-is-final"
    defect = "parks a tender at the first 997 rejection: a glitch at the partner loses the order"
    exists_for = "shipment-per-order"
    needs = ("tms", "x12")

    def connectors(self) -> Connectors:
        return speaking("tms", "x12", _RejectionIsFinal)


class _LooksOnce(TmsX12):
    def look(self) -> Handler:
        listing = yield self.io.mailbox.list("outbound")  # an error ends the poller's loop
        return Mailbox.names(listing)


class PollerDiesWhenRefused(ReferenceSync):
    """Lists the mailbox once per look, as a cron-style poller does, with no retry: the first
    refused connection ends the polling loop, and nothing starts it again while the process
    lives (its flag still says it runs)."""

    name = "faulty-x12-poller-dies"
    defect = "its mailbox poller dies on the first refused connection and is never restarted"
    exists_for = "converge"
    needs = ("tms", "x12")

    def connectors(self) -> Connectors:
        return speaking("tms", "x12", _LooksOnce)


class _TenderExpires(TmsX12):
    def expired(self, tender: dict[str, Any]) -> bool:
        return "respond_by" in tender and \
            self.io.now >= datetime.fromisoformat(tender["respond_by"])


class GivesUpLateTenders(ReferenceSync):
    """Holds the TMS to the respond-by its 204 asked for, as a shipper's routing guide holds a
    carrier: no 990 by then, and the tender is expired, the order parked for an operator to
    tender again. The TMS's late 990 books a carrier all the same, and nothing takes it: the
    load moves, and the ERP never hears of its shipment."""

    name = "faulty-x12-gives-up-late-tenders"
    defect = ("parks the order when no 990 comes by the tender's respond-by: the late 990's "
              "booked load never reaches the ERP")
    exists_for = "converge"
    needs = ("tms", "x12")

    def connectors(self) -> Connectors:
        return speaking("tms", "x12", _TenderExpires)


class _KeepsItsKey(TmsX12):
    def relogin(self, refused: Credential | None) -> Credential | None:
        return refused  # the key was read at start, as the settings were: it cannot change


class KeepsItsKey(ReferenceSync):
    """Reads the mailbox's credential once, at start, as it reads its other settings, and
    logs in with it for as long as it runs: when the partner rotates its password and key, the
    mailbox refuses it for good, its poller dies and its tenders are parked."""

    name = "faulty-x12-keeps-its-key"
    defect = ("keeps the mailbox credential it read at start: after the partner rotates its "
              "key, every look and every tender is refused")
    exists_for = "converge"
    needs = ("tms", "x12")

    def connectors(self) -> Connectors:
        return speaking("tms", "x12", _KeepsItsKey)
