"""The SDK's mailbox calls over SFTP: what `seatrial sut` does with `io.mailbox`'s Calls when it
runs live (the same handler yields them in virtual time, seatrial.sdk.mailbox).

Each Call is the plain data the in-process mailbox takes (GET /mailbox/<folder>, GET, PUT,
DELETE /mailbox/<folder>/<name>, POST .../rename); here it becomes the SFTP operation a partner
makes, with asyncssh's client, and its outcome the answer the handler would have had in
process: 200 with `{"files": [...]}` (sorted, as in process), the file's bytes, 201 or 200
with `{"name", "folder"}`. An upload is written under a temporary name of its own beginning
with a dot and renamed into place, so the TMS never takes a half-written file.

Calls made at once go on connections of their own, as in process they are answered at once:
an SFTP server answers one session's requests one after another (asyncssh's and OpenSSH's
alike), so on one connection a slow answer (a simulated latency, a lost answer waited out)
would hold up every other Call behind it, a queue in simulated time the SUT never asked for.
So a Call takes an idle connection, or makes one (with the run's login, the server's host key
checked against its known_hosts line), up to `SESSIONS` at once, and gives it back when
answered; a connection that failed is closed, and one logged in with another credential than
the Call carries (the handler's login, `io.mailbox.login()`, whose key is read from the key
file) is closed rather than reused.

An SFTP error whose message begins with an HTTP status (as the mailbox's face words a refusal,
seatrial.live.mailbox_face) is answered with that status; no connection is a `ConnectError`,
no answer in time a `RequestTimeout`; a login refused is answered 403, as the mailbox refuses
an operation with a stale credential.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seatrial.live.mailbox import asyncssh
from seatrial.sdk.mailbox import FOLDERS, MEDIA_TYPE, Credential
from seatrial.sdk.messages import Call, ConnectError, RequestTimeout
from seatrial.sdk.messages import Response as SdkResponse

PATH = re.compile(r"/mailbox/(?P<folder>[^/]+)(?:/(?P<name>[^/]+)(?P<rename>/rename)?)?")
STATUS = re.compile(r"([1-5][0-9]{2}) ")
JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Login:
    """Where the mailbox listens and the run's login (docs/live-protocol.md)."""

    host: str
    port: int
    username: str
    password: str
    key_path: str
    known_hosts: str


#: Connections to one mailbox at most; a Call beyond them waits for one to be given back.
SESSIONS = 16


@dataclass(eq=False)
class _Session:
    credential: Credential  # what it logged in with
    connection: asyncssh.SSHClientConnection
    sftp: asyncssh.SFTPClient


class SftpMailbox:
    """One system's mailbox over SFTP, for the Calls `matches` says are its."""

    def __init__(self, system: str, login: Login) -> None:
        self.system = system
        self.login = login
        self._idle: list[_Session] = []
        self._open: set[_Session] = set()  # idle or in use: what `close` ends
        self._slots = asyncio.Semaphore(SESSIONS)
        self._uploads = itertools.count()  # each upload's temporary name its own

    def credential(self) -> Credential:
        """The login as the settings and the key file say now (the file read again; one that
        cannot be read gives no key, and the password is tried alone)."""
        try:
            key = Path(self.login.key_path).read_text()
        except (OSError, UnicodeDecodeError):
            key = ""
        return Credential(self.login.username, self.login.password, key)

    def matches(self, call: Call) -> bool:
        return call.system == self.system and call.path.startswith("/mailbox/")

    async def send(self, call: Call, timeout: float) -> SdkResponse:
        """The Call's answer; raises ConnectError or RequestTimeout as an HTTP call would."""
        try:
            return await asyncio.wait_for(self._send(call), timeout)
        except TimeoutError:
            raise RequestTimeout(f"the {self.system} mailbox did not answer within "
                                 f"{timeout:g}s (wall)") from None
        except (OSError, asyncssh.Error) as error:  # the connection, not an SFTP status
            raise ConnectError(f"the {self.system} mailbox at {self.login.host}:"
                               f"{self.login.port}: {type(error).__name__}: {error}") from None

    async def _send(self, call: Call) -> SdkResponse:
        found = PATH.fullmatch(call.path)
        if found is None or found["folder"] not in FOLDERS:
            return _problem(404, f"no mailbox path {call.path}: /mailbox/{{inbound,outbound}}"
                                 "[/<name>[/rename]]")
        async with self._slots:
            try:
                session = await self._take(call.login or self.credential())
            except asyncssh.PermissionDenied as refused:
                return _problem(403, f"login refused: {refused.reason}")
            reusable = False
            try:
                answer = await self._operate(session.sftp, call.method, found["folder"],
                                             found["name"], bool(found["rename"]), call)
                reusable = True
            except asyncssh.SFTPConnectionLost:
                raise
            except asyncssh.SFTPError as error:
                answer, reusable = _answer(error), True
            finally:  # timed out (cancelled) or lost: requests of its may be under way
                if reusable:
                    self._idle.append(session)
                else:
                    self._close(session)
            return answer

    async def _operate(self, sftp: asyncssh.SFTPClient, method: str, folder: str,
                       name: str | None, rename: bool, call: Call) -> SdkResponse:
        if name is None and method == "GET":
            names = await sftp.listdir(folder)
            return SdkResponse(200, {"files": sorted(n for n in names
                                                     if n not in (".", ".."))}, dict(JSON))
        if name is None:
            return _problem(405, f"{method} {call.path}: a folder is only listed (GET)")
        path = f"{folder}/{name}"
        if rename and method == "POST":
            to = call.json.get("to") if isinstance(call.json, dict) else None
            if not isinstance(to, str):
                return _problem(422, "rename takes {\"to\": \"<new name>\"}")
            await sftp.rename(path, f"{folder}/{to}")
            return _stored(200, folder, to)
        if method == "GET":
            async with sftp.open(path, "rb") as handle:
                content = await handle.read()
            return SdkResponse.raw(200, content, {"content-type": MEDIA_TYPE})
        if method == "PUT":
            temporary = f"{folder}/.{name}.{next(self._uploads)}.part"  # a retry's own
            async with sftp.open(temporary, "wb") as handle:
                await handle.write(call.content or b"")
            await sftp.rename(temporary, path)
            return _stored(201, folder, name)
        if method == "DELETE":
            await sftp.remove(path)
            return _stored(200, folder, name)
        return _problem(405, f"{method} {call.path}: a file is got, put, renamed or deleted")

    async def _take(self, credential: Credential) -> _Session:
        """An idle connection logged in with `credential`, else a new one (idle ones logged in
        with another are closed: that login was rotated away)."""
        while self._idle:
            session = self._idle.pop()
            if session.credential == credential:
                return session
            self._close(session)
        login = self.login
        keys = [asyncssh.import_private_key(credential.key)] if credential.key else []
        connection = await asyncssh.connect(
            login.host, login.port, username=credential.username,
            password=credential.password or None, client_keys=keys,
            known_hosts=asyncssh.import_known_hosts(login.known_hosts),
            agent_path=None, config=None, preferred_auth="publickey,password")
        try:
            session = _Session(credential, connection, await connection.start_sftp_client())
        except BaseException:
            connection.close()
            raise
        self._open.add(session)
        return session

    def _close(self, session: _Session) -> None:
        self._open.discard(session)
        session.connection.close()

    async def close(self) -> None:
        sessions, self._idle = list(self._open), []
        for session in sessions:
            self._close(session)
        await asyncio.gather(*(session.connection.wait_closed() for session in sessions),
                             return_exceptions=True)


def _stored(status: int, folder: str, name: str) -> SdkResponse:
    return SdkResponse(status, {"name": name, "folder": folder}, dict(JSON))


def _problem(status: int, detail: str) -> SdkResponse:
    return SdkResponse(status, {"type": "about:blank", "status": status, "detail": detail},
                       {"content-type": "application/problem+json"})


def _answer(error: Any) -> SdkResponse:
    """An SFTP error as the answer it stands for: the status its message begins with, else
    404 for no such file, 403 for permission denied, 500 for anything else."""
    reason = str(getattr(error, "reason", "") or error)
    found = STATUS.match(reason)
    if found is not None:
        status, detail = int(found[1]), reason[found.end():]
    else:
        status = {asyncssh.FX_NO_SUCH_FILE: 404, asyncssh.FX_PERMISSION_DENIED: 403}.get(
            getattr(error, "code", None), 500)
        detail = reason
    return _problem(status, detail)
