"""Onfleet's webhook deliveries (docs.onfleet.com/reference/webhooks), read.

A delivery is `{"taskId", "triggerId", "triggerName", "time" (Unix ms), "workerId",
"actionContext", "data": {"task": {...}}, "etaSeconds" on taskEta}`, signed in
`X-Onfleet-Signature` with the hex HMAC-SHA512 of the raw body, keyed with the hex-decoded
webhook secret. It carries no event id and no timestamp of its own signing: a receiver tells a
redelivery (or a replay) of one delivery by the digest of its body (`digest`).

`event` reads a delivery into the SDK's `Event`: type `task.updated`, the task's Onfleet id as
`task_id`, the order and shipment from the task's metadata, the payload in the SDK's v1 shape
(`trigger`, `state`, `worker`, `completion_details`, `eta`), the trigger in the platform's
words (a failed attempt's taskFailed is a `taskCompleted` that did not succeed, taskDeleted a
cancellation). `taskUpdated` says only that the task changed: read it back, and `returned`
tells a parcel refused and on its way back to the shipper.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from seatrial.model.envelope import Event

SIGNATURE = "x-onfleet-signature"
#: Onfleet's trigger names in the words a sync implementation maps (the SDK's v1 payload)
TRIGGERS = {"taskFailed": "taskCompleted", "taskDeleted": "taskCancelled"}
#: the failure reason of a delivery the recipient refused: the parcel goes back
REFUSED = "REFUSED"
#: triggers that report a plan or an estimate, not a fact
CLASSIFIERS = {"taskEta": "EST", "taskAssigned": "PLN", "taskCreated": "PLN"}


def signed(body: bytes, signature: str | None, secret: str) -> bool:
    """True when `signature` (the X-Onfleet-Signature header) is the HMAC-SHA512 of `body`
    under `secret`, the webhook secret in hex (or the `whsec_` form of the same key bytes)."""
    if not signature:
        return False
    try:
        key = _key(secret)
    except ValueError:
        return False
    expected = hmac.new(key, body, hashlib.sha512).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def _key(secret: str) -> bytes:
    """The key bytes of a hex secret (Onfleet's form) or of its `whsec_` form."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except binascii.Error:
            raise ValueError("not base64 after whsec_") from None
    return bytes.fromhex(secret)


def digest(body: bytes) -> str:
    """What names one delivery: Onfleet sends no id, and a redelivery is the same body."""
    return hashlib.sha256(body).hexdigest()[:32]


def _metadata(task: dict[str, Any]) -> dict[str, str]:
    found = {}
    for entry in task.get("metadata") or ():
        if isinstance(entry, dict) and isinstance(entry.get("value"), str):
            found[str(entry.get("name"))] = entry["value"]
    return found


def _completion(details: Any) -> dict[str, Any] | None:
    """completionDetails in the SDK's v1 shape: proof of delivery is a recipient's signature
    (`signatureUploadId`), with the first photo as its picture."""
    if not isinstance(details, dict):
        return None
    photos = [p for p in details.get("photoUploadIds") or () if isinstance(p, str)]
    signature = details.get("signatureUploadId")
    pod = {"signed_by": "recipient", "signature": signature,
           "photo": photos[0] if photos else None} if signature else None
    reason = details.get("failureReason")
    return {"success": details.get("success") is True, "pod": pod, "photos": photos,
            "failure_reason": None if reason in (None, "NONE") else reason,
            "notes": details.get("notes") or None}


def returned(task: Any) -> bool:
    """A task (as `GET /tasks/{id}` answers it) that is finished by a refusal: completed
    (state 3) without success, the recipient having refused the parcel."""
    if not isinstance(task, dict) or task.get("state") != 3:
        return False
    details = task.get("completionDetails")
    return (isinstance(details, dict) and details.get("success") is False
            and details.get("failureReason") == REFUSED)


def event(body: bytes) -> Event:
    """The event one delivery carries (see the module docstring); ValueError names what is
    missing or malformed."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"the body is not JSON ({error}); Onfleet sends a JSON object") \
            from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object: {taskId, triggerName, time, data}")
    task = (data.get("data") or {}).get("task") if isinstance(data.get("data"), dict) else None
    trigger, when = data.get("triggerName"), data.get("time")
    if not isinstance(task, dict) or not isinstance(data.get("taskId"), str):
        raise ValueError("taskId and data.task are required (a task's delivery)")
    if not isinstance(trigger, str) or type(when) is not int:
        raise ValueError("triggerName (a string) and time (Unix ms) are required")
    keys = _metadata(task)
    moment = datetime.fromtimestamp(when / 1000, UTC)
    ahead = data.get("etaSeconds")
    recorded = moment - timedelta(seconds=ahead) if type(ahead) is int else moment
    payload: dict[str, Any] = {"trigger": TRIGGERS.get(trigger, trigger),
                               "state": task.get("state"), "worker": task.get("worker")}
    completion = _completion(task.get("completionDetails"))
    if completion is not None and trigger in ("taskCompleted", "taskFailed"):
        payload["completion_details"] = completion
    if trigger == "taskEta":
        payload["eta"] = moment.isoformat()
    return Event(f"onfleet-{digest(body)}", "task.updated", "lastmile", 0, moment, recorded,
                 CLASSIFIERS.get(trigger, "ACT"), "", keys.get("order_id"),
                 keys.get("shipment_id"), data["taskId"], "1.0", payload)
