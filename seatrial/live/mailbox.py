"""An SFTP mailbox on a loopback port: where EDI trading partners drop and collect files.

The TMS and the sync implementation exchange X12 files the way partners do, through an SFTP
server with an `inbound/` folder (files for the TMS) and an `outbound/` folder (files from it).
The server is asyncssh's, embedded; a standard client (OpenSSH's sftp, paramiko) logs in with
the run's credentials: a random password and an Ed25519 key pair, both made for one run and
never derived from the scenario seed (a seed is printed in every report; a secret is not). The
client checks the server's per-run host key against the known_hosts line it is given.

Nothing outside the root is reachable: paths are mapped under the root (a `..` stops at it), a
symbolic link that would lead out is refused, and no link can be made. Writes by the server's
own side go through `write_atomically`: a temporary name in the same folder, then a rename, so
a client never lists a half-written file under its final name.

The login can change while the mailbox runs (`LiveLogin.rotate`, the `credentials_rotated`
fault): a new password and client key, the new private key written over the client's key
file (a temporary file renamed into place, mode 0600); from then on a login with the old
ones is refused, and so is every operation of a session that logged in with them (the
exchange is told each session's credential, and the trading partner refuses it 403).

`async with Mailbox(root, credentials) as mailbox:` listens; leaving the block closes the
listener and every open session, whatever ended the block.

In a live run the folders are the TMS's own (seatrial.live.folders: the x12 trading partner
keeps its files in them) and every operation of a client on a file goes through an `Exchange`
first (seatrial.live.mailbox_face: the world's transport, so the ledger records it and the faults
reach it as they reach an API call): a list, a download, an upload landing under its final
name in `inbound/` (closed, or renamed into place from a temporary name), a rename in
`outbound/`, a delete. `outbound/` is the TMS's: a client writes only `inbound/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import warnings
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

with warnings.catch_warnings():
    # asyncssh 2.24 still imports cryptography's DSA classes, which warn on import; the warning
    # is about asyncssh's code, not anything a Seatrial user can act on (no DSA key is used)
    warnings.filterwarnings("ignore", message="DSA is deprecated")
    import asyncssh

FOLDERS = ("inbound", "outbound")
LOOPBACK = "127.0.0.1"
USERNAME = "seatrial"
KEY_ALGORITHM = "ssh-ed25519"


@dataclass(frozen=True)
class MailboxCredentials:
    """One run's login: user name, password, the client's key pair and the server's host key."""

    username: str
    password: str
    client_key: asyncssh.SSHKey
    host_key: asyncssh.SSHKey

    @classmethod
    def generate(cls, username: str = USERNAME) -> MailboxCredentials:
        return cls(username, secrets.token_urlsafe(24),
                   asyncssh.generate_private_key(KEY_ALGORITHM),
                   asyncssh.generate_private_key(KEY_ALGORITHM))

    def write_client_key(self, path: Path) -> Path:
        """The client's private key in OpenSSH format, readable by its owner only (ssh -i
        refuses a key others can read)."""
        path.write_bytes(b"")
        path.chmod(0o600)
        path.write_bytes(self.client_key.export_private_key("openssh"))
        return path

    def rotated(self) -> MailboxCredentials:
        """A new password and client key, for the same user name and server."""
        return MailboxCredentials(self.username, secrets.token_urlsafe(24),
                                  asyncssh.generate_private_key(KEY_ALGORITHM), self.host_key)

    def known_hosts_line(self, port: int) -> str:
        """The known_hosts line a client verifies the server's host key with."""
        public = self.host_key.export_public_key("openssh").decode().strip()
        return f"[{LOOPBACK}]:{port} {public}\n"


Credential = tuple[str, str, str] | None  # what a session logged in with (`_Gatekeeper`)


def _exported(key: asyncssh.SSHKey) -> str:
    return key.export_private_key("openssh").decode()


class LiveLogin:
    """Who may use the mailbox now (`credentials`) and what a client is given: its key file
    at `key_path` (None: none is written) and the password it was told at start. As the x12
    trading partner's in-process `Login` (seatrial.simulators.tms.dialects.x12.mailbox), it
    says whether a credential (user name, password, private key as its file holds it) is
    current, and `rotate` changes the password and the key."""

    def __init__(self, credentials: MailboxCredentials, key_path: Path | None = None) -> None:
        self.credentials = credentials
        self.first_password = credentials.password
        self.key_path = key_path
        self.key = _exported(credentials.client_key)  # as its file holds it
        if key_path is not None:
            self._write_key()

    def _write_key(self) -> None:
        """The private key over `key_path`, whole at once: a temporary file beside it, mode
        0600 from its creation, renamed into place."""
        assert self.key_path is not None
        temporary = self.key_path.with_name(f".{self.key_path.name}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(self.key)
        os.replace(temporary, self.key_path)

    def given(self) -> tuple[str, str, str]:
        """(user name, password, key) as a client reads them now."""
        return self.credentials.username, self.first_password, self.key

    def accepts(self, login: object) -> bool:
        """Whether `login` (user name, password, key) is current: the user name, and the
        current password or key."""
        if not (isinstance(login, tuple) and len(login) == 3
                and all(isinstance(part, str) for part in login)):
            return False
        username, password, key = login
        current = self.credentials
        return username == current.username and (
            (bool(password) and secrets.compare_digest(password.encode(),
                                                      current.password.encode()))
            or (bool(key) and secrets.compare_digest(key.encode(), self.key.encode())))

    def rotate(self) -> None:
        """A new password and key; the new key written where the client reads it."""
        self.credentials = self.credentials.rotated()
        self.key = _exported(self.credentials.client_key)
        if self.key_path is not None:
            self._write_key()


class _Gatekeeper(asyncssh.SSHServer):
    """Password or public key, for the one user name, as `login` takes them now; nothing else.
    What a session logged in with is its `credential` (user name, password, private key)."""

    def __init__(self, login: LiveLogin, sessions: set):
        self.login, self.sessions = login, sessions
        self.connection: asyncssh.SSHServerConnection | None = None
        self.credential: Credential = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.connection = conn
        self.sessions.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self.sessions.discard(self.connection)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        current = self.login.credentials
        valid = (secrets.compare_digest(username, current.username)
                 and secrets.compare_digest(password.encode(), current.password.encode()))
        if valid:
            self.credential = (username, password, "")
        return valid

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        current = self.login.credentials
        valid = (username == current.username
                 and key.public_data == current.client_key.public_data)
        if valid:
            self.credential = (username, "", self.login.key)
        return valid


class Exchange(Protocol):
    """What a client's operation on a mailbox file means to the system behind it, asked
    before (or, for an upload, once it has landed): each raises an `asyncssh.SFTPError` to
    refuse. `rename` and `delete` do the operation; `put` takes the landed file. `login` is
    what the client's session logged in with."""

    async def list(self, folder: str, *, login: Credential = None) -> None: ...

    async def get(self, folder: str, name: str, *, login: Credential = None) -> None: ...

    async def put(self, folder: str, name: str, content: bytes, *,
                  login: Credential = None) -> None: ...

    async def rename(self, folder: str, name: str, to: str, *,
                     login: Credential = None) -> None: ...

    async def delete(self, folder: str, name: str, *, login: Credential = None) -> None: ...


WRITING = (asyncssh.FXF_WRITE | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC | asyncssh.FXF_APPEND)


class _RootedSFTP(asyncssh.SFTPServer):
    """asyncssh's SFTP server held inside the mailbox root; with an `exchange`, a client's
    operations on files go through it (see the module's docstring)."""

    def __init__(self, chan: asyncssh.SSHServerChannel, root: Path,
                 exchange: Exchange | None = None,
                 touch: Callable[[], None] | None = None):
        self.root = os.path.realpath(root).encode()
        self.exchange = exchange
        self.touch = touch
        self.uploads: dict[int, tuple[str, str]] = {}  # id(file) -> (folder, name)
        super().__init__(chan, chroot=self.root)
        owner = self.connection.get_owner()
        self.login: Credential = owner.credential if isinstance(owner, _Gatekeeper) else None

    def _place(self, path: bytes) -> tuple[str, str | None] | None:
        """(folder, file name or None for the folder itself), or None: the root, or deeper."""
        parts = os.path.relpath(os.path.realpath(self.map_path(path)), self.root).split(b"/")
        if parts[0] not in (f.encode() for f in FOLDERS) or len(parts) > 2:
            return None
        return parts[0].decode(), parts[1].decode() if len(parts) == 2 else None

    def _file(self, path: bytes) -> tuple[str, str]:
        place = self._place(path)
        if place is None or place[1] is None:
            raise asyncssh.SFTPPermissionDenied(
                "files live in inbound/ (yours to write) and outbound/ (the TMS's), one level "
                "down")
        return place[0], place[1]

    def _touched(self) -> None:
        if self.touch is not None:
            self.touch()

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        place = self._place(path)
        if self.exchange is not None and place is not None and place[1] is None:
            await self.exchange.list(place[0], login=self.login)
        async for name in super().scandir(path):
            yield name

    async def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if self.exchange is None:
            return super().open(path, pflags, attrs)
        folder, name = self._file(path)
        if pflags & WRITING:
            self._touched()
            if folder != "inbound":
                raise asyncssh.SFTPPermissionDenied(
                    f"{folder}/ is the TMS's to write; put your files in inbound/")
            opened = super().open(path, pflags, attrs)
            self.uploads[id(opened)] = folder, name
            return opened
        await self.exchange.get(folder, name, login=self.login)
        return super().open(path, pflags, attrs)

    async def close(self, file_obj: object) -> None:
        super().close(file_obj)
        upload = self.uploads.pop(id(file_obj), None)
        if upload is not None:
            self._touched()
            if self.exchange is not None and not _hidden(upload[1]):
                await self._land(*upload, upload[1])

    async def _land(self, folder: str, name: str, final: str) -> None:
        """`folder`/`name`, uploaded, handed over as `final` (the TMS then takes it away)."""
        path = self.root.decode() + f"/{folder}/{name}"
        try:
            content = Path(path).read_bytes()
        except FileNotFoundError:
            raise asyncssh.SFTPNoSuchFile(f"{folder}/{name} is gone") from None
        try:
            await self.exchange.put(folder, final, content, login=self.login)
        except asyncssh.SFTPError:
            if name == final:  # refused: not delivered (a rename from a temporary name may
                _unlink(path)  # be tried again)
            raise
        if name != final:
            _unlink(path)

    async def rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._touched()
        if self.exchange is None:
            return super().rename(oldpath, newpath)
        (folder, name), (to_folder, to) = self._file(oldpath), self._file(newpath)
        if folder != to_folder:
            raise asyncssh.SFTPPermissionDenied("rename within one folder")
        if folder == "inbound" and not _hidden(to):
            if os.path.lexists(self.root.decode() + f"/{folder}/{to}"):
                raise asyncssh.SFTPFailure(f"409 {folder}/{to} exists already")
            return await self._land(folder, name, to)
        if folder == "inbound":
            return super().rename(oldpath, newpath)
        await self.exchange.rename(folder, name, to, login=self.login)

    async def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        await self.rename(oldpath, newpath)

    async def remove(self, path: bytes) -> None:
        self._touched()
        if self.exchange is None:
            return super().remove(path)
        folder, name = self._file(path)
        if folder == "inbound" and _hidden(name):
            return super().remove(path)  # the client's own temporary file
        await self.exchange.delete(folder, name, login=self.login)

    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        raise asyncssh.SFTPPermissionDenied("the mailbox has inbound/ and outbound/ only")

    def map_path(self, path: bytes) -> bytes:
        mapped = super().map_path(path)
        real = os.path.realpath(mapped)
        if real != self.root and not real.startswith(self.root + b"/"):
            raise asyncssh.SFTPPermissionDenied("that path leads outside the mailbox")
        return mapped

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("the mailbox has no links")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("the mailbox has no links")


@dataclass
class Mailbox:
    """The SFTP server over `root` (its inbound/ and outbound/ are made). `port` 0 picks a
    free one; the bound port is `self.port` once started."""

    root: Path
    credentials: MailboxCredentials
    port: int = 0
    #: what a client's operations on files go through (None: the folders are served as
    #: they are) and what is told of every one that changes a file (quiescence watches it: a
    #: client that only looks, polling a folder, has settled)
    exchange: Exchange | None = None
    touch: Callable[[], None] | None = None
    #: who may log in, as it changes (None: `credentials`, never rotated)
    login: LiveLogin | None = None
    _acceptor: asyncssh.SSHAcceptor | None = field(default=None, init=False, repr=False)
    _sessions: set = field(default_factory=set, init=False, repr=False)

    async def __aenter__(self) -> Mailbox:
        for folder in FOLDERS:
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        login = self.login or LiveLogin(self.credentials)
        self._acceptor = await asyncssh.create_server(
            lambda: _Gatekeeper(login, self._sessions), LOOPBACK, self.port,
            server_host_keys=[self.credentials.host_key],
            sftp_factory=lambda chan: _RootedSFTP(chan, self.root, self.exchange, self.touch),
            allow_scp=False,
            kbdint_auth=False, agent_forwarding=False, x11_forwarding=False,
            allow_pty=False)
        self.port = self._acceptor.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info) -> None:
        acceptor, self._acceptor = self._acceptor, None
        if acceptor is None:
            return
        acceptor.close()
        sessions = list(self._sessions)
        for session in sessions:
            session.close()
        await asyncio.gather(acceptor.wait_closed(),
                             *(session.wait_closed() for session in sessions))

    def folder(self, name: str) -> Path:
        if name not in FOLDERS:
            raise ValueError(f"the mailbox has folders {', '.join(FOLDERS)}, not {name!r}")
        return self.root / name

    def write_atomically(self, folder: str, name: str, data: bytes) -> Path:
        """`data` as `folder`/`name`, appearing whole: written under a temporary name
        beginning with a dot in the same folder, then renamed."""
        if not name or name.startswith(".") or "/" in name or "\\" in name or "\0" in name:
            raise ValueError(f"a mailbox file name is one plain name, not {name!r}")
        final = self.folder(folder) / name
        temporary = final.with_name(f".{name}.{secrets.token_hex(4)}.part")
        temporary.write_bytes(data)
        os.replace(temporary, final)
        return final


def _hidden(name: str) -> bool:
    return name.startswith(".")


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
