"""Scenario files: YAML round trips, human durations, and errors that name line and field."""

from __future__ import annotations

from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seatrial.catalogue import catalogue, find
from seatrial.durations import format_duration, parse_duration
from seatrial.faults.kinds.duplicate import Duplicate
from seatrial.faults.kinds.latency import Latency as LatencyFault
from seatrial.faults.kinds.lost_response import LostResponse
from seatrial.faults.kinds.outage import Outage
from seatrial.faults.kinds.rate_limit import RateLimit
from seatrial.faults.kinds.reorder import Reorder
from seatrial.judge.invariants import NAMES
from seatrial.run import RunAborted, play
from seatrial.scenario import MAX_ORDERS, SLO_KEYS, Expectations, Scenario, Workload
from seatrial.scenario_yaml import ScenarioError, dump_scenario, load_scenario, load_scenario_file
from seatrial.targets import resolve

# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_catalogue_scenario_round_trips(name):
    scenario = catalogue()[name]
    text = dump_scenario(scenario)
    assert load_scenario(text) == scenario
    assert dump_scenario(load_scenario(text)) == text


def test_catalogue_is_not_empty_and_has_a_gate_suite():
    scenarios = catalogue()
    assert len(scenarios) >= 5
    assert any(s.gate for s in scenarios.values())
    assert all(s.description for s in scenarios.values())


SYSTEMS = ("erp", "tms", "lastmile")
HOOKS = tuple(f"{s}.webhooks" for s in SYSTEMS)
CHANNELS = (*(f"{s}.api" for s in SYSTEMS), *HOOKS)

seconds = st.integers(0, 10 * 86400).map(float)
millis = st.integers(0, 999_999).map(lambda n: n / 1000)  # 0 .. 999.999 s
span = st.one_of(seconds, millis)
probability = st.floats(0.0, 1.0, allow_nan=False)
# a fault's window lies inside the run (which lasts up to duration + 14 days): both halves of
# it within 7 days
week = st.integers(0, 7 * 86400).map(float)
timing = st.fixed_dictionaries({"at": week, "for_": st.none() | st.one_of(week, millis)})


def pair(low: int, high: int):
    return st.tuples(st.integers(low, high), st.integers(low, high)).map(lambda p: tuple(sorted(p)))


@st.composite
def latency(draw):
    dist = draw(st.sampled_from(["fixed", "uniform", "lognormal"]))
    params: dict = {}
    if dist == "fixed":
        params["value"] = draw(span)
    elif dist == "uniform":
        params["low"], params["high"] = sorted((draw(span), draw(span)))
    else:
        params["median"] = draw(span)
        params["sigma"] = draw(st.floats(0.01, 5.0))
        params["cap"] = draw(st.none() | span)
    return LatencyFault(channel=draw(st.sampled_from(CHANNELS)), dist=dist, **params,
                        **draw(timing))


def outage():
    return st.builds(lambda system, at, for_, mode: Outage(system=system, at=at, for_=for_,
                                                            mode=mode),
                     st.sampled_from(SYSTEMS), week, st.one_of(week, millis),
                     st.sampled_from(["http_503", "hang", "refused"]))


faults = st.one_of(
    latency(),
    outage(),
    st.builds(lambda system, p, t: LostResponse(system=system, probability=p, **t),
              st.sampled_from(SYSTEMS), probability, timing),
    st.builds(lambda system, rate, burst, t: RateLimit(system=system, rate=rate, burst=burst,
                                                       **t),
              st.sampled_from(SYSTEMS), st.floats(0.001, 100_000.0),
              st.integers(1, 1_000_000), timing),
    st.builds(lambda ch, p, copies, within, t: Duplicate(channel=ch, probability=p,
                                                         copies=copies, within=within, **t),
              st.sampled_from(HOOKS), probability, pair(2, 10), span, timing),
    st.builds(lambda ch, p, window, t: Reorder(channel=ch, probability=p, window=window, **t),
              st.sampled_from(HOOKS), probability, seconds, timing),
)

def workloads(duration: float):
    """Up to the most orders a run may release (MAX_ORDERS) over `duration`."""
    return st.builds(
        Workload,
        orders_per_hour=st.floats(0.01, min(100_000.0, MAX_ORDERS * 3600 / duration)),
        lines_per_order=pair(1, 200),
        cancel_rate=probability,
        failed_attempt_rate=probability,
        tender_decline_rate=probability,
    )

expectations = st.builds(
    Expectations,
    invariants=st.just("all") | st.lists(st.sampled_from(NAMES), unique=True).map(tuple),
    converge_within=seconds,
    slo=st.dictionaries(st.sampled_from(SLO_KEYS), span, max_size=4),
)

scenarios = st.integers(1, 30 * 86400).map(float).flatmap(lambda duration: st.builds(
    Scenario,
    name=st.from_regex(r"[a-z0-9][a-z0-9-]{0,30}", fullmatch=True),
    description=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                        max_size=60) | st.just("Line one.\nLine two: with a colon."),
    seed=st.integers(0, 2**63 - 1),
    duration=st.just(duration),
    gate=st.booleans(),
    workload=workloads(duration),
    faults=st.lists(faults, max_size=6).map(tuple),
    expect=expectations,
))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios)
def test_generated_scenarios_round_trip(scenario):
    assert load_scenario(dump_scenario(scenario)) == scenario


def test_every_fault_kind_round_trips():
    scenario = Scenario(name="all-kinds", duration=7200.0, faults=(
        LatencyFault(channel="tms.api", dist="lognormal", median=0.25, sigma=0.8, cap=30.0),
        Outage(system="erp", at=3600.0, for_=5400.0, mode="refused"),
        LostResponse(system="lastmile", probability=0.2, at=60.0, for_=0.3),
        RateLimit(system="tms", rate=20.0, burst=100),
        Duplicate(channel="lastmile.webhooks", probability=0.05, copies=(2, 3), within=2.5),
        Reorder(channel="tms.webhooks", probability=0.1, window=7200.0),
    ))
    text = dump_scenario(scenario)
    assert "for: 1h30m" in text and "at: 1h" in text
    assert load_scenario(text) == scenario


# --- durations -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [
    ("300ms", 0.3), ("90s", 90.0), ("30m", 1800.0), ("8h", 28800.0), ("2d", 172800.0),
    ("1h30m", 5400.0), (" 1h 30m ", 5400.0), ("1.5h", 5400.0), ("1d2h3m4s", 93784.0),
    ("0s", 0.0), (45, 45.0), (2.5, 2.5), (0, 0.0),
])
def test_parse_duration(text, seconds):
    value = parse_duration(text)
    assert value == seconds and isinstance(value, float)


@pytest.mark.parametrize(("seconds", "text"), [
    (0.3, "0.3s"), (90.0, "1m30s"), (1800.0, "30m"), (28800.0, "8h"), (172800.0, "2d"),
    (5400.0, "1h30m"), (0.0, "0s"), (93784.0, "1d2h3m4s"), (45, "45s"),
])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("bad", ["8 hours", "", "h", "5", "-5s", "1h30", "30x", "soon", None,
                                 [1], {"h": 1}])
def test_bad_duration_says_what_is_accepted(bad):
    with pytest.raises(ValueError, match=r"300ms, 90s, 30m, 8h, 2d or 1h30m"):
        parse_duration(bad)


@pytest.mark.parametrize("bad", [True, -1, -0.5])
def test_booleans_and_negatives_are_not_durations(bad):
    with pytest.raises(ValueError, match=r"duration"):
        parse_duration(bad)


@given(st.integers(0, 10**9))
def test_format_is_exact_for_whole_seconds(n):
    assert parse_duration(format_duration(n)) == n


@given(st.integers(0, 999_999))
def test_format_is_exact_for_milliseconds(n):
    assert parse_duration(format_duration(n / 1000)) == n / 1000


@pytest.mark.parametrize("seconds", [10000.25, 172800.5, 1e-7])
def test_format_is_exact_for_fractional_seconds(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


# --- errors name source, line and field ----------------------------------------------------------


ERRORS = {
    "yaml-syntax": ("name: x\nseed: 1\n  bad: indent\n", 3, "not valid YAML"),
    "unknown-field": ("name: x\nseed: 1\ncolour: red\n", 3, "colour: unknown field"),
    "unknown-nested-field": ("name: x\nworkload:\n  orders_per_hour: 5\n  orders_per_day: 9\n",
                             4, "workload.orders_per_day: unknown field"),
    "unknown-fault-kind": ("name: x\nfaults:\n  - kind: outage\n    system: tms\n    for: 1h\n"
                           "  - kind: meteor\n    system: tms\n",
                           6, "faults[1]: unknown fault kind; use one of latency, outage"),
    "outage-without-for": ("name: x\nduration: 4h\nfaults:\n  - kind: outage\n    system: tms\n"
                           "    at: 1h\n", 4, "faults[0].for: missing required field"),
    "probability-over-1": ("name: x\nfaults:\n  - kind: duplicate\n    channel: tms.webhooks\n"
                           "    probability: 1.5\n", 5, "faults[0].probability: "),
    "lines-per-order": ("name: x\nworkload:\n  orders_per_hour: 5\n  lines_per_order: [5, 1]\n",
                        4, "workload.lines_per_order: write [min, max] with min <= max"),
    "unknown-invariant": ("name: x\nexpect:\n  invariants: [invoice-once, bogus]\n",
                          3, "expect.invariants: unknown invariant 'bogus'; known: "),
    "unknown-slo": ("name: x\nexpect:\n  converge_within: 1h\n  slo:\n"
                    "    order_to_shipment_p95: 45m\n    bogus_p95: 1h\n",
                    4, "expect.slo: unknown SLO 'bogus_p95'"),
    "bad-duration": ("name: x\nseed: 4\nduration: 8 hours\n", 3,
                     "duration: '8 hours' is not a duration; write e.g. 300ms"),
    "bad-fault-duration": ("name: x\nfaults:\n  - kind: outage\n    system: tms\n"
                           "    for: soon\n", 5, "faults[0].for: 'soon' is not a duration"),
    "missing-name": ("seed: 1\nduration: 1h\n", 1, "name: missing required field"),
    "bad-channel": ("name: x\nfaults:\n  - {kind: reorder, probability: 0.1,\n"
                    "     channel: fax.webhooks}\n", 4, "faults[0].channel: "),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_name_source_line_and_field(case):
    text, line, message = ERRORS[case]
    with pytest.raises(ScenarioError) as caught:
        load_scenario(text, "my.yaml")
    assert str(caught.value).startswith(f"my.yaml:{line}: {message}")


def test_probability_error_says_the_limit():
    with pytest.raises(ScenarioError, match=r"less than or equal to 1"):
        load_scenario(ERRORS["probability-over-1"][0])


def test_every_problem_is_reported_one_per_line():
    text = "name: Bad Name\nseed: -1\ncolour: red\n"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(text, "s.yaml")
    lines = str(caught.value).splitlines()
    assert [line.split(": ")[0:2] for line in lines] == [
        ["s.yaml:1", "name"], ["s.yaml:2", "seed"], ["s.yaml:3", "colour"]]


@pytest.mark.parametrize("text", ["- name: x\n- name: y\n", "", "just a string\n"])
def test_top_level_must_be_a_mapping(text):
    with pytest.raises(ScenarioError, match=r"^my\.yaml.*YAML mapping with at least `name:`"):
        load_scenario(text, "my.yaml")


def test_duplicate_copies_must_be_ordered():
    text = ("name: x\nfaults:\n  - kind: duplicate\n    channel: tms.webhooks\n"
            "    probability: 0.5\n    copies: [3, 2]\n")
    with pytest.raises(ScenarioError, match=r"^my\.yaml:6: faults\[0\]\.copies: "):
        load_scenario(text, "my.yaml")


def test_file_errors_name_the_path(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nseed: 1\ncolour: red\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=rf"^{path}:3: colour: unknown field"):
        load_scenario_file(path)
    with pytest.raises(ScenarioError, match=r"no such scenario file"):
        load_scenario_file(tmp_path / "absent.yaml")


# --- find() ------------------------------------------------------------------------------------


def test_find_by_catalogue_name():
    assert find("happy-path") is catalogue()["happy-path"]
    assert find("happy-path").name == "happy-path"


def test_find_by_path(tmp_path):
    mine = Scenario(name="my-own", seed=99, duration=5400.0,
                    faults=(Outage(system="tms", at=600.0, for_=900.0),))
    path = tmp_path / "my-own.yaml"
    path.write_text(dump_scenario(mine), encoding="utf-8")
    assert find(str(path)) == mine
    shipped = resources.files("seatrial.scenarios") / "tms-outage.yaml"
    assert find(str(shipped)) == catalogue()["tms-outage"]


def test_find_unknown_name_points_to_seatrial_list():
    with pytest.raises(ScenarioError, match=r"'no-such-scenario'.*`seatrial list`"):
        find("no-such-scenario")
    with pytest.raises(ScenarioError, match=r"no such scenario file"):
        find("no-such-scenario.yaml")


def test_a_scenario_built_in_python_with_an_unknown_invariant_is_not_run():
    """A file is checked against the judge's names as it loads; one built in Python is
    checked before it runs: a misspelt check never goes silently unchecked."""
    scenario = Scenario(name="x", duration=3600, expect={"invariants": ("invoice-onse",)})
    with pytest.raises(RunAborted, match=r"unknown invariant 'invoice-onse'.*invoice-once"):
        play(scenario, resolve("reference"))
