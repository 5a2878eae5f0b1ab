"""Shipped faulty implementations: each is the reference with one defect, and the catalogue
catches each one with the invariant its defect breaks."""

import inspect

import pytest

from seatrial.catalogue import catalogue
from seatrial.judge.invariants import NAMES, OWN
from seatrial.run import run_scenario
from seatrial.sync_implementations import SHIPPED
from seatrial.sync_implementations.reference import ReferenceSync
from seatrial.targets import resolve

FAULTY = sorted(name for name in SHIPPED if name.startswith("faulty-"))

# faulty implementation -> a catalogue scenario that catches it on the scenario's own seed, by
# the invariant the implementation names as the one it `exists_for`.
CAUGHT = {
    "faulty-dedupe-business-key": "happy-path",
    "faulty-retry-without-key": "lost-responses",
    "faulty-ignore-retry-after": "rate-limit-squeeze",
    "faulty-arrival-order": "out-of-order-milestones",
    "faulty-estimate-moves-status": "happy-path",
    "faulty-invoice-on-completion": "business-exceptions",
    "faulty-no-task-cancel": "cancellation-races",
    "faulty-no-retry-503": "tms-outage",
    "faulty-unvalidated-payload": "poison-in-busy-stream",
    "faulty-unsigned-accepted": "forged-webhooks",
    "faulty-charges-no-key": "lost-responses",
    "faulty-correlation-per-message": "happy-path",
    "faulty-retraction-undoes": "carrier-retractions",
    "faulty-schema-v1-only": "lastmile-payload-v2",
    "faulty-raw-event-time": "carrier-local-time",
    "faulty-latest-change-wins": "address-churn",
    "faulty-eta-as-delivered": "happy-path",
    "faulty-any-photo-is-proof": "business-exceptions",
    "faulty-local-time-as-utc": "carrier-local-time",
    "faulty-day-long-replay-window": "forged-webhooks",
    "faulty-retry-drops-correlation": "lost-responses",
    "faulty-dedupe-by-scanning": "long-day",
    "faulty-retry-after-seconds-only": "rate-limit-squeeze",
    "faulty-x12-stops-at-copy": "x12-duplicate-interchange",
    "faulty-x12-deletes-unreadable": "x12-partial-file",
    "faulty-x12-first-set-only": "x12-batched-interchange",
    "faulty-x12-no-997": "x12-happy-path",
    "faulty-x12-rejection-is-final": "x12-rejected-tenders",
    "faulty-x12-poller-dies": "x12-mailbox-down",
    "faulty-x12-gives-up-late-tenders": "x12-late-990",
    "faulty-x12-keeps-its-key": "x12-credentials-rotated",
    "faulty-sap-keeps-its-token": "sap-csrf-expiry",
    "faulty-sap-trusts-its-etag": "sap-etag-conflicts",
    "faulty-sap-reads-again-once": "sap-etag-conflicts",
    "faulty-sap-trusts-the-batch": "sap-batch-failures",
    "faulty-sap-gives-up-on-locks": "sap-batch-failures",
    "faulty-sap-not-found-is-gone": "sap-thin-events",
    "faulty-onfleet-refusal-is-final": "onfleet-webhook-validation",
    "faulty-onfleet-misses-disabled-webhooks": "onfleet-webhook-auto-disable",
    "faulty-onfleet-reads-nothing-back": "onfleet-webhook-auto-disable",
    "faulty-onfleet-hammers": "onfleet-org-rate-limit",
    "faulty-requeue-forever": "poison-in-busy-stream",
    "faulty-ack-before-durable": "sut-crash-mid-backlog",
}


def _overrides(cls: type) -> set[str]:
    """Methods the class defines itself (its defect), beyond name/defect and dunders."""
    return {attr for attr, value in vars(cls).items()
            if callable(value) and not attr.startswith("__")}


def test_every_shipped_name_resolves():
    for name in SHIPPED:
        assert resolve(name).label == name


def test_at_least_twelve_faulty_and_each_is_mapped_to_its_catcher():
    assert len(FAULTY) >= 12
    assert set(CAUGHT) == set(FAULTY)
    for name, scenario in CAUGHT.items():
        assert scenario in catalogue()
        invariant = resolve(name).exists_for
        assert invariant in NAMES or invariant in OWN, (name, invariant)
        assert invariant in catalogue()[scenario].expect.invariants or \
            catalogue()[scenario].expect.invariants == "all"


@pytest.mark.parametrize("name", FAULTY)
def test_faulty_is_the_reference_with_one_documented_override(name):
    target = resolve(name)
    cls = target.factory
    assert issubclass(cls, ReferenceSync) and cls is not ReferenceSync
    assert cls.name == name
    assert isinstance(target.defect, str) and target.defect.strip()
    assert "\n" not in target.defect
    assert cls.__doc__ and cls.__doc__.strip()
    overridden = _overrides(cls)
    assert len(overridden) == 1, overridden
    (method,) = overridden
    assert callable(getattr(ReferenceSync, method, None)), f"{method} is not a reference hook"
    module = inspect.getmodule(cls)
    imported = {line.split()[1] for line in inspect.getsource(module).splitlines()
                if line.startswith(("import ", "from ")) and not line.startswith("from __")}
    harness = {m for m in imported if m.split(".")[0] == "seatrial"
               and m.split(".")[1] != "sync_implementations"}  # the reference is no harness
    assert harness <= {"seatrial.sdk"}


@pytest.mark.parametrize("name", FAULTY)
def test_faulty_is_caught_by_its_intended_invariant(name):
    scenario_name, invariant = CAUGHT[name], resolve(name).exists_for
    scenario = catalogue()[scenario_name]
    result = run_scenario(scenario.with_seed(scenario.seed), resolve(name))
    assert invariant in result.violated(), (scenario_name, result.violated())
