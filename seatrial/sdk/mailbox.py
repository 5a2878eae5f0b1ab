"""The file-exchange client an in-process SUT reaches an EDI partner's mailbox with
(`io.mailbox`, the TMS's in the x12 dialect): list, get, put, rename, delete.

Each method returns a `Call`, plain data like any other, yielded and answered in virtual time
through the same fault layer as the APIs (an outage refuses it, latency delays it), so a
handler is written exactly as it is for HTTP: `listing = yield io.mailbox.list("outbound")`.
Folders are `inbound/` (files for the partner) and `outbound/` (files from it), as the live SFTP
mailbox has them (`seatrial.live.mailbox`).

How a SUT learns of new files: it polls, as SFTP partners do (a loop that lists `outbound/`
and sleeps, `io.sleep`, between looks). Nothing is pushed: a mailbox has no notifications.

The login is the handler's: `io.mailbox.login()` reads the mailbox's credential (in process
from the world, live from the key file `SEATRIAL_<SYSTEM>_SFTP_KEY_PATH` and the settings), and
each call carries the one it is given (`login=`; without it, the credential as read at that
moment). A partner rotates its credentials now and then (the `credentials_rotated` fault): a
call with a stale one is refused 403, and the credential read again logs in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from seatrial.sdk.messages import ApiClient, Call, Response

FOLDERS = ("inbound", "outbound")
MEDIA_TYPE = "application/edi-x12"


class Credential(NamedTuple):
    """A mailbox login as the SUT holds it: the user name, the password it was given at start
    (a running process's settings never change) and the private key as its file holds it
    (live: OpenSSH format). The mailbox takes a call whose password or key is current."""

    username: str
    password: str
    key: str


def credential(value: object) -> bool:
    """Whether `value` is a credential: three strings (user name, password, key)."""
    return (isinstance(value, tuple) and len(value) == 3
            and all(isinstance(part, str) for part in value))


class Mailbox:
    __slots__ = ("_api", "_read")

    def __init__(self, system: str,
                 read: Callable[[], Credential | None] = lambda: None) -> None:
        self._api = ApiClient(system)
        self._read = read

    def login(self) -> Credential | None:
        """The mailbox's credential as it is now (live: the key file read again); None where
        the system has no mailbox."""
        return self._read()

    def _carrying(self, call: Call, login: Credential | None) -> Call:
        """`call` with `login` (None: the credential as it is now); raises here, in the
        handler, for a login that is no credential."""
        if login is None:
            return call._replace(login=self._read())
        if not credential(login):
            raise TypeError(f"login={login!r}: give the Credential io.mailbox.login() read "
                            "(user name, password, key: three strings)")
        return call._replace(login=Credential(*login))

    def list(self, folder: str, *, login: Credential | None = None) -> Call:
        """The folder's file names: read them from the answer with `names`."""
        return self._carrying(self._api.get(f"/mailbox/{folder}"), login)

    def get(self, folder: str, name: str, *, login: Credential | None = None) -> Call:
        """The file's bytes, as the answer's `content`."""
        return self._carrying(self._api.get(f"/mailbox/{folder}/{name}"), login)

    def put(self, folder: str, name: str, content: bytes, *,
            login: Credential | None = None) -> Call:
        """Uploads `content` as `folder/name`; the partner takes a file in its inbound folder
        the moment it lands under its final name."""
        return self._carrying(self._api.request(
            "PUT", f"/mailbox/{folder}/{name}", content=content,
            headers={"content-type": MEDIA_TYPE}), login)

    def rename(self, folder: str, name: str, to: str, *,
               login: Credential | None = None) -> Call:
        return self._carrying(self._api.request(
            "POST", f"/mailbox/{folder}/{name}/rename", json={"to": to}), login)

    def delete(self, folder: str, name: str, *, login: Credential | None = None) -> Call:
        return self._carrying(self._api.request("DELETE", f"/mailbox/{folder}/{name}"),
                              login)

    @staticmethod
    def names(response: Response) -> list[str]:
        """The file names a `list` answered (none when it answered something else)."""
        body = response.json()
        files = body.get("files") if isinstance(body, dict) else None
        return [name for name in files if isinstance(name, str)] if isinstance(files,
                                                                               list) else []
