"""What a sync implementation yields (calls, sleeps) and what it gets back (responses, errors).

Handlers are generators: `response = yield io.tms.post(...)`. A yielded `Call` is plain data, so
the same handler runs over any transport (in-process virtual time today, HTTP in live mode).
"""

from __future__ import annotations

import json as jsonlib
import math
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any, NamedTuple

from seatrial.model import wire

DEFAULT_TIMEOUT = 30.0


class Call(NamedTuple):
    """One API request, as plain immutable data: yield it, get a `Response` back.

    `headers` are the call's own header fields, names lower-case, in the order given; `content`
    is a raw body (bytes), never together with `json`. `login` is the credential a mailbox
    call logs in with (`seatrial.sdk.mailbox.Credential`; None on an API call): never
    recorded, as a password is not."""

    system: str
    method: str
    path: str
    json: Any = None
    params: dict[str, str] | None = None
    idempotency_key: str | None = None
    correlation_id: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    headers: tuple[tuple[str, str], ...] = ()
    content: bytes | None = None
    login: Any = None


class Sleep(NamedTuple):
    seconds: float


class TransportError(Exception):
    """No HTTP response arrived: the outcome of the request is unknown."""


class RequestTimeout(TransportError):
    """The client gave up waiting; the request may or may not have been committed."""


class ConnectError(TransportError):
    """The connection was refused; the request never reached the system."""


class HTTPStatusError(Exception):
    def __init__(self, response: Response) -> None:
        shown = response.body
        if shown is None:  # not JSON: the start of its text
            text = response.text
            shown = text if len(text) <= 200 else text[:197] + "..."
        super().__init__(f"HTTP {response.status_code}: {shown}")
        self.response = response


class Response:
    """An HTTP answer. `body` is the decoded JSON when the answer is JSON (its content-type
    is application/json or `+json`), else None; `content` is the raw body (bytes, always) and
    `text` the same decoded. `headers` has lower-case names, one value each; `set_cookie`
    keeps every `Set-Cookie` value (the one field HTTP does not let a server fold into one
    line), `cookies` the cookies they set, by name."""

    __slots__ = ("_content", "body", "headers", "set_cookie", "status_code")

    def __init__(self, status_code: int, body: Any, headers: dict[str, str] | None = None,
                 content: bytes | None = None, set_cookie: tuple[str, ...] = ()) -> None:
        self.status_code = status_code
        self.body = body
        self.headers = headers or {}
        self._content = content  # None: `body` as the JSON a server sends, made on demand
        self.set_cookie = set_cookie

    @classmethod
    def raw(cls, status_code: int, content: bytes, headers: dict[str, str],
            set_cookie: tuple[str, ...] = ()) -> Response:
        """An answer as it came off the wire: `body` decoded from `content` when it is JSON."""
        body = None
        if content and wire.is_json(headers.get("content-type")):
            try:
                body = jsonlib.loads(content)
            except (ValueError, RecursionError):
                body = None  # not the JSON it says it is: `content` and `text` have it
        return cls(status_code, body, headers, content, set_cookie)

    @property
    def content(self) -> bytes:
        if self._content is None:
            self._content = b"" if self.body is None else jsonlib.dumps(
                self.body, ensure_ascii=False, separators=(",", ":")).encode()
        return self._content

    @property
    def text(self) -> str:
        """`content` decoded: with the charset its content-type names, else UTF-8 (bytes that
        are not become U+FFFD)."""
        charset = "utf-8"
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            return self.content.decode("utf-8", errors="replace")

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies the answer sets (name -> value), from every `Set-Cookie`; one that
        cannot be parsed is left out."""
        found: dict[str, str] = {}
        for line in self.set_cookie:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(line)
            except CookieError:
                continue
            found.update((name, morsel.value) for name, morsel in jar.items())
        return found

    def json(self) -> Any:
        return self.body

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait from a `Retry-After` header, in either form RFC 9110 (section 10.2.3)
        allows; None without one (or with one in neither form, which RFC 9110 says to ignore).

        - delta-seconds, `"120"`: those seconds (a decimal is taken too);
        - an HTTP-date, `"Mon, 05 Jan 2026 06:02:00 GMT"` (or the obsolete RFC 850 and asctime
          forms): the seconds from the response's own `Date` to it, at least 0. Counted from
          the server's clock, not this machine's, so a client clock that runs ahead (or, in a
          simulation, a different clock altogether) never shortens the wait; without a `Date`,
          from this machine's clock. Both are whole seconds, so the wait read this way is never
          shorter than the one the server meant, and at most a second longer.
        """
        value = self.headers.get("retry-after")
        return None if value is None else retry_seconds(value, self.headers.get("date"))

    def raise_for_status(self) -> Response:
        if self.status_code >= 400:
            raise HTTPStatusError(self)
        return self

    def __repr__(self) -> str:
        return f"<Response {self.status_code}>"


def retry_seconds(value: str, date: str | None = None) -> float | None:
    """A `Retry-After` value as seconds to wait (see `Response.retry_after`), counted from
    `date` (the response's `Date`) when it is an HTTP-date; None if it is neither form."""
    try:
        seconds = float(value)
    except ValueError:
        moment = _http_date(value)
        if moment is None:
            return None
        sent = _http_date(date) if date is not None else None
        return max(0.0, (moment - (sent or datetime.now(UTC))).total_seconds())
    return seconds if 0.0 <= seconds < _INF else None


def _http_date(value: str) -> datetime | None:
    """An HTTP-date in any of RFC 9110's three forms, as an aware datetime (HTTP-dates are
    GMT; the asctime form says so only by convention), or None."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- what a call may carry: exactly what live mode can send -----------------------------------
#
# In-process a call's body and headers reach the simulators as Python objects; live, they go
# out through httpx, which refuses what JSON or HTTP cannot carry. So the SDK checks every call
# and sleep where it is built (`io.<system>.get/post`, `io.sleep`): the error is raised inside
# the handler, the same on both faces, and judged as the implementation's bug.

JSON_TYPES = "dicts with string keys, lists, strings, finite numbers, booleans and None"
_BIG = 10 ** sys.int_info.default_max_str_digits  # json refuses to write an int this long
_INF = math.inf
# A path goes out as it is written: no query or fragment (use params=), no percent escapes
# (the server would decode them), no control characters; '.' and '..' segments are refused
# separately, since an HTTP client would resolve them.
_PATH = re.compile(r"/[^?#%\x00-\x1f\x7f]*")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _plain_json(value: Any) -> bool:
    """True for a JSON value made of the built-in types (the common case), checked cheaply;
    False sends it to `json_problem`, which also takes their subclasses."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or _utf8(key)):
                return False
            kind = type(item)
            if kind is str:
                if not (item.isascii() or _utf8(item)):
                    return False
            elif kind is float:
                if item - item != 0.0:  # inf - inf and nan - nan are nan
                    return False
            elif kind is int:
                if not -_BIG < item < _BIG:
                    return False
            elif not (kind is bool or item is None or _plain_json(item)):
                return False
        return True
    if kind is list:
        for item in value:
            kind = type(item)
            if kind is str:
                if not (item.isascii() or _utf8(item)):
                    return False
            elif not (kind is bool or item is None or _plain_json(item)):
                return False
        return True
    if kind is str:
        return value.isascii() or _utf8(value)
    if kind is float:
        return value - value == 0.0
    if kind is int:
        return -_BIG < value < _BIG
    return kind is bool or value is None


def json_problem(value: Any, where: str = "json") -> tuple[type[Exception], str] | None:
    """What JSON cannot carry in `value` (named by its Python path from `where`), as the
    exception type and the message live mode's encoder would raise it with, plus the fix;
    None when it is JSON."""
    try:
        if _plain_json(value):
            return None
        return _json_problem(value, where)
    except RecursionError:
        return ValueError, (f"{where} is nested too deeply or contains itself; send a tree "
                            f"of {JSON_TYPES}")


def _json_problem(value: Any, where: str) -> tuple[type[Exception], str] | None:
    if isinstance(value, str):
        if _utf8(value):
            return None
        return ValueError, (f"{where} is a string with a lone surrogate, which is not UTF-8; "
                            "send valid text")
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if -_BIG < value < _BIG:
            return None
        return ValueError, (f"{where} is an integer of more than "
                            f"{sys.int_info.default_max_str_digits} digits, which JSON "
                            "encoders refuse to write; send a smaller number")
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        return ValueError, (f"{where} is {value!r}, which JSON cannot carry; send a finite "
                            "number (or None)")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return TypeError, (f"{where} has the key {key!r} ({type(key).__name__}); JSON "
                                   f"object keys are strings: use {str(key)!r}")
            if not _utf8(key):
                return ValueError, (f"{where} has the key {key!r}, which is not UTF-8 (a lone "
                                    "surrogate); send valid text")
            found = _json_problem(item, f"{where}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _json_problem(item, f"{where}[{index}]")
            if found:
                return found
        return None
    if isinstance(value, tuple | set | frozenset):
        return TypeError, (f"{where} is a {type(value).__name__}; send a list "
                           f"(JSON takes {JSON_TYPES})")
    if isinstance(value, bytes | bytearray | memoryview):
        return TypeError, (f"{where} is {type(value).__name__}, which is not JSON; decode it "
                           f"to a str, or send {JSON_TYPES}")
    article = "an" if type(value).__name__[:1].lower() in "aeiou" else "a"
    return TypeError, (f"{where} is {article} {type(value).__name__}, which is not JSON; send "
                       f"{JSON_TYPES}")


def _header_problem(name: str, value: Any) -> tuple[type[Exception], str] | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return TypeError, f"{name}={value!r}: give a string or None"
    if value.isascii() and value.isprintable() and value.strip() == value:
        return None
    return ValueError, (f"{name}={value!r}: it is sent as an HTTP header; use printable ASCII "
                        "without leading or trailing spaces, e.g. an order id")


def _number_problem(name: str, value: Any, least: str) -> tuple[type[Exception], str] | None:
    """A finite number of seconds `least` ('> 0' or '>= 0') or why not."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind: type[Exception] = TypeError
    elif 0 < value < _INF or (least == ">= 0" and value == 0):  # NaN fails both
        return None
    else:
        kind = ValueError
    return kind, f"{name}={_short(value)}: give a finite number of seconds {least}"


def _has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in path.split("/"))


def _path_fix(path: str) -> str:
    if not path.startswith("/"):
        return f"path {path!r}: start it with '/', e.g. '/orders/SO-000001'"
    for mark, fix in (("?", "pass the query as params={...}"), ("#", "a fragment is not sent"),
                      ("%", "write it unescaped: the server decodes percent escapes")):
        if mark in path:
            return f"path {path!r}: no '{mark}' in a path; {fix}"
    for segment in ("..", "."):
        if segment in path.split("/"):
            return (f"path {path!r}: no '{segment}' segment; an HTTP client resolves it, so "
                    "write the path it means")
    return f"path {path!r}: no control characters in a path"


def call_problem(call: Call) -> tuple[type[Exception], str] | None:
    """Why live mode could not send `call` as it is (exception type, message naming the
    argument and the fix), or None."""
    path = call.path
    if not isinstance(path, str):
        return TypeError, f"path {path!r}: give a string, e.g. '/orders/SO-000001'"
    if not _PATH.fullmatch(path) or ("/." in path and _has_dot_segment(path)):
        return ValueError, _path_fix(path)
    if not (path.isascii() or _utf8(path)):
        return ValueError, f"path {path!r}: it is not UTF-8 (a lone surrogate); send valid text"
    if call.json is not None and (found := json_problem(call.json)):
        return found
    params = call.params
    if params is not None:
        if not isinstance(params, dict):
            return TypeError, (f"params={params!r}: give a dict of strings, e.g. "
                               "{'order_id': 'SO-000001'}")
        for key, value in params.items():
            if not (isinstance(key, str) and isinstance(value, str)):
                return TypeError, (f"params={params!r}: give a dict of strings to strings, "
                                   "e.g. {'order_id': 'SO-000001'}")
            if not (_utf8(key) and _utf8(value)):
                return ValueError, (f"params={params!r}: a lone surrogate is not UTF-8; send "
                                    "valid text")
    for name, value in (("idempotency_key", call.idempotency_key),
                        ("correlation_id", call.correlation_id)):
        if not _header_ok(value) and (found := _header_problem(name, value)):
            return found
    if call.headers or call.content is not None or call.method not in ("GET", "POST"):
        found = _request_problem(call)
        if found is not None:
            return found
    timeout = call.timeout
    if timeout is DEFAULT_TIMEOUT:
        return None
    return _number_problem("timeout", timeout, "> 0")


def _request_problem(call: Call) -> tuple[type[Exception], str] | None:
    """What `io.<system>.request` checks beyond `get` and `post`: the method, the body, the
    header fields."""
    method = call.method
    if method not in wire.METHODS:
        return ValueError, (f"method {_short(method)}: use one of {', '.join(wire.METHODS)}")
    content = call.content
    if content is not None:
        if type(content) is not bytes:
            fix = ("encode it, e.g. text.encode()" if isinstance(content, str) else
                   "give bytes")
            return TypeError, f"content is {type(content).__name__}; {fix}"
        if call.json is not None:
            return ValueError, ("json= and content= together; send one body: json= for JSON, "
                                "content= for raw bytes with their content-type header")
        if len(content) > wire.BODY_LIMIT:
            return ValueError, (f"content is {len(content):,} bytes; a request body is at most "
                                f"{wire.BODY_LIMIT:,}")
    if method in wire.BODILESS and (content is not None or call.json is not None):
        return ValueError, (f"a {method} request carries no body; send json= or content= with "
                            "POST, PUT, PATCH or DELETE")
    return headers_problem(call.headers)


def headers_problem(headers: Any) -> tuple[type[Exception], str] | None:
    """Why `headers` (a call's: a tuple of (lower-case name, value) pairs) is not what a
    request may carry, or None."""
    if not isinstance(headers, tuple):
        return TypeError, "headers: give a dict of header names to values, e.g. {'if-match': etag}"
    size = 0
    seen = set()
    for pair in headers:
        if not (isinstance(pair, tuple) and len(pair) == 2
                and isinstance(pair[0], str) and isinstance(pair[1], str)):
            return TypeError, (f"headers: {_short(pair)} is not a (name, value) pair of "
                               "strings; give a dict of header names to values")
        name, value = pair
        if not wire.TOKEN.fullmatch(name):
            return ValueError, (f"header name {_short(name)}: letters, digits and "
                                "!#$%&'*+-.^_`|~ only, e.g. 'x-csrf-token'")
        if name != name.lower():
            return ValueError, f"header name {name!r}: write it lower-case, {name.lower()!r}"
        if name in seen:
            return ValueError, f"header {name!r} given twice; give each header once"
        seen.add(name)
        if name in wire.HOP_BY_HOP or name in wire.FRAMING:
            return ValueError, (f"header {name!r}: the HTTP client sets it (it belongs to the "
                                "connection or the framing, not the request); leave it out")
        if name in wire.OWN_ARGUMENTS:
            return ValueError, (f"header {name!r}: pass it as {wire.OWN_ARGUMENTS[name]}= "
                                "instead")
        if not (value.isascii() and value.isprintable() and value.strip() == value):
            return ValueError, (f"header {name!r} = {_short(value)}: printable ASCII without "
                                "leading or trailing spaces (no line breaks)")
        size += wire.field_size(name, value)
    if len(headers) > wire.CALL_FIELD_LIMIT or size > wire.CALL_HEAD_LIMIT:
        return ValueError, (f"headers: {len(headers)} fields, {size:,} bytes; a call sets at "
                            f"most {wire.CALL_FIELD_LIMIT} header fields of at most "
                            f"{wire.CALL_HEAD_LIMIT:,} bytes in all")
    return None


def request_headers(headers: Mapping[str, str] | None) -> tuple[tuple[str, str], ...] | Any:
    """`headers=` as a call carries them: (lower-case name, value) pairs in the order given.
    Anything that is not a mapping of strings is kept as it is, for `headers_problem` to
    name."""
    if headers is None:
        return ()
    if not isinstance(headers, Mapping):
        return headers
    pairs = []
    for name, value in headers.items():
        if not isinstance(name, str):
            return ((name, value),)
        pairs.append((name.lower() if wire.TOKEN.fullmatch(name) else name, value))
    return tuple(pairs)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def call_error(call: Call) -> Exception | None:
    """The exception for a call live mode could not send (see `call_problem`), or None."""
    found = call_problem(call)
    if found is None:
        return None
    kind, message = found
    json = ", json=..." if call.json is not None else ""
    if call.method in ("GET", "POST") and not call.headers and call.content is None:
        return kind(f"io.{call.system}.{call.method.lower()}({_short(call.path)}{json}): "
                    f"{message}")
    body = json or (", content=..." if call.content is not None else "")
    return kind(f"io.{call.system}.request({_short(call.method)}, {_short(call.path)}{body}): "
                f"{message}")


def sleep_error(seconds: Any) -> Exception | None:
    """The exception for a sleep that is not a finite number of seconds >= 0, or None."""
    if (type(seconds) is float or type(seconds) is int) and 0 <= seconds < _INF:
        return None
    found = _number_problem("seconds", seconds, ">= 0")
    if found is None:
        return None
    hint = "; to stop waiting for ever, return instead" if seconds == _INF else ""
    return found[0](f"io.sleep({_short(seconds)}): give a finite number of seconds >= 0{hint}")


def _header_ok(value: Any) -> bool:
    return value is None or (type(value) is str and value.isascii() and value.isprintable()
                             and value.strip() == value)


_PATH_OK = _PATH.fullmatch


class ApiClient:
    """Builds calls to one system's API; mirrors httpx's verbs. A call that live mode could
    not send (see `call_problem`) raises TypeError or ValueError here, in the handler."""

    __slots__ = ("system",)

    def __init__(self, system: str) -> None:
        self.system = system

    def get(self, path: str, *, params: dict[str, str] | None = None,
            correlation_id: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Call:
        call = Call(self.system, "GET", path, None, params, None, correlation_id, timeout)
        # the common case inline (the hot path), else the full check names what is wrong
        if not (type(path) is str and path.isascii() and _PATH_OK(path) and "/." not in path
                and params is None and _header_ok(correlation_id)
                and timeout is DEFAULT_TIMEOUT) and (error := call_error(call)) is not None:
            raise error
        return call

    def post(self, path: str, *, json: Any = None, idempotency_key: str | None = None,
             correlation_id: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Call:
        call = Call(self.system, "POST", path, json, None, idempotency_key, correlation_id,
                    timeout)
        try:
            plain = json is None or _plain_json(json)
        except RecursionError:  # json_problem says so
            plain = False
        if not (type(path) is str and path.isascii() and _PATH_OK(path) and "/." not in path
                and plain and _header_ok(idempotency_key)
                and _header_ok(correlation_id)
                and timeout is DEFAULT_TIMEOUT) and (error := call_error(call)) is not None:
            raise error
        return call

    def request(self, method: str, path: str, *, json: Any = None, content: bytes | None = None,
                headers: Mapping[str, str] | None = None, params: dict[str, str] | None = None,
                idempotency_key: str | None = None, correlation_id: str | None = None,
                timeout: float = DEFAULT_TIMEOUT) -> Call:
        """Any request a dialect takes: `method` one of GET, POST, PUT, PATCH, DELETE, HEAD
        (any case); `json=` a JSON body or `content=` raw bytes (never both, neither on GET or
        HEAD); `headers=` the request's own header fields (names any case, kept lower-case).
        Checked like `get` and `post` (`call_problem`)."""
        call = Call(self.system, method.upper() if isinstance(method, str) else method, path,
                    json, params, idempotency_key, correlation_id, timeout,
                    request_headers(headers), content)
        if (error := call_error(call)) is not None:
            raise error
        return call
