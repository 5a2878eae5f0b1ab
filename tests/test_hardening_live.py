"""Issue 15, hardening found by attacking Seatrial: its live HTTP faces.

1. Control needs a secret: POST /seatrial/configure on a SUT, and the load service's POST
   /start, /orders, /finish, answer 401 (and change nothing) without it; Seatrial makes one
   up per started SUT and per load service, never from the seed.
2. Live credentials (client secret, bearer tokens, webhook secrets) are random unless `seatrial
   serve --seeded-credentials` asks for the seed's; the client credentials are compared in
   constant time.
3. Bounded input: a body over 1 MiB is refused 413 before it is read (and before auth), head
   fields over 16 KiB 431, and the ledger records at most REFUSED_RECORDED refusals per system.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from suts import SEATRIAL, raw_http, request_head, serving, started, with_control
from test_live import FAST, SMALL

from seatrial.catalogue import catalogue
from seatrial.live import control, tokens
from seatrial.live.limits import BODY_LIMIT, FIELD_LIMIT, HEAD_LIMIT
from seatrial.live.ports import for_a_command
from seatrial.live.runner import LiveOptions, LiveTarget, live_session
from seatrial.live.settings import CONTROL_SECRET, LOAD_SECRET, SETTINGS, SYSTEMS
from seatrial.live.simulator_app import REFUSED_RECORDED
from seatrial.live.stack import SimulatorStack, running
from seatrial.live.sut import sut_app
from seatrial.load.plan import LoadProfile, LoadRun
from seatrial.load.service import LoadService
from seatrial.scenario_yaml import dump_scenario
from seatrial.targets import resolve
from seatrial.world import World

PROBLEM = "application/problem+json"
NODE = shutil.which("node")
NODE_SERVER = Path(__file__).parents[1] / "examples" / "node-sync" / "server.js"


# --- helpers ------------------------------------------------------------------------------------


def settings_for(port_of_nothing: int = 9) -> dict[str, str]:
    """Valid settings pointing at nothing (a configure that succeeds changes the SUT)."""
    secret = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQ="
    return {**{f"SEATRIAL_{s.upper()}_URL": f"http://127.0.0.1:{port_of_nothing}"
               for s in SYSTEMS},
            "SEATRIAL_CLIENT_ID": "seatrial-sut", "SEATRIAL_CLIENT_SECRET": "x",
            **{f"SEATRIAL_{s.upper()}_WEBHOOK_SECRET": secret for s in SYSTEMS},
            "SEATRIAL_TIME_SCALE": "3600"}


def healthy(url: str, within: float = 20.0) -> None:
    """Wait until GET /health answers 200 (a SUT just started)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health").status_code == 200:
                return
        time.sleep(0.05)


def assert_unauthorized(answer: httpx.Response) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["www-authenticate"].startswith("Bearer")
    problem = answer.json()
    assert problem["status"] == 401 and problem["field"] == "Authorization"


def read_env(dump: Path) -> dict[str, str]:
    text = dump.read_text() if dump.exists() else ""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


# --- 1. control needs a secret ------------------------------------------------------------------


@pytest.mark.wall_clock
def test_a_mid_run_configure_without_the_secret_is_refused_and_the_verdict_stands(tmp_path):
    """Seatrial starts `seatrial sut reference` with a fresh control secret; a neighbour that
    replays the SUT's very settings at POST /seatrial/configure mid-run, with no secret or a
    wrong one, gets 401 every time, and the run still passes. (Before: 200, the SUT's state
    wiped, orders lost and the run failed, blamed on the SUT.)"""
    scenario = tmp_path / "small.yaml"
    scenario.write_text(dump_scenario(SMALL))
    dump = tmp_path / "env.txt"
    command = f"env > {dump}; exec {SEATRIAL} sut reference"
    run = subprocess.Popen([SEATRIAL, "run", str(scenario), "--target-cmd", command,
                            "--time-scale", str(FAST), "--seed", "1"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while "PORT" not in (seen := read_env(dump)) and time.monotonic() < deadline:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{seen['PORT']}"
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health").json()["configured"]:
                    break
            time.sleep(0.05)
        secret = seen[CONTROL_SECRET]
        assert len(secret) >= 40
        theirs = {name: seen[name] for name in SETTINGS}  # the SUT's own, replayed
        attempts = 0
        for _ in range(10):
            assert_unauthorized(httpx.post(f"{url}/seatrial/configure", json=theirs))
            assert_unauthorized(httpx.post(f"{url}/seatrial/configure", json=theirs,
                                           headers={"authorization": "Bearer guessed"}))
            assert httpx.get(f"{url}/health").status_code == 200  # read-only stays open
            attempts += 2
            time.sleep(0.2)
        assert run.poll() is None, "the attack must land mid-run"
        out, err = run.communicate(timeout=240)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert attempts == 20
    assert run.returncode == 0, out + err


@pytest.mark.wall_clock
def test_each_started_sut_gets_its_own_random_control_secret(tmp_path):
    """Not the seed's: two sessions of the same scenario and seed start their SUT with two
    different secrets."""
    seen = []
    for attempt in range(2):
        dump = tmp_path / f"env{attempt}.txt"
        target = LiveTarget(command=f"env > {dump}; exec {SEATRIAL} sut reference")

        async def start(target: LiveTarget = target) -> None:
            async with live_session(SMALL, None, target, LiveOptions(scale=FAST)):
                pass

        asyncio.run(start())
        seen.append(read_env(dump)[CONTROL_SECRET])
    assert seen[0] != seen[1]
    assert all(len(secret) >= 40 for secret in seen)


@pytest.mark.wall_clock
def test_seatrial_sut_makes_up_a_secret_says_it_once_and_wants_it():
    port = for_a_command()
    environment = {k: v for k, v in with_control().items() if k != CONTROL_SECRET}
    server = subprocess.Popen([SEATRIAL, "sut", "reference", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=environment)
    watchdog = threading.Timer(30, server.kill)  # a line never said fails, not hangs
    watchdog.start()
    try:
        line = server.stderr.readline()
        watchdog.cancel()
        assert line.startswith("seatrial sut: control secret: "), line
        secret = line.removeprefix("seatrial sut: control secret: ").split(";")[0]
        assert f"Authorization: Bearer {secret}" in line and CONTROL_SECRET in line
        url = f"http://127.0.0.1:{port}"
        healthy(url)
        configure = f"{url}/seatrial/configure"
        assert_unauthorized(httpx.post(configure, json=settings_for()))
        assert_unauthorized(httpx.post(configure, json=settings_for(),
                                       headers={"authorization": f"Bearer {secret}x"}))
        assert_unauthorized(httpx.post(configure, json=settings_for(),
                                       headers={"authorization": f"Basic {secret}"}))
        assert httpx.get(f"{url}/health").json() == {"status": "ok", "configured": False}
        right = httpx.post(configure, json=settings_for(), headers=control.bearer(secret))
        assert right.status_code == 200, right.text
        assert httpx.get(f"{url}/health").json()["configured"] is True
        # the head bound is on for the command too (uvicorn's http protocol, SERVER_LIMITS)
        status, headers, _body, _took = raw_http(url, request_head(
            "GET", "/health", "x-pad: " + "a" * (1024 * 1024)))
        assert status == 431 and headers["content-type"] == PROBLEM
    finally:
        watchdog.cancel()
        server.terminate()
        _out, rest = server.communicate(timeout=10)
    assert secret not in rest  # said once


@pytest.fixture
def reference() -> Iterator[str]:
    yield from started("reference")


@pytest.mark.wall_clock
def test_run_against_a_running_sut_needs_its_secret_and_changes_nothing_without(
        tmp_path, reference):
    scenario = tmp_path / "small.yaml"
    scenario.write_text(dump_scenario(SMALL))
    for environment, says in [
        ({k: v for k, v in with_control().items() if k != CONTROL_SECRET},
         f"set {CONTROL_SECRET} to the control secret"),
        ({**with_control(), CONTROL_SECRET: "not-it"}, "is not the secret it was started with"),
    ]:
        done = subprocess.run([SEATRIAL, "run", str(scenario), "--target", reference],
                              capture_output=True, text=True, timeout=120, env=environment)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "401" in done.stderr and says in done.stderr
        assert "Traceback" not in done.stderr
        assert httpx.get(f"{reference}/health").json()["configured"] is False


def test_the_in_process_sut_app_guards_configure_with_a_secret_nobody_knows_by_default():
    from starlette.testclient import TestClient

    app = sut_app(resolve("reference").factory, {})
    assert len(app.state.control_secret) >= 40
    with TestClient(app) as sut:
        assert_unauthorized(sut.post("/seatrial/configure", json=settings_for()))
        assert sut.get("/health").json()["configured"] is False
        ok = sut.post("/seatrial/configure", json=settings_for(),
                      headers=control.bearer(app.state.control_secret))
        assert ok.status_code == 200


def test_the_control_secret_is_not_a_setting():
    assert CONTROL_SECRET not in SETTINGS and LOAD_SECRET not in SETTINGS


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
@pytest.mark.wall_clock
def test_the_node_example_refuses_configure_without_its_secret():
    port = for_a_command()
    server = subprocess.Popen([NODE, str(NODE_SERVER)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL,
                              env={"PATH": "/usr/bin:/bin", "PORT": str(port),
                                   CONTROL_SECRET: "node-control"})
    url = f"http://127.0.0.1:{port}"
    try:
        healthy(url)
        for headers in ({}, {"authorization": "Bearer node-contro"},
                        {"authorization": "Bearer node-control2"}):
            answer = httpx.post(f"{url}/seatrial/configure", json=settings_for(),
                                headers=headers)
            assert answer.status_code == 401, answer.text
            assert answer.headers["content-type"] == PROBLEM
        assert httpx.get(f"{url}/health").json()["configured"] is False
        answer = httpx.post(f"{url}/seatrial/configure", json=settings_for(),
                            headers=control.bearer("node-control"))
        assert answer.status_code == 204, answer.text
        assert httpx.get(f"{url}/health").json()["configured"] is True
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def load_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`seatrial load-service` with its secret in the environment, as the Locust master
    starts it."""
    profile = LoadProfile("hardening", cancel_rate=0.0, address_change_rate=0.0,
                          duplicate_rate=0.0, duration=30, time_scale=28_800)
    scenario = tmp_path_factory.mktemp("load") / "scenario.yaml"
    scenario.write_text(dump_scenario(LoadRun(profile).scenario(), complete=True))
    process = subprocess.Popen([SEATRIAL, "load-service", "--scenario", str(scenario),
                                "--target-cmd", f"{SEATRIAL} sut reference"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**with_control(), LOAD_SECRET: "load-control"})
    try:
        yield json.loads(process.stdout.readline())["url"]
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=15)
        assert "load-control" not in err and "control secret:" not in err  # given: not said


@pytest.mark.wall_clock
def test_the_load_service_changes_nothing_without_its_secret(load_service):
    url, secret = load_service, control.bearer("load-control")
    with httpx.Client(base_url=url, timeout=60) as client:
        for path, body in (("/start", None), ("/orders", None), ("/finish", {"drain": 5})):
            assert_unauthorized(client.post(path, json=body))
            assert_unauthorized(client.post(path, json=body,
                                            headers={"authorization": "Bearer load-contro"}))
        status = client.get("/status").json()  # read-only: open
        assert status["state"] == "ready" and status["released"] == 0
        assert client.post("/orders", headers=secret).status_code == 409  # not started yet

        for drain in ("inf", float("inf"), float("nan"), 1e308, 86_401, -1, 0, True, None):
            bad = client.post("/finish", content=json.dumps({"drain": drain}),
                              headers={**secret, "content-type": "application/json"})
            assert bad.status_code == 422, (drain, bad.text)
            assert bad.headers["content-type"] == PROBLEM and bad.json()["field"] == "drain"
        bad = client.post("/finish", content=b"[1]", headers=secret)
        assert bad.status_code == 400 and bad.json()["field"] == "body"
        assert client.get("/status").json()["state"] == "ready"

        assert client.post("/start", headers=secret).json() == {"state": "running"}
        assert client.post("/orders", headers=secret).status_code == 201
        assert client.get("/status").json()["released"] == 1
        # the control API is held to the input limits too
        status, headers, _body, took = raw_http(url, request_head(
            "POST", "/orders", f"content-length: {200 * 1024 * 1024}") + b"{")
        assert status == 413 and headers["content-type"] == PROBLEM and took < 2
        assert client.get("/status").json()["released"] == 1


# --- 2. live credentials are not the seed's -----------------------------------------------------


def test_live_credentials_are_random_unless_seeded_and_in_process_secrets_stay_the_seeds():
    scenario = catalogue()["happy-path"].with_seed(7)
    seeds_secrets = World(scenario).secrets
    random_stacks = [SimulatorStack(scenario, 3600.0), SimulatorStack(scenario, 3600.0)]
    seeded_stacks = [SimulatorStack(scenario, 3600.0, seeded_credentials=True),
                     SimulatorStack(scenario, 3600.0, seeded_credentials=True)]
    first, second = random_stacks
    assert first.tokens.client_secret != second.tokens.client_secret
    assert first.tokens.issue("erp") != second.tokens.issue("erp")
    assert not set(first.secrets.values()) & set(second.secrets.values())
    assert not set(first.secrets.values()) & set(seeds_secrets.values())
    signing = first.world.channel.signing
    assert signing.secrets == first.secrets and signing.clock is time.time  # signed live
    assert all(secret.startswith("whsec_") for secret in first.secrets.values())
    # the world's own (in-process) secrets are the seed's still, untouched
    assert first.world.secrets == seeds_secrets

    one, other = seeded_stacks  # reproducible demos: the same seed, the same credentials
    assert one.tokens.client_secret == other.tokens.client_secret
    assert one.tokens.issue("erp") == other.tokens.issue("erp")
    assert one.secrets == other.secrets == seeds_secrets


def test_client_credentials_are_compared_in_constant_time_both_of_them(monkeypatch):
    issuer = tokens.TokenIssuer(secrets.SystemRandom(), 60.0)
    compared = []
    real = tokens.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    form = f"grant_type=client_credentials&client_id=nobody&client_secret={issuer.client_secret}"
    status, body = issuer.grant("erp", form.encode(), None)
    assert status == 401 and body["slug"] == "invalid-client"
    assert len(compared) == 2  # the secret is compared even though the id was already wrong
    for given in ("%C3%BC", "\u00fc"):  # a non-ASCII secret is a 401, not a TypeError
        status, _ = issuer.grant("erp", ("grant_type=client_credentials&client_id=seatrial-sut"
                                         f"&client_secret={given}").encode(), None)
        assert status == 401
    status, granted = issuer.grant("erp", (f"grant_type=client_credentials&client_id="
                                           f"seatrial-sut&client_secret={issuer.client_secret}"
                                           ).encode(), None)
    assert status == 200 and granted["token_type"] == "Bearer"


def test_the_live_ledger_holds_no_credential():
    stack = SimulatorStack(SMALL, 3600.0)
    world = stack.world
    world.env.run(until=600.0)
    with running(stack), httpx.Client(base_url=stack.urls["erp"]) as erp:
        token = erp.post("/oauth/token", data={
            "grant_type": "client_credentials", "client_id": stack.tokens.client_id,
            "client_secret": stack.tokens.client_secret}).json()["access_token"]
        order = next(iter(world.erp.orders))
        assert erp.get(f"/orders/{order}", headers={"authorization": f"Bearer {token}"}
                       ).status_code == 200
        assert erp.get(f"/orders/{order}", headers={"authorization": f"Bearer {token}x"}
                       ).status_code == 401
        credentials = [stack.tokens.client_secret, token, *stack.secrets.values()]
    history = repr(world.ledger.entries)
    assert "refused" in history and "request" in history
    assert not [c for c in credentials if c in history]


@pytest.mark.wall_clock
def test_serve_prints_random_credentials_unless_seeded_and_counts_refusals():
    def settings_of(*args: str) -> tuple[dict[str, str], list[str], str]:
        proc = subprocess.Popen([SEATRIAL, "serve", "--seed", "3", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        exports, lines = {}, []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").rstrip("\n").partition("=")
                exports[name] = shlex.split(value)[0]
            if line.startswith("# try:"):
                break
        refused = httpx.get(f"{exports['SEATRIAL_ERP_URL']}/orders/SO-000001")
        assert refused.status_code == 401
        proc.send_signal(signal.SIGINT)
        rest, _err = proc.communicate(timeout=20)
        return exports, lines, rest

    names = ["SEATRIAL_CLIENT_SECRET", *(f"SEATRIAL_{s.upper()}_WEBHOOK_SECRET" for s in SYSTEMS),
             *(f"SEATRIAL_{s.upper()}_TOKEN" for s in SYSTEMS)]
    first, lines, rest = settings_of()
    second, _lines, _rest = settings_of()
    assert all(first[name] != second[name] for name in names)
    assert "# credentials: random, for this serve only" in lines
    assert "# refused: 1 requests turned away (erp 1, tms 0, lastmile 0)" in rest
    seeded, lines, _rest = settings_of("--seeded-credentials")
    again, _lines, _rest = settings_of("--seeded-credentials")
    assert all(seeded[name] == again[name] for name in names)
    assert any(line.startswith("# credentials: seeded (--seeded-credentials)") and
               "anyone who knows the scenario and seed" in line for line in lines)


# --- 3. bounded input ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack() -> Iterator[SimulatorStack]:
    stack = SimulatorStack(SMALL, 3600.0)
    stack.world.env.run(until=600.0)
    with running(stack) as live:
        yield live


def refused_entries(stack: SimulatorStack) -> int:
    return sum(e.kind == "refused" for e in list(stack.world.ledger.entries))


HUGE = 200 * 1024 * 1024


@pytest.mark.wall_clock
@pytest.mark.parametrize("path", ["/orders/SO-000001/invoice", "/oauth/token"])
def test_a_200_mb_content_length_is_refused_413_unread_and_before_auth(stack, path):
    before = (refused_entries(stack), len(stack.world.ledger), stack.refused["erp"])
    status, headers, body, took = raw_http(stack.urls["erp"], request_head(
        "POST", path, f"content-length: {HUGE}", "content-type: application/json",
        "expect: 100-continue") + b'{"pod_reference": ')
    assert status == 413, (status, body)  # not 401: no credentials were sent, none looked at
    assert headers["content-type"] == PROBLEM and headers["connection"] == "close"
    problem = json.loads(body)
    assert problem["status"] == 413 and problem["field"] == "body"
    assert f"{HUGE:,}" in problem["detail"] and f"{BODY_LIMIT:,}" in problem["detail"]
    assert took < 2.0  # answered from the head: 200 MB were never read
    after = (refused_entries(stack), len(stack.world.ledger), stack.refused["erp"])
    assert after[0] == before[0] and after[2] == before[2]  # nothing recorded for it


def test_a_chunked_body_is_cut_off_at_the_limit_with_413(stack):
    token = stack.call(lambda: stack.tokens.issue("erp"))
    calls = stack.world.transport.calls

    def pieces() -> Iterator[bytes]:
        piece = b" " * 65536
        for _ in range(BODY_LIMIT // len(piece) + 4):
            yield b"%x\r\n%s\r\n" % (len(piece), piece)
        yield b"0\r\n\r\n"

    status, headers, body, _took = raw_http(stack.urls["erp"], request_head(
        "POST", "/orders/SO-000001/invoice", f"authorization: Bearer {token}",
        "transfer-encoding: chunked", "content-type: application/json"), pieces())
    assert status == 413, (status, body)
    assert headers["content-type"] == PROBLEM and json.loads(body)["field"] == "body"
    assert stack.world.transport.calls == calls  # nothing reached the ERP


def test_head_fields_over_16_kib_are_refused_431(stack):
    before = refused_entries(stack), stack.refused["erp"]
    pad = "x-pad: " + "a" * (HEAD_LIMIT + 100)
    status, headers, body, _took = raw_http(stack.urls["erp"], request_head(
        "GET", "/orders/SO-000001", pad))
    assert status == 431, (status, body)
    assert headers["content-type"] == PROBLEM and json.loads(body)["field"] == "headers"
    assert (refused_entries(stack), stack.refused["erp"]) == before


def test_more_than_100_header_fields_are_refused_431(stack):
    before = refused_entries(stack), stack.refused["erp"]
    fields = [f"x-pad-{n}: a" for n in range(FIELD_LIMIT)]
    status, _headers, body, _took = raw_http(stack.urls["erp"], request_head(
        "GET", "/orders/SO-000001", *fields))
    assert status == 431, (status, body)
    assert f"{FIELD_LIMIT + 1:,} header fields" in json.loads(body)["detail"]
    assert (refused_entries(stack), stack.refused["erp"]) == before


@pytest.mark.wall_clock
def test_a_1_mb_head_is_refused_431_at_the_socket_and_others_are_served(stack):
    """httptools holds a head whole until it ends: the protocol answers 431 before that, and
    drains the rest so the client reads the answer (not a reset)."""
    before = refused_entries(stack), stack.refused["erp"], len(stack.world.ledger)

    def head() -> Iterator[bytes]:
        yield b"GET /orders/SO-000001 HTTP/1.1\r\nhost: 127.0.0.1\r\nx-pad: "
        for _ in range(16):
            yield b"a" * 65536
        yield b"\r\n\r\n"

    status, headers, body, took = raw_http(stack.urls["erp"], b"", head())
    assert status == 431, (status, body)
    assert headers["content-type"] == PROBLEM and json.loads(body)["status"] == 431
    assert took < 5
    token = stack.call(lambda: stack.tokens.issue("erp"))
    fine = httpx.get(f"{stack.urls['erp']}/orders/SO-000001",
                     headers={"authorization": f"Bearer {token}"})
    assert fine.status_code in (200, 404)
    assert refused_entries(stack) == before[0] and stack.refused["erp"] == before[1]


@pytest.mark.wall_clock
@pytest.mark.parametrize("face", ["sut", "load-service"])
def test_seatrials_own_faces_refuse_oversized_input_before_auth(face):
    if face == "sut":
        app = sut_app(resolve("reference").factory, {}, secret="s")
        paths = ["/seatrial/configure", "/webhooks/erp"]
    else:
        app = LoadService(None, None, "s").app()  # refused before a route: no session needed
        paths = ["/start", "/orders", "/finish"]
    with serving(app) as url:
        for path in paths:
            status, headers, body, took = raw_http(url, request_head(
                "POST", path, f"content-length: {HUGE}") + b"{")
            assert status == 413 and headers["content-type"] == PROBLEM, (path, body)
            assert took < 2.0
            status, headers, body, _took = raw_http(url, request_head(
                "POST", path, "x-pad: " + "a" * (HEAD_LIMIT + 100), "content-length: 2") + b"{}")
            assert status == 431 and headers["content-type"] == PROBLEM, (path, body)
        if face == "sut":  # nothing got through: still unconfigured
            assert httpx.get(f"{url}/health").json()["configured"] is False


def test_the_ledger_records_the_first_refusals_and_counts_the_rest():
    """A neighbour of a long-running serve cannot grow its ledger without bound: each system
    records REFUSED_RECORDED refusals (~317 B each); the rest are counted, and the count goes
    into the ledger once at the end of a run."""
    stack = SimulatorStack(SMALL, 3600.0)
    world, extra = stack.world, 150
    with running(stack) as live, httpx.Client(base_url=live.urls["tms"]) as tms:
        for _ in range(REFUSED_RECORDED + extra):
            assert tms.get("/shipments/SH-1").status_code == 401
        assert live.refused == {"erp": 0, "tms": REFUSED_RECORDED + extra, "lastmile": 0}
        recorded = [e for e in list(world.ledger.entries) if e.kind == "refused"]
        assert len(recorded) == REFUSED_RECORDED
        live.call(live.note_refusals)
    summary = [e for e in world.ledger.entries if e.kind == "refused" and e.ref == "x-omitted"]
    assert len(summary) == 1 and summary[0].system == "tms"
    assert summary[0].data["omitted"] == extra
    assert f"{extra:,} more refused requests" in summary[0].data["detail"]
