"""One live run: the three simulators on loopback ports, the SUT over HTTP, the world on the
scaled wall clock, until quiescence; the caller judges it as in-process (`seatrial.run.judge`)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seatrial.eventlog.format import EventLog
from seatrial.faults.kinds.crash import Crash
from seatrial.gc_pause import young_gc_only
from seatrial.live import control, warmup
from seatrial.live.amqp_channel import BrokerChannel, BrokerRun
from seatrial.live.broker import Broker, BrokerError
from seatrial.live.cores import CoreWatch
from seatrial.live.http_client import BoundedClient
from seatrial.live.pace import Pace, choose, surge, tightest_limit, warmup_scale
from seatrial.live.ports import for_a_command
from seatrial.live.process import SutProcess, TargetStartError
from seatrial.live.remote import RemoteSut, SutUnavailable, configure_from_loop
from seatrial.live.settings import CONTROL_SECRET, with_sut_url
from seatrial.live.stack import SimulatorStack
from seatrial.run import replaying, work_times
from seatrial.scenario import Scenario
from seatrial.world import World
from seatrial.world.ports import Drive

if TYPE_CHECKING:
    from seatrial.targets import Target

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
    scale: float | None = None  # None: the scenario's live.time_scale, else DEFAULT_SCALE
    #: --time-scale auto: a warm-up picks the pace, at most `pace(scenario)` (seatrial.live.pace)
    auto: bool = False
    #: how a pace not chosen by a warm-up was chosen, for the report: "explicit" (--time-scale)
    #: or "rerun" (half the pace of an inconclusive attempt, --retry-inconclusive)
    chosen: str = "explicit"
    #: with `auto`, the implementation whose play of the scenario in virtual time shows when
    #: the SUT will be busiest (`surge`); the CLI gives the reference. None: no surge known (1)
    shaper: Target | None = None
    drain: float | None = None  # wall seconds after the release wave; None: up to the horizon
    quiet: float = 2.0  # wall seconds without traffic that count as quiescent
    health_timeout: float = 30.0
    host: str = "127.0.0.1"
    #: the invocation's broker, on which each run on the amqp channel makes a virtual host of
    #: its own (seatrial.live.amqp_channel); None when no run needs one
    broker: Broker | None = None

    def pace(self, scenario: Scenario) -> float:
        """The pace a run plays at, or with `auto` the fastest a warm-up may choose."""
        return self.scale or scenario.live.time_scale or DEFAULT_SCALE

    def describe_pace(self, scenario: Scenario) -> str:
        return (f"a pace chosen by a warm-up (at most {self.pace(scenario):g}x)" if self.auto
                else f"{self.pace(scenario):g}x")


def check_live(scenario: Scenario, target: LiveTarget) -> None:
    """What a live target cannot do, said before anything starts."""
    if target.command is None and any(isinstance(f, Crash) for f in scenario.faults):
        raise LiveTargetError(
            f"scenario {scenario.name!r} has a crash fault: Seatrial can only crash and restart "
            "a SUT it started; use --target-cmd, or leave this scenario out")


def play_live(scenario: Scenario, target: LiveTarget, options: LiveOptions,
              log: EventLog | None = None,
              say: Callable[[str], None] = lambda _line: None) -> tuple[World, float, Pace]:
    """Play the scenario (or `log` under its faults) live; the world (ledger, records), its
    simulated end, unjudged, and the pace it was played at (told to `say` once chosen)."""
    check_live(scenario, target)
    with young_gc_only():
        return asyncio.run(_interruptible(_run(scenario, log, target, options, say)))


async def _interruptible(run: Coroutine[Any, Any, tuple[World, float, Pace]],
                         ) -> tuple[World, float, Pace]:
    """SIGTERM cancels the run like Ctrl-C does, so every cleanup path runs (asyncio.run
    already turns SIGINT into cancellation); the caller sees KeyboardInterrupt for both."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await run
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


@dataclass
class LiveSession:
    """A world served live with its SUT attached: what a live run and a load test share."""

    world: World
    stack: SimulatorStack
    remote: RemoteSut
    #: the world's channel on a real broker (the amqp channel), else None: webhooks
    broker: BrokerChannel | None = None


@contextlib.asynccontextmanager
async def live_session(scenario: Scenario, drive: Drive | None, target: LiveTarget,
                       options: LiveOptions) -> AsyncIterator[LiveSession]:
    """Serve the simulators of `scenario`'s world (with `drive`), its deliveries going to the
    SUT, and start (or configure) the SUT; the clock is the caller's to start. Everything stops
    on exit.

    A command Seatrial starts gets a fresh random control secret in its environment, so no
    other process can reconfigure it mid-run; a running SUT (`target.url`) is configured with
    the secret in Seatrial's own environment ($SEATRIAL_CONTROL_SECRET).

    On the amqp channel the run gets a virtual host of its own on `options.broker`, its
    events published there, and the SUT the settings to consume them through the proxy
    (seatrial.live.amqp_channel); the virtual host is deleted on exit, after the SUT stops."""
    async with contextlib.AsyncExitStack() as stack:
        link = None
        if scenario.channel == "amqp":
            if options.broker is None:
                raise LiveTargetError(f"scenario {scenario.name!r} carries its events on amqp, "
                                      "and no broker was opened for this run")
            try:
                link = await stack.enter_async_context(BrokerRun(options.broker))
            except BrokerError as error:
                raise LiveTargetError(str(error)) from None
        yield await stack.enter_async_context(_served(scenario, drive, target, options, link))


@contextlib.asynccontextmanager
async def _served(scenario: Scenario, drive: Drive | None, target: LiveTarget,
                  options: LiveOptions, link: BrokerRun | None) -> AsyncIterator[LiveSession]:
    """`live_session`'s simulators and SUT, the events on `link` if not webhooks."""
    workdir = Path(tempfile.mkdtemp(prefix="seatrial-live-"))
    process: SutProcess | None = None
    if target.command is not None:
        port = for_a_command(options.host)
        url = f"http://{options.host}:{port}"
        process = SutProcess(target.command, workdir / "sut.log")
    else:
        url = target.url.rstrip("/")
    client = BoundedClient(timeout=10.0)
    stack = SimulatorStack(scenario, options.pace(scenario), options.host, drive=drive,
                           receiver=lambda clock, ledger: RemoteSut(
                               url, clock, client, process, ledger, options.health_timeout),
                           channel=None if link is None else link.opener)
    remote = stack.world.receiver
    assert isinstance(remote, RemoteSut)
    try:
        await stack.start()
        settings = with_sut_url(stack.settings, url)
        if link is not None:
            settings.update(await link.attach())
        if process is not None:
            state = workdir / "state"
            state.mkdir()
            process.launch({**settings, "PORT": str(port), "SEATRIAL_STATE_DIR": str(state),
                            CONTROL_SECRET: control.new_secret()})
            try:
                await process.wait_healthy(url, options.health_timeout)
            except TargetStartError as error:
                raise LiveTargetError(str(error)) from None
        else:
            try:
                await configure_from_loop(url, settings, control.from_env())
            except SutUnavailable as error:
                raise LiveTargetError(str(error)) from None
        yield LiveSession(stack.world, stack, remote, None if link is None else link.channel)
    finally:
        await remote.close()  # first: a crash fault's restart must not start one after the stop
        if link is not None:  # before the SUT stops: its connection closing is not the run's
            link.mute()
        if process is not None:
            process.stop()
        await client.aclose()
        await stack.stop()
        for path in sorted(workdir.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        workdir.rmdir()


async def _run(scenario: Scenario, log: EventLog | None, target: LiveTarget,
               options: LiveOptions, say: Callable[[str], None]) -> tuple[World, float, Pace]:
    pace = (await _warm_up(scenario, log, target, options) if options.auto
            else Pace(options.pace(scenario), options.chosen))
    say(pace.describe())
    options = replace(options, scale=pace.scale, auto=False)
    async with live_session(scenario, replaying(log), target, options) as session:
        session.stack.clock.start()
        return session.world, await _play(session, options), pace


async def _warm_up(scenario: Scenario, log: EventLog | None, target: LiveTarget,
                   options: LiveOptions) -> Pace:
    """Time the SUT on the scenario's workload without its faults (seatrial.live.warmup), then
    choose the pace (seatrial.live.pace); the warm-up's SUT and simulators are stopped."""
    ceiling = options.pace(scenario)
    scale = warmup_scale(ceiling)
    calm = scenario.model_copy(update={"faults": ()})
    work = [] if options.shaper is None else work_times(calm, log, options.shaper)
    async with live_session(calm, replaying(log), target, replace(options, scale=scale)) as run:
        measured = await warmup.measure(run, scale)
    limit = tightest_limit(scenario)
    measured = replace(measured, surge=surge(work, measured.wall * scale,
                                             limit[1] if limit else 0.0))
    return choose(measured, scenario, ceiling)


def quiescent(session: LiveSession, quiet: float,
              waited_since: Callable[[float], float] = lambda _since: 0.0) -> bool:
    """Nothing scheduled before the horizon, nothing in flight either way, and no traffic for
    `quiet` wall seconds of the SUT's own: a stretch in which it waited for a core while others
    ran (`waited_since`, `CoreWatch.waited_since` for a SUT Seatrial started) does not count.
    A SUT kept off the cores may still have work it took (a delivery it answered, a file it
    has not looked at yet): ending the run then would judge it on work it had no time to do,
    a violation that does not depend on time and is not its own."""
    world, remote, activity = session.world, session.remote, session.stack.activity
    broker = session.broker  # on the amqp channel: every message acked or dead-lettered
    if world.env.peek() < world.horizon or remote.inflight or activity.open or \
            (broker is not None and broker.open):
        return False
    last = max(remote.last, activity.last, -math.inf if broker is None else broker.last)
    return time.monotonic() - last - waited_since(last) >= quiet


async def _play(session: LiveSession, options: LiveOptions) -> float:
    """Drive the world until quiescence, the drain deadline or the horizon."""
    world, clock = session.world, session.stack.clock
    driver = asyncio.create_task(clock.drive(world.horizon))
    watch = _core_watch(session)
    cores = None if watch is None else asyncio.create_task(watch.watch())
    deadline = math.inf
    try:
        while not driver.done():
            await asyncio.sleep(0.1)
            if session.remote.failure is not None:
                raise LiveTargetError(session.remote.failure)
            if world.env.now < world.scenario.duration:
                continue  # the release wave is still on
            if options.drain is not None and deadline == math.inf:
                deadline = time.monotonic() + options.drain
            settled = quiescent(session, options.quiet) if watch is None else \
                quiescent(session, options.quiet, watch.waited_since)
            if settled or time.monotonic() >= deadline:
                break
    finally:
        for task in (driver, cores):
            if task is not None:
                task.cancel()
        await asyncio.gather(*(task for task in (driver, cores) if task is not None),
                             return_exceptions=True)
    session.stack.note_refusals()
    return clock.sync()


def _core_watch(session: LiveSession) -> CoreWatch | None:
    """A SUT Seatrial started is watched for waits for a core (seatrial.live.cores) over the
    tightest time limit judged; nothing to watch without one, or for a SUT not ours."""
    limit = tightest_limit(session.world.scenario)
    process = session.remote.process
    if limit is None or process is None:
        return None
    return CoreWatch(session.stack.clock, process, limit[1] / session.stack.clock.scale)
