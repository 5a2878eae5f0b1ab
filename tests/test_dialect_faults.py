"""The faults only a vendor dialect has, each against the faulty implementation it exists for.

The built-in reference speaks the vendor dialects through its connectors
(sync_implementations/connectors/): it fetches a CSRF token and fetches it again when refused,
reads an order again on a 412, waits for an order a thin event announced before it was
readable, registers an Onfleet webhook again when its validation failed, and honours the
organisation's 429. It must hold every invariant under each fault (no false positive); each
faulty variant leaves exactly one of those recoveries out, in its connector, and must be caught.

`batch_failure` has no case here: the built-in connectors send no `$batch` (they write one
order at a time), so no built-in implementation gives it a changeset to fail; how `$batch`
parts are recorded and judged is tested in tests/test_dialect_ledger.py.
"""

from __future__ import annotations

import pytest

from seatrial.catalogue import catalogue
from seatrial.faults.kinds import KINDS
from seatrial.faults.reach import unreached
from seatrial.judge.verdict import verdict
from seatrial.run import observe
from seatrial.scenario import Scenario
from seatrial.scenario_yaml import ScenarioError, load_scenario
from seatrial.sync_implementations.connectors import Connector
from seatrial.sync_implementations.connectors import odata_batch
from seatrial.sync_implementations.connectors.erp_sap_s4 import SERVICE, SapErp
from seatrial.sync_implementations.connectors.lastmile_onfleet import TRIGGERS, OnfleetLastMile
from seatrial.sync_implementations.reference import ReferenceSync
from seatrial.world import World


def faulty(name: str, system: str, connector: type[Connector]) -> type[ReferenceSync]:
    """The reference with `system` spoken by `connector` (a dialect's, one recovery left out)."""

    class Variant(ReferenceSync):
        def links(self, io):
            made = super().links(io)
            if type(getattr(made, system)) is not connector:
                spoken = getattr(made, system)
                made = made._replace(**{system: connector(io, spoken.send, spoken.take)})
                self.connected = io, made
            return made

    Variant.name = name
    return Variant


class TokenKept(SapErp):
    """Fetches one CSRF token, never another: a write refused 403 is given up."""

    def _fetch(self, corr):
        if self.io.store.get("faulty/fetched"):
            raise ValueError("CSRF token refused, and this one never fetches another")
        self.io.store.put("faulty/fetched", True)
        return (yield from super()._fetch(corr))


class EtagTrusted(SapErp):
    """Writes once: a write refused 412 (its ETag stale) is given up, never read again."""

    write_attempts = 1


class NotFoundIsGone(SapErp):
    """Takes a 404 for an order an event announced as "no such order"."""

    readable_within = 0.0


class BatchTrusted(SapErp):
    """Takes a `$batch`'s 202 Accepted for the write's success, never reading its changeset's
    answer: a changeset that failed as a whole is a write lost."""

    def _exchange(self, call, recheck):
        if not self.batched or call.params:
            return (yield from super()._exchange(call, recheck))
        content, kind = odata_batch.changeset(call, SERVICE)
        return (yield from self.send(self.io.erp.request(
            "POST", f"{SERVICE}/$batch", content=content,
            headers={**self._headers(), "content-type": kind},
            idempotency_key=call.idempotency_key, correlation_id=call.correlation_id),
            accept=(403, 412, 428), recheck=recheck))


class RefusalFinal(OnfleetLastMile):
    """Takes a registration refused for its validation as the URL's final answer for that
    trigger: it never registers it again, and that trigger's events are never heard of."""

    def _register(self, url, name, number):
        if self.io.store.get(f"faulty/refused/{number}"):
            return
        answer = yield from self.send(self.io.lastmile.request("POST", "/api/v2/webhooks", json={
            "url": url, "name": f"sync {name}", "trigger": number}), accept=(400,))
        if not answer.ok:
            self.io.store.put(f"faulty/refused/{number}", True)


class DisabledUnnoticed(OnfleetLastMile):
    """Takes a listed webhook for a live one: a webhook Onfleet disabled is never registered
    anew, and its trigger's events are never heard of again."""

    def keep_webhooks(self):
        url = self.io.webhook_url("lastmile")
        listed = (yield from self.send(self.io.lastmile.request("GET", "/api/v2/webhooks"))).json()
        present = {hook.get("trigger") for hook in listed if hook.get("url") == url}
        for number, name in TRIGGERS.items():
            if number not in present:
                yield from self._register(url, name, number)


class HammersOnfleet(ReferenceSync):
    """Retries the platform's 429 at once, whatever Retry-After says."""

    name = "hammers-onfleet"

    def throttle(self, system, response, backoff, io):
        if system != "lastmile":
            super().throttle(system, response, backoff, io)


KeepsItsToken = faulty("keeps-its-token", "erp", TokenKept)
TrustsItsEtag = faulty("trusts-its-etag", "erp", EtagTrusted)
TrustsTheBatch = faulty("trusts-the-batch", "erp", BatchTrusted)
TakesNotFoundAsGone = faulty("takes-not-found-as-gone", "erp", NotFoundIsGone)
TakesRefusalAsFinal = faulty("takes-refusal-as-final", "lastmile", RefusalFinal)
MissesDisabledWebhooks = faulty("misses-disabled-webhooks", "lastmile", DisabledUnnoticed)


def scenario(*faults: str, dialects: str = "{erp: sap-s4}", orders: int = 30,
             seed: int = 11) -> Scenario:
    """A 2-hour morning in `dialects` under `faults` (each a YAML flow mapping)."""
    listed = "".join(f"\n  - {fault}" for fault in faults)
    return load_scenario(f"""
name: dialect-test
seed: {seed}
duration: 2h
workload: {{orders_per_hour: {orders}}}
dialects: {dialects}
faults:{listed or " []"}
expect: {{converge_within: 2h}}
""", "dialect-test.yaml")


def judged(sut, made: Scenario):
    world = World(made, sut)
    end = world.run()
    return world, verdict(observe(world, end), sut.name, 0.0, world.messages,
                          world.drive.summary())


CASES = {
    "csrf_expiry": ("{kind: csrf_expiry, at: 30m, every: 20m}", KeepsItsToken),
    "etag_conflict": ("{kind: etag_conflict, at: 10m, probability: 0.3}", TrustsItsEtag),
    "thin_event_early": ("{kind: thin_event_early, probability: 0.5, readable_after: 2m}",
                         TakesNotFoundAsGone),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_sap_reference_holds_every_invariant_under_each_fault(kind):
    world, result = judged(ReferenceSync, scenario(CASES[kind][0]))
    assert not result.violations, [v["message"] for v in result.violations[:3]]
    assert not [e for e in world.ledger.entries if e.kind == "crash"]


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_fault_catches_the_implementation_it_exists_for(kind):
    fault, faulty = CASES[kind]
    _world, clean = judged(faulty, scenario())
    assert not clean.violations, "the faulty variant fails without its fault: proves nothing"
    _world, caught = judged(faulty, scenario(fault))
    assert caught.violations, f"{faulty.name} passed under {kind}"


EVERY_SAP_KIND = """
name: every-sap-kind
seed: 5
duration: 30m
workload: {orders_per_hour: 120}
dialects: {erp: sap-s4}
faults:
  - {kind: csrf_expiry, at: AT, every: 10m}
  - {kind: etag_conflict, at: AT, probability: 0.5}
  - {kind: thin_event_early, at: AT, probability: 0.5}
"""


@pytest.mark.parametrize(("at", "idle"), [("0s", False), ("13d", True)])
def test_every_sap_kind_leaves_a_trace_where_it_acts_and_none_where_nothing_happens(at, idle):
    made = load_scenario(EVERY_SAP_KIND.replace("AT", at), "every-sap-kind.yaml")
    assert {fault.kind for fault in made.faults} == set(CASES)
    world = World(made, ReferenceSync)
    world.run()
    expected = list(made.faults) if idle else []
    assert unreached(made, world.ledger.entries, world.horizon) == expected





# --- Onfleet ------------------------------------------------------------------------------------


def onfleet_scenario(*faults: str) -> Scenario:
    return scenario(*faults, dialects="{lastmile: onfleet}", orders=60, seed=13)


ONFLEET_CASES = {
    "webhook_validation_fails": ("{kind: webhook_validation_fails, times: 3}",
                                 TakesRefusalAsFinal),
    "org_rate_limit": ("{kind: org_rate_limit, others: 0.999, burst: 1}",
                       HammersOnfleet),
}


@pytest.mark.parametrize(("reference", "made"), [(ReferenceSync, scenario),
                                                 (ReferenceSync, onfleet_scenario)])
def test_each_reference_in_a_dialect_holds_every_invariant_without_faults(reference, made):
    world, result = judged(reference, made())
    assert not result.violations, [v["message"] for v in result.violations[:3]]
    assert world.erp.invoices  # the whole path, to the invoice


@pytest.mark.parametrize("kind", sorted(ONFLEET_CASES))
def test_each_onfleet_fault_holds_for_the_reference_and_catches_its_faulty_one(kind):
    fault, faulty = ONFLEET_CASES[kind]
    made = onfleet_scenario(fault)
    world, result = judged(ReferenceSync, made)
    assert not result.violations, [v["message"] for v in result.violations[:3]]
    assert unreached(made, world.ledger.entries, world.horizon) == []
    _world, clean = judged(faulty, onfleet_scenario())
    assert not clean.violations, "the faulty variant fails without its fault: proves nothing"
    _world, caught = judged(faulty, made)
    assert caught.violations, f"{faulty.name} passed under {kind}"


# --- the catalogue's scenarios in the dialects --------------------------------------------------

SHIPPED = {"sap-csrf-expiry": (ReferenceSync, KeepsItsToken),
           "sap-etag-conflicts": (ReferenceSync, TrustsItsEtag),
           "sap-thin-events": (ReferenceSync, TakesNotFoundAsGone),
           "onfleet-webhook-validation": (ReferenceSync, TakesRefusalAsFinal),
           "onfleet-org-rate-limit": (ReferenceSync, HammersOnfleet)}
SEEDS = 3


def test_every_dialect_fault_kind_has_its_scenario_in_the_catalogue():
    carried = {fault.kind for name in SHIPPED for fault in catalogue()[name].faults}
    # batch_failure: no built-in implementation sends $batch (see the module's docstring)
    assert carried == {name for name, kind in KINDS.items()
                       if kind.model.needs is not None} - {"batch_failure"}
    assert carried == set(CASES) | set(ONFLEET_CASES)
    assert {name for name in catalogue() if name.startswith(("sap-", "onfleet-"))} == \
        set(SHIPPED)


@pytest.mark.parametrize(("name", "offset"), [(name, i) for name in sorted(SHIPPED)
                                               for i in range(SEEDS)])
def test_each_dialect_scenario_holds_for_its_reference_and_its_fault_reaches_it(name, offset):
    made = catalogue()[name]
    made = made.with_seed(made.seed + offset)
    world, result = judged(SHIPPED[name][0], made)
    assert not result.violations, [v["message"] for v in result.violations[:3]]
    assert unreached(made, world.ledger.entries, world.horizon) == []


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_dialect_scenario_catches_the_implementation_it_exists_for(name):
    faulty = SHIPPED[name][1]
    _world, result = judged(faulty, catalogue()[name])
    assert result.violations, f"{faulty.name} passed {name}"


def test_a_dialect_fault_is_refused_where_its_dialect_is_not_spoken():
    with pytest.raises(ScenarioError) as caught:
        load_scenario("name: x\nfaults:\n  - {kind: csrf_expiry, at: 1h}\n", "x.yaml")
    message = str(caught.value)
    assert "x.yaml:3: faults[0].kind" in message, message
    assert "add `dialects: {erp: sap-s4}`" in message
