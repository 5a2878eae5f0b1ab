"""The TMS's SFTP mailbox in virtual time: two folders of named files, `inbound/` (files for the
TMS) and `outbound/` (files from it), as `seatrial.live.mailbox` serves them over SFTP.

The TMS writes atomically, as the live mailbox's own side does: a temporary name beginning
with a dot in the same folder, then a rename, so a client never lists a half-written file under
its final name. In virtual time both steps happen at one instant; a partner that writes in
place instead, half a file visible under its final name for a while, is the `partial_file`
fault's (`TradingPartner.write_in_halves`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seatrial.simulators.domain import Conflict, Invalid, NotFound

FOLDERS = ("inbound", "outbound")
HIDDEN = "."  # a name beginning so is a file still being written (as the live mailbox names it)


USERNAME = "seatrial"


class Login:
    """The mailbox's login in virtual time: one user name, a password and a key, none of them
    secret (nothing outside the run can reach an in-process mailbox), so none drawn at random:
    the n-th credential of a run is named after n. What the SUT reads (`given`) is the
    password it was given at start, as a process's settings stay, and the key as it is now,
    as its file holds it."""

    def __init__(self) -> None:
        self.generation = 1
        self.password = self.first_password = self._password()
        self.key = self._key()

    def _password(self) -> str:
        return f"in-process password {self.generation}"

    def _key(self) -> str:
        return f"in-process key {self.generation}"

    def given(self) -> tuple[str, str, str]:
        """(user name, password, key) as the SUT reads them now."""
        return USERNAME, self.first_password, self.key

    def accepts(self, login: Any) -> bool:
        """Whether a call carrying `login` (user name, password, key) gets in: the user name,
        and the current password or the current key."""
        if not (isinstance(login, tuple) and len(login) == 3):
            return False
        username, password, key = login
        return username == USERNAME and (password == self.password or key == self.key)

    def rotate(self) -> None:
        """A new password and a new key; the old ones are refused from now on."""
        self.generation += 1
        self.password, self.key = self._password(), self._key()


@dataclass
class Mailbox:
    folders: dict[str, dict[str, bytes]] = field(
        default_factory=lambda: {folder: {} for folder in FOLDERS})
    login: Any = field(default_factory=Login)  # who may use it (`Login`, or the live one)

    def folder(self, name: str) -> dict[str, bytes]:
        if name not in self.folders:
            raise NotFound("folder", name)
        return self.folders[name]

    def listing(self, folder: str) -> list[str]:
        """The folder's file names, sorted (SFTP lists in no promised order; sorted is one)."""
        return sorted(self.folder(folder))

    def read(self, folder: str, name: str) -> bytes:
        files = self.folder(folder)
        if name not in files:
            raise NotFound("file", f"{folder}/{name}")
        return files[name]

    def put(self, folder: str, name: str, content: bytes) -> None:
        _check_name(name)
        self.folder(folder)[name] = content

    def rename(self, folder: str, name: str, to: str) -> None:
        """Within one folder; an existing target is refused, as SFTP v3's rename does."""
        _check_name(to)
        files = self.folder(folder)
        if name not in files:
            raise NotFound("file", f"{folder}/{name}")
        if to in files:
            raise Conflict(f"{folder}/{to} exists already; delete it or choose another name")
        files[to] = files.pop(name)

    def delete(self, folder: str, name: str) -> None:
        files = self.folder(folder)
        if name not in files:
            raise NotFound("file", f"{folder}/{name}")
        del files[name]

    def write_atomically(self, folder: str, name: str, content: bytes) -> None:
        """The TMS's own writes: under a temporary dot-name, then renamed to `name`."""
        temporary = f"{HIDDEN}{name}.part"
        self.put(folder, temporary, content)
        self.rename(folder, temporary, name)


def _check_name(name: str) -> None:
    if not name or "/" in name or name in (".", ".."):
        raise Invalid("name", "a file name: not empty, no '/', neither '.' nor '..'")
