"""What a sync implementation expects of the last-mile platform speaking Onfleet's API v2
(the `onfleet` dialect, docs/dialects.md#onfleet): the reference's calls and the deliveries
it consumes, as `expectations` declares them for the canonical API.

The journey is the canonical one (the same order, shipment and times), in Onfleet's words:
the reference lists its webhooks and registers one per trigger it follows when it starts, then
creates the task (metadata carry the order and shipment), changes its destination with a PUT
and tries to delete it once it is delivered (409). Its credentials are HTTP Basic, the API
key as the user name. A delivery is Onfleet's body (`taskId`, `triggerId`, `triggerName`,
`time` in Unix ms, `data.task`), signed in `X-Onfleet-Signature`; the trigger is literal (it
says which message it is), the rest matched by type.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pact import Pact, match

from seatrial.contracts.expectations import (
    ADDRESS,
    NEW_ADDRESS,
    ORDER,
    POD_PHOTO,
    SHIPMENT,
    TASKED,
    Message,
    call,
    of_task,
    text,
)
from seatrial.model.envelope import EPOCH
from seatrial.simulators.lastmile.dialects.onfleet import ids
from seatrial.simulators.lastmile.dialects.onfleet.webhooks import TRIGGERS

API = "/api/v2"
TASK_REF, SHORT_ID = ids.encode("task", 1), ids.short_id(1)  # T-000001 as Onfleet names it
BASIC = ("Basic Y29udHJhY3QtY2xpZW50LXNlY3JldDo=", r"^Basic [A-Za-z0-9+/]+={0,2}$")
SIGNATURE = r"^[0-9a-f]{128}$"  # hex HMAC-SHA512
NUMBERS = {name: number for number, name in TRIGGERS.items()}
DRIVER = "driver-01"


def _address(example: dict[str, str]) -> dict[str, Any]:
    """A canonical address as the reference sends it to Onfleet."""
    return {"address": {"street": text(example["street"]), "city": text(example["city"]),
                        "postalCode": text(example["postcode"]),
                        "country": text(example["country"])}}


def _entry(name: str, example: str) -> dict[str, Any]:
    return {"name": name, "type": "string", "value": text(example)}


METADATA = [_entry("order_id", ORDER), _entry("shipment_id", SHIPMENT)]


def _call(pact: Pact, description: str, states: Any, method: str, path: str, pattern: str,
          **options: Any) -> Any:
    return call(pact, description, states, method, f"{API}{path}", f"^{API}{pattern}$",
                authorization=BASIC, **options)


def api(pact: Pact) -> None:
    (_call(pact, "a list of the webhooks", [], "GET", "/webhooks", "/webhooks",
           correlated=False)
     .will_respond_with(200)
     .with_body([], content_type="application/json"))
    (_call(pact, "a webhook registration", [], "POST", "/webhooks", "/webhooks",
           correlated=False,
           body={"url": text("http://testserver/webhooks/lastmile"),
                 "name": text("sync taskStarted"), "trigger": match.int(0)})
     .will_respond_with(200)
     .with_body({"id": text(ids.encode("webhook", 1)), "trigger": match.int(0),
                 "isEnabled": match.bool(True)}, content_type="application/json"))
    (_call(pact, "a delivery task request", [], "POST", "/tasks", "/tasks",
           key=f"task-{SHIPMENT}",
           body={"destination": _address(ADDRESS), "recipients": [], "metadata": METADATA})
     .will_respond_with(200)
     .with_body({"id": text(TASK_REF), "shortId": text(SHORT_ID), "state": match.int(0),
                 "metadata": METADATA}, content_type="application/json"))
    (_call(pact, "a destination change", [TASKED], "PUT", f"/tasks/{TASK_REF}",
           r"/tasks/[^/]+", key="destination-evt_erp_0000002",
           body={"destination": _address(NEW_ADDRESS)})
     .will_respond_with(200))
    (_call(pact, "a deletion of a delivered task",
           [TASKED, of_task("the task is delivered with proof of delivery")], "DELETE",
           f"/tasks/{TASK_REF}", r"/tasks/[^/]+", key=f"cancel-{TASK_REF}")
     .will_respond_with(409)
     .with_body({"code": "PreconditionFailed", "message": {"error": match.int(1200)}},
                content_type="application/json"))


def _time(minutes: float) -> Any:
    return match.int(round((EPOCH + timedelta(minutes=minutes)).timestamp() * 1000))


def _delivery(description: str, state: str, trigger: str, minutes: float,
              task: dict[str, Any] | None = None, **extra: Any) -> Message:
    """One delivery of `trigger` about the journey's task, at `minutes` into it."""
    body = {"taskId": text(TASK_REF), "triggerId": NUMBERS[trigger], "triggerName": trigger,
            "time": _time(minutes),
            "data": {"task": {"id": text(TASK_REF), "state": match.int(2),
                              "worker": text(DRIVER), "metadata": METADATA, **(task or {})}},
            **extra}
    signature = match.regex("0" * 128, regex=SIGNATURE)
    registered = ("a webhook is registered", {"trigger": trigger})
    return Message("lastmile", description, (registered, TASKED, of_task(state)), body,
                   {"x-onfleet-signature": signature})


# In the order the platform records them (minutes into the journey, as the canonical ones).
MESSAGES = (
    _delivery("a delivery started", "the driver started the delivery", "taskStarted", 600),
    _delivery("an estimated delivery time", "the delivery time is estimated", "taskEta", 690,
              etaSeconds=match.int(5340)),
    _delivery("a delivery with proof of delivery",
              "the task is delivered with proof of delivery", "taskCompleted", 660,
              {"state": match.int(3), "completionDetails": {
                  "success": match.bool(True), "photoUploadIds": match.each_like(
                      text(POD_PHOTO)), "signatureUploadId": text(f"sig-{TASK_REF}")}}),
)
