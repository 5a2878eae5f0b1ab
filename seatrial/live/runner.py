"""One live run: the three simulators on loopback ports, the SUT over HTTP, the world on the
scaled wall clock; quiescence, then the same judge as in-process."""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from seatrial.live.clock import LiveClock
from seatrial.live.process import SutProcess, TargetStartError
from seatrial.live.remote import RemoteSut
from seatrial.live.simulator_app import Activity, simulator_app
from seatrial.live.tokens import TokenIssuer
from seatrial.run import RunResult, judge
from seatrial.scenario import Crash, Scenario
from seatrial.world import World

SYSTEMS = ("erp", "tms", "lastmile")
DEFAULT_SCALE = 3600.0  # an hour a second: a gate scenario's ~3 simulated days in about a minute


class LiveTargetError(Exception):
    """A live target that cannot be run; the message names the problem and the fix."""


@dataclass(frozen=True)
class LiveTarget:
    """A SUT already running at `url`, or a `command` Seatrial starts (listening on $PORT)."""

    url: str | None = None
    command: str | None = None

    @property
    def label(self) -> str:
        return self.url or f"cmd:{self.command}"


@dataclass(frozen=True)
class LiveOptions:
    scale: float = DEFAULT_SCALE
    drain: float | None = None  # wall seconds after the release wave; None: up to the horizon
    quiet: float = 2.0  # wall seconds without traffic that count as quiescent
    health_timeout: float = 30.0
    host: str = "127.0.0.1"


def check_live(scenario: Scenario, target: LiveTarget) -> None:
    """What a live target cannot do, said before anything starts."""
    if target.command is None and any(isinstance(f, Crash) for f in scenario.faults):
        raise LiveTargetError(
            f"scenario {scenario.name!r} has a crash fault: Seatrial can only crash and restart "
            "a SUT it started; use --target-cmd, or leave this scenario out")


def run_live(scenario: Scenario, target: LiveTarget, options: LiveOptions) -> RunResult:
    check_live(scenario, target)
    return asyncio.run(_run(scenario, target, options))


def _listen(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _spec(system: str) -> dict[str, Any]:
    from simulators.openapi import api_spec

    return api_spec(system)


async def _run(scenario: Scenario, target: LiveTarget, options: LiveOptions) -> RunResult:
    started = time.perf_counter()
    world = World(scenario)
    clock = LiveClock(world.env, options.scale)
    tokens = TokenIssuer(world.faults.stream("live.tokens"), scenario.live.token_lifetime)
    activity = Activity()
    world.dispatcher.signing_clock = time.time  # live webhooks are signed on the wall clock
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.CRITICAL)  # dropped connections are faults

    servers: list[uvicorn.Server] = []
    serving: list[asyncio.Task] = []
    urls: dict[str, str] = {}
    workdir = Path(tempfile.mkdtemp(prefix="seatrial-live-"))
    process: SutProcess | None = None
    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=64),
                               timeout=httpx.Timeout(10.0, pool=None))
    remote: RemoteSut | None = None
    try:
        for system in SYSTEMS:
            sock = _listen(options.host)
            app = simulator_app(system, world.transport, clock, tokens, activity,
                                lambda system=system: _spec(system))
            server = uvicorn.Server(uvicorn.Config(
                app, lifespan="off", access_log=False, log_config=None,
                timeout_graceful_shutdown=1, timeout_keep_alive=30))
            servers.append(server)
            serving.append(asyncio.create_task(server.serve(sockets=[sock])))
            host, port = sock.getsockname()[:2]
            urls[system] = f"http://{host}:{port}"
        settings = {f"SEATRIAL_{s.upper()}_URL": urls[s] for s in SYSTEMS}
        settings |= {"SEATRIAL_CLIENT_ID": tokens.client_id,
                     "SEATRIAL_CLIENT_SECRET": tokens.client_secret,
                     "SEATRIAL_TIME_SCALE": f"{options.scale:g}"}
        settings |= {f"SEATRIAL_{s.upper()}_WEBHOOK_SECRET": world.secrets[s] for s in SYSTEMS}
        while not all(server.started for server in servers):
            await asyncio.sleep(0.01)

        if target.command is not None:
            port = _free_port(options.host)
            url = f"http://{options.host}:{port}"
            state = workdir / "state"
            state.mkdir()
            process = SutProcess(target.command, {**settings, "PORT": str(port),
                                                  "SEATRIAL_STATE_DIR": str(state)},
                                 workdir / "sut.log")
            process.start()
            try:
                await process.wait_healthy(url, options.health_timeout)
            except TargetStartError as error:
                raise LiveTargetError(str(error)) from None
        else:
            url = target.url.rstrip("/")
            await _configure(client, url, settings)
        remote = RemoteSut(url, clock, client, process, world.ledger)
        world.dispatcher.host = remote

        clock.start()
        end = await _play(world, clock, remote, activity, options)
        return judge(world, end, target.label, started)
    finally:
        if process is not None:
            process.stop()
        if remote is not None:
            await remote.close()
        await client.aclose()
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*serving, return_exceptions=True)
        for path in sorted(workdir.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        workdir.rmdir()


async def _configure(client: httpx.AsyncClient, url: str, settings: dict[str, str]) -> None:
    try:
        health = await client.get(f"{url}/health", timeout=5.0)
        answer = await client.post(f"{url}/seatrial/configure", json=settings, timeout=10.0)
    except httpx.HTTPError as error:
        raise LiveTargetError(f"--target {url}: cannot reach it ({type(error).__name__}: "
                              f"{error}); start the SUT first, or use --target-cmd") from None
    if health.status_code != 200:
        raise LiveTargetError(f"--target {url}: GET /health answered {health.status_code}, "
                              "not 200; the SUT must be ready before a run")
    if not 200 <= answer.status_code < 300:
        raise LiveTargetError(f"--target {url}: POST /seatrial/configure answered "
                              f"{answer.status_code}; a SUT already running must accept the "
                              "settings there (docs/live-protocol.md)")


async def _play(world: World, clock: LiveClock, remote: RemoteSut, activity: Activity,
                options: LiveOptions) -> float:
    """Drive the world until quiescence, the drain deadline or the horizon."""
    env, horizon = world.env, world.horizon
    driver = asyncio.create_task(clock.drive(horizon))
    deadline = math.inf
    try:
        while not driver.done():
            await asyncio.sleep(0.1)
            now = time.monotonic()
            if env.now < world.scenario.duration:
                continue  # the release wave is still on
            if options.drain is not None and deadline == math.inf:
                deadline = now + options.drain
            idle = (env.peek() >= horizon and remote.inflight == 0 and activity.open == 0
                    and now - max(remote.last, activity.last) >= options.quiet)
            if idle or now >= deadline:
                break
    finally:
        driver.cancel()
        await asyncio.gather(driver, return_exceptions=True)
    return clock.sync()
