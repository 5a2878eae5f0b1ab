"""Shipped faulty implementations: each is the reference with one defect, and the catalogue
catches each one with the invariant its defect breaks."""

import inspect

import pytest

from seatrial.catalogue import catalogue
from seatrial.run import run_scenario
from seatrial.sync_implementations import SHIPPED
from seatrial.sync_implementations.reference import ReferenceSync
from seatrial.targets import resolve

FAULTY = sorted(name for name in SHIPPED if name.startswith("faulty-"))

# faulty implementation -> (catalogue scenario that catches it, the invariant it must break),
# each run on the scenario's own seed.
CAUGHT = {
    "faulty-dedupe-business-key": ("happy-path", "converge"),
    "faulty-retry-without-key": ("lost-responses", "effect-once"),
    "faulty-ignore-retry-after": ("rate-limit-squeeze", "rate-limit-respected"),
    "faulty-arrival-order": ("out-of-order-milestones", "status-monotonic"),
    "faulty-estimate-moves-status": ("happy-path", "actual-over-estimate"),
    "faulty-invoice-on-completion": ("business-exceptions", "invoice-after-POD"),
    "faulty-no-task-cancel": ("cancellation-races", "cancel-compensates"),
    "faulty-no-retry-503": ("erp-maintenance-window", "converge"),
    "faulty-unvalidated-payload": ("poison-in-busy-stream", "poison-isolated"),
    "faulty-unsigned-accepted": ("forged-webhooks", "signed-only"),
    "faulty-charges-no-key": ("lost-responses", "charges-reconcile"),
    "faulty-correlation-per-message": ("happy-path", "correlation-propagated"),
    "faulty-retraction-undoes": ("carrier-retractions", "status-monotonic"),
    "faulty-schema-v1-only": ("lastmile-payload-v2", "converge"),
    "faulty-raw-event-time": ("carrier-local-time", "converge"),
}


def _overrides(cls: type) -> set[str]:
    """Methods the class defines itself (its defect), beyond name/defect and dunders."""
    return {attr for attr, value in vars(cls).items()
            if callable(value) and not attr.startswith("__") and attr not in ("name", "defect")}


def test_every_shipped_name_resolves():
    for name in SHIPPED:
        assert resolve(name).label == name


def test_at_least_twelve_faulty_and_each_is_mapped_to_its_catcher():
    assert len(FAULTY) >= 12
    assert set(CAUGHT) == set(FAULTY)
    for scenario, invariant in CAUGHT.values():
        assert scenario in catalogue()
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
    scenario_name, invariant = CAUGHT[name]
    scenario = catalogue()[scenario_name]
    result = run_scenario(scenario.with_seed(scenario.seed), resolve(name))
    assert invariant in result.violated(), (scenario_name, result.violated())
