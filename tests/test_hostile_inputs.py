"""A table of hostile and careless inputs, each given to Seatrial as a user would give it: CLI
flags, scenario YAML, JSON reports, JSONL and CSV event logs, and HTTP requests to the live
simulators, a served SUT and the load service.

For every one: exit 2 (the CLI) or a 4xx (HTTP) in the face's error shape, a message naming the
problem, no traceback, no 5xx; and when the table is done, no process and no port left behind.
"""

from __future__ import annotations

import json
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner

from seatrial.cli import main

HAPPY = Path(__file__).parent.parent / "scenarios" / "happy-path.yaml"


def scenario_text(**overrides: str) -> str:
    """happy-path with some top-level lines replaced (or added)."""
    lines = {line.split(":", 1)[0]: line for line in HAPPY.read_text().splitlines()
             if re.match(r"^[a-z_]+:", line)}
    text = HAPPY.read_text()
    for key, value in overrides.items():
        if key in lines:
            text = text.replace(lines[key], f"{key}: {value}")
        else:
            text += f"\n{key}: {value}\n"
    return text


def nested_yaml(depth: int) -> str:
    return "name: deep\nworkload: " + "[" * depth + "]" * depth + "\n"


def nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth


EVENT = {"event_id": "evt-1", "type": "order.released", "source": "erp", "source_seq": 1,
         "event_time": "2026-01-05T06:00:00+00:00", "recorded_time": "2026-01-05T06:00:00+00:00",
         "classifier": "ACT", "correlation_id": "c-1", "order_id": "SO-1",
         "shipment_id": None, "task_id": None, "schema_version": "1.0", "payload": {}}

CSV_HEADER = ("event_id,type,source,source_seq,event_time,recorded_time,classifier,"
              "correlation_id,order_id,shipment_id,task_id,schema_version,payload")


# "billion laughs": nine levels of nine references each, a billion values once expanded
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)) + "name: *i\n"


@dataclass(frozen=True)
class Cli:
    """`seatrial ARGS` with `files` (name -> text or bytes) in the working directory; {dir}
    in an argument is that directory. `expect` is a regular expression the output names."""

    args: tuple[str, ...]
    expect: str
    files: tuple[tuple[str, str | bytes], ...] = ()


def cli(expect: str, *args: str, **files: str | bytes) -> Cli:
    return Cli(args, expect, tuple((name.replace("__", "."), text)
                                   for name, text in files.items()))


RUN = ("run", "--target", "reference")

CLI_CASES: dict[str, Cli] = {
    # --- targets
    "target-unknown": cli("unknown target", "run", "happy-path", "--target", "foo"),
    "target-ftp": cli(r"http://|https://", "run", "happy-path", "--target", "ftp://x/y"),
    "target-empty": cli(r"target", "run", "happy-path", "--target", ""),
    "target-blank": cli(r"target", "run", "happy-path", "--target", "   "),
    "target-no-attribute": cli(r"target", "run", "happy-path", "--target", "json:"),
    "target-no-module": cli(r"target", "run", "happy-path", "--target", ":ReferenceSync"),
    "target-missing-module": cli("cannot import module", "run", "happy-path", "--target",
                                 "no_such_module_xyz:Sync"),
    "target-missing-attribute": cli("has no attribute", "run", "happy-path", "--target",
                                    "json:NoSuchThing"),
    "target-not-callable": cli("not a class or factory", "run", "happy-path", "--target",
                               "json:__doc__"),
    "target-factory-needs-args": cli("constructing", "run", "happy-path", "--target",
                                     "json:dumps"),
    "target-not-an-implementation": cli("not a seatrial.sdk.SyncImplementation", "run",
                                        "happy-path", "--target", "collections:OrderedDict"),
    "target-exits-at-import": cli(r"exit_at_import.*SystemExit", "run", "happy-path",
                                  "--target", "exit_at_import:Sync",
                                  exit_at_import__py="import sys\nsys.exit(0)\n"),
    "target-and-command": cli("exactly one", "run", "happy-path", "--target", "reference",
                              "--target-cmd", "x"),
    "target-none": cli("exactly one", "run", "happy-path"),
    "target-cmd-empty": cli("--target-cmd is empty", "run", "happy-path", "--target-cmd", " "),
    "target-cmd-never-healthy": cli("health", "run", "happy-path", "--target-cmd", "sleep 600",
                                    "--health-timeout", "1"),
    "target-cmd-exits-zero": cli("exit", "run", "happy-path", "--target-cmd",
                                 f"{sys.executable} -c 'raise SystemExit(0)'"),
    "target-url-bad-port": cli(r"port", "run", "happy-path", "--target",
                               "http://127.0.0.1:99999"),
    "target-url-no-host": cli(r"--target", "run", "happy-path", "--target", "http://"),
    "target-url-unreachable": cli(r"cannot reach|refused|reach", "run", "happy-path",
                                  "--target", "http://127.0.0.1:9"),
    # --- numbers and flags
    "seed-and-seeds": cli("not both", *RUN, "--seed", "1", "--seeds", "2"),
    "seeds-zero": cli("--seeds", *RUN, "--seeds", "0"),
    "seeds-too-many": cli("--seeds", *RUN, "--seeds", "10001"),
    "seed-negative": cli("--seed", *RUN, "--seed", "-1"),
    "seed-beyond-63-bits": cli("--seed", *RUN, "--seed", str(2**63)),
    "seed-not-a-number": cli("--seed", *RUN, "--seed", "abc"),
    "time-scale-nan": cli("--time-scale", *RUN, "--time-scale", "nan"),
    "time-scale-inf": cli("--time-scale", *RUN, "--time-scale", "inf"),
    "time-scale-zero": cli("--time-scale", *RUN, "--time-scale", "0"),
    "time-scale-huge": cli("--time-scale", *RUN, "--time-scale", "1e9"),
    "drain-nan": cli("--drain", *RUN, "--drain", "nan"),
    "drain-negative": cli("--drain", *RUN, "--drain", "-1"),
    "health-timeout-zero": cli("--health-timeout", *RUN, "--health-timeout", "0"),
    "jobs-zero": cli("--jobs", *RUN, "--jobs", "0"),
    "jobs-too-many": cli("--jobs", *RUN, "--jobs", "257"),
    "shard-zero": cli("--shard", *RUN, "--shard", "0/2"),
    "shard-beyond": cli("--shard", *RUN, "--shard", "3/2"),
    "shard-words": cli("--shard", *RUN, "--shard", "first"),
    "unknown-option": cli("No such option", *RUN, "--colour"),
    "unknown-command": cli("No such command", "runn"),
    # --- report paths
    "json-missing-dir": cli("does not exist", *RUN, "--json", "/nonexistent/r.json"),
    "junit-missing-dir": cli("does not exist", *RUN, "--junit", "/nonexistent/r.xml"),
    "html-missing-dir": cli("does not exist", *RUN, "--html", "/nonexistent/r.html"),
    "record-not-jsonl": cli(r"\*\.jsonl", *RUN, "happy-path", "--record", "{dir}/log.txt"),
    "record-two-scenarios": cli("one in-process run", *RUN, "happy-path", "tms-outage",
                                "--record", "{dir}/log.jsonl"),
    "pacts-missing": cli("pact", *RUN, "happy-path", "--pacts", "/nonexistent/pacts"),
    # --- scenarios, by name and as files
    "scenario-unknown": cli("unknown scenario", *RUN, "no-such-scenario"),
    "scenario-file-missing": cli("no-such.yaml", *RUN, "{dir}/no-such.yaml"),
    "scenario-directory": cli("sub", *RUN, "{dir}/sub.yaml", sub__yaml__keep=""),
    "scenario-empty": cli("empty__yaml|empty.yaml", *RUN, "{dir}/empty.yaml", empty__yaml=""),
    "scenario-a-list": cli("mapping|object", *RUN, "{dir}/list.yaml", list__yaml="- a\n- b\n"),
    "scenario-bad-yaml": cli("YAML|yaml", *RUN, "{dir}/bad.yaml", bad__yaml="name: [a\n"),
    "scenario-not-utf8": cli("UTF-8|utf-8|decode", *RUN, "{dir}/latin.yaml",
                             latin__yaml=b"name: caf\xe9\n"),
    "scenario-nested-1000": cli("nest|deep", *RUN, "{dir}/deep.yaml",
                                deep__yaml=nested_yaml(1000)),
    "scenario-dev-zero": cli("MiB|size|large|regular", *RUN, "/dev/zero"),
    "scenario-too-large": cli("MiB|size|large", *RUN, "{dir}/large.yaml",
                              large__yaml=scenario_text() + "#" * (2 * 2**20) + "\n"),
    "scenario-duplicate-key": cli("duplicate|twice", *RUN, "{dir}/dup.yaml",
                                  dup__yaml=scenario_text() + "seed: 2\n"),
    "scenario-unknown-key": cli("colour", *RUN, "{dir}/unknown.yaml",
                                unknown__yaml=scenario_text(colour="blue")),
    "scenario-no-name": cli("name", *RUN, "{dir}/noname.yaml",
                            noname__yaml=scenario_text().replace("name: happy-path\n", "")),
    "scenario-bad-duration": cli("duration", *RUN, "{dir}/d.yaml",
                                 d__yaml=scenario_text(duration="two hours")),
    "scenario-negative-duration": cli("duration", *RUN, "{dir}/d.yaml",
                                      d__yaml=scenario_text(duration="-2h")),
    "scenario-72-million-orders": cli("orders", *RUN, "{dir}/big.yaml", big__yaml=scenario_text(
        duration="30d", workload="{orders_per_hour: 100000, lines_per_order: [1, 5]}")),
    "scenario-nan-rate": cli("finite", *RUN, "{dir}/nan.yaml", nan__yaml=scenario_text(
        workload="{orders_per_hour: 120, lines_per_order: [1, 5], cancel_rate: .nan}")),
    "scenario-rate-above-one": cli("cancel_rate", *RUN, "{dir}/rate.yaml",
                                   rate__yaml=scenario_text(workload="{orders_per_hour: 120, "
                                                            "cancel_rate: 2}")),
    "scenario-lines-reversed": cli("lines_per_order", *RUN, "{dir}/lines.yaml",
                                   lines__yaml=scenario_text(workload="{orders_per_hour: 120, "
                                                             "lines_per_order: [5, 1]}")),
    "scenario-unknown-fault": cli("kind", *RUN, "{dir}/f.yaml", f__yaml=scenario_text(
        faults="[{kind: meteor, system: tms, at: 1h, for: 1h}]")),
    "scenario-fault-after-end": cli("fault", *RUN, "{dir}/late.yaml", late__yaml=scenario_text(
        faults="[{kind: outage, system: tms, at: 15d, for: 1h}]")),
    "scenario-fault-negative-length": cli("for", *RUN, "{dir}/neg.yaml",
                                          neg__yaml=scenario_text(faults="[{kind: outage, "
                                                                  "system: tms, at: 1h, "
                                                                  "for: -1h}]")),
    "scenario-seed-negative": cli("seed", *RUN, "{dir}/s.yaml", s__yaml=scenario_text(seed="-1")),
    "scenario-seed-beyond-63-bits": cli("seed", *RUN, "{dir}/s.yaml",
                                        s__yaml=scenario_text(seed=str(2**64))),
    "scenario-alias-bomb": cli("alias|anchor|large|nodes|values", *RUN, "{dir}/bomb.yaml",
                               bomb__yaml=ALIAS_BOMB),
    "show-unknown": cli("unknown scenario", "show", "nope"),
    "show-nested": cli("nest|deep", "show", "{dir}/deep.yaml", deep__yaml=nested_yaml(1000)),
    # --- JSON reports given to `seatrial report`
    "report-none": cli("Missing argument", "report", "-o", "{dir}/r.html"),
    "report-missing-file": cli("missing.json", "report", "{dir}/missing.json", "-o",
                               "{dir}/r.html"),
    "report-not-json": cli("JSON", "report", "{dir}/r.json", "-o", "{dir}/r.html",
                           r__json="not json"),
    "report-empty": cli("JSON", "report", "{dir}/r.json", "-o", "{dir}/r.html", r__json=""),
    "report-not-utf8": cli("r.json", "report", "{dir}/r.json", "-o", "{dir}/r.html",
                           r__json=b"\xff\xfe{}"),
    "report-a-list": cli("r.json", "report", "{dir}/r.json", "-o", "{dir}/r.html",
                         r__json="[]"),
    "report-runs-not-a-list": cli("runs", "report", "{dir}/r.json", "-o", "{dir}/r.html",
                                  r__json='{"runs": 7}'),
    "report-list-for-string": cli("scenario|target", "report", "{dir}/r.json", "-o",
                                  "{dir}/r.html", r__json=json.dumps({"runs": [{
                                      "scenario": ["a"], "seed": 1, "target": "t",
                                      "passed": True, "violated": []}]})),
    "report-nested-100k": cli("nest|deep", "report", "{dir}/r.json", "-o", "{dir}/r.html",
                              r__json=nested_json(100_000)),
    "report-output-missing-dir": cli("does not exist", "report", "{dir}/r.json", "-o",
                                     "/nonexistent/r.html", r__json='{"runs": []}'),
    # --- event logs given to `seatrial replay`
    "log-missing": cli("missing.jsonl", "replay", "{dir}/missing.jsonl", *RUN[1:]),
    "log-empty": cli("event|empty", "replay", "{dir}/e.jsonl", *RUN[1:], e__jsonl=""),
    "log-not-json": cli("line 1", "replay", "{dir}/l.jsonl", *RUN[1:], l__jsonl="{oops\n"),
    "log-line-a-list": cli("line 1", "replay", "{dir}/l.jsonl", *RUN[1:], l__jsonl="[1, 2]\n"),
    "log-nested-100k": cli("nest|deep", "replay", "{dir}/l.jsonl", *RUN[1:],
                           l__jsonl=nested_json(100_000) + "\n"),
    "log-no-event-id": cli("event_id", "replay", "{dir}/l.jsonl", *RUN[1:],
                           l__jsonl=json.dumps({k: v for k, v in EVENT.items()
                                                if k != "event_id"}) + "\n"),
    "log-naive-time": cli("event_time|time zone|timezone", "replay", "{dir}/l.jsonl", *RUN[1:],
                          l__jsonl=json.dumps({**EVENT, "event_time": "2026-01-05T06:00:00"})
                          + "\n"),
    "log-unknown-suffix": cli(r"\.jsonl|\.csv", "replay", "{dir}/l.txt", *RUN[1:],
                              l__txt="x"),
    "log-faults-on-yaml": cli("--faults", "replay", "{dir}/s.yaml", *RUN[1:], "--faults",
                              "tms-outage", s__yaml=scenario_text()),
    "csv-no-event-id": cli("event_id", "replay", "{dir}/l.csv", *RUN[1:],
                           l__csv="type,source\norder.released,erp\n"),
    "csv-ragged-row": cli("row|line|column", "replay", "{dir}/l.csv", *RUN[1:],
                          l__csv=CSV_HEADER + "\nevt-1,order.released\n"),
    "csv-bad-time": cli("event_time|time", "replay", "{dir}/l.csv", *RUN[1:],
                        l__csv=CSV_HEADER + "\nevt-1,order.released,erp,1,yesterday,"
                        "yesterday,ACT,c-1,SO-1,,,1.0,{}\n"),
    # --- the other commands
    "calibrate-unknown-only": cli("nope", "calibrate", "--only", "nope"),
    "calibrate-seeds-zero": cli("--seeds", "calibrate", "--seeds", "0"),
    "explore-bad-time": cli("--time", "explore", "--target", "reference", "--time", "soon"),
    "explore-unknown-target": cli("unknown target", "explore", "--target", "foo"),
    "explore-bad-shard": cli("--shard", "explore", "--target", "reference", "--shard", "5/2"),
    "sut-unknown": cli("unknown target", "sut", "nope", "--port", "1"),
    "sut-bad-port": cli("--port", "sut", "reference", "--port", "70000"),
    "sut-bad-delay": cli("--delay", "sut", "reference", "--port", "1", "--delay", "soon"),
    "sut-state-dir-missing": cli("--state-dir", "sut", "reference", "--port", "1",
                                 "--state-dir", "/nonexistent/state"),
    "serve-unknown-scenario": cli("unknown scenario", "serve", "nope"),
    "serve-time-scale-nan": cli("--time-scale", "serve", "--time-scale", "nan"),
    "serve-webhook-ftp": cli("--webhook-url", "serve", "--webhook-url", "ftp://x"),
    "fuzz-sut-ftp": cli("--target", "fuzz-sut", "--target", "ftp://x"),
    "fuzz-sut-no-examples": cli("--examples", "fuzz-sut", "--target", "http://127.0.0.1:9",
                                "--examples", "0"),
    "verify-sut-neither": cli("exactly one", "contracts", "verify-sut"),
    "verify-sut-no-pacts": cli("no pact files", "contracts", "verify-sut", "--target",
                               "http://127.0.0.1:9", "--pacts", "{dir}"),
    "verify-simulators-neither": cli("exactly one", "contracts", "verify-simulators"),
    "verify-simulators-broker-flag": cli("--broker-url", "contracts", "verify-simulators",
                                         "--pacts", "{dir}", "--include-pending"),
    "verify-simulators-bad-date": cli("YYYY-MM-DD", "contracts", "verify-simulators",
                                      "--broker-url", "http://127.0.0.1:9",
                                      "--include-wip-since", "last week"),
    "load-unknown-profile": cli("profile", "load", "--profile", "no-such-profile",
                                "--target", "http://127.0.0.1:9"),
}


@pytest.fixture(scope="module")
def pristine_children() -> Iterator[None]:
    """No process started by the table outlives it."""
    import psutil

    me = psutil.Process()
    before = {child.pid for child in me.children(recursive=True)}
    yield
    left = [child for child in me.children(recursive=True) if child.pid not in before
            and child.is_running() and child.status() != psutil.STATUS_ZOMBIE]
    assert left == [], f"processes left behind: {[c.cmdline() for c in left]}"


@pytest.mark.parametrize("name", sorted(CLI_CASES))
def test_hostile_cli_input(name, tmp_path, monkeypatch, pristine_children):
    case = CLI_CASES[name]
    for file_name, text in case.files:
        path = tmp_path / file_name.replace(".keep", "")
        if file_name.endswith(".keep"):
            path.mkdir()
        elif isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    args = [arg.replace("{dir}", str(tmp_path)) for arg in case.args]
    result = CliRunner().invoke(main, args)
    assert not isinstance(result.exception, MemoryError | RecursionError), result.exception
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert re.search(case.expect, result.output), result.output


# --- HTTP: the simulators (`seatrial serve`), a served SUT and the load service -------------


@dataclass(frozen=True)
class Http:
    """A request to `face` ("erp", "sut" or "load"): method, path, headers (with {token},
    {control}, {load} for the face's credential), body; the 4xx it must get and a regular
    expression its problem's detail names."""

    face: str
    method: str
    path: str
    status: int
    expect: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    signed: bool = False  # sign the body as the ERP's webhooks are (for the SUT's endpoints)


def http(face: str, method: str, path: str, status: int, expect: str, body: bytes | str = b"",
         signed: bool = False, **headers: str) -> Http:
    return Http(face, method, path, status, expect,
                tuple((name.replace("_", "-"), value) for name, value in headers.items()),
                body.encode() if isinstance(body, str) else body, signed)


TOKEN, CONTROL, LOAD = "Bearer {token}", "Bearer {control}", "Bearer {load}"
JSON = "application/json"
CHARGE = '{"statement_id": "ST-1", "lines": [{"code": "LH", "amount": 10}], "total": %s}'

HTTP_CASES: dict[str, Http] = {
    # the simulators' API and token endpoint
    "api-no-token": http("erp", "GET", "/orders/SO-000001", 401, "bearer token"),
    "api-unknown-token": http("erp", "GET", "/orders/SO-000001", 401, "unknown token",
                              authorization="Bearer nope"),
    "api-basic-auth": http("erp", "GET", "/orders/SO-000001", 401, "bearer",
                           authorization="Basic c2VhdHJpYWw6eA=="),
    "api-200mb-unauthenticated": http("erp", "POST", "/shipments", 413, "1,048,576",
                                      content_length=str(200 * 2**20)),
    "api-2mb-body": http("erp", "POST", "/orders/SO-000001/freight-charges", 413, "at most",
                         body=b"[" + b"0," * 2**20 + b"0]", authorization=TOKEN,
                         content_type=JSON),
    "api-20kb-header": http("erp", "GET", "/orders/SO-000001", 431, "header",
                            x_padding="x" * 20_000),
    "api-malformed-json": http("erp", "POST", "/orders/SO-000001/freight-charges", 400,
                               "not JSON", body="{oops", authorization=TOKEN,
                               content_type=JSON),
    "api-json-nested-100k": http("erp", "POST", "/orders/SO-000001/freight-charges", 400,
                                 "JSON|deep", body=nested_json(100_000), authorization=TOKEN,
                                 content_type=JSON),
    "api-json-nan": http("erp", "POST", "/orders/SO-000001/freight-charges", 400, "JSON",
                         body=CHARGE % "NaN", authorization=TOKEN, content_type=JSON),
    "api-not-utf8": http("erp", "POST", "/orders/SO-000001/freight-charges", 400, "JSON",
                         body=b'{"total": "\xff"}', authorization=TOKEN, content_type=JSON),
    "api-infinite-amount": http("erp", "POST", "/orders/SO-000001/freight-charges", 422,
                                "finite", body=CHARGE % "1e400", authorization=TOKEN,
                                content_type=JSON),
    "api-body-a-list": http("erp", "POST", "/orders/SO-000001/freight-charges", 422,
                            "object", body="[1, 2]", authorization=TOKEN, content_type=JSON),
    "api-unknown-path": http("erp", "GET", "/no/such/thing", 404, "", authorization=TOKEN),
    "api-wrong-method": http("erp", "DELETE", "/orders/SO-000001", 405, "",
                             authorization=TOKEN),
    "token-wrong-grant": http("erp", "POST", "/oauth/token", 400, "client_credentials",
                              body="grant_type=password",
                              content_type="application/x-www-form-urlencoded"),
    "token-wrong-secret": http("erp", "POST", "/oauth/token", 401, "client_secret",
                               body="grant_type=client_credentials&client_id=seatrial-sut&"
                                    "client_secret=guess",
                               content_type="application/x-www-form-urlencoded"),
    "token-not-a-form": http("erp", "POST", "/oauth/token", 400, "form|x-www-form",
                             body=b"\xff\xfe", content_type="application/x-www-form-urlencoded"),
    "token-basic-garbage": http("erp", "POST", "/oauth/token", 400, "Basic",
                                body="grant_type=client_credentials", authorization="Basic %%%"),
    # a served SUT (`seatrial sut reference`), configured by the table's fixture
    "sut-configure-no-secret": http("sut", "POST", "/seatrial/configure", 401, "secret",
                                    body="{}", content_type=JSON),
    "sut-configure-wrong-secret": http("sut", "POST", "/seatrial/configure", 401, "secret",
                                       body="{}", content_type=JSON,
                                       authorization="Bearer guess"),
    "sut-configure-not-json": http("sut", "POST", "/seatrial/configure", 400, "JSON",
                                   body="{oops", content_type=JSON, authorization=CONTROL),
    "sut-configure-a-list": http("sut", "POST", "/seatrial/configure", 400, "object",
                                 body="[]", content_type=JSON, authorization=CONTROL),
    "sut-configure-missing": http("sut", "POST", "/seatrial/configure", 422, "missing",
                                  body="{}", content_type=JSON, authorization=CONTROL),
    "sut-configure-200mb": http("sut", "POST", "/seatrial/configure", 413, "at most",
                                content_length=str(200 * 2**20)),
    "sut-webhook-unknown-source": http("sut", "POST", "/webhooks/sap", 404, "webhooks",
                                       body=json.dumps(EVENT), content_type=JSON),
    "sut-webhook-unsigned": http("sut", "POST", "/webhooks/erp", 401, "signature|refused",
                                 body=json.dumps(EVENT), content_type=JSON),
    "sut-webhook-bad-signature": http("sut", "POST", "/webhooks/erp", 401, "signature|refused",
                                      body=json.dumps(EVENT), content_type=JSON,
                                      webhook_id="msg_1", webhook_timestamp="{now}",
                                      webhook_signature="v1,AAAA"),
    "sut-webhook-not-json": http("sut", "POST", "/webhooks/erp", 400, "JSON|envelope",
                                 body="{oops", content_type=JSON, signed=True),
    "sut-webhook-nested-100k": http("sut", "POST", "/webhooks/erp", 400, "deep",
                                    body=nested_json(100_000), content_type=JSON,
                                    signed=True),
    "sut-webhook-no-event-id": http("sut", "POST", "/webhooks/erp", 400, "event_id",
                                    body=json.dumps({k: v for k, v in EVENT.items()
                                                     if k != "event_id"}),
                                    content_type=JSON, signed=True),
    "sut-webhook-2mb": http("sut", "POST", "/webhooks/erp", 413, "at most",
                            body=b"[" + b"0," * 2**20 + b"0]", content_type=JSON),
    "sut-20kb-header": http("sut", "GET", "/health", 431, "header", x_padding="x" * 20_000),
    # the load service's control API
    "load-start-no-secret": http("load", "POST", "/start", 401, "secret"),
    "load-orders-no-secret": http("load", "POST", "/orders", 401, "secret"),
    "load-finish-no-secret": http("load", "POST", "/finish", 401, "secret",
                                  body='{"drain": 5}', content_type=JSON),
    "load-orders-before-start": http("load", "POST", "/orders", 409, "/start",
                                     authorization=LOAD),
    "load-finish-drain-inf-text": http("load", "POST", "/finish", 422, "drain",
                                       body='{"drain": "inf"}', content_type=JSON,
                                       authorization=LOAD),
    "load-finish-drain-huge": http("load", "POST", "/finish", 422, "drain",
                                   body='{"drain": 1e308}', content_type=JSON,
                                   authorization=LOAD),
    "load-finish-not-json": http("load", "POST", "/finish", 400, "JSON|object",
                                 body="{oops", content_type=JSON, authorization=LOAD),
    "load-200mb": http("load", "POST", "/orders", 413, "at most",
                       content_length=str(200 * 2**20)),
}


@pytest.fixture(scope="module")
def faces(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`seatrial serve`, `seatrial sut reference` configured with serve's settings, and
    `seatrial load-service`, each a process as a user starts it; when the table is done, all
    three are stopped and their ports are closed."""
    from suts import CONTROL, SEATRIAL, started, with_control

    from seatrial.live.settings import LOAD_SECRET, SETTINGS
    from seatrial.load.plan import LoadProfile, LoadRun
    from seatrial.scenario_yaml import dump_scenario

    serve = subprocess.Popen([SEATRIAL, "serve", "--time-scale", "3600"], text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env=with_control())
    exports: dict[str, str] = {}
    for line in serve.stdout:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exports[name] = shlex.split(value)[0]
        if line.startswith("# try:"):
            break
    profile = LoadProfile("hostile", cancel_rate=0.0, address_change_rate=0.0,
                          duplicate_rate=0.0, duration=30, time_scale=28_800)
    scenario = tmp_path_factory.mktemp("load") / "scenario.yaml"
    scenario.write_text(dump_scenario(LoadRun(profile).scenario(), complete=True))
    load = subprocess.Popen([SEATRIAL, "load-service", "--scenario", str(scenario),
                             "--target-cmd", f"{SEATRIAL} sut reference"], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**with_control(), LOAD_SECRET: "hostile-load"})
    sut = started("reference")
    try:
        sut_url = next(sut)
        settings = {name: exports[name] for name in SETTINGS}
        configured = httpx.post(f"{sut_url}/seatrial/configure", json=settings,
                                headers={"authorization": f"Bearer {CONTROL}"}, timeout=10)
        assert configured.status_code == 200, configured.text
        urls = {"erp": exports["SEATRIAL_ERP_URL"], "sut": sut_url,
                "load": json.loads(load.stdout.readline())["url"]}
        yield {**urls, "token": exports["SEATRIAL_ERP_TOKEN"], "control": CONTROL,
               "load_secret": "hostile-load",
               "erp_webhook_secret": exports["SEATRIAL_ERP_WEBHOOK_SECRET"]}
    finally:
        for process in (serve, load):
            process.terminate()
            process.wait(20)
        sut.close()
    for url in urls.values():
        with socket.socket() as probe:
            parts = urlsplit(url)
            assert probe.connect_ex((parts.hostname, parts.port)) != 0, f"{url} still open"


@pytest.mark.wall_clock
@pytest.mark.parametrize("name", sorted(HTTP_CASES))
def test_hostile_http_input(name, faces, pristine_children):
    from suts import raw_http, request_head

    from seatrial.sdk.webhooks import sign

    case = HTTP_CASES[name]
    now = str(int(time.time()))
    values = {"token": faces["token"], "control": faces["control"],
              "load": faces["load_secret"], "now": now}
    headers = [f"{key}: {value.format(**values)}" for key, value in case.headers]
    if case.signed:
        signature = sign(faces["erp_webhook_secret"], "msg_hostile", int(now), case.body)
        headers += ["webhook-id: msg_hostile", f"webhook-timestamp: {now}",
                    f"webhook-signature: {signature}"]
    if not any(header.startswith("content-length:") for header in headers):
        headers.append(f"content-length: {len(case.body)}")
    status, answer, body, _took = raw_http(
        faces[case.face], request_head(case.method, case.path, "connection: close", *headers),
        (case.body,), timeout=20)
    assert status == case.status, (status, body[:500])
    assert answer.get("content-type") == "application/problem+json", answer
    problem = json.loads(body)
    assert problem["status"] == case.status
    assert re.search(case.expect, problem.get("detail", "")), problem


def test_the_table_is_large_enough():
    assert len(CLI_CASES) + len(HTTP_CASES) >= 100
