"""SAP Gateway's OData V2 error body, for every refusal of the `sap-s4` dialect (the router's,
the live face's, the handlers' own):

    {"error": {"code": "...", "message": {"lang": "en", "value": "..."},
               "innererror": {"errordetails": [...], "Error_Resolution": {...}}}}

Bad input is a 400, as Gateway answers it (the canonical dialect's 422 becomes 400); the
other statuses stay (401, 403 CSRF, 404, 405, 409, 412 stale ETag, 428 no If-Match, 429,
503). Codes are SAP-shaped (message class / name) but ours: Gateway's own message numbers
are not public API, so a client must read the status and `message.value`, not the code.
"""

from __future__ import annotations

from typing import Any

from seatrial.simulators.api import Reply

JSON = "application/json"
RESOLUTION = {
    "SAP_Transaction": "Run transaction /IWFND/ERROR_LOG on the SAP Gateway hub system and "
                       "search for entries with the timestamp above for more details",
    "SAP_Note": "See SAP Note 1797736 for error analysis "
                "(https://service.sap.com/sap/support/notes/1797736)",
}


def sap_error(status: int, slug: str, title: str, detail: str, **extra: Any) -> Reply:
    """A refusal as SAP Gateway writes it; `field` (when given) is the property at fault."""
    status = 400 if status == 422 else status
    code = "SEATRIAL/" + slug.upper().replace("-", "_")
    value = detail if detail.startswith(title) else f"{title}: {detail}"
    details = [{"code": code, "message": value, "propertyref": extra.get("field", ""),
                "severity": "error", "target": extra.get("field", ""), "transition": False}]
    body = {"error": {"code": code, "message": {"lang": "en", "value": value},
                      "innererror": {"errordetails": details, "Error_Resolution": RESOLUTION}}}
    return Reply(status, body, {"content-type": JSON, "dataserviceversion": "1.0"})
