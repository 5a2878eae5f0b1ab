"""OData V2 `$batch` as a client writes it: one write as the one request of a changeset
(`changeset`), and that changeset's answer read out of the batch's (`answer`).

Why one write a changeset: the business logic writes one thing at a time, and a changeset is
all or nothing, so its answer is that write's. Why read the part: a batch answers 202 whatever
became of its changesets; a changeset that failed is answered by its one error (SAP Gateway's
form), which is the write's answer here.
"""

from __future__ import annotations

import re

import orjson

from seatrial.sdk import Call, Response

BATCH, CHANGESET = "batch_seatrial", "changeset_seatrial"
#: an inner answer: its status line, its header lines, an empty line, its body up to the next
#: boundary line
_ANSWER = re.compile(rb"HTTP/1\.[01] (\d{3})[^\r\n]*\r?\n((?:[^\r\n]+\r?\n)*)\r?\n(.*?)\r?\n--",
                     re.DOTALL)


def changeset(call: Call, service: str) -> tuple[bytes, str]:
    """(the `$batch` body holding `call` as a one-request changeset, its content-type). The
    request's URL is relative to `service`; its own headers (If-Match), its JSON body and its
    Idempotency-Key go with it, the session's token and cookie are the batch's."""
    headers = [("content-type", "application/json"), *call.headers]
    if call.idempotency_key:
        headers.append(("idempotency-key", call.idempotency_key))
    inner = "".join(f"{name}: {value}\r\n" for name, value in headers
                    if name not in ("cookie", "x-csrf-token"))
    body = b"" if call.json is None else orjson.dumps(call.json)
    request = (f"{call.method} {call.path.removeprefix(service + '/')} HTTP/1.1\r\n{inner}\r\n"
               .encode() + body)
    content = (f"--{BATCH}\r\nContent-Type: multipart/mixed; boundary={CHANGESET}\r\n\r\n"
               f"--{CHANGESET}\r\nContent-Type: application/http\r\n"
               "Content-Transfer-Encoding: binary\r\n\r\n").encode() + request + \
        f"\r\n--{CHANGESET}--\r\n--{BATCH}--\r\n".encode()
    return content, f"multipart/mixed; boundary={BATCH}"


def answer(batch: Response) -> Response:
    """The one changeset's answer in a 202 batch answer; a batch that holds none (not the
    multipart it says it is) is a 502: retried, as any answer that says nothing."""
    found = _ANSWER.search(batch.content)
    if found is None:
        return Response(502, {"detail": "a $batch answer without a changeset's answer"})
    status, head, body = found.groups()
    headers = {}
    for line in head.decode("utf-8", "replace").splitlines():
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return Response.raw(int(status), body, headers)
