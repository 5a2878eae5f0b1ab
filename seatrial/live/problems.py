"""RFC 9457 problem+json answers of Seatrial's own HTTP faces (the hosted SUT, the load
service): what went wrong and what to send instead."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status,
                         "detail": detail, **extra}, status,
                        media_type="application/problem+json")
