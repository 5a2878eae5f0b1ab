"""The last-mile platform in Onfleet's dialect (API v2, docs.onfleet.com), over the same core.

Covered: HTTP Basic auth with an API key as the user name (`errors.AUTH`); tasks created with a
destination, recipients, completeAfter/completeBefore and metadata, read by id, by shortId and
by metadata (`POST /tasks/metadata`), their destination changed (PUT) and deleted (a
cancellation), with `state` 0-3 and
`completionDetails`; webhooks registered by the SUT (one trigger each, by number) after the
`GET ?check=` validation, delivered in Onfleet's body with `X-Onfleet-Signature`, retried every
30 minutes for a day, disabled after 300 consecutive failures; every refusal (401, 400, 404,
405, 409, 429, 503) in Onfleet's error shape.

Departures (docs/dialects.md#onfleet): ids are derived from the core's, reversibly (`ids`);
metadata must carry `order_id` and `shipment_id`; a PUT changes only the destination; an
address needs street, city and postalCode and is not geocoded; there are no workers, teams,
hubs or lists of tasks; a delivery's `data.task` carries what the event says (read the task
back for the rest); any 2xx acknowledges a delivery (Onfleet wants 200); the webhook secret is
the world's, in hex (`webhooks.secret_of`); X-RateLimit-Remaining is nominal (the limits played
are the scenario's rate_limit faults); a URL registered must be where the SUT takes lastmile's
deliveries (`io.webhook_url("lastmile")`), and may be plain HTTP.
"""

from __future__ import annotations

from seatrial.simulators.api import Endpoint
from seatrial.simulators.dialect import Dialect
from seatrial.simulators.lastmile.core import LastMileCore
from seatrial.simulators.lastmile.dialects.onfleet import tasks, webhooks
from seatrial.simulators.lastmile.dialects.onfleet.document import describe
from seatrial.simulators.lastmile.dialects.onfleet.errors import AUTH, errors
from seatrial.simulators.lastmile.dialects.onfleet.forgeries import forgeries
from seatrial.simulators.lastmile.dialects.onfleet.schemas import SCHEMAS

BASE = "/api/v2"
_INVALID_TASK = ("destination.address (street, city, postalCode) or metadata (order_id, "
                 "shipment_id) missing, or a field of the wrong type")
_FINISHED = "the task is finished (delivered or returned)"


def _none(_params: dict[str, str], _body: object, _query: dict[str, str]) -> dict[str, str]:
    return {}


ENDPOINTS = (
    Endpoint("POST", f"{BASE}/tasks", tasks.create_task, LastMileCore.create_task,
             "Create a task", 200, "Task", "TaskCreate", invalid=_INVALID_TASK,
             subject=tasks.subject),
    Endpoint("POST", f"{BASE}/tasks/metadata", tasks.query_by_metadata, LastMileCore.get_task,
             "Find tasks by metadata", 200, "Tasks", "MetadataQuery",
             invalid="not a list of 1 to 50 {name, type, value} entries",
             subject=tasks.query_subject),
    Endpoint("GET", f"{BASE}/tasks/{{task_id}}", tasks.get_task, LastMileCore.get_task,
             "Read a task", 200, "Task", subject=tasks.subject),
    Endpoint("GET", f"{BASE}/tasks/shortId/{{short_id}}", tasks.get_task_by_short_id,
             LastMileCore.get_task, "Read a task by its shortId", 200, "Task",
             subject=tasks.subject),
    Endpoint("PUT", f"{BASE}/tasks/{{task_id}}", tasks.update_task,
             LastMileCore.change_destination, "Change a task's destination", 200, "Task",
             "TaskUpdate", invalid="a field other than destination, or the address invalid",
             conflict=_FINISHED, subject=tasks.subject),
    Endpoint("DELETE", f"{BASE}/tasks/{{task_id}}", tasks.delete_task,
             LastMileCore.cancel_task, "Delete (cancel) a task", 200, "Deleted",
             conflict=_FINISHED, subject=tasks.subject),
    Endpoint("POST", f"{BASE}/webhooks", webhooks.create_webhook,
             LastMileCore.register_webhook, "Register a webhook (after the validation "
             "request)", 200, "Webhook", "WebhookCreate",
             invalid="url, name or trigger missing or invalid (1000), or the URL did not "
                     "answer the validation request with 200 and the check string (1008)",
             subject=_none),
    Endpoint("GET", f"{BASE}/webhooks", webhooks.list_webhooks, LastMileCore.list_webhooks,
             "List the webhooks", 200, "Webhooks", subject=_none),
    Endpoint("DELETE", f"{BASE}/webhooks/{{webhook_id}}", webhooks.delete_webhook,
             LastMileCore.delete_webhook, "Delete a webhook", 200, "Deleted", subject=_none),
)

DIALECT = Dialect("onfleet", "lastmile", "last-mile platform", ENDPOINTS, SCHEMAS, describe,
                  errors=errors, auth=AUTH, render_event=webhooks.render_event,
                  sign_webhook=webhooks.sign_webhook, audience=webhooks.audience,
                  redelivery=webhooks.REDELIVERY, disable_after=webhooks.DISABLE_AFTER,
                  forgeries=forgeries)
