"""Onfleet's webhooks: registration by the SUT (`POST/GET /api/v2/webhooks`, `DELETE
/api/v2/webhooks/{id}`), the triggers, the delivery body and its `X-Onfleet-Signature`, and
which registrations an event goes to (`audience`).

One webhook, one trigger (by number). At registration the platform sends `GET <url>?check=<a
random string>` and registers the webhook only if the answer is 200 with that string as its
body (the core does it, through the world's receiver). A delivery is `{"taskId", "triggerId",
"triggerName", "time" (ms), "workerId", "adminId", "actionContext", "data": {"task": ...}}`,
signed with the hex HMAC-SHA512 of the raw body, keyed with the hex-decoded webhook secret
(`secret_of`); failed ones are retried every 30 minutes for a day and a webhook is disabled
after 300 consecutive failures (docs.onfleet.com/reference/retry).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson

from seatrial.model.envelope import EPOCH, Event
from seatrial.simulators.api import ApiRequest, Reply
from seatrial.simulators.domain import Invalid, NotFound
from seatrial.simulators.lastmile.core import LastMileCore, Registration, WebhookRefused
from seatrial.simulators.lastmile.dialects.onfleet import ids
from seatrial.simulators.lastmile.dialects.onfleet.errors import errors

#: Onfleet's trigger numbers (docs.onfleet.com/reference/webhooks). The platform fires 0-4, 7,
#: 8 and 9; the others may be registered and never fire (no workers, no creation events).
TRIGGERS = {0: "taskStarted", 1: "taskEta", 2: "taskArrival", 3: "taskCompleted",
            4: "taskFailed", 5: "workerDuty", 6: "taskCreated", 7: "taskUpdated",
            8: "taskDeleted", 9: "taskAssigned"}
NUMBERS = {name: number for number, name in TRIGGERS.items()}
#: the core's triggers in Onfleet's names (a failed attempt's taskCompleted is taskFailed; a
#: return to the shipper is an update of a completed task; a cancellation deletes it)
FROM_CORE = {"taskAssigned": "taskAssigned", "taskStarted": "taskStarted",
             "taskEta": "taskEta", "taskArrival": "taskArrival",
             "taskCompleted": "taskCompleted", "taskReturned": "taskUpdated",
             "taskCancelled": "taskDeleted"}
REDELIVERY = (1800.0,) * 48  # 30-minute cycles, one full day
DISABLE_AFTER = 300
SIGNATURE = "x-onfleet-signature"
WRONG_KEY = b"an attacker's own key, not the organisation's"
MAX_URL = 2048


def ms(seconds: float) -> int:
    """Onfleet's times: Unix milliseconds; `seconds` are the run's (from EPOCH)."""
    return round((EPOCH.timestamp() + seconds) * 1000)


def secret_of(whsec: str) -> str:
    """The webhook secret in Onfleet's form (hex) for the world's secret of the source
    (`whsec_<base64>`): the same key bytes. A SUT verifies with `bytes.fromhex(secret)`."""
    return base64.b64decode(whsec.removeprefix("whsec_")).hex()


def trigger_of(event: Event) -> str:
    payload = event.payload
    core = payload.get("trigger") or payload.get("triggerName") or ""
    details = payload.get("completion_details") or payload.get("completionDetails")
    if (core == "taskCompleted" and isinstance(details, dict)
            and not details.get("success")):
        return "taskFailed"
    return FROM_CORE.get(core, "taskUpdated")


def audience(event: Event, lastmile: LastMileCore) -> tuple[Registration, ...]:
    """The webhooks registered for the event's trigger (`Dialect.audience`)."""
    return lastmile.subscribed(trigger_of(event))


def _completion(details: Any, task_ref: str) -> Any:
    """completionDetails in Onfleet's shape; anything but an object (a poisoned payload's) is
    sent as it is, so that the poison reaches the SUT as poison."""
    if not isinstance(details, dict):
        return details
    pod = details.get("pod") or details.get("proofOfDelivery")
    photos = details.get("photos") or details.get("photoUploadIds") or []
    return {"success": bool(details.get("success")),
            "failureReason": "NONE" if details.get("success") else
            details.get("failure_reason") or details.get("failureReason"),
            "notes": details.get("notes") or "",
            "photoUploadIds": list(photos),
            "signatureUploadId": f"sig-{task_ref}" if pod else None}


def render_event(event: Event) -> bytes:
    """The delivery body (`Dialect.render_event`): what the event says of the task; the
    destination, recipients and time window are not in it (read the task back)."""
    payload = event.payload
    number = ids.number(event.task_id or "T-0")
    task_ref = ids.encode("task", number)
    trigger = trigger_of(event)
    named = payload.get("trigger") or payload.get("triggerName")
    poisoned = not isinstance(named, str)  # no trigger: sent without one, not as taskUpdated
    worker = payload.get("worker", payload.get("workerName"))
    state = payload.get("state", payload.get("taskState"))
    task: dict[str, Any] = {
        "id": task_ref, "shortId": ids.short_id(number), "state": state, "worker": worker,
        "completionDetails": _completion(payload.get("completion_details")
                                         or payload.get("completionDetails"), task_ref),
        "metadata": [{"name": "order_id", "type": "string", "value": event.order_id},
                     {"name": "shipment_id", "type": "string", "value": event.shipment_id}]}
    eta = payload.get("eta") or payload.get("etaTime")
    body: dict[str, Any] = {
        "taskId": task_ref, "triggerId": None if poisoned else NUMBERS[trigger],
        "triggerName": named if poisoned else trigger,
        "time": ms((event.event_time - EPOCH).total_seconds()), "workerId": worker,
        "adminId": None, "actionContext": {"type": "WORKER", "id": worker} if worker else
        {"type": "API"}, "data": {"task": task}}
    if eta is not None:
        body["etaSeconds"] = max(0, round((event.event_time - event.recorded_time)
                                          .total_seconds()))
    return orjson.dumps(body)


def sign_webhook(secret: str, _event: Event, _timestamp: int, body: bytes,
                 forgery: str | None = None) -> dict[str, str]:
    """`X-Onfleet-Signature`: hex HMAC-SHA512 of the raw body under the hex-decoded secret.
    Onfleet signs no timestamp, so a stale forgery is a true replay, signed as it was."""
    headers = {"content-type": "application/json"}
    if forgery == "missing_signature":
        return headers
    key = WRONG_KEY if forgery == "bad_signature" else bytes.fromhex(secret_of(secret))
    headers[SIGNATURE] = hmac.new(key, body, hashlib.sha512).hexdigest()
    return headers


# --- the registration endpoints ------------------------------------------------------------

def webhook_json(made: Registration) -> dict[str, Any]:
    body: dict[str, Any] = {"id": ids.encode("webhook", ids.number(made.id)),
                            "name": made.name, "url": made.url,
                            "trigger": NUMBERS[made.trigger], "isEnabled": made.enabled}
    if made.threshold is not None:
        body["threshold"] = made.threshold
    return body


def _int(body: dict[str, Any], name: str, fix: str, required: bool = True) -> int | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if type(value) is float and value.is_integer():  # 1.0 is a JSON integer too
        value = int(value)
    if type(value) is not int:
        raise Invalid(name, fix)
    return value


def create_webhook(lastmile: LastMileCore, request: ApiRequest) -> Reply:
    body = request.body
    if not isinstance(body, dict):
        raise Invalid("body", "send a JSON object: {url, name, trigger}")
    url, name = body.get("url"), body.get("name")
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise Invalid("url", f"the URL the platform calls, a string of 1 to {MAX_URL} "
                      "characters (io.webhook_url(\"lastmile\"))")
    if not isinstance(name, str) or not name or len(name) > 200:
        raise Invalid("name", "a name for the webhook, a string of 1 to 200 characters")
    trigger = _int(body, "trigger", f"the trigger's number, one of {sorted(TRIGGERS)}")
    if trigger not in TRIGGERS:
        raise Invalid("trigger", f"the trigger's number, one of {sorted(TRIGGERS)}")
    threshold = _int(body, "threshold", "a whole number (seconds for taskEta, metres for "
                     "taskArrival), or leave it out", required=False)
    try:
        made = lastmile.register_webhook(name, url, TRIGGERS[trigger], threshold)
    except WebhookRefused as refused:
        return errors(400, "webhook-validation", "", refused.fix, field="url")
    return Reply(200, webhook_json(made))


def list_webhooks(lastmile: LastMileCore, _request: ApiRequest) -> Reply:
    return Reply(200, [webhook_json(made) for made in lastmile.list_webhooks()])  # type: ignore[arg-type]


def delete_webhook(lastmile: LastMileCore, request: ApiRequest) -> Reply:
    given = request.params["webhook_id"]
    found = ids.webhook_id(given)
    try:
        if found is None:
            raise NotFound("webhook", given)
        lastmile.delete_webhook(found)
    except NotFound:
        raise NotFound("webhook", given) from None
    return Reply(200, {})
