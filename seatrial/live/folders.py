"""The x12 TMS's mailbox in real folders: what the live SFTP mailbox (seatrial.live.mailbox)
serves, injected into the world (`World(mailbox=...)`) so that the trading partner writes its
files there and takes the SUT's from there, in live time. Every write is told to `touch`
(the stack's activity): a file the TMS writes is traffic for quiescence, as a webhook
delivery is, so a live run does not end before the SUT has had its look at it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path

from seatrial.live.mailbox import FOLDERS, LiveLogin
from seatrial.simulators.domain import Conflict, Invalid, NotFound
from seatrial.simulators.tms.dialects.x12.mailbox import Login
from seatrial.simulators.tms.dialects.x12.mailbox import Mailbox as Folders


class Folder(MutableMapping[str, bytes]):
    """One folder on disk as the x12 trading partner keeps files: by name, read whole,
    written in place (`OnDisk.rename` and so `write_atomically` are atomic)."""

    def __init__(self, path: Path, touch: Callable[[], None] = lambda: None) -> None:
        self.path = path
        self.touch = touch

    def _file(self, name: str) -> Path:
        if not name or "/" in name or name in (".", ".."):
            raise KeyError(name)
        return self.path / name

    def __getitem__(self, name: str) -> bytes:
        try:
            return self._file(name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise KeyError(name) from None

    def __setitem__(self, name: str, content: bytes) -> None:
        self._file(name).write_bytes(content)
        self.touch()

    def __delitem__(self, name: str) -> None:
        try:
            self._file(name).unlink()
        except FileNotFoundError:
            raise KeyError(name) from None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in os.listdir(self.path)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(os.listdir(self.path)))

    def __len__(self) -> int:
        return len(os.listdir(self.path))


class OnDisk(Folders):
    """The x12 TMS's mailbox in real folders under `root` (made here): what the live SFTP
    mailbox serves. A rename is the file system's, atomic, so the TMS's own writes
    (`write_atomically`: a temporary dot-name, then a rename) appear whole."""

    def __init__(self, root: Path, touch: Callable[[], None] = lambda: None,
                 login: LiveLogin | None = None) -> None:
        """`login`: who may use the mailbox (the SFTP mailbox's, `LiveLogin`); None: the
        in-process kind."""
        for name in FOLDERS:
            (root / name).mkdir(parents=True, exist_ok=True)
        super().__init__({name: Folder(root / name, touch) for name in FOLDERS},
                         Login() if login is None else login)
        self.root = root
        self.touch = touch

    def rename(self, folder: str, name: str, to: str) -> None:
        files = self.folder(folder)
        if not to or "/" in to or to in (".", ".."):
            raise Invalid("to", "a file name: not empty, no '/', neither '.' nor '..'")
        if name not in files:
            raise NotFound("file", f"{folder}/{name}")
        if to in files:
            raise Conflict(f"{folder}/{to} exists already; delete it or choose another name")
        os.rename(self.root / folder / name, self.root / folder / to)
        self.touch()
