"""`seatrial sut NAME`: an in-process SDK implementation served as a real HTTP sync service.

The same hosting pieces as in-process (`seatrial.hosting`) run its handlers; only the face
differs: calls go out over httpx with OAuth2 tokens, sleeps are wall-clock sleeps scaled by the
time scale, and webhooks come in over HTTP (docs/live-protocol.md).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import math
import random
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from seatrial.cost import CostMeter
from seatrial.hosting import Done, Resume, describe, receive, spawn
from seatrial.input_limits import Refused, parse_json
from seatrial.live import control
from seatrial.live.amqp_consumer import Consumer
from seatrial.live.http_client import BoundedClient
from seatrial.live.limits import Limits
from seatrial.live.problems import problem
from seatrial.live.settings import (
    AMQP_URL,
    CONTROL_SECRET,
    SETTINGS,
    SFTP_PARTS,
    SUT_URL,
    SYSTEMS,
    amqp_queue_setting,
    dialect_setting,
    secret_setting,
    sftp_setting,
    url_setting,
)
from seatrial.live.sftp_client import Login, SftpMailbox
from seatrial.live.store import SqliteStore
from seatrial.model.envelope import EPOCH, Event
from seatrial.model.wire import CANONICAL
from seatrial.sdk import payloads
from seatrial.sdk.implementation import IO, Handler, SyncImplementation
from seatrial.sdk.mailbox import Credential
from seatrial.sdk.messages import Call, ConnectError, RequestTimeout, retry_seconds
from seatrial.sdk.messages import Response as SdkResponse
from seatrial.sdk.store import DurableStore
from seatrial.sdk.webhooks import Webhook
from seatrial.simulators.dialect import dialect, dialects
from seatrial.transport.retry_after import retry_after_headers

MIN_CALL_TIMEOUT = 0.25  # wall seconds: a loaded loopback answers within this, or it is lost
log = logging.getLogger("seatrial.sut")


class SettingsError(ValueError):
    pass


# As contracts/openapi/sut-webhooks.json has them: an http(s) URL with a host, and the time
# scale's decimal string as `seatrial run` writes it (f"{scale:g}": 3600, 0.5, 1e+06).
BASE_URL = re.compile(r"https?://[^/?#\x00-\x20\x7f]+[^\x00-\x20\x7f]*")
DECIMAL = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]{1,2})?")
DIALECT_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")  # as a scenario names one


def parse_settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    missing = [name for name in SETTINGS if raw.get(name) in (None, "")]
    if missing:
        raise SettingsError(f"missing setting(s) {', '.join(missing)}; docs/live-protocol.md "
                            "lists them all")
    for name in SETTINGS:
        value = raw[name]
        if name != "SEATRIAL_TIME_SCALE" and not isinstance(value, str):
            raise SettingsError(f"{name}: give a string, not {type(value).__name__}")
        if name.endswith("_URL") and not BASE_URL.fullmatch(value):
            raise SettingsError(f"{name}={value!r}: give the http(s) base URL of the system, "
                                "e.g. http://127.0.0.1:41017")
        if name.endswith("_WEBHOOK_SECRET") and not _webhook_secret(value):
            raise SettingsError(f"{name}: give a Standard Webhooks secret, whsec_ followed by "
                                "base64 (as Seatrial sends it)")
    scale = _time_scale(raw["SEATRIAL_TIME_SCALE"])
    if not (scale > 0 and math.isfinite(scale)):
        raise SettingsError(f"SEATRIAL_TIME_SCALE={raw['SEATRIAL_TIME_SCALE']!r}: give a positive "
                            "number of simulated seconds per wall second, e.g. 3600")
    parsed = {name: (scale if name == "SEATRIAL_TIME_SCALE" else raw[name]) for name in SETTINGS}
    # optional: absent is the default; present, it must be well formed (empty is not absent)
    for system in SYSTEMS:
        name = dialect_setting(system)
        value = raw.get(name, CANONICAL)
        if not (isinstance(value, str) and DIALECT_NAME.fullmatch(value)):
            raise SettingsError(f"{name}={value!r}: give the name of the dialect {system} "
                                "speaks, e.g. canonical, or leave it out")
        known = dialects(system)  # what the built-in implementations' connectors speak
        if value not in known:
            raise SettingsError(f"{name}={value!r}: {system} has no dialect {value!r}; use "
                                f"one of {', '.join(known)}, or leave it out")
        parsed[name] = value
    url = raw.get(SUT_URL)
    if SUT_URL in raw and not (isinstance(url, str) and BASE_URL.fullmatch(url)):
        raise SettingsError(f"{SUT_URL}={url!r}: give the http(s) base URL at which Seatrial "
                            "reaches this SUT, e.g. http://127.0.0.1:9000, or leave it out")
    parsed[SUT_URL] = url
    for part in SFTP_PARTS:  # optional: present, each must be well formed
        name = sftp_setting("tms", part)
        if name in raw and not (isinstance(raw[name], str) and raw[name]):
            raise SettingsError(f"{name}: give a non-empty string (docs/live-protocol.md), or "
                                "leave it out")
        if part == "PORT" and name in raw and not _port(raw[name]):
            raise SettingsError(f"{name}={raw[name]!r}: give the mailbox's port, 1-65535")
    parsed[MAILBOXES] = {system: _login(raw, system) for system in SYSTEMS
                         if dialect(system, parsed[dialect_setting(system)]).post_event}
    parsed[AMQP_URL], parsed[QUEUES] = _broker(raw)
    return parsed


#: Not a setting: the parsed settings' queue of each system's events, on the amqp channel.
QUEUES = "queues"
AMQP = re.compile(r"amqps?://[^/?#\x00-\x20\x7f]+[^\x00-\x20\x7f]*")


def _broker(raw: Mapping[str, Any]) -> tuple[str | None, dict[str, str]]:
    """The AMQP URL and each system's queue, on the amqp channel; (None, {}) on webhooks."""
    url = raw.get(AMQP_URL)
    if AMQP_URL not in raw:
        return None, {}
    if not (isinstance(url, str) and AMQP.fullmatch(url)):
        raise SettingsError(f"{AMQP_URL}: give the broker's amqp://USER:PASSWORD@HOST:PORT/VHOST "
                            "URL (docs/live-protocol.md#the-amqp-channel), or leave it out")
    queues = {system: raw.get(amqp_queue_setting(system)) for system in SYSTEMS}
    missing = [amqp_queue_setting(s) for s, name in queues.items()
               if not (isinstance(name, str) and name)]
    if missing:
        raise SettingsError(f"missing setting(s) {', '.join(missing)}: with {AMQP_URL} the "
                            "events travel on the broker, each system's in its queue "
                            "(docs/live-protocol.md#the-amqp-channel)")
    return url, queues


def _port(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 5 and 0 < int(value) < 65536


#: Not a setting: the parsed settings' SFTP logins, by system (`_login`).
MAILBOXES = "mailboxes"


def _login(raw: Mapping[str, Any], system: str) -> Login:
    """The SFTP mailbox login of `system`, whose dialect's events are files (x12's TMS)."""
    names = {part: sftp_setting(system, part) for part in SFTP_PARTS}
    missing = [name for name in names.values() if raw.get(name) in (None, "")]
    if missing:
        raise SettingsError(
            f"missing setting(s) {', '.join(missing)}: the {system} speaks "
            f"{raw.get(dialect_setting(system))}, whose files travel through an SFTP mailbox; "
            "docs/live-protocol.md says what each one is")
    port = raw[names["PORT"]]
    return Login(raw[names["HOST"]], int(port), raw[names["USERNAME"]],
                 raw[names["PASSWORD"]], raw[names["KEY_PATH"]], raw[names["KNOWN_HOSTS"]])


def _time_scale(value: Any) -> float:
    """A JSON number or a decimal string; 0.0 for anything else (or out of range)."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and DECIMAL.fullmatch(value):
            return float(value)
    except OverflowError:
        pass
    return 0.0


def _webhook_secret(value: str) -> bool:
    if not value.startswith("whsec_"):
        return False
    try:
        base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except binascii.Error:
        return False
    return True


# The envelope's required fields and their JSON types (contracts/openapi/sut-webhooks.json).
ENVELOPE = {"event_id": str, "type": str, "source": str, "source_seq": int, "event_time": str,
            "recorded_time": str, "classifier": str, "correlation_id": str}


def parse_event(body: bytes) -> Event:
    """The wire envelope back into an Event; ValueError names what is wrong."""
    try:
        data = parse_json(body, "an event envelope", "a real one is 3 or 4 levels deep")
    except Refused as refused:
        raise ValueError(f"the body {refused}") from None
    except ValueError as error:
        raise ValueError(f"the body is not JSON ({error}); send the event envelope as a JSON "
                         "object") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object (the event envelope)")
    if isinstance(data.get("source_seq"), float) and data["source_seq"].is_integer():
        data["source_seq"] = int(data["source_seq"])  # 7.0 is an integer in JSON Schema
    for name, kind in ENVELOPE.items():
        if name in data and (not isinstance(data[name], kind) or isinstance(data[name], bool)):
            raise ValueError(f"envelope field {name!r} must be "
                             f"{'an integer' if kind is int else 'a string'}")
    for name in ("order_id", "shipment_id", "task_id", "schema_version"):
        if not isinstance(data.get(name), str | None):
            raise ValueError(f"envelope field {name!r} must be a string or null")
    if not isinstance(data.get("payload"), dict | None):
        raise ValueError("envelope field 'payload' must be an object")
    try:
        return Event(data["event_id"], data["type"], data["source"], data["source_seq"],
                     datetime.fromisoformat(data["event_time"]),
                     datetime.fromisoformat(data["recorded_time"]), data["classifier"],
                     data["correlation_id"], data.get("order_id"), data.get("shipment_id"),
                     data.get("task_id"), data.get("schema_version", "1.0"),
                     data.get("payload") or {})
    except KeyError as missing:
        raise ValueError(f"envelope field {missing} is missing") from None
    except (TypeError, ValueError) as bad:
        raise ValueError(f"envelope time field is not ISO 8601 ({bad})") from None


def _wall_wait(headers: Mapping[str, str]) -> float | None:
    """Wall seconds a Retry-After asks for: the simulators' exact wait when they send it, else
    the header in either form (an HTTP-date from the answer's `Date`)."""
    exact = headers.get("x-seatrial-retry-after")
    if exact is not None:
        return float(exact)
    value = headers.get("retry-after")
    return None if value is None else retry_seconds(value, headers.get("date"))


#: The systems' dialects whose APIs take HTTP Basic credentials instead of the canonical OAuth2
#: bearer token: (user, password) from the settings (docs/dialects.md).
BASIC = {"sap-s4": ("SEATRIAL_CLIENT_ID", "SEATRIAL_CLIENT_SECRET"),  # a communication user
         "onfleet": ("SEATRIAL_CLIENT_SECRET", None)}  # the API key as the user name


def _own_authorization(call: Call) -> bool:
    """The call authenticates itself (a dialect's own scheme, e.g. Basic with an API key)."""
    return any(name == "authorization" for name, _value in call.headers)


class HttpFace:
    """The `Face` and `Runtime` of a sync implementation served over HTTP."""

    def __init__(self, factory: Callable[[], SyncImplementation],
                 state_dir: Path | None, delay: float = 0.0) -> None:
        """`delay`: wall seconds before each event is handled (slow on purpose)."""
        self.factory = factory
        self.state_dir = state_dir
        self.delay = delay
        self.generation = 0
        self.cost = CostMeter()  # the trampoline charges it; the harness measures live itself
        self.client = BoundedClient(timeout=30.0)
        self.settings: dict[str, Any] | None = None
        self.sut: SyncImplementation | None = None
        self.io: IO | None = None
        self.store: DurableStore | None = None
        self._tokens: dict[str, str] = {}
        self.background = 0  # spawned tasks still running: 0 once the implementation settles
        #: tasks waiting out an `io.sleep` (a backoff, a watcher's half hour): background work
        #: that is only asleep has settled for now
        self.asleep = 0
        # per system, (when the handler of its latest 429 was told, until when the Retry-After
        # holds), monotonic: the requests issued before and still queued here wait; their
        # handlers could not know. Requests issued after are the implementation's own business
        # (it may ignore 429s). See `_throttled`.
        self._paused: dict[str, tuple[float, float]] = {}
        self._untold: dict[str, int] = {}  # per system, 429s arrived whose handler is not told
        self._token_locks: dict[str, asyncio.Lock] = {}
        self._anchor = (0.0, time.monotonic())  # (simulated seconds, when we learned it)
        #: per system whose files travel through an SFTP mailbox (x12's TMS), its client: its
        #: mailbox Calls go there (seatrial.live.sftp_client)
        self.mailboxes: dict[str, SftpMailbox] = {}
        #: on the amqp channel, what consumes the run's queues (seatrial.live.amqp_consumer)
        self.consumer: Consumer | None = None

    @property
    def scale(self) -> float:
        return self.settings["SEATRIAL_TIME_SCALE"]

    def configure(self, settings: dict[str, Any], fresh: bool, base_url: str) -> None:
        """A new run: new settings, a new instance; `fresh` forgets the durable state too (a
        restart after a crash keeps it). `base_url` is where this SUT is reached when the
        settings do not say ($SEATRIAL_SUT_URL): its webhooks are under it (`io.webhook_url`)."""
        self.generation += 1  # tasks of the previous run die when they would resume
        self.background = 0
        self.asleep = 0
        self.settings = settings
        self._tokens.clear()
        self._paused.clear()
        self._untold.clear()
        for old in self.mailboxes.values():  # the previous run's connections
            asyncio.get_running_loop().create_task(old.close())
        self.mailboxes = {system: SftpMailbox(system, login)
                          for system, login in settings[MAILBOXES].items()}
        if self.consumer is not None:  # the previous run's
            asyncio.get_running_loop().create_task(self.consumer.close())
            self.consumer = None
        if settings[AMQP_URL] is not None:
            self.consumer = Consumer(settings[AMQP_URL], settings[QUEUES], self.take)
        if self.store is None:
            self.store = (SqliteStore(self.state_dir / "store.sqlite3") if self.state_dir
                          else DurableStore())
        if fresh:
            if isinstance(self.store, SqliteStore):
                self.store.clear()
            else:
                self.store = DurableStore()
        secrets = {s: settings[secret_setting(s)] for s in SYSTEMS}
        rng = random.Random(settings["SEATRIAL_CLIENT_SECRET"])
        dialects = {s: settings[dialect_setting(s)] for s in SYSTEMS}
        self.io = IO(self, self.store, rng, secrets, dialects, settings[SUT_URL] or base_url)
        self.sut = self.factory()
        started = self.sut.start(self.io)
        if started is not None:
            self.spawn(started)
        if self.consumer is not None:
            self.consumer.start()

    # Runtime
    def mailbox_login(self, system: str) -> Credential | None:
        """The mailbox's credential as its settings and key file say now (the key file read
        again: a partner that rotates its key writes the new one there)."""
        mailbox = self.mailboxes.get(system)
        return None if mailbox is None else mailbox.credential()

    def now(self) -> float:
        sim, seen = self._anchor
        return sim + (time.monotonic() - seen) * (self.scale if self.settings else 0.0)

    def signing_now(self) -> datetime:
        return datetime.now(UTC)  # live sources sign with the wall clock

    def spawn(self, task: Handler, done: Done | None = None) -> None:
        """Run a task in the background, counted in `background` until it ends."""
        finish = done or self._background_done

        def ended(error: BaseException | None) -> None:
            self.background -= 1
            finish(error)

        self.background += 1
        spawn(self, task, ended)

    async def take(self, source: str, body: bytes,
                   headers: dict[str, str]) -> tuple[str, str | None]:
        """One event of `source`'s as it arrived (a webhook's body and header fields, or a
        message's body and headers), handled as in process (after `delay`): the handler's
        answer, ack, nack or reject, and why. ValueError: a canonical body that is not an
        event envelope (a vendor's unreadable body is parked, as in process)."""
        read = payloads.reader(source, self.io.dialects[source])  # a vendor's body, if any
        event = parse_event(body) if read is None else payloads.readable(read, source, body)
        if self.delay:
            await asyncio.sleep(self.delay)
        self.learn_time(headers.get("x-seatrial-sim-time"))
        answered: asyncio.Future = asyncio.get_running_loop().create_future()
        receive(self, self.sut, self.io, Webhook.received(event, body, headers),
                lambda outcome, detail: answered.done() or answered.set_result((outcome, detail)))
        return await answered

    def _background_done(self, error: BaseException | None) -> None:
        if error is not None:
            log.error("background task failed: %s", describe(error))

    def learn_time(self, header: str | None) -> None:
        if header:
            try:
                when = datetime.fromisoformat(header)
            except ValueError:
                return
            self._anchor = ((when - EPOCH).total_seconds(), time.monotonic())

    # Face
    def sleep(self, seconds: float, resume: Callable[[], None]) -> None:
        generation = self.generation
        self.asleep += 1

        def wake() -> None:
            if generation == self.generation:  # else a new run has counted afresh
                self.asleep -= 1
            resume()

        asyncio.get_running_loop().call_later(seconds / self.scale, wake)

    def send(self, call: Call, resume: Resume) -> None:
        # issued when the handler yields it, not when its task first runs: a 429 its handler
        # learned of in between came after the handler's last look at its pause
        asyncio.get_running_loop().create_task(self._send(call, resume, time.monotonic()))

    async def _send(self, call: Call, resume: Resume, issued: float) -> None:
        mailbox = self.mailboxes.get(call.system)
        if mailbox is not None and mailbox.matches(call):
            await self._send_file(mailbox, call, resume)
            return
        base = self.settings.get(url_setting(call.system))
        if base is None:
            resume(None, ConnectError(f"unknown system {call.system!r}; use io.erp, io.tms or "
                                      "io.lastmile"))
            return
        timeout = max(call.timeout / self.scale, MIN_CALL_TIMEOUT)
        untold: list[str] = []  # this call's 429 pauses its system; its handler does not know
        outcome: tuple[SdkResponse | None, Exception | None]
        try:
            answer = await self._request(base, call, timeout, issued, untold)
            if (answer.status_code == 401 and not _own_authorization(call)
                    and self.settings.get(dialect_setting(call.system)) not in BASIC):
                # our token expired or was revoked: one fresh token, one retry
                self._tokens.pop(call.system, None)
                answer = await self._request(base, call, timeout, issued, untold)
        except httpx.TimeoutException:
            outcome = None, RequestTimeout(f"{call.system} did not answer within "
                                           f"{timeout:g}s (wall)")
        except httpx.HTTPError as error:
            outcome = None, ConnectError(f"{call.system}: {type(error).__name__}: {error}")
        except Exception as error:  # a hand-built Call httpx cannot send: the handler's error
            outcome = None, error
        else:
            outcome = self._response(answer), None
        self._told(untold)
        resume(*outcome)

    async def _send_file(self, mailbox: SftpMailbox, call: Call, resume: Resume) -> None:
        """A mailbox Call over SFTP (seatrial.live.sftp_client), answered as in process."""
        timeout = max(call.timeout / self.scale, MIN_CALL_TIMEOUT)
        try:
            answer = await mailbox.send(call, timeout)
        except Exception as error:  # ConnectError, RequestTimeout
            resume(None, error)
            return
        resume(answer, None)

    async def close(self) -> None:
        """The service stops: its client, its mailbox connections and its consumer."""
        await self.client.aclose()
        for mailbox in self.mailboxes.values():
            await mailbox.close()
        if self.consumer is not None:
            await self.consumer.close()

    def _response(self, answer: httpx.Response) -> SdkResponse:
        self.learn_time(answer.headers.get("x-seatrial-sim-time"))
        headers = dict(answer.headers)
        wait = _wall_wait(headers)
        if wait is not None:  # wall time on the wire, simulated in the SDK, in the same form
            headers.update(self._simulated_retry_after(headers["retry-after"], wait))
        return SdkResponse.raw(answer.status_code, answer.content, headers,
                               tuple(answer.headers.get_list("set-cookie")))

    def _simulated_retry_after(self, value: str, wait: float) -> dict[str, str]:
        """A wall-clock Retry-After of `wait` wall seconds as the SDK sees it in-process:
        whole simulated seconds, or an HTTP-date of the simulated clock beside a simulated
        `Date`, both rounded up from the exact wait (never early)."""
        sim_wait = wait * self.scale
        with contextlib.suppress(ValueError):
            float(value)  # delta-seconds (rounded to a millisecond first: float noise)
            return {"retry-after": str(math.ceil(round(sim_wait, 3)))}
        return retry_after_headers("http_date", self.now(), sim_wait)[1]

    # A 429 pauses its system from the moment its head arrives until its Retry-After has
    # passed, for every request issued before its handler was told (`_hold`): those could not
    # have known. Told is later than arrived: the body is read and the connection handed back
    # (when another request may take it) before the handler runs again, and the loop may run
    # other handlers' yields in between; while any 429 of the system is untold, every request
    # to it counts as issued before.

    def _throttled(self, system: str, answer: httpx.Response, untold: list[str]) -> None:
        """A 429's head has arrived (its connection is still this request's)."""
        wait = _wall_wait(answer.headers) if answer.status_code == 429 else None
        if wait is not None:
            until = max(time.monotonic() + wait, self._paused.get(system, (0.0, 0.0))[1])
            self._paused[system] = (math.inf, until)
            self._untold[system] = self._untold.get(system, 0) + 1
            untold.append(system)

    def _told(self, untold: list[str]) -> None:
        """The handler is about to learn of its 429: requests issued from now on are its own
        business (it may ignore the pause; the check is there to catch that)."""
        for system in untold:
            left = self._untold.get(system, 0) - 1
            self._untold[system] = max(0, left)
            if left <= 0 and system in self._paused:  # (a new run may have cleared both)
                self._paused[system] = (time.monotonic(), self._paused[system][1])

    async def _request(self, base: str, call: Call, timeout: float, issued: float,
                       untold: list[str]) -> httpx.Response:
        headers = dict(call.headers)
        basic = BASIC.get(self.settings.get(dialect_setting(call.system)))
        if _own_authorization(call):
            pass
        elif basic is not None:  # the dialect's scheme
            user, password = (self.settings[name] if name else "" for name in basic)
            pair = base64.b64encode(f"{user}:{password}".encode()).decode()
            headers["authorization"] = f"Basic {pair}"
        else:  # the canonical scheme: our OAuth2 bearer token
            headers["authorization"] = f"Bearer {await self._token(call.system, base)}"
        if call.idempotency_key is not None:
            headers["idempotency-key"] = call.idempotency_key
        if call.correlation_id is not None:
            headers["x-correlation-id"] = call.correlation_id
        return await self.client.request(
            call.method, base + call.path, json=call.json, content=call.content,
            params=call.params, headers=headers,
            timeout=timeout, hold=lambda: self._hold(call.system, issued),
            seen=lambda answer: self._throttled(call.system, answer, untold))

    def _hold(self, system: str, issued: float) -> float:
        """Seconds a request issued at `issued` still waits for a 429 its handler could not
        have known of."""
        told, until = self._paused.get(system, (0.0, 0.0))
        return until - time.monotonic() if told >= issued else 0.0

    async def _token(self, system: str, base: str) -> str:
        lock = self._token_locks.setdefault(system, asyncio.Lock())
        async with lock:
            if system not in self._tokens:
                answer = await self.client.post(f"{base}/oauth/token", data={
                    "grant_type": "client_credentials",
                    "client_id": self.settings["SEATRIAL_CLIENT_ID"],
                    "client_secret": self.settings["SEATRIAL_CLIENT_SECRET"]})
                answer.raise_for_status()
                self._tokens[system] = answer.json()["access_token"]
            return self._tokens[system]


def control_secret(environ: Mapping[str, str], say: Callable[[str], None]) -> str:
    """The control secret `seatrial sut` guards POST /seatrial/configure with: the one in
    $SEATRIAL_CONTROL_SECRET (as `--target-cmd` sets it), else a fresh one, told once."""
    given = control.from_env(CONTROL_SECRET, environ)
    if given is not None:
        return given
    secret = control.new_secret()
    say(f"seatrial sut: control secret: {secret}; send it as Authorization: Bearer {secret} on "
        f"POST /seatrial/configure (seatrial run --target sends ${CONTROL_SECRET}), or start "
        f"me with {CONTROL_SECRET} set")
    return secret


def sut_app(factory: Callable[[], SyncImplementation], environ: Mapping[str, str],
            state_dir: Path | None = None, delay: float = 0.0,
            secret: str | None = None) -> Starlette:
    """The HTTP service; configured from `environ` when it carries the settings. `delay` wall
    seconds before each webhook is handled make it slow on purpose (a load gate's latency
    thresholds must catch that). POST /seatrial/configure takes the control `secret` (by
    default $SEATRIAL_CONTROL_SECRET from `environ`, else a random one nobody knows, in
    `app.state.control_secret`); every request is held to the input limits
    (seatrial.live.limits)."""
    face = HttpFace(factory, state_dir, delay)
    secret = secret or control.from_env(CONTROL_SECRET, environ) or control.new_secret()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if any(environ.get(name) for name in SETTINGS):  # started by `--target-cmd`
            face.configure(parse_settings(environ), fresh=False,
                           base_url=f"http://127.0.0.1:{environ.get('PORT', '80')}")
        yield
        await face.close()

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "configured": face.sut is not None})

    async def configure(request: Request) -> Response:
        try:
            raw = await request.json()
        except (ValueError, RecursionError):
            return problem(400, "Malformed JSON body", "send the settings as a JSON object",
                            field="body")
        if not isinstance(raw, dict):
            return problem(400, "Invalid settings", "send the settings as a JSON object",
                            field="body")
        try:
            face.configure(parse_settings(raw), fresh=True, base_url=str(request.base_url))
        except SettingsError as error:
            return problem(422, "Invalid settings", str(error))
        return JSONResponse({"status": "configured"})

    async def webhook(request: Request) -> Response:
        source = request.path_params["source"]
        if source not in SYSTEMS:
            return problem(404, "No such webhook endpoint",
                            f"POST /webhooks/{{erp,tms,lastmile}}, not /webhooks/{source}")
        if face.sut is None:
            return problem(503, "Not configured", "POST /seatrial/configure first")
        try:
            outcome, detail = await face.take(source, await request.body(),
                                              dict(request.headers))
        except ValueError as error:
            return problem(400, "Malformed event", str(error), field="body")
        if outcome == "ack":
            return Response(status_code=204)
        if outcome == "reject":
            return problem(401, "Unauthorized", detail or "signature check failed")
        return problem(500, "Not processed", detail or "the handler failed; redeliver")

    async def validation(request: Request) -> Response:
        """A webhook registration's validation request (`GET ?check=<string>`, Onfleet's):
        answered by the implementation's `validate_webhook` (a string: 200 with it; None:
        204)."""
        source = request.path_params["source"]
        check = request.query_params.get("check")
        if source not in SYSTEMS or check is None:
            return problem(404, "No such webhook endpoint",
                           "GET /webhooks/{erp,tms,lastmile}?check=<string>")
        if face.sut is None:
            return problem(503, "Not configured", "POST /seatrial/configure first")
        try:
            answer = face.sut.validate_webhook(source, check, face.io)
        except Exception as error:  # the implementation's bug: a failed validation
            return problem(500, "Not validated", f"{type(error).__name__}: {error}")
        if answer is None:
            return Response(status_code=204)
        return Response(answer, media_type="text/plain")

    async def webhooks(request: Request) -> Response:
        """One route, so that a 405 lists both methods in Allow."""
        return await (validation if request.method == "GET" else webhook)(request)

    app = Starlette(routes=[Route("/health", health, methods=["GET"]),
                            Route("/seatrial/configure",
                                  control.guarded(secret, CONTROL_SECRET, configure),
                                  methods=["POST"]),
                            Route("/webhooks/{source}", webhooks, methods=["GET", "POST"])],
                    middleware=[Middleware(Limits)], lifespan=lifespan)
    app.state.face = face  # for callers that watch it settle (the contract tests)
    app.state.control_secret = secret
    return app
