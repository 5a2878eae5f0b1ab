"""Hardening found by attacking Seatrial (issue 15): every parser of user input refuses what it
cannot use with exit 2 and a message naming the file, the field and the fix: never a
traceback, a RecursionError or MemoryError, or a silent default. Scenario YAML, JSONL and CSV
event logs, JSON reports for `seatrial report`, and --target.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from seatrial import input_limits
from seatrial.catalogue import catalogue
from seatrial.cli import main
from seatrial.eventlog import format as log_format
from seatrial.eventlog.format import COLUMNS, write_log
from seatrial.explore import strategies
from seatrial.report import html
from seatrial.report.html import ReportError, read_report
from seatrial.scenario import DRAIN, MAX_FAULTS, MAX_ORDERS, Scenario, Workload
from seatrial.scenario_yaml import ScenarioError, load_scenario
from seatrial.targets import resolve
from seatrial.world import World

HAPPY = (Path(__file__).parent.parent / "scenarios" / "happy-path.yaml").read_text()
EVENT = {"event_id": "evt-1", "type": "order.released", "source": "erp", "source_seq": 1,
         "event_time": "2026-01-05T06:00:00+00:00", "recorded_time": "2026-01-05T06:00:00+00:00",
         "classifier": "ACT", "correlation_id": "c-1", "order_id": "SO-1",
         "shipment_id": None, "task_id": None, "schema_version": "1.0", "payload": {}}


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def refused(result, *names: str) -> None:
    """Exit 2, no traceback, and the output names each of `names` (regular expressions)."""
    assert not isinstance(result.exception, MemoryError | RecursionError), result.exception
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    for name in names:
        assert re.search(name, result.output), (name, result.output)


def scenario(tmp_path: Path, text: str, name: str = "s.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


# --- 1. structure depth ---------------------------------------------------------------------


@pytest.mark.parametrize("command", [("run", "--target", "reference"), ("show",)])
def test_yaml_nested_1000_deep_is_refused_naming_file_and_limit(tmp_path, command):
    path = scenario(tmp_path, f"name: deep\nworkload: {nested(1000)}\n", "deep.yaml")
    refused(invoke(command[0], path, *command[1:]), r"deep\.yaml:2", "deeper than 64")


def test_yaml_nested_1000_deep_in_block_style_is_refused_too(tmp_path):
    text = "name: deep\nworkload:\n" + "".join("  " * i + "  a:\n" for i in range(1000))
    refused(invoke("show", scenario(tmp_path, text)), "deeper than 64")


def test_an_alias_cannot_nest_a_scenario_deeper_than_the_limit(tmp_path):
    text = (f"a: &a {nested(40)}\n"
            f"b: [{nested(30, '[', '')}*a{nested(30, '', ']')}]\nname: x\n")
    refused(invoke("show", scenario(tmp_path, text)), r":2:", "deeper than 64", r"\*a")


def test_a_recursive_alias_and_an_alias_bomb_are_refused_not_expanded(tmp_path):
    refused(invoke("show", scenario(tmp_path, "name: &a [*a]\n")), "recursive alias")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi",
                                                                   strict=True))
    refused(invoke("show", scenario(tmp_path, bomb + "name: *i\n")), "aliases expanded",
            "100,000 values")


def test_a_deep_scenario_fails_in_a_fresh_process_with_exit_2(tmp_path):
    """The real CLI in its own process (its own stack), not only under CliRunner."""
    path = scenario(tmp_path, f"name: deep\nworkload: {nested(1000)}\n", "deep.yaml")
    done = subprocess.run([sys.executable, "-m", "seatrial", "show", path],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "deeper than 64" in done.stderr and "Traceback" not in done.stderr


def test_a_jsonl_line_nested_100k_deep_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps(EVENT) + "\n" + nested(100_000) + "\n")
    refused(invoke("replay", str(path), "--target", "reference"), "line 2", "deeper than 64")
    shallow_but_deep = {**EVENT, "payload": {"a": json.loads(nested(70))}}
    path.write_text(json.dumps(shallow_but_deep) + "\n")  # parses, then is refused
    refused(invoke("replay", str(path), "--target", "reference"), "line 1", "deeper than 64")


def test_a_csv_payload_nested_deep_is_refused(tmp_path):
    path = tmp_path / "deep.csv"
    row = dict(EVENT, payload=nested(30_000))
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        writer.writerow(row)
    refused(invoke("replay", str(path), "--target", "reference"), "line 2", "payload",
            "deeper than 64")


def test_a_json_report_nested_100k_deep_is_a_report_error():
    with pytest.raises(ReportError, match="deeper than 64"):
        html.runs_of(json.loads(nested(500)), "r.json")


def test_read_report_refuses_100k_nesting_without_recursing(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(nested(100_000))
    with pytest.raises(ReportError, match=r"r\.json: .*deeper than 64"):
        read_report(path)


def test_seatrial_report_of_json_nested_100k_deep_exits_2(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(nested(100_000))
    refused(invoke("report", str(path), "-o", str(tmp_path / "r.html")), "deeper than 64")


# --- 2. sizes and files that are not files ---------------------------------------------------


def test_dev_zero_as_a_scenario_is_refused_in_a_fresh_process():
    done = subprocess.run([sys.executable, "-m", "seatrial", "run", "/dev/zero", "--target",
                           "reference"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "/dev/zero: is a character device, not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_scenario_larger_than_1_mib_is_refused_without_reading_it_all(tmp_path):
    path = scenario(tmp_path, HAPPY + "#" * (2 * 2**20) + "\n", "large.yaml")
    refused(invoke("show", path), r"large\.yaml: is larger than 1 MiB", "Limits")


def test_a_scenario_from_an_endless_pipe_is_read_no_further_than_the_limit(tmp_path):
    fifo = tmp_path / "endless.yaml"
    os.mkfifo(fifo)
    written = []

    def feed() -> None:
        with open(fifo, "wb") as out:
            try:
                while sum(written) < 64 * 2**20:  # far more than anyone should read
                    out.write(b"#" * 65536)
                    written.append(65536)
            except BrokenPipeError:  # the reader stopped: what we wanted
                pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    refused(invoke("show", str(fifo)), "larger than 1 MiB")
    writer.join(timeout=10)
    assert sum(written) < 4 * 2**20


def test_a_directory_and_a_device_named_like_files_are_refused(tmp_path):
    (tmp_path / "dir.yaml").mkdir()
    refused(invoke("show", str(tmp_path / "dir.yaml")), "is a directory, not a regular file")
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    refused(invoke("replay", str(tmp_path / "zero.jsonl"), "--target", "reference"),
            "is a character device, not a regular file")


def test_a_log_line_longer_than_1_mib_is_refused(tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps(EVENT) + "\n" + "x" * (2 * 2**20) + "\n")
    refused(invoke("replay", str(path), "--target", "reference"),
            "line 2 is longer than 1 MiB")


def test_a_log_larger_than_its_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(log_format, "MAX_LOG_BYTES", 4096)
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps({**EVENT, "event_id": f"e{i}", "order_id": f"SO-{i}"})
                            + "\n" for i in range(20)))
    refused(invoke("replay", str(path), "--target", "reference"), "larger than",
            "split it by time", "Limits")


def test_a_log_releasing_more_orders_than_a_run_may_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(log_format, "MAX_ORDERS", 3)
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({**EVENT, "event_id": f"e{i}", "order_id": f"SO-{i}"})
                            + "\n" for i in range(5)))
    refused(invoke("replay", str(path), "--target", "reference"), "line 4",
            "more than 3 orders")


def test_a_report_larger_than_its_limit_or_a_device_is_a_report_error(tmp_path, monkeypatch):
    with pytest.raises(ReportError, match="/dev/zero: is a character device"):
        read_report(Path("/dev/zero"))
    monkeypatch.setattr(html, "MAX_REPORT_BYTES", 100)
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"runs": []}) + " " * 200)
    with pytest.raises(ReportError, match="larger than"):
        read_report(path)


# --- 3. strict YAML: no key twice -----------------------------------------------------------


def test_a_duplicate_key_is_refused_naming_the_key_and_both_lines(tmp_path):
    path = scenario(tmp_path, HAPPY + "seed: 2\n", "dup.yaml")
    first = next(n for n, line in enumerate(HAPPY.splitlines(), 1) if line.startswith("seed:"))
    last = len(HAPPY.splitlines()) + 1
    refused(invoke("run", path, "--target", "reference"),
            rf"dup\.yaml:{last}: duplicate key 'seed': given on line {first}")


def test_a_duplicate_key_in_a_flow_mapping_is_refused(tmp_path):
    path = scenario(tmp_path, "name: x\nworkload: {cancel_rate: 0.1, cancel_rate: 0.2}\n")
    refused(invoke("show", path), r":2: duplicate key 'cancel_rate'")


def test_a_merge_key_may_repeat_a_key_of_its_mapping():
    text = ("name: x\ndefaults: &d {system: tms, for: 1h}\n")
    with pytest.raises(ScenarioError, match="defaults: unknown field"):  # not "duplicate"
        load_scenario(text + "faults:\n  - {<<: *d, kind: outage, system: erp}\n")


# --- 4. fault windows inside the run ---------------------------------------------------------


def test_a_fault_after_the_run_is_refused_naming_it_by_index_and_kind(tmp_path):
    text = HAPPY + (
        "faults:\n"
        "  - {kind: latency, channel: tms.api, value: 1s}\n"
        "  - {kind: outage, system: tms, at: 40d, for: 1h}\n"
        "  - {kind: crash, at: 13d, for: 5d}\n")
    result = invoke("run", scenario(tmp_path, text, "late.yaml"), "--target", "reference")
    refused(result, r"faults\[1\]\.at: this outage fault starts at 40d, after the run",
            r"faults\[2\]\.for: this crash fault lasts until 18d",
            r"duration 2h \+ 14d", "leave `for` out")
    assert "faults[0]" not in result.output


def test_the_last_moment_of_the_run_is_still_inside_it():
    Scenario(name="x", duration=7200, faults=[
        {"kind": "outage", "system": "tms", "at": 7200 + DRAIN - 60, "for": 60},
        {"kind": "crash", "at": 7200 + DRAIN - 1}])


def test_a_fault_overlay_past_a_short_log_is_refused(tmp_path):
    log = tmp_path / "one.jsonl"
    log.write_text(json.dumps(EVENT) + "\n")
    overlay = scenario(tmp_path, "name: long\nduration: 30d\nworkload: {orders_per_hour: 1}\n"
                       "faults:\n  - {kind: outage, system: erp, at: 40d, for: 1h}\n",
                       "long.yaml")
    refused(invoke("replay", str(log), "--target", "reference", "--faults", overlay),
            r"--faults long: faults\[0\]\.at: this outage fault starts at 40d",
            "a replay's duration is its log's")


# --- 5. orders and the other workload numbers -------------------------------------------------


def test_72_million_orders_are_refused_with_the_limit_and_how_to_split(tmp_path):
    text = HAPPY.split("workload:")[0] + "workload: {orders_per_hour: 100000}\n"
    text = re.sub(r"(?m)^duration: .*$", "duration: 30d", text)
    refused(invoke("run", scenario(tmp_path, text, "big.yaml"), "--target", "reference"),
            r"workload\.orders_per_hour: 100,000 orders an hour for 30d is 72,000,000 orders",
            f"at most {MAX_ORDERS:,}", "Split it into runs of at most 30m")


def test_a_week_at_peak_day_rate_is_within_the_limit():
    peak = catalogue()["peak-day"]
    week = peak.model_copy(update={"duration": 7 * 86400.0})
    Scenario.model_validate(week.model_dump(by_alias=True))
    assert peak.workload.orders_per_hour * peak.duration / 3600 * 7 < MAX_ORDERS


def test_too_many_faults_or_redelivery_attempts_are_refused(tmp_path):
    poison = "  - {kind: poison, channel: tms.webhooks, probability: 0.1}\n"
    refused(invoke("show", scenario(tmp_path, "name: x\nfaults:\n" + poison * 101)),
            r"faults: at most 100 items, not 101")
    schedule = ", ".join(["1s"] * 51)
    refused(invoke("show", scenario(tmp_path, "name: x\nfaults:\n  - {kind: redelivery, "
                                    f"channel: tms.webhooks, schedule: [{schedule}]}}\n")),
            r"faults\[0\]\.schedule: at most 50 items")


def test_thousands_of_problems_are_listed_20_then_counted(tmp_path):
    path = scenario(tmp_path, "name: x\nfaults: [" + ", ".join(["1"] * 5000) + "]\n")
    result = invoke("show", path)
    refused(result, r"faults\[19\]: Input should be a valid dictionary", "and 4,980 more problems")
    assert "faults[20]" not in result.output


def test_explore_draws_within_the_limits():
    """Explore's envelope (at most 60 orders an hour for 2 h, up to 6 faults within the day)
    is inside the limits; tests/test_explore.py runs what it draws."""
    assert 60 * max(strategies.DURATIONS) / 3600 < MAX_ORDERS
    assert strategies.MAX_FAULTS <= MAX_FAULTS


# --- 6. numbers are finite -------------------------------------------------------------------


@pytest.mark.parametrize(("line", "field", "spelled"), [
    ("workload: {cancel_rate: .nan}", r"workload\.cancel_rate", r"\.nan"),
    ("workload: {orders_per_hour: .inf}", r"workload\.orders_per_hour", r"\.inf"),
    ("seed: .nan", "seed", r"\.nan"),
    ("duration: .inf", "duration", r"\.inf"),
    ("expect: {converge_within: -.inf}", r"expect\.converge_within", r"-\.inf"),
    ("faults: [{kind: rate_limit, system: tms, rate: .nan}]", r"faults\[0\]\.rate", r"\.nan"),
    ("live: {time_scale: .nan}", r"live\.time_scale", r"\.nan"),
])
def test_a_non_finite_number_must_be_a_finite_number_naming_the_field(tmp_path, line, field,
                                                                      spelled):
    path = scenario(tmp_path, f"name: x\n{line}\n")
    refused(invoke("show", path), rf":2: {field}: .*must be a finite number, not {spelled}")


def test_a_duration_too_long_for_a_float_is_refused(tmp_path):
    path = scenario(tmp_path, f"name: x\nduration: {'9' * 400}d\n")
    refused(invoke("show", path), r":2: duration: .*too long a duration")


def test_durations_are_bounded_by_the_run(tmp_path):
    skew = ("name: x\nfaults: [{kind: clock_skew, channel: tms.webhooks, mode: skew, "
            "skew: 1000000d}]\n")
    refused(invoke("show", scenario(tmp_path, skew)),
            r":2: faults\[0\]\.skew: 1000000d is longer than any run: .* at most 365d")
    refused(invoke("show", scenario(tmp_path, "name: x\nduration: 31d\n")),
            r":2: duration: 31d is longer than a run may release orders: at most 30d")


def test_a_value_pyyaml_cannot_build_is_a_yaml_error_at_its_line(tmp_path):
    refused(invoke("show", scenario(tmp_path, f"name: x\nseed: {'9' * 5000}\n")),
            r":2: not valid YAML: cannot read")
    refused(invoke("show", scenario(tmp_path, "name: x\ndescription: 2026-02-30\n")),
            r":2: not valid YAML: cannot read '2026-02-30'")


# --- 7. CSV as Excel writes it; NaN is not JSON -----------------------------------------------


@pytest.fixture(scope="module")
def small_log(tmp_path_factory) -> Path:
    """A short recorded run: 30 minutes at 20 orders an hour."""
    small = catalogue()["happy-path"].model_copy(update={
        "duration": 1800.0, "workload": Workload(orders_per_hour=20)})
    world = World(small, resolve("reference").factory, record=True)
    world.run()
    path = tmp_path_factory.mktemp("log") / "small.jsonl"
    write_log(path, world.recording.lines)
    return path


def test_a_csv_log_with_a_utf8_byte_order_mark_replays(small_log, tmp_path):
    envelopes = [row for row in map(json.loads, small_log.read_text().splitlines())
                 if "record" not in row]
    path = tmp_path / "excel.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as out:  # Excel's "CSV UTF-8"
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        for envelope in envelopes:
            writer.writerow({**envelope, "payload": json.dumps(envelope["payload"])})
    assert path.read_bytes().startswith(b"\xef\xbb\xbfevent_id,")
    result = invoke("replay", str(path), "--target", "reference")
    assert result.exit_code == 0, result.output


def test_a_ragged_csv_row_is_refused_naming_line_and_columns(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(",".join(COLUMNS) + "\nevt-1,order.released\n")
    refused(invoke("replay", str(path), "--target", "reference"),
            "line 2: 2 cells, but the header has 13 columns")


def test_nan_in_a_jsonl_log_is_not_json(tmp_path):
    path = tmp_path / "nan.jsonl"
    path.write_text(json.dumps({**EVENT, "source_seq": float("nan")}) + "\n")
    refused(invoke("replay", str(path), "--target", "reference"), "line 1",
            "NaN is not a JSON number")


# --- 8. reports: each run's fields as Seatrial writes them ------------------------------------


RUN = {"scenario": "s", "seed": 1, "target": "t", "passed": True, "violated": []}


@pytest.mark.parametrize(("change", "names"), [
    ({"scenario": ["a"]}, [r"run 1: scenario: expected a string, found a list"]),
    ({"seed": "1"}, [r"run 1: seed: expected an integer"]),
    ({"passed": "yes"}, [r"run 1 \(s seed 1 on t\): passed: expected true or false"]),
    ({"violated": "effect-once"}, [r"violated: expected a list"]),
    ({"messages": "many"}, [r"messages: expected an integer"]),
    ({"kpis": {"order_to_shipment": {"count": 1, "p50_s": "1s", "p95_s": 1, "max_s": 1}}},
     [r"kpis\.order_to_shipment\.p50_s: expected a finite number or null"]),
    ({"timeline": {"bucket_s": 60}}, [r"timeline\.end_s: missing"]),
    ({"timeline": {"bucket_s": 0, "end_s": 1, "messages": [1], "in_flight": [1],
                   "backlog": [1], "lag_max_s": {}, "faults": []}},
     [r"timeline\.bucket_s: expected a bucket width"]),
    ({"timeline": {"bucket_s": 60, "end_s": 1, "messages": [1, 2], "in_flight": [1],
                   "backlog": [1, 2], "lag_max_s": {}, "faults": []}},
     [r"timeline\.in_flight: expected one value per bucket"]),
    ({"violations": [{"invariant": "x", "evidence": [{"kind": "ack", "summary": "s",
                                                      "system": ["erp"]}]}]},
     [r"violations\[0\]\.evidence\[0\]\.system: expected a string or null"]),
])
def test_a_report_field_not_as_seatrial_writes_it_exits_2_naming_run_and_field(
        tmp_path, change, names):
    path = tmp_path / "edited.json"
    path.write_text(json.dumps({"runs": [{**RUN, **change}]}))
    result = invoke("report", str(path), "-o", str(tmp_path / "r.html"))
    refused(result, r"edited\.json: run 1", *names, "not as Seatrial writes it")
    assert "has a field not as Seatrial writes it (" not in result.output  # not the fallback


def test_a_report_run_that_is_not_an_object_or_a_calibration_row_that_is_not(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"runs": [RUN, 7]}))
    refused(invoke("report", str(path), "-o", str(tmp_path / "r.html")),
            "run 2: expected an object, found the number 7")
    path.write_text(json.dumps({"implementations": ["reference"]}))
    refused(invoke("report", str(path), "-o", str(tmp_path / "r.html")),
            r"implementations\[0\]: expected an object")


# --- 9. targets ------------------------------------------------------------------------------


@pytest.mark.parametrize(("target", "names"), [
    ("ftp://example.com/sync", [r"only http:// and https://", "not ftp://"]),
    ("HTTP://127.0.0.1:8000", ["lower case", r"http://"]),
    ("", ["is empty", "reference, naive"]),
    ("   ", ["is blank"]),
    (" reference", ["remove the spaces"]),
    (":ReferenceSync", ["name the module before the colon"]),
    ("json:", ["name the class or factory after the colon"]),
    ("a:b:c", ["with one colon"]),
    ("sync_implementations/reference.py:ReferenceSync",
     ["names a module, not a file", "sync_implementations.reference:ReferenceSync"]),
    ("my_sync.py", ["names a module, not a file", "my_sync:ClassName"]),
    ("my-sync:Sync", ["'my-sync' is not a module path"]),
])
def test_an_odd_target_gets_a_message_saying_what_to_write(target, names):
    result = invoke("run", "happy-path", "--target", target)
    refused(result, *(re.escape(name) if name.startswith(("'", "sync_")) else name
                      for name in names))
    assert "cannot import module" not in result.output


def test_every_catalogue_scenario_and_the_input_limits_agree():
    """The limits admit everything Seatrial ships (the catalogue loads, below MAX_ORDERS)."""
    for name, entry in catalogue().items():
        assert entry.workload.orders_per_hour * entry.duration / 3600 <= MAX_ORDERS, name
    assert input_limits.MAX_DEPTH == 64
