"""The drift report: how a run's traffic compares with a directory of pacts.

Jepsen-style, it reads a finished run's ledger and nothing else: the API requests the SUT made
that no pact interaction covers, the webhook event types it was sent that no message pact
covers, and the pact interactions the run never exercised. Pacts that are green in CI but
describe different traffic from what the SUT really does are what it finds (docs/contracts.md).

Requests are matched the way a Pact mock server would (method, path, query, the headers the
ledger records, JSON body, each with the interaction's matching rules). Messages are matched on
the envelope fields the ledger records: source, type and classifier.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from seatrial.contracts import PACT_DIR, api_provider, webhook_provider
from seatrial.ledger import Entry
from seatrial.simulators.canonical import LIVE_ONLY_PATHS
from seatrial.simulators.dialect import SYSTEMS, dialect

PROVIDER = re.compile(r"^seatrial-(?P<system>[a-z]+)-(?P<face>api|webhooks)$")
# request headers the ledger records, by the name of their field in a request entry
RECORDED_HEADERS = {"idempotency-key": "idempotency_key", "x-correlation-id": "correlation_id"}
ENVELOPE_FIELDS = ("source", "type", "classifier")  # what an `emit` entry records of an event
# deliveries the fault layer sabotaged on purpose: not the source's traffic, so no pact's
SABOTAGE = {"poison", "forged", "schema_drift"}
NO_ENDPOINT = "no pact interaction for this endpoint"
NO_TYPE = "no message pact for this event type"


class DriftError(ValueError):
    """A pact directory that cannot be read; the message names the file and the fix."""


@dataclass(frozen=True, eq=False)  # counted by identity
class Interaction:
    """One pact interaction, with what it expects and the name of its kind."""

    pact: str  # the pact file's name
    provider: str
    kind: str  # "request" or "message"
    description: str
    name: str  # "POST /orders/{order_id}/invoice", or an event type
    expected: Mapping[str, Any]  # the request (method, path, ...), or the message's content
    rules: Mapping[str, Any]  # matchingRules, by category (path, query, header, body)
    body_rules: BodyRules  # the body's (a message's content's)

    @property
    def observable(self) -> bool:
        """Token and OpenAPI requests are served beside the API and never reach the ledger."""
        return self.kind == "message" or self.expected.get("path") not in LIVE_ONLY_PATHS

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "provider": self.provider, "pact": self.pact,
                "interaction": self.name, "description": self.description}


@dataclass(frozen=True)
class Pacts:
    directory: Path
    interactions: tuple[Interaction, ...]
    skipped: tuple[str, ...]  # pact files for providers other than Seatrial's simulators


@dataclass
class Uncovered:
    """Ledger entries of one kind (endpoint or event type) that no interaction matches."""

    kind: str
    provider: str
    name: str
    first_seq: int  # the first such ledger entry, to look it up
    count: int = 0
    reasons: Counter[str] = field(default_factory=Counter)  # why the nearest interactions miss

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "provider": self.provider, "interaction": self.name,
                "count": self.count, "first_seq": self.first_seq,
                "reasons": dict(self.reasons.most_common())}


@dataclass(frozen=True)
class DriftReport:
    """What a run did that the pacts do not say, and what they say that it did not do."""

    pacts: Path
    requests: int  # request entries read
    deliveries: int  # webhook deliveries read (sabotaged ones left out)
    sabotaged: int
    uncovered: tuple[Uncovered, ...]
    exercised: tuple[tuple[Interaction, int | None], ...]  # None: outside the ledger
    skipped: tuple[str, ...]

    @property
    def unexercised(self) -> list[Interaction]:
        return [interaction for interaction, count in self.exercised if count == 0]

    @property
    def clean(self) -> bool:
        return not self.uncovered and not self.unexercised

    def to_json(self) -> dict[str, Any]:
        return {"pacts": str(self.pacts), "clean": self.clean, "requests": self.requests,
                "deliveries": self.deliveries, "sabotaged_deliveries": self.sabotaged,
                "uncovered": [u.to_json() for u in self.uncovered],
                "unexercised": [i.to_json() for i in self.unexercised],
                "interactions": [{**i.to_json(), "count": count}
                                 for i, count in self.exercised],
                "skipped_pacts": list(self.skipped)}


# --- reading pacts ----------------------------------------------------------------------------


def load_pacts(directory: Path = PACT_DIR) -> Pacts:
    """Every interaction of every pact in `directory` whose provider is a Seatrial simulator
    (`seatrial-{system}-api` or `-webhooks`), whichever the consumer."""
    if not directory.is_dir():
        raise DriftError(f"--pacts {directory}: not a directory; give the directory that holds "
                         "the pact files (default contracts/pacts)")
    interactions: list[Interaction] = []
    skipped: list[str] = []
    for path in sorted(directory.glob("*.json")):
        try:
            pact = json.loads(path.read_text(encoding="utf-8"))
            provider = pact["provider"]["name"]
            found = PROVIDER.match(provider)
            if found is None or found["system"] not in SYSTEMS:
                skipped.append(path.name)
                continue
            interactions.extend(_interaction(path.name, provider, found["system"],
                                             found["face"], raw)
                                for raw in pact.get("interactions", pact.get("messages", ())))
        except (ValueError, KeyError, TypeError) as error:
            raise DriftError(f"{path}: not a pact file Seatrial can read ({type(error).__name__}: "
                             f"{error}); give a V3 or V4 pact JSON file") from None
    if not interactions:
        raise DriftError(f"--pacts {directory}: no pact for a Seatrial provider (seatrial-erp-api, "
                         "seatrial-tms-webhooks, ...) in it")
    return Pacts(directory, tuple(interactions), tuple(skipped))


def _interaction(pact: str, provider: str, system: str, face: str,
                 raw: dict[str, Any]) -> Interaction:
    description = raw["description"]
    if face == "api":
        request = dict(raw["request"])
        request["body"] = _content(request.get("body"))
        if isinstance(request.get("query"), str):  # V2 kept the query as a string
            request["query"] = parse_qs(request["query"])
        rules = request.get("matchingRules", {})
        return Interaction(pact, provider, "request", description,
                           _endpoint(system, request["method"].upper(), request["path"]),
                           request, rules, BodyRules(rules.get("body", {})))
    content = _content(raw["contents"])
    rules = raw.get("matchingRules", {})
    return Interaction(pact, provider, "message", description,
                       str(content.get("type", description)), content, rules,
                       BodyRules(rules.get("body", {})))


def _content(body: Any) -> Any:
    """V4 wraps a body as {content, contentType, encoded}; V3 has the JSON itself."""
    if isinstance(body, dict) and "contentType" in body and "content" in body:
        return body["content"]
    return body


def _endpoint(system: str, method: str, path: str) -> str:
    """An endpoint named by its route template (one name for every order id); a path the
    system has no route for keeps its own name."""
    router = dialect(system).table
    for candidate in (method, *sorted({e.method for e in router.endpoints})):
        found = router.match(candidate, path)
        if found is not None:
            return f"{method} {found[0].template}"
    return f"{method} {path}"


# --- the report -------------------------------------------------------------------------------


def drift(entries: Iterable[Entry], pacts: Pacts) -> DriftReport:
    """Compare a run's ledger with the pacts: a pure function of the two."""
    entries = list(entries)
    by_provider: dict[str, list[Interaction]] = {}
    for interaction in pacts.interactions:
        by_provider.setdefault(interaction.provider, []).append(interaction)
    events, sabotaged_ids = _events(entries)
    used: Counter[Interaction] = Counter()
    uncovered: dict[tuple[str, str], Uncovered] = {}
    requests = deliveries = sabotaged = 0
    for entry in entries:
        if entry.kind == "request":
            requests += 1
            provider = api_provider(entry.system)
            check, near = _request_mismatch, _same_endpoint
            actual: Mapping[str, Any] = entry.data
        elif entry.kind == "deliver":
            if "forged" in entry.data or entry.ref in sabotaged_ids:
                sabotaged += 1
                continue
            deliveries += 1
            provider = webhook_provider(entry.system)
            actual = {"source": entry.system, **events.get(entry.ref, {})}
            check, near = _message_mismatch, _same_type
        else:
            continue
        candidates = by_provider.get(provider, ())
        misses = {}
        for interaction in candidates:
            why = check(interaction, actual)
            if why is None:
                used[interaction] += 1
            else:
                misses[interaction] = why
        if len(misses) < len(candidates):
            continue
        if entry.kind == "request":
            kind, name = "request", _endpoint(entry.system, actual["method"].upper(),
                                               actual["path"])
        else:
            kind, name = "message", str(actual.get("type"))
        miss = uncovered.setdefault((provider, name), Uncovered(kind, provider, name, entry.seq))
        miss.count += 1
        miss.reasons[_reason(misses, actual, near, kind)] += 1
    exercised = tuple((i, used[i] if i.observable else None) for i in pacts.interactions)
    return DriftReport(pacts.directory, requests, deliveries, sabotaged,
                       tuple(sorted(uncovered.values(), key=lambda u: (u.provider, u.name))),
                       exercised, pacts.skipped)


def drift_report(entries: Iterable[Entry], directory: Path = PACT_DIR) -> DriftReport:
    """`drift` over the pacts in `directory` (default: the canonical ones)."""
    return drift(entries, load_pacts(directory))


def _events(entries: list[Entry]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """What the ledger knows of each event (by id), and the ids of sabotaged ones."""
    events: dict[str, dict[str, Any]] = {}
    sabotaged: set[str] = set()
    for entry in entries:
        if entry.kind == "emit":
            events[entry.ref] = {"type": entry.data["type"],
                                 "classifier": entry.data["classifier"]}
        elif entry.kind == "fault" and "fault" in entry.data:
            if entry.data["fault"] in SABOTAGE:
                sabotaged.add(entry.ref)
            elif "type" in entry.data:  # an event the fault layer made (a retraction, ...)
                events[entry.ref] = {"type": entry.data["type"]}
    return events, sabotaged


def _reason(misses: dict[Interaction, str], actual: Mapping[str, Any],
            near: Callable[[Interaction, Mapping[str, Any]], bool], kind: str) -> str:
    """Why the interactions of the same endpoint (or event type) do not match; none there:
    say so."""
    close = [f"{i.description}: {why}" for i, why in misses.items() if near(i, actual)]
    if close:
        return " | ".join(close)
    return NO_ENDPOINT if kind == "request" else NO_TYPE


def _same_endpoint(interaction: Interaction, request: Mapping[str, Any]) -> bool:
    return _request_mismatch(interaction, request, endpoint_only=True) is None


def _same_type(interaction: Interaction, event: Mapping[str, Any]) -> bool:
    return interaction.expected.get("type") == event.get("type")


# --- matching, as Pact does -------------------------------------------------------------------


def _request_mismatch(interaction: Interaction, request: Mapping[str, Any],
                      endpoint_only: bool = False) -> str | None:
    """The first way `request` (a ledger request entry's data) misses the interaction."""
    expected, rules = interaction.expected, interaction.rules
    if request["method"].upper() != expected["method"].upper():
        return "method"
    path_rule = rules.get("path")
    if path_rule is None and request["path"] != expected["path"]:
        return "path"
    if path_rule is not None and _rule_miss(path_rule, expected["path"], request["path"]):
        return "path"
    if endpoint_only:
        return None
    why = _query_mismatch(expected.get("query") or {}, request.get("query") or {},
                          rules.get("query", {}))
    if why is not None:
        return why
    header_rules = {name.lower(): rule for name, rule in rules.get("header", {}).items()}
    for name, values in (expected.get("headers") or {}).items():
        recorded = RECORDED_HEADERS.get(name.lower())
        if recorded is None:
            continue  # the ledger does not record it (Authorization, Content-Type)
        value = request.get(recorded)
        if value is None:
            return f"header {name}: missing"
        wanted = values[0] if isinstance(values, list) else values
        rule = header_rules.get(name.lower())
        if rule is None and value != wanted:
            return f"header {name}: not {wanted!r}"
        if rule is not None and (miss := _rule_miss(rule, wanted, value)):
            return f"header {name}: {miss}"
    if expected.get("body") is None:
        return None  # a pact without a body takes any
    why = _body_mismatch(expected["body"], request.get("body"), (), interaction.body_rules)
    return None if why is None else f"body {why}"


def _query_mismatch(expected: Mapping[str, Any], actual: Mapping[str, Any],
                    rules: Mapping[str, Any]) -> str | None:
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            return f"query {name}: missing"
        if name not in expected:
            return f"query {name}: unexpected"
        wanted = expected[name]
        wanted = wanted[0] if isinstance(wanted, list) and wanted else wanted
        value = actual[name]
        rule = rules.get(name)
        if rule is None and str(value) != str(wanted):
            return f"query {name}: not {wanted!r}"
        if rule is not None and (miss := _rule_miss(rule, wanted, value)):
            return f"query {name}: {miss}"
    return None


def _message_mismatch(interaction: Interaction, event: Mapping[str, Any]) -> str | None:
    """The first envelope field the ledger knows that misses the message's content."""
    for name in ENVELOPE_FIELDS:
        if name not in event or name not in interaction.expected:
            continue
        wanted, value = interaction.expected[name], event[name]
        rule = interaction.body_rules.best((name,))
        if rule is None and value != wanted:
            return f"{name}: not {wanted!r}"
        if rule is not None and (miss := _rule_miss(rule, wanted, value)):
            return f"{name}: {miss}"
    return None


PATH_TOKEN = re.compile(r"\.(\*|[^.\[\]]+)|\[(\*|\d+)\]|\['([^']+)'\]")


@cache
def _tokens(expression: str) -> tuple[str | int | None, ...]:
    """`$.lines[*].amount` -> ("lines", None, "amount"): None is a wildcard."""
    tokens: list[str | int | None] = []
    for name, index, quoted in PATH_TOKEN.findall(expression.removeprefix("$")):
        if name == "*" or index == "*":
            tokens.append(None)
        else:
            tokens.append(int(index) if index else quoted or name)
    return tuple(tokens)


class BodyRules:
    """A body's matching rules by JSON path; each path's rule is looked up once (a ledger
    repeats the same paths hundreds of thousands of times)."""

    def __init__(self, rules: Mapping[str, Any]) -> None:
        self.rules = tuple((_tokens(path), rule) for path, rule in rules.items())
        self.found: dict[tuple[str | int, ...], Mapping[str, Any] | None] = {}

    def best(self, path: tuple[str | int, ...]) -> Mapping[str, Any] | None:
        """The most specific rule whose path is `path` or one of its ancestors: a type rule
        cascades to what is inside (Pact's `like`)."""
        if path in self.found:
            return self.found[path]
        best, weight = None, (-1, -1)
        for tokens, rule in self.rules:
            if len(tokens) > len(path):
                continue
            if all(t is None or t == p for t, p in zip(tokens, path, strict=False)):
                mine = (len(tokens), sum(t is not None for t in tokens))
                if mine > weight:
                    best, weight = rule, mine
        self.found[path] = best
        return best


def _show(path: tuple[str | int, ...]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _body_mismatch(expected: Any, actual: Any, path: tuple[str | int, ...],
                   rules: BodyRules) -> str | None:
    """Pact's request body rules: no key missing, none unexpected, each value by its rule or
    equal; a list under a type rule is matched item by item against the example."""
    rule = rules.best(path)
    if rule is not None and (miss := _rule_miss(rule, expected, actual)):
        return f"{_show(path)}: {miss}"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{_show(path)}: not an object"
        missing = sorted(expected.keys() - actual.keys())
        unexpected = sorted(actual.keys() - expected.keys())
        if missing or unexpected:
            return f"{_show(path)}: " + "; ".join(
                f"{what} {', '.join(map(str, keys))}"
                for what, keys in (("missing", missing), ("unexpected", unexpected)) if keys)
        for key, value in expected.items():
            if why := _body_mismatch(value, actual[key], (*path, key), rules):
                return why
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list | tuple):
            return f"{_show(path)}: not a list"
        if rule is None and len(actual) != len(expected):
            return f"{_show(path)}: {len(actual)} items, not {len(expected)}"
        for index, item in enumerate(actual):
            if not expected:
                return f"{_show(path)}: not empty"
            example = expected[index] if index < len(expected) else expected[0]
            if why := _body_mismatch(example, item, (*path, index), rules):
                return why
        return None
    if rule is None and (actual != expected or _kind(actual) != _kind(expected)):
        return f"{_show(path)}: not {expected!r}"
    return None


def _kind(value: Any) -> str:
    """The JSON type (Pact's type matcher: any number matches a number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list | tuple) else "object"


def _rule_miss(rule: Mapping[str, Any], expected: Any, actual: Any) -> str | None:
    """Apply a rule group ({combine, matchers}); None when it holds."""
    misses = [_matcher_miss(m, expected, actual) for m in rule.get("matchers", [rule])]
    failed = [miss for miss in misses if miss is not None]
    if rule.get("combine", "AND").upper() == "OR":
        return None if len(failed) < len(misses) else " and ".join(failed)
    return failed[0] if failed else None


def _matcher_miss(matcher: Mapping[str, Any], expected: Any, actual: Any) -> str | None:
    """One matcher. Date and time formats are checked as strings only; a matcher Seatrial does
    not know is taken as a type matcher."""
    match = matcher.get("match", "type")
    if match == "regex":
        if _kind(actual) in ("string", "number") and re.search(matcher["regex"], str(actual)):
            return None
        return f"does not match {matcher['regex']}"
    if match == "number":
        ok = _kind(actual) == "number"
    elif match == "integer":
        ok = isinstance(actual, int) and not isinstance(actual, bool)
    elif match == "decimal":
        ok = isinstance(actual, float)
    elif match == "boolean":
        ok = isinstance(actual, bool)
    elif match == "null":
        ok = actual is None
    elif match == "equality":
        ok = actual == expected and _kind(actual) == _kind(expected)
    elif match == "include":
        ok = isinstance(actual, str) and str(matcher.get("value", expected)) in actual
    elif match in ("date", "time", "datetime", "timestamp"):
        ok = isinstance(actual, str)
    else:  # type, min, max, notEmpty and the rest
        ok = _kind(actual) == _kind(expected)
        if ok and isinstance(actual, list | tuple | dict | str):
            ok = (int(matcher.get("min", 1 if match == "notEmpty" else 0)) <= len(actual)
                  <= int(matcher.get("max", len(actual))))
        match = f"a {_kind(expected)}" if match == "type" else match
    return None if ok else f"not {match}"


# --- the terminal table -----------------------------------------------------------------------


def render(console: Console, title: str, report: DriftReport) -> None:
    """One compact table per run: what no pact covers, then what the run never exercised."""
    console.print()
    table = Table(title=f"Drift: {title} (pacts: {_shown(report.pacts)})", title_justify="left")
    for column in ("drift", "provider", "interaction", "count", "detail"):
        table.add_column(column, justify="right" if column == "count" else "left",
                         no_wrap=column in ("drift", "provider", "count"), overflow="fold")
    for miss in report.uncovered:
        reason = miss.reasons.most_common(1)[0][0]
        more = f" (+{len(miss.reasons) - 1} other reasons)" if len(miss.reasons) > 1 else ""
        table.add_row("[red]uncovered[/]", miss.provider.removeprefix("seatrial-"),
                      escape(miss.name), f"{miss.count:,}", escape(reason + more))
    for interaction in report.unexercised:
        table.add_row("[yellow]unexercised[/]", interaction.provider.removeprefix("seatrial-"),
                      escape(interaction.name), "0", escape(f"pact: {interaction.description}"))
    if table.rows:
        console.print(table)
    exercised = sum(bool(count) for _, count in report.exercised)
    observable = sum(count is not None for _, count in report.exercised)
    summary = (f"{report.requests:,} requests, {report.deliveries:,} deliveries: "
               f"{sum(m.count for m in report.uncovered):,} uncovered; "
               f"{exercised} of {observable} pact interactions exercised")
    unseen = len(report.exercised) - observable
    if unseen:
        summary += f" ({unseen} token or OpenAPI request(s) are not in the ledger)"
    if report.sabotaged:
        summary += f"; {report.sabotaged:,} sabotaged deliveries left out"
    console.print(("[green]no drift[/]: " if report.clean else "drift: ") + summary,
                  highlight=False)


def _shown(directory: Path) -> str:
    """The pact directory as the user would type it: relative to here when it is below."""
    try:
        return str(directory.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(directory)
