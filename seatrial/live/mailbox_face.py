"""The SFTP face of a system's mailbox (x12's TMS): each operation a client makes on a file
goes through the very transport the in-process `io.mailbox` calls take (fault layer, ledger,
router), as the HTTP face's requests do (seatrial.live.simulator_app), on the live clock.

A client's list, download, upload (landed under its final name), rename and delete become the
calls `seatrial.sdk.mailbox` makes in virtual time (GET /mailbox/outbound, PUT
/mailbox/inbound/<name> with the file's bytes...), so the ledger records them alike and a
check never knows which face it was. An answer that is no success becomes an SFTP error whose
message begins with its HTTP status ("503 ..."; the SDK's SFTP client reads it back,
seatrial.live.sftp_client); a refused connection (an outage's) is a lost connection; a hung
or lost answer is a failure saying so. Each call carries the credential the client's session
logged in with, so a session whose login was rotated away is refused 403 (the trading
partner's mailbox says so, and the ledger records it) as an in-process call with it is.
"""

from __future__ import annotations

import asyncio
from typing import Any

from seatrial.live.clock import LiveClock
from seatrial.live.mailbox import Credential, asyncssh
from seatrial.live.simulator_app import Activity
from seatrial.sdk.mailbox import MEDIA_TYPE
from seatrial.sdk.messages import DEFAULT_TIMEOUT, Call, ConnectError
from seatrial.sdk.messages import Response as SdkResponse
from seatrial.transport.inprocess import InProcessTransport

CLIENT = "sftp"  # the client the ledger names (the HTTP face names host:port)


class MailboxFace:
    """An `Exchange` (seatrial.live.mailbox) over `system`'s transport."""

    def __init__(self, system: str, transport: InProcessTransport, clock: LiveClock,
                 activity: Activity) -> None:
        self.system = system
        self.transport = transport
        self.clock = clock
        self.activity = activity

    async def list(self, folder: str, *, login: Credential = None) -> None:
        await self._call("GET", f"/mailbox/{folder}", login=login)

    async def get(self, folder: str, name: str, *, login: Credential = None) -> None:
        await self._call("GET", _file(folder, name), login=login)

    async def put(self, folder: str, name: str, content: bytes, *,
                  login: Credential = None) -> None:
        await self._call("PUT", _file(folder, name), content=content,
                         headers=(("content-type", MEDIA_TYPE),), login=login)

    async def rename(self, folder: str, name: str, to: str, *,
                     login: Credential = None) -> None:
        await self._call("POST", _file(folder, name) + "/rename", json={"to": to},
                         login=login)

    async def delete(self, folder: str, name: str, *, login: Credential = None) -> None:
        await self._call("DELETE", _file(folder, name), login=login)

    async def _call(self, method: str, path: str, *, content: bytes | None = None,
                    json: Any = None, headers: tuple[tuple[str, str], ...] = (),
                    login: Credential = None) -> None:
        # only what changes a file is traffic for quiescence: a SUT that polls a folder (as
        # the x12 connector does while a tender of its own is open, which one cancelled after
        # departure stays for ever) and finds nothing to collect has settled, as a sleeping
        # task has; counted, its looks would hold a live run to its horizon (days of
        # simulated time)
        counted = method != "GET"
        self.activity.open += counted
        try:
            response, error = await self._send(Call(
                self.system, method, path, json, None, None, None, DEFAULT_TIMEOUT, headers,
                content, login))
        finally:
            self.activity.open -= counted
            if counted:
                self.activity.touch()
        if isinstance(error, ConnectError):
            raise asyncssh.SFTPConnectionLost(f"503 {error}")
        if error is not None:
            raise asyncssh.SFTPFailure(f"504 no answer: {error}")
        if not response.ok:
            raise refusal(response)

    async def _send(self, call: Call) -> tuple[SdkResponse | None, Exception | None]:
        answer: list[tuple[SdkResponse | None, Exception | None]] = []
        answered: asyncio.Future | None = None

        def resume(response: SdkResponse | None, error: Exception | None) -> None:
            if not answer:
                answer.append((response, error))
                if answered is not None and not answered.done():
                    answered.set_result(None)

        self.clock.sync()
        self.transport.send(call, resume, CLIENT)
        self.clock.kick()  # play the answer when it is due (now, if there is no latency)
        if not answer:  # a simulated latency beyond the clock's lookahead: wait for it
            answered = asyncio.get_running_loop().create_future()
            await answered
        return answer[0]


def refusal(response: SdkResponse) -> asyncssh.SFTPError:
    """An answer that is no success as an SFTP error: its status first, then its detail."""
    body = response.body
    detail = (body.get("detail") or body.get("title")) if isinstance(body, dict) else None
    message = f"{response.status_code} {detail or response.text[:200] or 'refused'}"
    if response.status_code == 404:
        return asyncssh.SFTPNoSuchFile(message)
    if response.status_code in (401, 403):
        return asyncssh.SFTPPermissionDenied(message)
    return asyncssh.SFTPFailure(message)


def _file(folder: str, name: str) -> str:
    return f"/mailbox/{folder}/{name}"  # as seatrial.sdk.mailbox writes it
