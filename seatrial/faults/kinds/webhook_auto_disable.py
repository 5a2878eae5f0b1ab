"""`webhook_auto_disable`: for a stretch, Onfleet's deliveries fail on their way to the SUT (its
edge answers 502: a load balancer's bad deploy, a certificate expired, a firewall rule), the
SUT itself up and calling Onfleet as ever. Onfleet retries each in 30-minute cycles and, after
`disable_after` consecutive failures of one webhook, disables it (docs.onfleet.com: 300; the
dialect's `DISABLE_AFTER`): `GET /api/v2/webhooks` shows it `isEnabled: false`, and nothing is
sent on it again, the retries of the stretch included. When the edge is mended nothing comes.

A SUT must notice (list its webhooks, register a disabled one anew) and read back the tasks
whose events it missed. Only the `onfleet` last-mile platform disables webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from seatrial.faults.base import Effect, Fault, Kind, Webhooks
from seatrial.scenario_fields import HOUR, Duration
from seatrial.simulators.lastmile.dialects.onfleet.webhooks import DISABLE_AFTER, REDELIVERY

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

EDGE_FAILS = "502 Bad Gateway from the SUT's edge: the delivery never reached it " \
             "(webhook_auto_disable)"


class WebhookAutoDisable(Fault):
    """From `at`, for `for` (an hour unless told; a stretch without end would lose every later
    event whatever the SUT does), every delivery attempt from the last-mile platform fails,
    and a webhook is disabled after `disable_after` consecutive failures."""

    needs: ClassVar[tuple[str, str] | None] = ("lastmile", "onfleet")
    kind: Literal["webhook_auto_disable"] = "webhook_auto_disable"
    channel: Literal["lastmile.webhooks"] = "lastmile.webhooks"
    for_: Duration = Field(HOUR, alias="for", gt=0)
    disable_after: int = Field(DISABLE_AFTER, ge=1, le=100_000)


class WebhookAutoDisableEffect(Effect[WebhookAutoDisable]):
    __slots__ = ()

    def on_webhooks(self, webhooks: Webhooks) -> None:
        webhooks.retry("lastmile", REDELIVERY, self.fault.disable_after)  # Onfleet's schedule

    def on_attempt(self, now: float) -> str | None:
        return EDGE_FAILS


def explore(space: Space) -> SearchStrategy[WebhookAutoDisable]:
    from hypothesis import strategies as st

    return st.builds(WebhookAutoDisable, at=space.at, for_=space.lasting,
                     disable_after=st.sampled_from((DISABLE_AFTER, 30, 5)))


def reached(fault: WebhookAutoDisable, trace: Trace) -> bool:
    """A webhook of the platform's disabled from `at` on."""
    return any(entry.system == "lastmile" and entry.time >= fault.at
               for entry in trace.by_kind["disable"])


KIND = Kind(model=WebhookAutoDisable, effect=WebhookAutoDisableEffect, explore=explore,
            reached=reached, listed=21, explored=21)
