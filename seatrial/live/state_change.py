"""The provider-state change endpoint a stock Pact verifier calls (`seatrial serve
--provider-states`): POST /seatrial/provider-states on every simulator's port.

The states themselves belong to the contracts (seatrial.contracts.provider_states), which
import the live stack; so the live side only defines what it needs of them (`StateChange`) and
the CLI injects the real thing. The endpoint runs on the stack's event loop, where the world
lives, so a state change never races a request.

Pact sends `{"state": ..., "params": {...}, "action": "setup" | "teardown"}` as JSON (the
verifier's `state_handler(url, body=True)`), or the same as query parameters (`body=False`,
every other query parameter a param). docs/contracts.md lists the states.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from seatrial.simulators.api import problem

PATH = "/seatrial/provider-states"
ACTIONS = ("setup", "teardown")


class StateRefused(Exception):
    """The simulators cannot be put in the state asked for; the message names it and why."""


class StateChange(Protocol):
    def change(self, state: str, action: str, parameters: dict[str, Any]) -> None:
        """Set up (or tear down) `state`; raises StateRefused saying why it cannot be."""


def _refuse(status: int, slug: str, title: str, detail: str, **extra: Any) -> Response:
    reply = problem(status, slug, title, detail, **extra)
    return Response(json.dumps(reply.body), status, media_type="application/problem+json")


class Wrong(NamedTuple):
    field: str
    detail: str


def _request(query: dict[str, str], raw: bytes) -> dict[str, Any] | Wrong:
    """The state change asked for, as Pact sends it, or which field is wrong and how."""
    if not raw.strip():
        change: Any = {"state": query.get("state"), "action": query.get("action", "setup"),
                       "params": {k: v for k, v in query.items() if k not in ("state", "action")}}
    else:
        try:
            change = json.loads(raw)
        except ValueError:  # UnicodeDecodeError included
            return Wrong("body", 'not JSON; send {"state": ..., "params": {...}, "action": '
                                 '"setup"} (Pact\'s state change request)')
        if not isinstance(change, dict):
            return Wrong("body", "not a JSON object with state, params and action")
    if not isinstance(change.get("state"), str):
        return Wrong("state", "missing or not a string; name the provider state")
    if change.get("action", "setup") not in ACTIONS:
        return Wrong("action", f"{change.get('action')!r} is neither setup nor teardown")
    if not isinstance(change.get("params") or {}, dict):
        return Wrong("params", "not a JSON object of the state's parameters")
    return change


def state_change_route(states: StateChange) -> Route:
    """The route over `states`: 200 `{}` when the state holds, 400 problem+json naming the
    state (or the field of the request) and the fix when it cannot."""

    async def endpoint(request: Request) -> Response:
        change = _request(dict(request.query_params), await request.body())
        if isinstance(change, Wrong):
            return _refuse(400, "invalid-state-change", "Invalid state change request",
                           f"{change.field}: {change.detail}", field=change.field)
        state = change["state"]
        try:
            states.change(state, change.get("action", "setup"), change.get("params") or {})
        except StateRefused as error:
            return _refuse(400, "provider-state-refused", "Provider state refused", str(error),
                           field="state", state=state)
        return JSONResponse({})

    return Route(PATH, endpoint, methods=["POST"])
