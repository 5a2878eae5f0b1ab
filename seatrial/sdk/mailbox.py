"""The file-exchange client an in-process SUT reaches an EDI partner's mailbox with
(`io.mailbox`, the TMS's in the x12 dialect): list, get, put, rename, delete.

Each method returns a `Call`, plain data like any other, yielded and answered in virtual time
through the same fault layer as the APIs (an outage refuses it, latency delays it), so a
handler is written exactly as it is for HTTP: `listing = yield io.mailbox.list("outbound")`.
Folders are `inbound/` (files for the partner) and `outbound/` (files from it), as the live SFTP
mailbox has them (`seatrial.live.mailbox`).

How a SUT learns of new files: it polls, as SFTP partners do (a loop that lists `outbound/`
and sleeps, `io.sleep`, between looks). Nothing is pushed: a mailbox has no notifications.
"""

from __future__ import annotations

from seatrial.sdk.messages import ApiClient, Call, Response

FOLDERS = ("inbound", "outbound")
MEDIA_TYPE = "application/edi-x12"


class Mailbox:
    __slots__ = ("_api",)

    def __init__(self, system: str) -> None:
        self._api = ApiClient(system)

    def list(self, folder: str) -> Call:
        """The folder's file names: read them from the answer with `names`."""
        return self._api.get(f"/mailbox/{folder}")

    def get(self, folder: str, name: str) -> Call:
        """The file's bytes, as the answer's `content`."""
        return self._api.get(f"/mailbox/{folder}/{name}")

    def put(self, folder: str, name: str, content: bytes) -> Call:
        """Uploads `content` as `folder/name`; the partner takes a file in its inbound folder
        the moment it lands under its final name."""
        return self._api.request("PUT", f"/mailbox/{folder}/{name}", content=content,
                                 headers={"content-type": MEDIA_TYPE})

    def rename(self, folder: str, name: str, to: str) -> Call:
        return self._api.request("POST", f"/mailbox/{folder}/{name}/rename", json={"to": to})

    def delete(self, folder: str, name: str) -> Call:
        return self._api.request("DELETE", f"/mailbox/{folder}/{name}")

    @staticmethod
    def names(response: Response) -> list[str]:
        """The file names a `list` answered (none when it answered something else)."""
        body = response.json()
        files = body.get("files") if isinstance(body, dict) else None
        return [name for name in files if isinstance(name, str)] if isinstance(files,
                                                                               list) else []
