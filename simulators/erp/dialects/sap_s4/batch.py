"""`$batch` bodies, OData V2's multipart/mixed: read a batch request into its parts (single
requests and changesets of writes), write the answers back in the same form.

Only the wire form lives here; what each part does, and the all-or-nothing of a changeset,
is the `$batch` handler's (endpoints.py). Limits: at most MAX_PARTS requests in one batch
(changesets' requests included); the body's size is the live face's body limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus

from seatrial.simulators.domain import Invalid

MAX_PARTS = 100
MULTIPART = "multipart/mixed"
_BOUNDARY = re.compile(r'boundary=(?:"([^"]{1,70})"|([^\s;,"]{1,70}))', re.I)
_REQUEST_LINE = re.compile(r"^([A-Z]{3,7}) (\S{1,2000}) HTTP/1\.[01]$")
_NEWLINE = re.compile(r"\r?\n")


@dataclass(frozen=True, slots=True)
class Part:
    """One request inside a batch: its URL relative to the service root."""

    method: str
    url: str
    headers: dict[str, str]
    body: str


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def boundary(content_type: str | None) -> str:
    """The boundary of a multipart/mixed content type, or `Invalid`."""
    if not content_type or not content_type.lower().startswith(MULTIPART):
        raise Invalid("Content-Type", "multipart/mixed; boundary=<batch boundary>")
    found = _BOUNDARY.search(content_type)
    if found is None:
        raise Invalid("Content-Type", "multipart/mixed with a boundary parameter")
    return found.group(1) or found.group(2)


def _split(text: str, mark: str) -> list[str]:
    """The parts between `--mark` lines, each without the line breaks around it."""
    sections = text.split("--" + mark)[1:]
    parts = []
    for section in sections:
        if section.startswith("--"):
            return parts
        parts.append(section.removeprefix("\r\n").removeprefix("\n")
                     .removesuffix("\n").removesuffix("\r"))
    raise Invalid("body", f"a multipart body closed with --{mark}--")


def _head(text: str) -> tuple[dict[str, str], str]:
    """(headers, the rest) of a part: header lines up to the first empty line."""
    lines = _NEWLINE.split(text)
    headers: dict[str, str] = {}
    for index, line in enumerate(lines):
        if not line:
            return headers, "\r\n".join(lines[index + 1:])
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise Invalid("body", f"a header line 'Name: value', not {line[:40]!r}")
        headers[name.strip().lower()] = value.strip()
    return headers, ""


def _request(text: str) -> Part:
    headers, rest = _head(text)
    if headers.get("content-type", "").split(";")[0].strip().lower() != "application/http":
        raise Invalid("body", "each batch part of Content-Type application/http (or a "
                              "multipart/mixed changeset)")
    lines = _NEWLINE.split(rest, maxsplit=1)
    found = _REQUEST_LINE.match(lines[0])
    if found is None:
        raise Invalid("body", f"a request line 'METHOD <url> HTTP/1.1', not {lines[0][:60]!r}")
    inner, body = _head(lines[1] if len(lines) > 1 else "")
    return Part(found.group(1), found.group(2), inner, body.strip("\r\n"))


def parse(content: bytes, content_type: str | None) -> list[Part | list[Part]]:
    """The batch's parts in order: a request, or a changeset (a list of write requests)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("body", "a UTF-8 multipart/mixed body") from None
    parts: list[Part | list[Part]] = []
    count = 0
    for section in _split(text, boundary(content_type)):
        headers, rest = _head(section)
        kind = headers.get("content-type", "")
        if kind.lower().startswith(MULTIPART):
            changeset = [_request(inner) for inner in _split(rest, boundary(kind))]
            for part in changeset:
                if part.method == "GET":
                    raise Invalid("body", "a changeset holds writes only; send a GET as its "
                                          "own batch part")
            parts.append(changeset)
            count += len(changeset)
        else:
            parts.append(_request(section))
            count += 1
        if count > MAX_PARTS:
            raise Invalid("body", f"at most {MAX_PARTS} requests in one $batch")
    return parts


def _http(answer: Answer) -> str:
    reason = HTTPStatus(answer.status).phrase
    lines = [f"HTTP/1.1 {answer.status} {reason}"]
    lines += [f"{name}: {value}" for name, value in answer.headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n" + answer.body.decode("utf-8")


def _part(payload: str) -> str:
    return ("Content-Type: application/http\r\nContent-Length: "
            f"{len(payload.encode())}\r\ncontent-transfer-encoding: binary\r\n\r\n{payload}")


def render(answers: list[Answer | list[Answer]], mark: str) -> bytes:
    """The batch response body: one part per request, a multipart part per changeset that
    succeeded (a changeset that failed is answered by its one error, as Gateway does)."""
    out = []
    for index, answer in enumerate(answers):
        if isinstance(answer, list):
            inner_mark = f"{mark}_cs{index}"
            inner = "".join(f"--{inner_mark}\r\n{_part(_http(a))}\r\n" for a in answer)
            out.append(f"--{mark}\r\nContent-Type: multipart/mixed; boundary={inner_mark}"
                       f"\r\n\r\n{inner}--{inner_mark}--\r\n")
        else:
            out.append(f"--{mark}\r\n{_part(_http(answer))}\r\n")
    return ("".join(out) + f"--{mark}--\r\n").encode()
