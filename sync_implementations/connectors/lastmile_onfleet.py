"""The last-mile platform in Onfleet's API v2 (docs.onfleet.com).

Tasks carry the order and shipment in their metadata; a destination change is a PUT, a
cancellation a DELETE. Onfleet honours no Idempotency-Key, so a create whose answer was lost
is looked up by its metadata (`POST /tasks/metadata`) before it is sent again: the key still
names the effect, and the lookup is how this dialect honours it. Webhooks are the
implementation's to register (one per trigger, after the `?check=` handshake its
`validate_webhook` answers), and to keep: Onfleet disables one after 300 consecutive failed
deliveries, and sends nothing on it again. So they are re-checked on every boot and, while
tasks are open, every `RECHECK_EVERY` seconds; a disabled one is registered anew, and the open
tasks are read back (`GET /tasks/{id}`): what each says now is handed to the implementation as
the delivery it missed (`take`). Deliveries are signed in `X-Onfleet-Signature` with no time
in it (`undated`); a taskUpdated is read back to learn what changed (`what_changed`).
"""

from __future__ import annotations

from typing import Any

import orjson

from seatrial.sdk import Handler, Response, Webhook
from seatrial.sdk.payloads import onfleet
from seatrial.sync_implementations.connectors.base import Parked
from seatrial.sync_implementations.connectors.lastmile import LastMile

API = "/api/v2"
#: the triggers a sync implementation follows: started, ETA, arrival, completed, failed,
#: updated (a return to the shipper), deleted
TRIGGERS = {0: "taskStarted", 1: "taskEta", 2: "taskArrival", 3: "taskCompleted",
            4: "taskFailed", 7: "taskUpdated", 8: "taskDeleted"}
RECHECK_EVERY = 1800.0
#: a registration whose `?check=` validation failed (400, error 1008: a timeout or a proxy on
#: the way) is tried again this many seconds later, as often as it takes
REVALIDATE_AFTER = 30.0
VALIDATION_FAILED = 1008
CHECKED = "onfleet/webhooks-checked"  # when the webhooks were last seen enabled (run seconds)
OPEN = "onfleet/open/"  # + a task's id: created, not known to be finished (its correlation id)
MISSED = "onfleet/missed"  # a webhook was found disabled: the open tasks are to be read back
#: a task read back (its `state`, and whether it succeeded) as the trigger that reports it
STARTED, COMPLETED = 2, 3


def _address(address: dict[str, Any]) -> dict[str, Any]:
    """A canonical address (street, city, postcode, country) as Onfleet's destination."""
    sent = {"street": address.get("street"), "city": address.get("city"),
            "postalCode": address.get("postcode")}
    if address.get("country"):
        sent["country"] = address["country"]
    return {"address": sent}


def _entry(name: str, value: str) -> dict[str, str]:
    return {"name": name, "type": "string", "value": value}


class OnfleetLastMile(LastMile):
    undated = True
    watching = False  # a watcher keeps the webhooks (process memory: a crash ends it)

    def authentic(self, webhook: Webhook, tolerance: float = 0.0) -> bool:
        """X-Onfleet-Signature; it signs no time, so `tolerance` has nothing to bound."""
        secret = self.io.secrets.get("lastmile")
        return secret is not None and onfleet.signed(
            webhook.body, webhook.headers.get(onfleet.SIGNATURE), secret)

    def start(self) -> Handler | None:
        return self._boot()

    def _boot(self) -> Handler:
        yield from self.keep_webhooks()
        self._watch()

    def keep_webhooks(self) -> Handler:
        """One enabled webhook per trigger followed, to this implementation's URL: those
        missing are registered, a disabled one is deleted and registered anew, and then the
        open tasks read back (the events sent meanwhile went nowhere)."""
        url = self.io.webhook_url("lastmile")
        listed = (yield from self.send(self.io.lastmile.request("GET", f"{API}/webhooks"))).json()
        enabled = set()
        for hook in listed if isinstance(listed, list) else ():
            if hook.get("url") != url:
                continue
            if hook.get("isEnabled"):
                enabled.add(hook.get("trigger"))
            else:
                self.io.store.put(MISSED, True)  # durable: a crash here still reads them back
                yield from self.send(self.io.lastmile.request(
                    "DELETE", f"{API}/webhooks/{hook['id']}"), accept=(404,))
        for number, name in TRIGGERS.items():
            if number not in enabled:
                yield from self._register(url, name, number)
        self.io.store.put(CHECKED, self._now())
        if self.io.store.get(MISSED):
            yield from self._read_back()
            self.io.store.delete(MISSED)

    def _watch(self) -> None:
        """Keeps the webhooks from here on, while tasks are open (one watcher per process)."""
        if self.take is not None and not self.watching and next(self.io.store.keys(OPEN), None):
            self.watching = True
            self.io.spawn(self._watching())

    def _watching(self) -> Handler:
        while next(self.io.store.keys(OPEN), None):
            yield self.io.sleep(RECHECK_EVERY)
            if self._now() - self.io.store.get(CHECKED, 0.0) >= RECHECK_EVERY:
                yield from self.keep_webhooks()
        self.watching = False

    def _read_back(self) -> Handler:
        """Each open task as it is now, handed to `take` as the delivery that reports it:
        started, completed, or updated (a return, which `what_changed` reads again); a task
        deleted (cancelled) or finished is no longer open."""
        for key in list(self.io.store.keys(OPEN)):
            task_id = key.removeprefix(OPEN)
            task = (yield from self.send(self.io.lastmile.request(
                "GET", f"{API}/tasks/{task_id}", correlation_id=self.io.store.get(key) or None),
                accept=(404,))).json()
            state = task.get("state") if isinstance(task, dict) else None
            if state is None or state == COMPLETED:
                self.io.store.delete(key)
            if state not in (STARTED, COMPLETED) or self.take is None:
                continue
            details = task.get("completionDetails") or {}
            trigger = ("taskStarted" if state == STARTED else
                       "taskCompleted" if details.get("success") else "taskUpdated")
            when = details.get("time") if state == COMPLETED else None
            self.take(onfleet.event(orjson.dumps({
                "taskId": task_id, "triggerName": trigger,
                "time": when if type(when) is int else round(self._now() * 1000),
                "data": {"task": task}})))

    def _register(self, url: str, name: str, number: int) -> Handler:
        """POST /webhooks until it is taken: a refused validation is no answer about the
        URL, which this implementation knows it serves."""
        call = self.io.lastmile.request("POST", f"{API}/webhooks", json={
            "url": url, "name": f"sync {name}", "trigger": number})
        while True:
            answer = yield from self.send(call, accept=(400,))
            if answer.ok:
                return
            error = answer.json()
            code = error.get("message", {}).get("error") if isinstance(error, dict) else None
            if code != VALIDATION_FAILED:
                raise Parked(f"POST {API}/webhooks answered 400: {error}")
            yield self.io.sleep(REVALIDATE_AFTER)

    def _now(self) -> float:
        return self.io.now.timestamp()

    def create_task(self, order_id: str, shipment_id: str, destination: dict[str, Any],
                    key: str | None, corr: str | None) -> Handler:
        checked = self.io.store.get(CHECKED)
        if checked is None or self._now() - checked >= RECHECK_EVERY:
            yield from self.keep_webhooks()
        metadata = [_entry("order_id", order_id), _entry("shipment_id", shipment_id)]

        def recheck() -> Handler:
            found = (yield from self.send(self.io.lastmile.request(
                "POST", f"{API}/tasks/metadata", json=[_entry("shipment_id", shipment_id)],
                correlation_id=corr))).json()
            return Response(200, found[0]) if found else None

        task = (yield from self.send(self.io.lastmile.request(
            "POST", f"{API}/tasks", json={"destination": _address(destination),
                                          "recipients": [], "metadata": metadata},
            idempotency_key=key, correlation_id=corr), recheck=recheck)).json()
        task_id = task.get("id") if isinstance(task, dict) else None
        if isinstance(task_id, str):
            self.io.store.put(OPEN + task_id, corr or "")
            self._watch()
        return task_id

    def what_changed(self, task_id: str, payload: dict[str, Any], corr: str | None) -> Handler:
        """taskUpdated says only that the task changed: read it back; a parcel the recipient
        refused (`onfleet.returned`) is `taskReturned`."""
        trigger = payload.get("trigger")
        if trigger == "taskUpdated":
            task = (yield from self.send(self.io.lastmile.request(
                "GET", f"{API}/tasks/{task_id}", correlation_id=corr), accept=(404,))).json()
            if onfleet.returned(task):
                payload, trigger = {**payload, "trigger": "taskReturned"}, "taskReturned"
        if trigger in ("taskReturned", "taskCancelled") or (
                trigger == "taskCompleted" and (payload.get("completion_details") or {})
                .get("success")):
            self.io.store.delete(OPEN + task_id)  # finished: nothing more to miss
        return payload

    def change_destination(self, task_id: str, address: dict[str, Any], key: str | None,
                           corr: str | None) -> Handler:
        """409: the task is finished; 404: deleted (cancelled) meanwhile. Both are answers."""
        yield from self.send(self.io.lastmile.request(
            "PUT", f"{API}/tasks/{task_id}", json={"destination": _address(address)},
            idempotency_key=key, correlation_id=corr), accept=(404, 409))

    def cancel_task(self, task_id: str, key: str | None, corr: str | None) -> Handler:
        """A DELETE; 404 is an answer (deleted already: a retry after a lost answer) and so
        is 409 (delivered or returned already)."""
        yield from self.send(self.io.lastmile.request(
            "DELETE", f"{API}/tasks/{task_id}", idempotency_key=key, correlation_id=corr),
            accept=(404, 409))
        self.io.store.delete(OPEN + task_id)
