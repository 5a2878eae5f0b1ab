"""`webhook_validation_fails`: when the SUT registers an Onfleet webhook, the platform's
validation request (`GET <url>?check=<string>`) does not come back right: it times out on
the way, or a proxy in between mangles the answer. The registration is refused (400
InvalidContent, error 1008) though the SUT's endpoint is fine, and a SUT must register
again. Only the `onfleet` last-mile platform validates webhooks."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from seatrial.faults.base import Answer, Effect, Fault, Kind

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

REFUSED = 1008  # Onfleet's error number for a webhook that failed its validation


class WebhookValidationFails(Fault):
    """From `at`, the next `times` validation requests fail (`timeout`: no answer within the
    platform's wait; `wrong_answer`: the SUT's 200 arrives with another body)."""

    needs: ClassVar[tuple[str, str] | None] = ("lastmile", "onfleet")
    kind: Literal["webhook_validation_fails"] = "webhook_validation_fails"
    times: int = Field(1, ge=1, le=1000)
    mode: Literal["timeout", "wrong_answer"] = "timeout"


class WebhookValidationFailsEffect(Effect[WebhookValidationFails]):
    """Sits on the way between the platform and the SUT's endpoint (`on_validation`): the
    platform's core asks its validation port as always, and the request passes here."""

    __slots__ = ("left",)

    def __init__(self, fault: WebhookValidationFails, horizon: float,
                 rng: random.Random) -> None:
        super().__init__(fault, horizon, rng)
        self.left = fault.times  # the validation requests still to fail

    def on_validation(self, now: float, through: Answer) -> tuple[int | None, str]:
        if self.left <= 0 or now < self.start:
            return through()
        self.left -= 1
        if self.fault.mode == "timeout":
            return None, "the validation request timed out (webhook_validation_fails)"
        status, body = through()
        return status, body[::-1] + "~"  # the answer, mangled on its way back


def explore(space: Space) -> SearchStrategy[WebhookValidationFails]:
    from hypothesis import strategies as st

    return st.builds(WebhookValidationFails, at=st.just(0.0), times=st.sampled_from((1, 3)),
                     mode=st.sampled_from(("timeout", "wrong_answer")))


def reached(fault: WebhookValidationFails, trace: Trace) -> bool:
    """A registration refused for its validation (error 1008) from `at` on."""
    return any(entry.system == "lastmile" and entry.time >= fault.at
               and _error(entry.data.get("body")) == REFUSED
               for entry in trace.by_kind["response"])


def _error(body: Any) -> Any:
    message = body.get("message") if isinstance(body, dict) else None
    return message.get("error") if isinstance(message, dict) else None


KIND = Kind(model=WebhookValidationFails, effect=WebhookValidationFailsEffect,
            explore=explore, reached=reached, listed=20, explored=20)
