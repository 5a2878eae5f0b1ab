"""The RabbitMQ broker a run's events travel through (AMQP 0-9-1): one Seatrial starts itself, or a
virtual host on one the user names.

Many sync implementations consume their ERP, TMS and last-mile events from a broker rather than
receive webhooks, so Seatrial needs a real one, not a mock: redelivery, acknowledgements and
dead-lettering are the broker's own behaviour, and a stock AMQP client must be able to log in.

`LocalBroker` starts RabbitMQ from its own scripts, on loopback ports, with every file it writes
in one temporary folder: its node name, Erlang cookie, database, logs, feature-flags file and
enabled-plugins file, and an epmd of its own on a port of its own (an epmd RabbitMQ started
itself would daemonize, outlive the broker and serve every other Erlang node on the machine).
Debian's /usr/sbin/rabbitmq-server is a wrapper that drops to the `rabbitmq` user, who cannot
read a folder root made (the boot fails with "failed to read the feature_flags file:
permission denied"), so on Debian the real script behind it is run, as whoever runs Seatrial.
Leaving the block stops the broker and its epmd and removes the folder, whatever ended the
block: an exception, Ctrl-C (during the boot too), or SIGTERM where the caller turns it into
KeyboardInterrupt (seatrial.live.parallel.sigterm_as_interrupt).

`UserBroker` takes a broker's `amqp://` URL, creates a virtual host of its own on it through the
management API (AMQP has no verb for that, and rabbitmqctl needs the node's Erlang cookie, which
a remote broker's user seldom has) and deletes it on the way out, so runs never meet each
other's queues.

Either way the block gets a `Broker`: the URL a client logs in with, for this run only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import aio_pika
import httpx
import psutil

from seatrial.live.ports import for_a_command

LOOPBACK = "127.0.0.1"
USERNAME = "seatrial"
VHOST = "seatrial"  # the local broker's one virtual host; a user's broker gets seatrial-<random>
#: Debian's real server script, behind the wrapper that drops to the rabbitmq user.
DEBIAN_SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
INSTALL = ("install RabbitMQ (Debian: apt-get install rabbitmq-server; macOS: brew install "
           "rabbitmq) or name a running broker with --broker-url amqp://USER:PASSWORD@HOST:PORT "
           "(docs/broker.md)")
BOOT_TIMEOUT = 90.0  # wall seconds a cold boot may take (6 to 13 s measured on 2 busy cores)
STOP_GRACE = 30.0  # wall seconds a stopping broker has to flush and exit before SIGKILL
#: What a failed AMQP login raises: refused or reset (OSError), timed out, or refused by the broker.
LOGIN_ERRORS = (TimeoutError, OSError, aio_pika.exceptions.AMQPError)
MANAGEMENT_PORTS = {"amqp": ("http", 15672), "amqps": ("https", 15671)}  # RabbitMQ's defaults
CAP_POLICY = "seatrial-cap-"  # + the queue's name: a queue_length_limit fault's policy


class BrokerError(Exception):
    """A broker that cannot be started or used; the message names the fix."""


@dataclass(frozen=True)
class Broker:
    """What a run's clients log in with: `url` is `amqp://USER:PASSWORD@HOST:PORT/VHOST`; the
    broker's management API is at `management_url` where it has one Seatrial knows of."""

    url: str
    vhost: str
    management_url: str | None = None


def find_server() -> str:
    """The rabbitmq-server script that runs as the caller: Debian's real one, else the first on
    PATH (Homebrew's and the generic Unix release's are the real one)."""
    if DEBIAN_SERVER.is_file():
        return str(DEBIAN_SERVER)
    found = shutil.which("rabbitmq-server")
    if found is None:
        raise BrokerError(f"no rabbitmq-server found: {INSTALL}")
    return found


def orphan_guard() -> list[str]:
    """What to start the broker and its epmd under so that they get SIGTERM when Seatrial dies
    without stopping them (SIGKILL, or a crash past every handler): util-linux's `setpriv
    --pdeathsig`, on Linux; nothing elsewhere, where a killed Seatrial leaves its broker running.
    Either way the folder stays (nothing is left to remove it). The signal follows the thread
    that started them: enter a LocalBroker from the thread that outlives its runs."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


def stop_tree(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM to `proc`'s process group (the server script and its beam), then wait up to
    `grace` seconds for every process it started, wherever they went: Erlang's helpers
    (erl_child_setup, inet_gethost) have sessions of their own and leave once the beam is gone.
    SIGKILL to whatever is left. A group whose leader has exited is not signalled: its id may
    be another process's by now."""
    if proc.poll() is not None:
        return
    try:
        root = psutil.Process(proc.pid)
        family = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    _, alive = psutil.wait_procs(family, timeout=grace)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(alive, timeout=10.0)
    proc.wait()


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((LOOPBACK, port)) == 0


async def _login(url: str) -> None:
    connection = await aio_pika.connect(url, timeout=5)
    await connection.close()


def login(url: str) -> None:
    """Log in to `url` over AMQP and out again; raises what aio-pika raises."""
    asyncio.run(_login(url))


class LocalBroker:
    """RabbitMQ started for this invocation of Seatrial: `with LocalBroker() as broker:`."""

    def __init__(self, *, management: bool = False, server: str | None = None) -> None:
        self.management = management
        self.server = server
        self.folder: Path | None = None
        self._epmd: subprocess.Popen | None = None
        self._node: subprocess.Popen | None = None

    def __enter__(self) -> Broker:
        server = self.server or find_server()
        epmd = shutil.which("epmd")
        if epmd is None:
            raise BrokerError(f"no epmd (Erlang's port mapper) found beside rabbitmq-server: "
                              f"{INSTALL}")
        self.folder = Path(tempfile.mkdtemp(prefix="seatrial-broker-"))
        try:
            return self._boot(server, epmd, self.folder)
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *_exc: object) -> None:
        if self._node is not None:
            stop_tree(self._node, STOP_GRACE)
        if self._epmd is not None:
            stop_tree(self._epmd, 5.0)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _boot(self, server: str, epmd: str, folder: Path) -> Broker:
        password = secrets.token_urlsafe(18)
        ports: list[int] = []
        for _ in range(4):  # AMQP, Erlang distribution, epmd, management: four distinct
            ports.append(for_a_command(LOOPBACK, taken=ports))
        amqp_port, dist_port, epmd_port, management_port = ports
        home = folder / "home"
        home.mkdir()
        cookie = home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20))
        cookie.chmod(0o400)  # Erlang refuses a cookie others can read
        plugins = ["rabbitmq_management"] if self.management else []
        (folder / "enabled_plugins").write_text(f"[{','.join(plugins)}].\n")
        config = [f"listeners.tcp.default = {LOOPBACK}:{amqp_port}",
                  f"default_user = {USERNAME}", f"default_pass = {password}",
                  f"default_vhost = {VHOST}"]
        management_url = None
        if self.management:
            config += [f"management.tcp.ip = {LOOPBACK}",
                       f"management.tcp.port = {management_port}"]
            management_url = f"http://{LOOPBACK}:{management_port}"
        (folder / "rabbitmq.conf").write_text("\n".join(config) + "\n")
        env = {
            **os.environ,
            "HOME": str(home),  # where Erlang and the CLI tools read the cookie
            "RABBITMQ_NODENAME": f"seatrial-{secrets.token_hex(4)}@localhost",
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(folder / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(folder / "rabbitmq-env.conf"),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_FEATURE_FLAGS_FILE": str(folder / "feature_flags"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(folder / "rabbitmq.pid"),
            "RABBITMQ_DIST_PORT": str(dist_port),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_PORT": str(epmd_port),
            "ERL_EPMD_ADDRESS": LOOPBACK,
        }
        guard = orphan_guard()
        with (folder / "epmd.log").open("wb") as out:
            self._epmd = subprocess.Popen(
                [*guard, epmd, "-port", str(epmd_port), "-address", LOOPBACK], env=env, stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        with (folder / "server.log").open("wb") as out:
            self._node = subprocess.Popen(
                [*guard, server], env=env, cwd=folder, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        url = f"amqp://{USERNAME}:{quote(password, safe='')}@{LOOPBACK}:{amqp_port}/{VHOST}"
        self._wait_ready(amqp_port, url, folder)
        return Broker(url, VHOST, management_url)

    def _wait_ready(self, port: int, url: str, folder: Path) -> None:
        """Until the AMQP port listens (RabbitMQ opens it once the boot is done), then one
        login as the run's user, the sign that clients can use it."""
        deadline = time.monotonic() + BOOT_TIMEOUT
        while not listening(port):
            if self._node is not None and self._node.poll() is not None:
                raise BrokerError(f"rabbitmq-server exited with code {self._node.returncode} "
                                  f"while booting{_tail(folder / 'server.log')}")
            if time.monotonic() > deadline:
                raise BrokerError(f"rabbitmq-server did not listen on port {port} within "
                                  f"{BOOT_TIMEOUT:g}s{_tail(folder / 'server.log')}")
            time.sleep(0.1)
        try:
            login(url)
        except LOGIN_ERRORS as error:
            raise BrokerError(f"rabbitmq-server listens but refused the run's login ({error}); "
                              f"{_tail(folder / 'server.log')}") from None


class UserBroker:
    """A virtual host of this invocation's own on the broker at `url`:
    `with UserBroker(url) as broker:`. Needs the management plugin (its API is at `management`,
    by default the AMQP host on RabbitMQ's management port) and a user tagged administrator."""

    def __init__(self, url: str, management: str | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in MANAGEMENT_PORTS or not parts.hostname:
            raise BrokerError(f"--broker-url {url!r}: give amqp://USER:PASSWORD@HOST:PORT (or "
                              "amqps://), a RabbitMQ with the management plugin")
        if not parts.username or parts.password is None:
            raise BrokerError(f"--broker-url {_redacted(url)}: name the user and password "
                              "(amqp://USER:PASSWORD@HOST:PORT); the user needs the "
                              "administrator tag to create the run's virtual host")
        scheme, port = MANAGEMENT_PORTS[parts.scheme]
        self.parts = parts
        self.user, self.password = unquote(parts.username), unquote(parts.password)
        self.management = (management or f"{scheme}://{_host(parts.hostname)}:{port}").rstrip("/")
        self.vhost = f"seatrial-{secrets.token_hex(6)}"
        self._created = False

    def __enter__(self) -> Broker:
        api = f"/api/vhosts/{quote(self.vhost, safe='')}"
        self._call("PUT", api, {"description": "Seatrial: one invocation's, deleted after it"})
        self._created = True
        try:
            self._call("PUT", f"/api/permissions/{quote(self.vhost, safe='')}/"
                              f"{quote(self.user, safe='')}",
                       {"configure": ".*", "write": ".*", "read": ".*"})
            netloc = self.parts.netloc.rpartition("@")[2]
            url = (f"{self.parts.scheme}://{quote(self.user, safe='')}:"
                   f"{quote(self.password, safe='')}@{netloc}/{quote(self.vhost, safe='')}")
            try:
                login(url)
            except LOGIN_ERRORS as error:
                raise BrokerError(f"--broker-url {_redacted(url)}: no AMQP login "
                                  f"({error or type(error).__name__}); check the host and "
                                  "port (RabbitMQ's AMQP port is 5672, 5671 with TLS)") from None
            return Broker(url, self.vhost, self.management)
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, exc_type: object, exc: BaseException | None, _tb: object) -> None:
        if not self._created:
            return
        try:
            self._call("DELETE", f"/api/vhosts/{quote(self.vhost, safe='')}")
            self._created = False
        except BrokerError as error:
            message = (f"the run's virtual host {self.vhost!r} is left on the broker: {error}; "
                       f"delete it with rabbitmqctl delete_vhost {self.vhost}")
            if exc is None:
                raise BrokerError(message) from None
            exc.add_note(message)

    def cap(self, queue: str, max_length: int | None) -> None:
        """Cap `queue` of the run's virtual host at `max_length` ready messages, refusing
        publishes beyond (`overflow: reject-publish`), as an operator's policy does; None lifts
        the cap (the `queue_length_limit` fault, docs/broker.md)."""
        path = (f"/api/policies/{quote(self.vhost, safe='')}/"
                f"{quote(CAP_POLICY + queue, safe='')}")
        if max_length is None:
            self._call("DELETE", path)
            return
        self._call("PUT", path, {"pattern": f"^{re.escape(queue)}$", "apply-to": "queues",
                                 "definition": {"max-length": max_length,
                                                "overflow": "reject-publish"}})

    def _call(self, method: str, path: str, body: dict | None = None) -> None:
        """One management API call; what it answered, turned into what to fix."""
        where = f"the management API at {self.management}"
        try:
            answer = httpx.request(method, self.management + path, json=body, timeout=10.0,
                                   auth=(self.user, self.password))
        except httpx.HTTPError as error:
            raise BrokerError(
                f"{where} did not answer ({error or type(error).__name__}): enable it on the "
                "broker (rabbitmq-plugins enable rabbitmq_management) or name it with "
                "--broker-management-url") from None
        if answer.status_code == 401:
            raise BrokerError(f"{where} refused user {self.user!r}: check the user and password "
                              "in --broker-url")
        if answer.status_code == 403:
            raise BrokerError(f"{where}: user {self.user!r} may not manage virtual hosts; tag "
                              f"it: rabbitmqctl set_user_tags {self.user} administrator")
        if answer.status_code >= 300:
            raise BrokerError(f"{where} answered {method} {path} with {answer.status_code}: "
                              f"{answer.text[:200]}")


def _host(hostname: str) -> str:
    return f"[{hostname}]" if ":" in hostname else hostname


def _redacted(url: str) -> str:
    """`url` with its password hidden: an error message is printed, and logs keep it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


def _tail(log: Path, lines: int = 15) -> str:
    try:
        text = log.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return ("; its last output:\n  " + "\n  ".join(text)) if text else ""


def open_broker(url: str | None, management_url: str | None = None, *,
                management: bool = False) -> AbstractContextManager[Broker]:
    """The broker for one invocation of Seatrial, entered once for all its runs (a cold boot
    takes seconds): a virtual host on the one at `url`, else one started here."""
    if url is None:
        return LocalBroker(management=management)
    return UserBroker(url, management_url)


def runs_broker(url: str | None, management_url: str | None = None,
                ) -> AbstractContextManager[Broker]:
    """The broker live runs on the amqp channel make their virtual hosts on (each its own,
    seatrial.live.amqp_channel), entered once per invocation: one started here, with the
    management API through which a run makes its virtual host; or the one at `url`, checked
    now, on which each run makes and deletes its own."""
    if url is None:
        return LocalBroker(management=True)
    UserBroker(url, management_url)  # a URL that cannot be one is an error before any run
    return contextlib.nullcontext(Broker(url, "", management_url))
