"""Faulty sync implementations for the last-mile platform's `onfleet` dialect: the reference
with one recovery left out of its Onfleet connector (`connectors/lastmile_onfleet.py`), or of
its own pacing, each caught where the platform speaks onfleet under the fault it exists for
(the scenarios `onfleet-*`). As in `faulty`, `defect` says in one line what is wrong and
`exists_for` names the invariant meant to catch it."""

from __future__ import annotations

from seatrial.sdk import IO, Handler, Response
from seatrial.sync_implementations.connectors import Connectors, speaking
from seatrial.sync_implementations.connectors.lastmile_onfleet import TRIGGERS, OnfleetLastMile
from seatrial.sync_implementations.reference import ReferenceSync


class _RefusalFinal(OnfleetLastMile):
    def _register(self, url: str, name: str, number: int) -> Handler:
        if self.io.store.get(f"faulty/refused/{number}"):
            return
        answer = yield from self.send(self.io.lastmile.request("POST", "/api/v2/webhooks", json={
            "url": url, "name": f"sync {name}", "trigger": number}), accept=(400,))
        if not answer.ok:
            self.io.store.put(f"faulty/refused/{number}", True)


class TakesRefusalAsFinal(ReferenceSync):
    """Takes a webhook registration refused for its validation as the URL's final answer for
    that trigger: it never registers it again, and that trigger's events are never heard of."""

    name = "faulty-onfleet-refusal-is-final"
    defect = "never registers a webhook again after Onfleet refused its validation once"
    exists_for = "stages-converge"
    needs = ("lastmile", "onfleet")

    def connectors(self) -> Connectors:
        return speaking("lastmile", "onfleet", _RefusalFinal)


class _DisabledUnnoticed(OnfleetLastMile):
    def keep_webhooks(self) -> Handler:
        url = self.io.webhook_url("lastmile")
        listed = (yield from self.send(self.io.lastmile.request("GET", "/api/v2/webhooks"))).json()
        present = {hook.get("trigger") for hook in listed if hook.get("url") == url}
        for number, name in TRIGGERS.items():
            if number not in present:
                yield from self._register(url, name, number)


class MissesDisabledWebhooks(ReferenceSync):
    """Takes a listed webhook for a live one: a webhook Onfleet disabled after its deliveries
    kept failing is never registered anew, and its trigger's events are never heard of again."""

    name = "faulty-onfleet-misses-disabled-webhooks"
    defect = "never notices a webhook Onfleet disabled: that trigger's events stop for good"
    exists_for = "stages-converge"
    needs = ("lastmile", "onfleet")

    def connectors(self) -> Connectors:
        return speaking("lastmile", "onfleet", _DisabledUnnoticed)


class _NothingReadBack(OnfleetLastMile):
    def _read_back(self) -> Handler:
        yield from ()


class ReadsNothingBack(ReferenceSync):
    """Registers a disabled webhook anew, but reads nothing back: the events sent while it was
    disabled stay missed."""

    name = "faulty-onfleet-reads-nothing-back"
    defect = "re-registers a disabled webhook but never reads back the tasks whose events it missed"
    exists_for = "stages-converge"
    needs = ("lastmile", "onfleet")

    def connectors(self) -> Connectors:
        return speaking("lastmile", "onfleet", _NothingReadBack)


class HammersOnfleet(ReferenceSync):
    """Retries Onfleet's organisation 429 at once, whatever Retry-After says, as a worker that
    counts only its own requests against a limit the whole organisation shares."""

    name = "faulty-onfleet-hammers"
    defect = "retries Onfleet's 429 at once, ignoring Retry-After"
    exists_for = "rate-limit-respected"
    needs = ("lastmile", "onfleet")

    def throttle(self, system: str, response: Response, backoff: float, io: IO) -> None:
        if system != "lastmile":
            super().throttle(system, response, backoff, io)
