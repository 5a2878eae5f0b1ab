"""Generic requests through the SDK: any method, header fields, raw bodies and cookies, checked
where they are built, carried in-process to a dialect and back (the live round trip is in
test_live_wire.py)."""

from __future__ import annotations

import pytest
from wire_stub import ETAG, SESSION, TOKEN, XML, WireSut, installed

from seatrial.catalogue import catalogue
from seatrial.model.wire import CALL_FIELD_LIMIT
from seatrial.scenario import Dialects
from seatrial.sdk import Call, Cookies, HTTPStatusError, Response
from seatrial.sdk.messages import ApiClient, call_error
from seatrial.simulators.api import ApiRequest, Endpoint, Endpoints, Reply, Router
from seatrial.world import World

erp = ApiClient("erp")


def test_request_builds_a_call_with_lower_case_headers_and_a_raw_body():
    call = erp.request("patch", "/notes/1", content=b"<a/>",
                       headers={"Content-Type": "application/xml", "If-Match": 'W/"1"'},
                       idempotency_key="k-1")
    assert call == Call("erp", "PATCH", "/notes/1", None, None, "k-1", None, 30.0,
                        (("content-type", "application/xml"), ("if-match", 'W/"1"')), b"<a/>")


def test_the_existing_verbs_build_the_same_calls_as_before():
    assert erp.get("/orders/SO-1") == Call("erp", "GET", "/orders/SO-1")
    assert erp.post("/x", json={"a": 1}).headers == ()
    assert erp.post("/x", json={"a": 1}).content is None


@pytest.mark.parametrize(("kwargs", "kind", "says"), [
    ({"method": "FETCH"}, ValueError, "method 'FETCH': use one of GET, POST, PUT, PATCH, "
                                      "DELETE, HEAD"),
    ({"method": 7}, ValueError, "method 7"),
    ({"method": "POST", "json": {}, "content": b"x"}, ValueError, "json= and content= together"),
    ({"method": "POST", "content": "text"}, TypeError, "content is str; encode it"),
    ({"method": "POST", "content": bytearray(b"x")}, TypeError, "content is bytearray"),
    ({"method": "GET", "content": b"x"}, ValueError, "a GET request carries no body"),
    ({"method": "HEAD", "json": {}}, ValueError, "a HEAD request carries no body"),
    ({"method": "POST", "content": b"x" * (1024 * 1024 + 1)}, ValueError,
     "content is 1,048,577 bytes; a request body is at most 1,048,576"),
    ({"method": "PUT", "headers": {"Transfer-Encoding": "chunked"}}, ValueError,
     "header 'transfer-encoding': the HTTP client sets it"),
    ({"method": "PUT", "headers": {"connection": "close"}}, ValueError, "header 'connection'"),
    ({"method": "PUT", "headers": {"host": "example.com"}}, ValueError, "header 'host'"),
    ({"method": "PUT", "headers": {"Idempotency-Key": "k"}}, ValueError,
     "header 'idempotency-key': pass it as idempotency_key= instead"),
    ({"method": "PUT", "headers": {"x-correlation-id": "c"}}, ValueError,
     "pass it as correlation_id="),
    ({"method": "PUT", "headers": {"bad name": "v"}}, ValueError, "header name 'bad name'"),
    ({"method": "PUT", "headers": {"x-a": "one\r\nx-b: two"}}, ValueError,
     "printable ASCII without leading or trailing spaces (no line breaks)"),
    ({"method": "PUT", "headers": {"x-a": " padded"}}, ValueError, "header 'x-a'"),
    ({"method": "PUT", "headers": {"x-a": "caf\u00e9"}}, ValueError, "header 'x-a'"),
    ({"method": "PUT", "headers": {"x-a": 1}}, TypeError, "is not a (name, value) pair"),
    ({"method": "PUT", "headers": {1: "v"}}, TypeError, "is not a (name, value) pair"),
    ({"method": "PUT", "headers": [("x-a", "v")]}, TypeError, "headers: give a dict"),
    ({"method": "PUT", "headers": {"X-A": "1", "x-a": "2"}}, ValueError,
     "header 'x-a' given twice"),
    ({"method": "PUT", "headers": {f"x-{n}": "v" for n in range(CALL_FIELD_LIMIT + 1)}},
     ValueError, f"a call sets at most {CALL_FIELD_LIMIT} header fields"),
    ({"method": "PUT", "headers": {"x-big": "v" * 9000}}, ValueError, "8,192 bytes in all"),
    ({"method": "PUT", "path": "/a?b=c"}, ValueError, "pass the query as params="),
    ({"method": "PUT", "timeout": -1}, ValueError, "timeout=-1"),
])
def test_request_refuses_what_http_cannot_carry_naming_the_argument(kwargs, kind, says):
    kwargs.setdefault("path", "/notes/1")
    with pytest.raises(kind) as raised:
        erp.request(**kwargs)
    assert says in str(raised.value)
    assert str(raised.value).startswith("io.erp.request(")


def test_a_hand_built_call_is_checked_with_the_same_words():
    call = Call("erp", "PUT", "/notes/1", headers=(("X-A", "v"),))
    assert "header name 'X-A': write it lower-case, 'x-a'" in str(call_error(call))
    assert call_error(Call("erp", "DELETE", "/notes/1", headers=(("x-a", "v"),))) is None


def test_a_raw_answer_has_its_bytes_its_text_and_json_only_when_it_is_json():
    xml = Response.raw(200, "<a>é</a>".encode("latin-1"),
                       {"content-type": "application/xml; charset=ISO-8859-1"})
    assert (xml.body, xml.json(), xml.content, xml.text) == (
        None, None, "<a>é</a>".encode("latin-1"), "<a>é</a>")
    problem = Response.raw(404, b'{"title": "x"}', {"content-type": "application/problem+json"})
    assert problem.body == {"title": "x"} and problem.text == '{"title": "x"}'
    liar = Response.raw(200, b"not json", {"content-type": "application/json"})
    assert liar.body is None and liar.text == "not json"
    with pytest.raises(HTTPStatusError, match="HTTP 500: oops"):
        Response.raw(500, b"oops", {"content-type": "text/plain"}).raise_for_status()


def test_an_in_process_json_answer_has_content_too():
    answer = Response(200, {"id": "SO-1", "name": "Zoë"})
    assert answer.content == '{"id":"SO-1","name":"Zoë"}'.encode()
    assert Response(204, None).content == b"" and Response(204, None).text == ""


def test_every_set_cookie_is_kept_and_the_jar_sends_them_back():
    answer = Response.raw(200, b"", {"content-type": "text/plain"}, (
        f"{SESSION}=s-1; path=/; HttpOnly", "sap-usercontext=sap-client=100; path=/",
        "broken cookie line ;;; ==="))
    assert answer.cookies == {SESSION: "s-1", "sap-usercontext": "sap-client=100"}
    jar = Cookies().take(answer)
    assert jar.header == f"{SESSION}=s-1; sap-usercontext=sap-client=100"
    assert jar.headers() == {"cookie": jar.header}
    later = jar.take(Response(200, None, {}, None, (f"{SESSION}=s-2", "sap-usercontext=x; "
                                                    "Max-Age=0")))
    assert later.pairs == ((SESSION, "s-2"),)
    assert jar.pairs[0] == (SESSION, "s-1")  # a new jar: the one in io.store is unchanged
    assert not Cookies() and Cookies().headers() == {} and Cookies().header is None


def _router(handle) -> Router:
    def touch() -> None:
        """The canonical operation."""

    endpoints = (Endpoint("POST", "/things", handle, touch, "make one", 201, "Thing",
                          idempotent=True),)
    return Router(Endpoints("erp", endpoints), core=None)


def test_the_router_passes_every_header_and_the_raw_body_on():
    seen: list[ApiRequest] = []

    def handle(_core, request):
        seen.append(request)
        return Reply(201, b"<ok/>", {"content-type": "application/xml"}, ("a=1", "b=2"))

    reply = _router(handle).dispatch("POST", "/things", None, None,
                                     {"x-csrf-token": "t", "idempotency-key": "k"},
                                     content=b"<a/>")
    assert reply.body == b"<ok/>" and reply.set_cookie == ("a=1", "b=2")
    (request,) = seen
    assert request.headers == {"x-csrf-token": "t", "idempotency-key": "k"}
    assert request.content == b"<a/>" and request.body is None
    assert request.idempotency_key == "k"


def test_idempotency_compares_a_raw_body_byte_for_byte():
    router = _router(lambda _core, request: Reply(201, {"n": len(request.content)}))
    first = router.dispatch("POST", "/things", None, None, {"idempotency-key": "k"},
                            content=b"<a/>")
    again = router.dispatch("POST", "/things", None, None, {"idempotency-key": "k"},
                            content=b"<a/>")
    other = router.dispatch("POST", "/things", None, None, {"idempotency-key": "k"},
                            content=b"<b/>")
    assert first.status == again.status == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status == 422


SMALL = catalogue()["happy-path"].model_copy(update={"duration": 1800.0})

#: what the SDK client saw, step by step, on either face
EXPECTED = [
    {"status": 200, "csrf": TOKEN, "cookies": {SESSION: "s-1", "sap-usercontext":
                                               "sap-client=100"}},
    {"status": 201, "type": "application/xml; charset=utf-8", "body": None, "etag": ETAG,
     "text": "<created seen-type='application/xml'>" + XML.decode() + "</created>"},
    {"status": 200, "body": {"d": {"Text": "v2", "If-Match": ETAG}}},
    {"status": 412, "body": {"error": {"code": "/IWBEP/CM_MGW_RT/020",
                                       "message": {"value": "ETag mismatch"}}}},
    {"status": 403, "csrf": "Required", "body": None, "text": "CSRF token validation failed"},
    {"status": 200, "etag": ETAG, "text": ""},
]


def check_seen(seen: list[dict]) -> None:
    assert len(seen) == len(EXPECTED)
    for got, want in zip(seen, EXPECTED, strict=True):
        assert {key: got[key] for key in want} == want


def test_a_sap_style_client_round_trip_in_process():
    with installed():
        scenario = SMALL.model_copy(update={"dialects": Dialects(erp="stub-wire")})
        world = World(scenario, WireSut)
        world.run()
    check_seen(world.receiver.store.get("seen"))
    requests = [e.data for e in world.ledger.entries
                if e.kind == "request" and e.system == "erp"][:6]
    assert [(r["method"], r["path"], r["operation"]) for r in requests] == [
        ("GET", "/service", "erp.csrf_fetch"), ("POST", "/notes", "erp.write_note"),
        ("PUT", "/notes/1", "erp.write_note"), ("PUT", "/notes/1", "erp.write_note"),
        ("POST", "/notes", "erp.write_note"), ("HEAD", "/notes/1", "erp.write_note")]
    # headers recorded only when sent, a cookie's value never; a raw body as its text
    assert requests[0]["headers"] == {"x-csrf-token": "Fetch"}
    assert requests[1]["headers"] == {"content-type": "application/xml",
                                      "x-csrf-token": TOKEN, "cookie": "(sent)"}
    assert requests[1]["content"] == XML.decode()
    assert "headers" not in requests[5] and "content" not in requests[2]
    answers = {e.ref: e.data for e in world.ledger.entries if e.kind == "response"}
    created = next(e.ref for e in world.ledger.entries if e.kind == "request"
                   and e.data.get("content") is not None)
    assert answers[created]["content"].startswith("<created")
