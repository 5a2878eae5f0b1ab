"""The three simulators of one world, serving HTTP on loopback ports with the live clock.

Used by a live run, by `seatrial serve`-style callers and by tests and benchmarks (`running`
puts a stack on a background thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import shutil
import socket
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import simpy
import uvicorn
from starlette.routing import Route

from seatrial.ledger import Ledger
from seatrial.live.clock import LOOKAHEAD, LiveClock
from seatrial.live.folders import OnDisk
from seatrial.live.limits import SERVER_LIMITS
from seatrial.live.mailbox import LOOPBACK, LiveLogin, Mailbox, MailboxCredentials
from seatrial.live.mailbox_face import MailboxFace
from seatrial.live.settings import SYSTEMS, sut_settings
from seatrial.live.simulator_app import Activity, ApiEndpoint, simulator_app
from seatrial.live.tokens import TokenIssuer
from seatrial.scenario import Scenario
from seatrial.transport.inprocess import InProcessTransport
from seatrial.world import World, seed_stream, webhook_secret, webhook_secrets
from seatrial.world.ports import Drive, OpenChannel, Receiver, Signing, accept_all

T = TypeVar("T")
ROUND_TRIP = 0.25  # wall seconds a loopback request may be on the wire on a loaded machine


def listen(host: str, port: int = 0) -> socket.socket:
    """A bound, listening socket (port 0: an ephemeral one, so no race for a port number).

    Created as IPPROTO_TCP, not protocol 0: asyncio turns Nagle's algorithm off only on
    sockets that say they are TCP, and uvicorn writes a response's head and body apart, so an
    accepted socket of protocol 0 held every body for the client's delayed ACK (~40 ms)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _made(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory


#: Builds a live world's receiver from the stack's clock and the world's ledger.
LiveAttach = Callable[[LiveClock, Ledger], Receiver]


class SimulatorStack:
    """Builds the world it serves (`scenario`, with `drive`), its parts in place from the
    start: deliveries go to what `receiver` builds (by default `AcceptAll`), signed on the wall
    clock with the live webhook secrets, and the API calls' network allows for requests on the
    wire.

    The live credentials (client secret, bearer tokens, the webhook secrets the sources sign
    with) are random: whoever knows a scenario and its seed cannot call a long-running stack.
    `seeded_credentials` draws them from the seed instead (the world's webhook secrets, a
    `live.tokens` stream), for reproducible demos. Either way the world's in-process secrets
    (`world.secrets`) stay as they are; live, the channel signs with `self.secrets`.

    A system whose dialect's events are files (x12's TMS) keeps them in real folders under a
    temporary directory of the stack's, served by an SFTP mailbox on a loopback port with a
    login of its own, always random (a password and a key pair: seatrial.live.mailbox); its
    settings tell the SUT where and how to log in. `stop` closes it and removes the
    directory (and so the client's key).

    `channel` opens the world's channel on the stack's clock (a live run on the amqp channel:
    seatrial.live.amqp_channel); by default the one the scenario names, in process."""

    def __init__(self, scenario: Scenario, scale: float, host: str = "127.0.0.1",
                 seeded_credentials: bool = False, receiver: LiveAttach = accept_all,
                 drive: Drive | None = None,
                 channel: Callable[[LiveClock], OpenChannel] | None = None) -> None:
        self.host = host
        self.clock = clock = LiveClock(simpy.Environment(), scale)
        rng = (seed_stream(scenario.seed, "live.tokens") if seeded_credentials
               else secrets.SystemRandom())
        self.tokens = TokenIssuer(rng, scenario.live.token_lifetime)
        self.secrets: dict[str, str] = (webhook_secrets(scenario.seed) if seeded_credentials
                                        else {s: webhook_secret(rng) for s in SYSTEMS})
        # an answer is played up to LOOKAHEAD early, so its entry can be that much ahead of
        # the wall clock; a request on the same keep-alive connection is sent after it arrives
        network = functools.partial(InProcessTransport, grace=ROUND_TRIP * scale,
                                    connection_grace=LOOKAHEAD * scale)
        from seatrial.simulators.dialect import dialect

        self.activity = Activity()
        filed = [system for system in SYSTEMS
                 if dialect(system, getattr(scenario.dialects, system)).post_event is not None]
        self.files: Path | None = None
        self.mailboxes: dict[str, Mailbox] = {}  # listening (`start`)
        folders: dict[str, OnDisk] = {}
        if filed:
            self.files = Path(tempfile.mkdtemp(prefix="seatrial-mailbox-"))
            weakref.finalize(self, shutil.rmtree, self.files, ignore_errors=True)
            # each mailbox's login, made now (the world's mailbox takes only it, and the
            # `credentials_rotated` fault rotates it), its client key written beside the files
            self._mailbox_logins = {system: LiveLogin(
                MailboxCredentials.generate(), _made(self.files / system) / "client_key")
                for system in filed}
            folders = {system: OnDisk(self.files / system / "files", self.activity.touch,
                                      self._mailbox_logins[system])
                       for system in filed}
        self._folders = folders
        self.world = World(scenario, receiver=lambda _env, _network, ledger: receiver(
            clock, ledger), drive=drive, signing=Signing(self.secrets, time.time),
            network=network, env=clock.env, mailbox=folders.__getitem__ if folders else None,
            channel=None if channel is None else channel(clock))
        self.logins: dict[str, dict[str, str]] = {}  # per mailbox, the SFTP settings' values
        self.endpoints: dict[str, ApiEndpoint] = {}
        self.urls: dict[str, str] = {}
        self._servers: list[uvicorn.Server] = []
        self._serving: list[asyncio.Task] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def settings(self) -> dict[str, str]:
        """What a SUT is told (docs/live-protocol.md), by setting name."""
        scenario = self.world.scenario
        return sut_settings(self.urls, self.tokens.client_id, self.tokens.client_secret,
                            self.secrets, f"{self.clock.scale:g}",
                            {s: getattr(scenario.dialects, s) for s in SYSTEMS}, self.logins)

    async def start(self, sockets: dict[str, socket.socket] | None = None,
                    routes: Sequence[Route] = ()) -> None:
        """Serve each system on its socket in `sockets` (bound by `listen`: `seatrial serve`
        binds the ports a user asked for), by default on an ephemeral port; `routes` beside
        each API (`seatrial serve --provider-states`: the Pact state change endpoint)."""
        from seatrial.simulators.dialect import dialect
        from seatrial.simulators.openapi import api_spec

        self._loop = asyncio.get_running_loop()
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).setLevel(logging.CRITICAL)  # dropped connections are faults
        for system in SYSTEMS:
            sock = sockets[system] if sockets else listen(self.host)
            name = getattr(self.world.scenario.dialects, system)
            app = simulator_app(system, self.world.transport, self.clock, self.tokens,
                                self.activity, lambda system=system, name=name: api_spec(
                                    system, name), dialect(system, name), routes)
            self.endpoints[system] = app.api
            server = uvicorn.Server(uvicorn.Config(
                app, lifespan="off", access_log=False, log_config=None,
                timeout_graceful_shutdown=1, timeout_keep_alive=30, **SERVER_LIMITS))
            self._servers.append(server)
            self._serving.append(asyncio.create_task(server.serve(sockets=[sock])))
            host, port = sock.getsockname()[:2]
            self.urls[system] = f"http://{host}:{port}"
        while not all(server.started for server in self._servers):
            if any(task.done() for task in self._serving):
                await asyncio.gather(*self._serving)  # raises what stopped a server
            await asyncio.sleep(0.01)
        for system, folders in self._folders.items():
            await self._open_mailbox(system, folders)

    async def _open_mailbox(self, system: str, folders: OnDisk) -> None:
        """`system`'s SFTP mailbox listening on a loopback port with a login of its own, each
        client's operation going through the world's transport (seatrial.live.mailbox_face),
        and its settings in `logins`."""
        login = self._mailbox_logins[system]
        credentials = login.credentials
        mailbox = Mailbox(folders.root, credentials, exchange=MailboxFace(
            system, self.world.transport, self.clock, self.activity),
            touch=self.activity.touch, login=login)
        self.mailboxes[system] = mailbox
        await mailbox.__aenter__()
        assert self.files is not None and login.key_path is not None
        key = login.key_path
        (self.files / system / "known_hosts").write_text(
            credentials.known_hosts_line(mailbox.port))  # for OpenSSH's -o UserKnownHostsFile
        self.logins[system] = {
            "HOST": LOOPBACK, "PORT": str(mailbox.port), "USERNAME": credentials.username,
            "PASSWORD": credentials.password, "KEY_PATH": str(key),
            "KNOWN_HOSTS": credentials.known_hosts_line(mailbox.port).strip()}

    @property
    def refused(self) -> dict[str, int]:
        """Requests each system turned away (bad or no token, a body that is not JSON), also
        those past what the ledger records (simulator_app.REFUSED_RECORDED)."""
        return {system: endpoint.refused for system, endpoint in self.endpoints.items()}

    def note_refusals(self) -> None:
        """At the end of a run: the refusals counted but not recorded, in the ledger."""
        now = self.clock.sync()
        for endpoint in self.endpoints.values():
            endpoint.note_refusals(now)

    def call(self, action: Callable[[], T]) -> T:
        """Run `action` on the stack's event loop and return its result: the world belongs to
        that thread, so code on another one (Pact provider states) changes records through
        here."""
        async def run() -> T:
            return action()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result()

    async def stop(self) -> None:
        for server in self._servers:
            server.should_exit = True
        try:
            await asyncio.gather(*self._serving, return_exceptions=True)
        finally:
            for mailbox in self.mailboxes.values():
                await mailbox.__aexit__(None, None, None)
            self.clock.stop()
            if self.files is not None:
                shutil.rmtree(self.files, ignore_errors=True)


@contextlib.contextmanager
def running(stack: SimulatorStack) -> Iterator[SimulatorStack]:
    """`stack` started, its clock running on a background thread until the block exits."""
    world = stack.world
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    failure: list[BaseException] = []

    async def main() -> None:
        try:
            await stack.start()
        except BaseException as error:
            failure.append(error)
            await stack.stop()
            ready.set()
            return
        stack.clock.start()
        driver = asyncio.create_task(stack.clock.drive(world.horizon))
        ready.set()
        try:
            await asyncio.gather(driver)
        except asyncio.CancelledError:
            driver.cancel()
        finally:
            await stack.stop()

    thread = threading.Thread(target=lambda: loop.run_until_complete(_guard(main())),
                              name="seatrial-simulators", daemon=True)
    thread.start()
    ready.wait()
    if failure:
        raise failure[0]
    try:
        yield stack
    finally:
        loop.call_soon_threadsafe(_cancel_all, loop)
        thread.join()
        loop.close()


async def _guard(coroutine: object) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        await coroutine  # type: ignore[misc]


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    for task in asyncio.all_tasks(loop):
        task.cancel()
