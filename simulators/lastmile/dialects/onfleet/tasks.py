"""Onfleet's tasks over the core's: create, read (by id, by shortId, and by metadata), change
the destination (PUT) and delete (cancel).

A task is created with a `destination` (its `address`), `recipients`, `completeAfter` and
`completeBefore` (Unix ms) and `metadata`; two metadata entries are required, `order_id` and
`shipment_id` (strings): they are the canonical keys the core and the checks know the task by,
and what the ledger records as the request's subject. What the core does not model (recipients,
the time window, notes, the other metadata, the address as sent) is kept with the task and
echoed back.
"""

from __future__ import annotations

from typing import Any

from seatrial.simulators.api import ApiRequest, Reply
from seatrial.simulators.domain import Invalid, NotFound
from seatrial.simulators.lastmile.core import LastMileCore, Task
from seatrial.simulators.lastmile.dialects.onfleet import ids
from seatrial.simulators.lastmile.dialects.onfleet.webhooks import ms

ORGANIZATION = ids.encode("organization", 1)
#: the address fields taken (strings); Seatrial needs street, city and postalCode
ADDRESS = ("name", "number", "street", "apartment", "city", "state", "postalCode", "country")
REQUIRED_ADDRESS = ("street", "city", "postalCode")
MAX_TEXT = 2000
MAX_ENTRIES = 50
#: rate-limit headers on every answer (pyonfleet reads X-RateLimit-Remaining and sleeps when it
#: is low): the nominal 20 requests a second; the limits Seatrial plays are its faults' 429s
RATE_HEADERS = {"x-ratelimit-limit": "20", "x-ratelimit-remaining": "20"}


def _text(value: Any, name: str, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value) or len(value) > MAX_TEXT:
        raise Invalid(name, f"a string of {'1' if required else '0'} to {MAX_TEXT} characters")
    return value


def destination(value: Any, name: str = "destination") -> tuple[dict[str, Any], dict[str, Any]]:
    """(the destination as sent, the core's address) from Onfleet's `{address: {...}}`."""
    if not isinstance(value, dict) or not isinstance(value.get("address"), dict):
        raise Invalid(f"{name}.address", "an object: {number, street, city, postalCode, "
                      "country}; unparsed addresses are not geocoded here")
    address = value["address"]
    taken = {}
    for key in ADDRESS:
        text = _text(address.get(key), f"{name}.address.{key}", key in REQUIRED_ADDRESS)
        if text is not None:
            taken[key] = text
    notes = _text(value.get("notes"), f"{name}.notes")
    street = f"{taken['number']} {taken['street']}" if "number" in taken else taken["street"]
    core = {"street": street, "city": taken["city"], "postcode": taken["postalCode"]}
    if "name" in taken:
        core["name"] = taken["name"]
    if "country" in taken:
        core["country"] = taken["country"]
    sent = {"address": taken, "notes": notes or ""}
    return sent, core


def _recipients(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise Invalid("recipients", f"a list of at most {MAX_ENTRIES} {{name, phone}} objects")
    taken = []
    for index, person in enumerate(value):
        where = f"recipients[{index}]"
        if not isinstance(person, dict):
            raise Invalid(where, "an object {name, phone, notes}")
        taken.append({"name": _text(person.get("name"), f"{where}.name", True),
                      "phone": _text(person.get("phone"), f"{where}.phone") or "",
                      "notes": _text(person.get("notes"), f"{where}.notes") or ""})
    return taken


def _metadata(value: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """(the entries as sent, the canonical keys among them)."""
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise Invalid("metadata", "a list of {name, type, value} entries, with order_id and "
                      "shipment_id (type string) among them")
    keys: dict[str, str] = {}
    for index, entry in enumerate(value):
        where = f"metadata[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise Invalid(where, "an object {name, type, value}")
        if entry["name"] in ("order_id", "shipment_id"):
            keys[entry["name"]] = _text(entry.get("value"), f"{where}.value", True) or ""
    for name in ("order_id", "shipment_id"):
        if name not in keys:
            raise Invalid("metadata", f"an entry {{\"name\": \"{name}\", \"type\": \"string\", "
                          "\"value\": ...}: the key Seatrial's checks know the task by")
    return value, keys


def _time(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if type(value) is float and value.is_integer():  # 1.0 is a JSON integer too
        value = int(value)
    if type(value) is not int or not 0 <= value < 10**15:
        raise Invalid(name, "Unix time in milliseconds, a whole number")
    return value


def subject(params: dict[str, str], body: Any, _query: dict[str, str]) -> dict[str, str]:
    """The canonical keys of a task request: from its id, shortId or metadata."""
    if "task_id" in params:
        found = ids.task_id(params["task_id"])
        return {} if found is None else {"task_id": found}
    if "short_id" in params:
        found = ids.task_of_short_id(params["short_id"])
        return {} if found is None else {"task_id": found}
    try:
        return _metadata(body.get("metadata"))[1] if isinstance(body, dict) else {}
    except Invalid:
        return {}


def task_json(task: Task) -> dict[str, Any]:
    number = ids.number(task.id)
    details = task.details
    attempt = task.attempts[-1] if task.attempts else None
    completion: dict[str, Any] = {"success": False, "failureReason": "NONE", "notes": "",
                                  "photoUploadIds": [], "signatureUploadId": None}
    if attempt is not None and attempt.success is not None:
        completion.update(success=attempt.success,
                          failureReason="NONE" if attempt.success else attempt.failure_reason,
                          time=ms(attempt.completed_at or 0.0))
    if task.pod is not None:
        completion["photoUploadIds"] = [task.pod.get("photo")]
        completion["signatureUploadId"] = f"sig-{ids.encode('task', number)}"
    return {
        "id": ids.encode("task", number), "shortId": ids.short_id(number),
        "timeCreated": ms(task.created_at), "organization": ORGANIZATION,
        "merchant": ORGANIZATION, "executor": ORGANIZATION, "creator": ORGANIZATION,
        "state": task.state, "worker": task.worker, "pickupTask": False, "dependencies": [],
        "completeAfter": details.get("completeAfter"),
        "completeBefore": details.get("completeBefore"),
        "notes": details.get("notes") or "", "completionDetails": completion,
        "metadata": details.get("metadata") or [
            {"name": "order_id", "type": "string", "value": task.order_id},
            {"name": "shipment_id", "type": "string", "value": task.shipment_id}],
        "recipients": details.get("recipients") or [],
        "destination": details.get("destination") or {"address": {
            "street": task.destination.get("street"), "city": task.destination.get("city"),
            "postalCode": task.destination.get("postcode")}, "notes": ""},
    }


def _task(lastmile: LastMileCore, given: str, found: str | None) -> Task:
    """A task not deleted, else NotFound naming the id as given (Onfleet forgets a deleted
    task: a second DELETE, or a read, answers 404)."""
    try:
        if found is None:
            raise NotFound("task", given)
        task = lastmile.get_task(found)
    except NotFound:
        raise NotFound("task", given) from None
    if task.cancelled_at is not None:
        raise NotFound("task", given)
    return task


def create_task(lastmile: LastMileCore, request: ApiRequest) -> Reply:
    body = request.body
    if not isinstance(body, dict):
        raise Invalid("body", "send a JSON object: {destination, recipients, metadata, ...}")
    sent, address = destination(body.get("destination"))
    metadata, keys = _metadata(body.get("metadata"))
    after = _time(body.get("completeAfter"), "completeAfter")
    before = _time(body.get("completeBefore"), "completeBefore")
    if after is not None and before is not None and after >= before:
        raise Invalid("completeBefore", "later than completeAfter")
    details = {"destination": sent, "recipients": _recipients(body.get("recipients")),
               "completeAfter": after, "completeBefore": before, "metadata": metadata,
               "notes": _text(body.get("notes"), "notes") or ""}
    task = lastmile.create_task(keys["shipment_id"], keys["order_id"], address,
                                request.correlation_id, None, details)
    return Reply(200, task_json(task), dict(RATE_HEADERS))


def get_task(lastmile: LastMileCore, request: ApiRequest) -> Reply:
    given = request.params["task_id"]
    return Reply(200, task_json(_task(lastmile, given, ids.task_id(given))), dict(RATE_HEADERS))


def get_task_by_short_id(lastmile: LastMileCore, request: ApiRequest) -> Reply:
    given = request.params["short_id"]
    task = _task(lastmile, given, ids.task_of_short_id(given))
    return Reply(200, task_json(task), dict(RATE_HEADERS))


def query_subject(_params: dict[str, str], body: Any, _query: dict[str, str]
                  ) -> dict[str, str]:
    """The canonical keys a metadata query names (order_id, shipment_id), if it names them."""
    keys = {}
    for entry in body if isinstance(body, list) else ():
        if (isinstance(entry, dict) and entry.get("name") in ("order_id", "shipment_id")
                and isinstance(entry.get("value"), str)):
            keys[entry["name"]] = entry["value"]
    return keys


def _wanted(body: Any) -> list[tuple[str, Any]]:
    """The (name, value) pairs of a metadata query: `[{name, type, value}, ...]`, 1 to 50."""
    if not isinstance(body, list) or not 0 < len(body) <= MAX_ENTRIES:
        raise Invalid("body", f"a list of 1 to {MAX_ENTRIES} {{name, type, value}} entries, "
                      "e.g. [{\"name\": \"shipment_id\", \"type\": \"string\", \"value\": ...}]")
    wanted = []
    for index, entry in enumerate(body):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) \
                or not isinstance(entry.get("type"), str) or "value" not in entry:
            raise Invalid(f"[{index}]", "an object {name, type, value}")
        wanted.append((entry["name"], entry["value"]))
    return wanted


def query_by_metadata(lastmile: LastMileCore, request: ApiRequest) -> Reply:
    """Onfleet's `POST /tasks/metadata`: the tasks (not deleted) whose metadata hold every
    entry asked for, by name and value (the lookup before a create is sent again)."""
    wanted = _wanted(request.body)
    found = []
    for task in lastmile.tasks.values():
        if task.cancelled_at is not None:
            continue
        record = task_json(task)
        have = [(e.get("name"), e.get("value")) for e in record["metadata"]
                if isinstance(e, dict)]
        if all(pair in have for pair in wanted):
            found.append(record)
    return Reply(200, found, dict(RATE_HEADERS))  # type: ignore[arg-type]


def update_task(lastmile: LastMileCore, request: ApiRequest) -> Reply:
    """Only the destination changes here (what a sync implementation forwards)."""
    given = request.params["task_id"]
    task = _task(lastmile, given, ids.task_id(given))
    body = request.body
    if not isinstance(body, dict) or set(body) != {"destination"}:
        raise Invalid("body", "send {\"destination\": {\"address\": {...}}}: only the "
                      "destination is updated here")
    sent, address = destination(body["destination"])
    lastmile.change_destination(task, address)
    task.details["destination"] = sent
    return Reply(200, task_json(task), dict(RATE_HEADERS))


def delete_task(lastmile: LastMileCore, request: ApiRequest) -> Reply:
    given = request.params["task_id"]
    lastmile.cancel_task(_task(lastmile, given, ids.task_id(given)))
    return Reply(200, {}, dict(RATE_HEADERS))
