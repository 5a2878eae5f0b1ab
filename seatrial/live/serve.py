"""`seatrial serve`: the three simulators alone, for exploring them by hand.

The same stack as a live run (one world, its seed and faults, the scaled clock), but nobody
judges: it prints what a user needs to call the APIs (URLs, credentials, ready tokens, the
webhook secrets) as shell `export` lines, and serves until Ctrl-C or SIGTERM. The credentials
are random unless `seeded_credentials` asks for the seed's (reproducible demos), or the ones a
user gives (a pact's own client credentials).

With provider states (`--provider-states`) it serves a world that nothing moves on its own and
each simulator answers Pact's state change requests too (seatrial.live.state_change), so a
team's stock Pact verifier can set each interaction's state on an emptied world.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import shlex
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from seatrial.faults.kinds.crash import Crash
from seatrial.live import control
from seatrial.live.http_client import BoundedClient
from seatrial.live.remote import RemoteSut, SutUnavailable, configure_from_loop
from seatrial.live.settings import SYSTEMS, with_sut_url
from seatrial.live.simulator_app import REFUSED_RECORDED
from seatrial.live.stack import SimulatorStack, listen
from seatrial.live.state_change import PATH, StateChange, state_change_route
from seatrial.scenario import Scenario
from seatrial.world.drives import Idle
from seatrial.world.ports import accept_all


class ServeError(Exception):
    """Input `seatrial serve` cannot run with; the message names the flag and the fix."""


@dataclass(frozen=True)
class ServeOptions:
    scale: float
    host: str = "127.0.0.1"
    ports: tuple[int, int, int] = (0, 0, 0)  # erp, tms, lastmile; 0: an ephemeral port
    webhook_url: str | None = None  # the SUT's base URL; None: acknowledge every delivery
    # credentials from the seed (reproducible demos: anyone who knows the scenario and seed
    # can call the simulators); by default random ones
    seeded_credentials: bool = False
    # the pact's own client credentials (--client-id/--client-secret), else the stack's
    client_id: str | None = None
    client_secret: str | None = None
    # builds the Pact state handler over the served stack (the CLI injects the contracts'
    # ProviderStates); None: no state change endpoint, and the scenario plays as usual
    provider_states: Callable[[SimulatorStack], StateChange] | None = None


def sut_base_url(url: str, flag: str) -> str:
    """A SUT's base URL as the live protocol takes it (http(s)://HOST:PORT), or ServeError
    naming `flag`."""
    parts = urlsplit(url)
    why = (f"the scheme is {parts.scheme or 'missing'}, not http or https"
           if parts.scheme not in ("http", "https") else
           "it names no host" if not parts.hostname else
           "a base URL has no path, query or fragment"
           if parts.path not in ("", "/") or parts.query or parts.fragment else
           "its port is missing, not a number, or not in 1-65535" if not _port(parts) else None)
    if why is not None:
        raise ServeError(f"{flag} {url}: {why}; give the SUT's base URL as http://HOST:PORT, "
                         "e.g. http://127.0.0.1:9000")
    return url.rstrip("/")


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:  # not a number, or out of range
        return None


def port_flag(system: str) -> str:
    return f"--{system}-port"


def check_scenario(scenario: Scenario) -> None:
    """Crash faults need a SUT process Seatrial started; serve starts none."""
    if any(isinstance(fault, Crash) for fault in scenario.faults):
        raise ServeError(f"scenario {scenario.name!r} has a crash fault, which needs a SUT "
                         "Seatrial starts (seatrial run --target-cmd); serve another scenario")


def bind(options: ServeOptions) -> dict[str, socket.socket]:
    """Every port bound before anything starts, so a taken one is an input error naming its
    flag (and no server is left half started)."""
    sockets: dict[str, socket.socket] = {}
    try:
        for system, port in zip(SYSTEMS, options.ports, strict=True):
            try:
                sockets[system] = listen(options.host, port)
            except OSError as error:
                raise bind_error(port_flag(system), options.host, port, error) from None
    except ServeError:
        for sock in sockets.values():
            sock.close()
        raise
    return sockets


def bind_error(flag: str, host: str, port: int, error: OSError) -> ServeError:
    """Why `host`:`port` (given with `flag`) cannot be bound, and what to do instead."""
    if error.errno == errno.EADDRINUSE:
        return ServeError(f"{flag} {port}: {host}:{port} is already in use; "
                          f"choose another port, or 0 for a free one")
    if error.errno in (errno.EACCES, errno.EPERM):
        return ServeError(f"{flag} {port}: not allowed to bind it ({error.strerror})"
                          "; choose a port above 1023, or 0 for a free one")
    return ServeError(f"--host {host}: cannot listen there ({error.strerror or error}); give an "
                      "address of this machine, e.g. 127.0.0.1")


def export_lines(stack: SimulatorStack, tokens: dict[str, str]) -> list[str]:
    """The settings (docs/live-protocol.md) and a bearer token per system, ready to paste."""
    lines = [f"export {name}={shlex.quote(value)}" for name, value in stack.settings.items()]
    lines.append(f"# bearer tokens, valid {stack.tokens.lifetime:g} wall seconds "
                 "(more from $SEATRIAL_<SYSTEM>_URL/oauth/token):")
    lines += [f"export SEATRIAL_{system.upper()}_TOKEN={shlex.quote(token)}"
              for system, token in tokens.items()]
    return lines


def mailbox_lines(stack: SimulatorStack) -> list[str]:
    """Where each SFTP mailbox listens (x12's TMS: its files), with a login to paste: the run's
    key (or its password, $SEATRIAL_<SYSTEM>_SFTP_PASSWORD), the host key checked."""
    lines = []
    for system, login in stack.logins.items():
        assert stack.files is not None
        known = stack.files / system / "known_hosts"
        lines += [f"# {system} SFTP mailbox (inbound/ for your files, outbound/ for its own) at "
                  f"{login['HOST']}:{login['PORT']}, user {login['USERNAME']}; try:",
                  f"#   sftp -P {login['PORT']} -i {shlex.quote(login['KEY_PATH'])} -o "
                  f"UserKnownHostsFile={shlex.quote(str(known))} -o StrictHostKeyChecking=yes "
                  f"{login['USERNAME']}@{login['HOST']}"]
    return lines


def issue_tokens(stack: SimulatorStack) -> dict[str, str]:
    """A token per system from the stack's own issuer, as /oauth/token would grant it."""
    return {system: stack.tokens.issue(system) for system in SYSTEMS}


async def configure_sut(url: str, settings: dict[str, str]) -> str:
    """Hand a running SUT the settings (POST /seatrial/configure, with the control secret in
    $SEATRIAL_CONTROL_SECRET); what happened, in words. Not fatal: a SUT started later with the
    exported settings needs none."""
    try:
        await configure_from_loop(url, settings, control.from_env())
    except SutUnavailable as error:
        return (f"{error}; or start it with the settings below: deliveries fail meanwhile and "
                "are redelivered on the source's schedule")
    return "SUT configured with POST /seatrial/configure"


def serve(scenario: Scenario, options: ServeOptions, sockets: dict[str, socket.socket],
          show: Callable[[list[str]], None]) -> None:
    """Serve until SIGINT or SIGTERM, then stop everything (ports closed) and return."""
    asyncio.run(_serve(scenario, options, sockets, show))


async def _serve(scenario: Scenario, options: ServeOptions, sockets: dict[str, socket.socket],
                 show: Callable[[list[str]], None]) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    client = BoundedClient(timeout=10.0)
    url = options.webhook_url
    stack = SimulatorStack(scenario, options.scale, options.host, options.seeded_credentials,
                           receiver=accept_all if url is None else lambda clock, ledger: (
                               RemoteSut(url, clock, client, None, ledger)),
                           drive=None if options.provider_states is None else Idle())
    if options.client_id is not None:
        stack.tokens.client_id = options.client_id
    if options.client_secret is not None:
        stack.tokens.client_secret = options.client_secret
    world = stack.world
    remote = world.receiver if isinstance(world.receiver, RemoteSut) else None
    driver: asyncio.Task | None = None
    try:
        states = None if options.provider_states is None else options.provider_states(stack)
        await stack.start(sockets, () if states is None else (state_change_route(states),))
        if url is None:
            note = ("no --webhook-url: every delivery is acknowledged and dropped (AcceptAll); "
                    "give your SUT's base URL to have them delivered")
        else:
            note = (f"delivered to {url}/webhooks/{{erp,tms,lastmile}}; "
                    f"{await configure_sut(url, with_sut_url(stack.settings, url))}")
        credentials = ("given (--client-id/--client-secret)"
                       if options.client_id is not None or options.client_secret is not None
                       else "seeded (--seeded-credentials): reproducible, and anyone who knows "
                       "the scenario and seed can call these simulators"
                       if options.seeded_credentials else "random, for this serve only")
        provider_states = [] if states is None else [
            f"# provider states: POST {stack.urls['erp']}{PATH} (on any simulator's port) is "
            "Pact's state change URL, with body and teardown; nothing moves on its own, a "
            "teardown empties the world (docs/contracts.md)"]
        show([f"# seatrial serve: {scenario.name} seed {scenario.seed} at {options.scale:g}x "
              "(simulated seconds per wall second); Ctrl-C stops it",
              f"# webhooks: {note}",
              f"# credentials: {credentials}",
              *provider_states,
              *export_lines(stack, issue_tokens(stack)),
              '# try: curl -H "Authorization: Bearer $SEATRIAL_ERP_TOKEN" '
              '"$SEATRIAL_ERP_URL/orders/SO-000001"',
              *mailbox_lines(stack)])
        stack.clock.start()
        driver = asyncio.create_task(stack.clock.drive(world.horizon))
        await stop.wait()  # past the horizon the world is still, but the APIs still answer
    finally:  # a second Ctrl-C meanwhile changes nothing: the shutdown is bounded
        if driver is not None:
            driver.cancel()
            await asyncio.gather(driver, return_exceptions=True)
        if remote is not None:
            await remote.close()
        await client.aclose()
        await stack.stop()
        for sock in sockets.values():
            sock.close()
        refused = stack.refused
        if any(refused.values()):
            with contextlib.suppress(OSError):  # a reader that has gone away
                show([f"# refused: {sum(refused.values()):,} requests turned away ("
                      + ", ".join(f"{system} {count:,}" for system, count in refused.items())
                      + f"); the ledger records the first {REFUSED_RECORDED:,} per system"])
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
