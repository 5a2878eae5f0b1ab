"""Schemathesis against the live HTTP apps: draft."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from seatrial.catalogue import catalogue
from seatrial.live.stack import SYSTEMS, SimulatorStack, running
from seatrial.world import World
from simulators.openapi import api_spec

SCHEMAS = {system: schemathesis.openapi.from_dict(api_spec(system)) for system in SYSTEMS}
FUZZ = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])


class AckEverything:
    def deliver(self, _webhook, on_result) -> None:
        on_result("ack", None)

    def crash(self, _restart_after: float) -> None:
        raise AssertionError("happy-path has no crashes")


@pytest.fixture(scope="module")
def stack() -> Iterator[SimulatorStack]:
    world = World(catalogue()["happy-path"])
    world.dispatcher.host = AckEverything()
    world.env.run(until=3600.0)
    with running(world, 60.0) as live:
        yield live


def bearer(live: SimulatorStack, system: str) -> dict[str, str]:
    form = (f"grant_type=client_credentials&client_id={live.tokens.client_id}"
            f"&client_secret={live.tokens.client_secret}").encode()
    status, granted = live.tokens.grant(system, form, None)
    assert status == 200, granted
    return {"Authorization": f"Bearer {granted['access_token']}"}


@SCHEMAS["erp"].parametrize()
@FUZZ
def test_erp(case, stack):
    case.call_and_validate(base_url=stack.urls["erp"], headers=bearer(stack, "erp"))


@SCHEMAS["tms"].parametrize()
@FUZZ
def test_tms(case, stack):
    case.call_and_validate(base_url=stack.urls["tms"], headers=bearer(stack, "tms"))


@SCHEMAS["lastmile"].parametrize()
@FUZZ
def test_lastmile(case, stack):
    case.call_and_validate(base_url=stack.urls["lastmile"], headers=bearer(stack, "lastmile"))
