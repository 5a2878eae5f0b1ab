"""`seatrial contracts verify-simulators`: the simulators verified against a team's own pacts,
so the team knows the simulation behaves as its implementation expects before it trusts a
scenario's result.

The pacts may come from any consumer. Providers are matched by name: a simulator answers to its
canonical names (`seatrial-erp-api`, `seatrial-erp-webhooks`, ...), and to any name mapped onto
one of its faces with `--provider-name FACE=NAME` (FACE: `erp-api`, `erp-webhooks`, ...). A
system's API and its webhooks are separate faces (HTTP and message verification run apart), and
so are its messages on the broker channel (`erp-amqp`, named `seatrial-erp-amqp`: the same
events, as the live gateway publishes them, with their AMQP metadata; amqp_pacts).
Each vendor dialect a system speaks is a face of its own (`lastmile-onfleet-api`,
`erp-sap-s4-webhooks`, ... named `seatrial-lastmile-onfleet-api` and so on): its pacts are
verified against the simulator speaking that dialect.

From a directory, every interaction is read first: one the simulators cannot verify (a provider
that is none of theirs, an unknown provider state, an endpoint they do not serve, a message
whose states make nothing send a webhook) is left out and explained, and the rest are verified.
From a broker, the pacts are known only as the Verifier fetches them: unknown provider states
are reported from the verification.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import httpx

from seatrial.contracts import amqp_provider, api_provider, webhook_provider
from seatrial.contracts.amqp_pacts import verify_amqp
from seatrial.contracts.provider_states import STATES, known_states, named
from seatrial.contracts.verify import (
    Broker,
    Source,
    Verification,
    verify_api,
    verify_webhooks,
)
from seatrial.live.settings import SYSTEMS
from seatrial.model.wire import CANONICAL as CANONICAL_DIALECT
from seatrial.simulators.dialect import dialects
from seatrial.simulators.openapi import api_spec

API, WEBHOOKS, AMQP = "api", "webhooks", "amqp"
#: What each kind of face verifies: HTTP interactions, or messages (a webhook's or a broker's).
CARRIES = {API: API, WEBHOOKS: WEBHOOKS, AMQP: WEBHOOKS}


class Face(NamedTuple):
    system: str
    kind: str  # API, WEBHOOKS or AMQP
    dialect: str


def _face_name(system: str, dialect: str, kind: str) -> str:
    return f"{system}-{kind}" if dialect == CANONICAL_DIALECT else f"{system}-{dialect}-{kind}"


# Only canonical events travel on the broker channel: a vendor dialect's have no amqp face.
FACES = {_face_name(system, dialect, kind): Face(system, kind, dialect)
         for system in SYSTEMS for dialect in dialects(system) for kind in (API, WEBHOOKS)}
FACES.update({f"{system}-{AMQP}": Face(system, AMQP, CANONICAL_DIALECT) for system in SYSTEMS})
PROVIDERS = {API: api_provider, WEBHOOKS: webhook_provider,
             AMQP: lambda system, _dialect: amqp_provider(system)}
CANONICAL = {PROVIDERS[face.kind](face.system, face.dialect): name
             for name, face in FACES.items()}
V4_KINDS = {"Synchronous/HTTP": API, "Asynchronous/Messages": WEBHOOKS}
SENDING = [name for name, state in STATES.items() if state.sends is not None]
# A consumer version selector as the Pact Broker spells it -> Verifier's consumer_version().
SELECTOR_KEYS = {"consumer": "consumer", "tag": "tag", "fallbackTag": "fallback_tag",
                 "latest": "latest", "deployedOrReleased": "deployed_or_released",
                 "deployed": "deployed", "released": "released", "environment": "environment",
                 "mainBranch": "main_branch", "branch": "branch",
                 "matchingBranch": "matching_branch", "fallbackBranch": "fallback_branch"}


class PactInputError(Exception):
    """Pacts or options that cannot be verified at all; the message names the fix."""


class Skipped(NamedTuple):
    consumer: str
    provider: str
    description: str
    reason: str


class Run(NamedTuple):
    face: str
    provider: str  # the name the pacts give it
    interactions: int | None  # None: from a broker, not known beforehand


class Outcome(NamedTuple):
    run: Run
    verification: Verification


class Report(NamedTuple):
    source: str
    outcomes: list[Outcome]
    skipped: list[Skipped]

    @property
    def passed(self) -> bool:
        return (not self.skipped and bool(self.verified)
                and all(o.verification.passed for o in self.verified))

    @property
    def verified(self) -> list[Outcome]:
        """The runs that had pacts: all from a directory; from a broker, all but those it had
        none for (a broker that refused or failed a provider's request is no "none")."""
        return [o for o in self.outcomes if o.run.interactions is not None
                or not _no_pacts(o.verification.output)]

    def render(self) -> str:
        lines = [f"verify-simulators {self.source}:"]
        for outcome in self.outcomes:
            run, verification = outcome.run, outcome.verification
            count = "" if run.interactions is None else f", {run.interactions} interaction(s)"
            if outcome not in self.verified:
                lines.append(f"  none    {run.provider} ({run.face}): no pacts for it")
                continue
            lines.append(f"  {'passed' if verification.passed else 'FAILED'}  {run.provider} "
                         f"({run.face}{count})")
            lines += [f"          {failure}" for failure in verification.state_failures]
            if run.interactions is None and not verification.passed:
                lines += [f"          {line}" for line in _load_failures(verification.output)]
        if self.skipped:
            lines.append(f"not verifiable ({len(self.skipped)} interaction(s), left out):")
            grouped: dict[tuple[str, str, str], list[str]] = {}
            for skipped in self.skipped:
                grouped.setdefault((skipped.consumer, skipped.provider, skipped.reason),
                                   []).append(repr(skipped.description))
            for (consumer, provider, reason), descriptions in grouped.items():
                lines.append(f"  - {consumer} -> {provider}: {', '.join(descriptions)}: "
                             f"{reason}")
        lines.append("result: " + self._verdict())
        return "\n".join(lines)

    def _verdict(self) -> str:
        if self.passed:
            return "the simulators honour every interaction"
        if any(not o.verification.passed for o in self.verified):
            return "the simulators break these pacts: the Verifier's failures above say where"
        if self.verified:
            return (f"the simulators honour every interaction they support, but cannot verify "
                    f"{len(self.skipped)} (above): do not trust a scenario that needs them")
        return "nothing was verified: no pact names a simulator as its provider (see " \
               "--provider-name)"


def provider_names(pairs: Iterable[str]) -> dict[str, str]:
    """Provider name -> face: the canonical names, and each FACE=NAME given."""
    names = dict(CANONICAL)
    for pair in pairs:
        face, _sep, name = pair.partition("=")
        if face not in FACES or not name.strip():
            raise PactInputError(f"--provider-name {pair}: give FACE=NAME, FACE one of "
                                 f"{', '.join(FACES)} (e.g. erp-api=acme-erp)")
        names[name.strip()] = face
    return names


def selector(text: str) -> dict[str, Any]:
    """One --consumer-version-selector (the broker's JSON) as consumer_version() arguments."""
    example = '{"mainBranch": true}'
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise PactInputError(f"--consumer-version-selector {text}: not JSON ({error}); e.g. "
                             f"{example}") from None
    if not isinstance(raw, dict) or not raw:
        raise PactInputError(f"--consumer-version-selector {text}: give a JSON object, e.g. "
                             f"{example}")
    unknown = [key for key in raw if key not in SELECTOR_KEYS]
    if unknown:
        raise PactInputError(f"--consumer-version-selector {text}: unknown key(s) "
                             f"{', '.join(unknown)}; a selector takes {', '.join(SELECTOR_KEYS)}")
    return {SELECTOR_KEYS[key]: value for key, value in raw.items()}


def check_broker(url: str, token: str | None) -> None:
    """PactInputError unless the broker at `url` answers and takes the token: a broker that is
    not there is bad input, not a failed verification."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PactInputError(f"--broker-url {url}: give the broker's base URL, e.g. "
                             "https://acme.pactflow.io")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        answer = httpx.get(url, headers=headers, timeout=10.0)
    except httpx.HTTPError as error:
        raise PactInputError(f"--broker-url {url}: cannot reach it ({type(error).__name__}: "
                             f"{error})") from None
    if answer.status_code in (401, 403):
        raise PactInputError(f"--broker-url {url}: the broker answered {answer.status_code}; "
                             "give a token it accepts (--broker-token or $PACT_BROKER_TOKEN)")


def verify_directory(directory: Path, names: dict[str, str], work: Path) -> Report:
    """Verify what can be verified of the pacts in `directory` (copies of them, with only
    those interactions, go to `work`) and explain the rest."""
    files = sorted(directory.glob("*.json")) if directory.is_dir() else []
    if not files:
        raise PactInputError(f"--pacts {directory}: no pact files (*.json) there; give the "
                             "directory your consumer tests write their pacts to")
    skipped: list[Skipped] = []
    counts: dict[tuple[str, str], int] = {}
    for path in files:
        pact = _load(path)
        consumer, provider = pact["consumer"]["name"], pact["provider"]["name"]
        face = names.get(provider)
        kept: dict[str, dict[str, list[Any]]] = {}
        for key, interaction, kind in _interactions(pact):
            reason = _unsupported(interaction, kind, provider, face)
            if reason is not None:
                skipped.append(Skipped(consumer, provider,
                                       str(interaction.get("description", "")), reason))
                continue
            kept.setdefault(kind, {}).setdefault(key, []).append(interaction)
        for kind, containers in kept.items():
            folder = work / kind
            folder.mkdir(parents=True, exist_ok=True)
            only = {key: containers.get(key, []) for key in ("interactions", "messages")
                    if key in pact}
            (folder / path.name).write_text(json.dumps({**pact, **only}))
            counts[(face, provider)] = (counts.get((face, provider), 0)
                                        + sum(map(len, containers.values())))
    outcomes = [Outcome(Run(face, provider, count),
                        _verify(face, work / CARRIES[FACES[face].kind], provider))
                for (face, provider), count in sorted(counts.items())]
    return Report(str(directory), outcomes, skipped)


def verify_broker(broker: Broker, names: dict[str, str]) -> Report:
    """Verify every simulator face, under each of its names, against what the broker holds."""
    outcomes = [Outcome(Run(face, provider, None), _verify(face, broker, provider))
                for provider, face in sorted(names.items(), key=lambda item: item[1])]
    return Report(str(broker.url), outcomes, [])


# The Verifier's failure lines, and the one it gives when the broker has no pacts for a provider
# (any other broker error, e.g. a refused request, follows that text with ": " and its cause).
FAILURE = re.compile(r"\d+\) (.*)")
NO_PACTS = re.compile(r"Failed to load pact - No pacts found for provider '[^']*' matching the "
                      r"given consumer version selectors in pact broker '[^']*'")


def _failures(output: str) -> list[str]:
    return [m.group(1) for line in output.splitlines() if (m := FAILURE.fullmatch(line.strip()))]


def _no_pacts(output: str) -> bool:
    """A broker run that found no pacts for its provider, and failed for nothing else."""
    failures = _failures(output)
    return bool(failures) and all(NO_PACTS.fullmatch(failure) for failure in failures)


def _load_failures(output: str) -> list[str]:
    """Why a broker run could not load its pacts (the broker's refusal or error), if it could
    not."""
    return [f for f in _failures(output) if f.startswith("Failed to load pact")]


def _verify(face: str, source: Source, provider: str) -> Verification:
    system, kind, dialect = FACES[face]
    if kind == AMQP:
        return verify_amqp(system, source, provider)
    verify = verify_api if kind == API else verify_webhooks
    return verify(system, source, provider, dialect)


def _load(path: Path) -> dict[str, Any]:
    try:
        pact = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise PactInputError(f"--pacts: {path} is not JSON ({error}); give a directory of "
                             "pact files") from None
    if not all(isinstance(pact, dict) and isinstance(pact.get(side), dict)
               and isinstance(pact[side].get("name"), str) for side in ("consumer", "provider")):
        raise PactInputError(f"--pacts: {path} is not a pact file: it needs consumer.name and "
                             "provider.name")
    for key in ("interactions", "messages"):
        if not all(isinstance(item, dict) for item in pact.get(key) or []):
            raise PactInputError(f"--pacts: {path}: {key} must be a list of objects")
    return pact


def _interactions(pact: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any], str | None]]:
    """(container, interaction, kind) for each interaction: V4 says its type, V2/V3 keep HTTP
    interactions and messages apart."""
    for interaction in pact.get("interactions") or []:
        kind = V4_KINDS.get(interaction["type"]) if "type" in interaction else API
        yield "interactions", interaction, kind
    for message in pact.get("messages") or []:
        yield "messages", message, WEBHOOKS


def _states(interaction: dict[str, Any]) -> list[str]:
    if "providerStates" in interaction:
        return [state.get("name", "") for state in interaction["providerStates"] or []]
    return [interaction["providerState"]] if interaction.get("providerState") else []


def _unsupported(interaction: dict[str, Any], kind: str | None, provider: str,
                 face: str | None) -> str | None:
    """Why the simulators cannot verify `interaction`, or None."""
    if face is None:
        return (f"no simulator is called {provider!r}: map it with --provider-name "
                f"FACE={provider} (FACE: {', '.join(FACES)}), or use a canonical name "
                f"({', '.join(CANONICAL)})")
    system, face_kind, dialect = FACES[face]
    if kind is None:
        return (f"a {interaction.get('type')} interaction: the simulators have HTTP APIs and "
                "asynchronous webhooks only")
    if kind != CARRIES[face_kind]:
        what = "an HTTP interaction" if kind == API else "a message"
        return (f"{what}, but {provider!r} is the {face} face; a system's API and its messages "
                f"are separate providers (--provider-name {system}-{kind}=NAME)")
    states = _states(interaction)
    unknown = [state for state in states if named(state) is None]
    if unknown:
        return (f"unknown provider state(s) {', '.join(map(repr, unknown))}; the simulators "
                f"know: {known_states()}")
    if kind == WEBHOOKS and (not states or STATES[named(states[-1])].sends is None):
        return (f"its last provider state ({states[-1] if states else 'none'!r}) makes no "
                f"source send a webhook; end with one of: {', '.join(SENDING)}")
    if kind == API:
        return _unserved(system, dialect, interaction.get("request") or {})
    return None


@cache
def _served(system: str, dialect: str) -> tuple[tuple[re.Pattern[str], frozenset[str]], ...]:
    """The simulator's paths in `dialect` (its OpenAPI document) as patterns, with their
    methods: built once per system and dialect, not per interaction."""
    return tuple((re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))),
                  frozenset(operations))
                 for template, operations in api_spec(system, dialect)["paths"].items())


def _unserved(system: str, dialect: str, request: dict[str, Any]) -> str | None:
    """None if the simulator serves the request's method and path in `dialect` (its OpenAPI
    document)."""
    method, path = str(request.get("method", "GET")).lower(), str(request.get("path", ""))
    for pattern, operations in _served(system, dialect):
        if pattern.fullmatch(path) and method in operations:
            return None
    speaking = "" if dialect == CANONICAL_DIALECT else f" in the {dialect} dialect"
    return (f"{method.upper()} {path}: the {system} simulator{speaking} serves no such endpoint "
            f"(contracts/openapi/{dialects(system)[dialect].document} lists what it serves)")
