"""The client's HTTP behaviour against a local stub server: retries, Retry-After, timeouts, streaming,
redirects and the exact requests it sends. No Engram needed."""

from __future__ import annotations

import json
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from engram_client import EngramClient, EngramError
from engram_client._transport import retry_after_seconds

MEMORY_ID = "0b7f3c1e-8a4d-4f6b-9c2e-1d5a7e9f0b3c"
TOKEN = "header.payload.s3cr3t-signature"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


Reply = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Stub:
    url: str
    replies: list[Reply] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
    def send(handler: BaseHTTPRequestHandler) -> None:
        raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if body is not None and not isinstance(body, bytes):
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)

    return send


def error(status: int, code: str, headers: dict[str, str] | None = None, **extra: Any) -> Reply:
    return reply(status, {"code": code, "detail": f"{code} detail", "request_id": "req-1", **extra}, headers)


@pytest.fixture()
def stub() -> Iterator[Stub]:
    state = Stub(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle_one(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            state.seen.append(
                Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw) if raw else None)
            )
            (state.replies.pop(0) if state.replies else reply(500, {"code": "STUB_EMPTY", "detail": ""}))(self)

        do_GET = do_POST = do_PATCH = do_DELETE = handle_one

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def client(stub: Stub, **options: Any) -> EngramClient:
    return EngramClient(stub.url, TOKEN, user_id="alice", **options)


# --- requests ------------------------------------------------------------------------------------


def test_sends_the_token_the_user_and_only_the_given_fields(stub: Stub) -> None:
    stub.replies = [reply(201, {"memory_id": MEMORY_ID}), reply(200, {"memories": [], "next_cursor": None})]
    c = client(stub)
    c.add("hello", source="chat", metadata={"k": [1, None]})
    c.page(page_size=5, include_text=False)
    post, get = stub.seen
    assert (post.method, post.path) == ("POST", "/api/v1/memory/index")
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    assert post.headers["content-type"] == "application/json"
    assert post.body == {"user_id": "alice", "text": "hello", "source": "chat", "metadata": {"k": [1, None]}}
    assert (get.method, get.path) == ("GET", "/api/v1/memory?user_id=alice&limit=5&include_text=false")
    assert get.body is None


def test_base_url_with_a_path_prefix(stub: Stub) -> None:
    stub.replies = [reply(200, {"memory_id": MEMORY_ID})]
    EngramClient(stub.url + "/engram/", TOKEN).get(MEMORY_ID)
    assert stub.seen[0].path == f"/engram/api/v1/memory/{MEMORY_ID}"


def test_update_tells_unset_from_none(stub: Stub) -> None:
    stub.replies = [reply(200, {}), reply(200, {}), reply(200, {})]
    c = client(stub)
    c.update(MEMORY_ID, text="new")
    c.update(MEMORY_ID, source=None, expires_at=None)
    c.update(MEMORY_ID, metadata={}, expires_at=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc), ttl_seconds=None)
    assert [s.method for s in stub.seen] == ["PATCH"] * 3
    assert stub.seen[0].body == {"user_id": "alice", "text": "new"}
    assert stub.seen[1].body == {"user_id": "alice", "source": None, "expires_at": None}
    assert stub.seen[2].body == {"user_id": "alice", "metadata": {}, "expires_at": "2030-01-02T03:04:05+00:00"}


def test_add_expiry_and_search_filters_serialise_datetimes(stub: Stub) -> None:
    stub.replies = [reply(201, {}), reply(201, {}), reply(200, {"results": [], "reranked": False})]
    c = client(stub)
    c.add("a", expires_at=None)
    c.add("b", ttl_seconds=60, dedup=False)
    after = datetime(2025, 1, 31, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert c.search("q", k=3, filters={"created_after": after, "created_before": "2026-01-01T00:00:00Z"}, rerank=False, min_score=0.2) == []
    assert stub.seen[0].body == {"user_id": "alice", "text": "a", "expires_at": None}
    assert stub.seen[1].body == {"user_id": "alice", "text": "b", "ttl_seconds": 60, "dedup": False}
    assert stub.seen[2].body == {
        "user_id": "alice",
        "query": "q",
        "k": 3,
        "filters": {"created_after": "2025-01-31T12:00:00+02:00", "created_before": "2026-01-01T00:00:00Z"},
        "min_score": 0.2,
        "rerank": False,
    }


def test_naive_datetimes_are_refused_before_sending(stub: Stub) -> None:
    c = client(stub)
    with pytest.raises(ValueError, match="time zone"):
        c.add("a", expires_at=datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="time zone"):
        c.search("q", filters={"created_after": datetime(2030, 1, 1)})
    with pytest.raises(ValueError, match="time zone"):
        c.add_batch([{"text": "a", "created_at": datetime(2020, 1, 1)}])
    assert stub.seen == []


def test_memory_ids_are_escaped_in_the_path(stub: Stub) -> None:
    stub.replies = [error(400, "VALIDATION_FAILED")]
    with pytest.raises(EngramError):
        client(stub).get("../../export?x=1")
    assert stub.seen[0].path == "/api/v1/memory/..%2F..%2Fexport%3Fx%3D1?user_id=alice"


def test_delete_all_always_names_the_user(stub: Stub) -> None:
    stub.replies = [reply(200, {"memories_deleted": 2, "key_destroyed": True})]
    assert client(stub).delete_all() == {"memories_deleted": 2, "key_destroyed": True}
    assert (stub.seen[0].method, stub.seen[0].path) == ("DELETE", "/api/v1/memory?user_id=alice")
    with pytest.raises(ValueError):
        EngramClient(stub.url, TOKEN).delete_all()


def test_a_token_function_is_called_for_each_request(stub: Stub) -> None:
    stub.replies = [reply(200, {}), reply(200, {})]
    tokens = iter(["first", "second"])
    c = EngramClient(stub.url, lambda: next(tokens))
    c.get(MEMORY_ID)
    c.get(MEMORY_ID)
    assert [s.headers["authorization"] for s in stub.seen] == ["Bearer first", "Bearer second"]


# --- errors --------------------------------------------------------------------------------------


def test_errors_carry_the_services_code_and_never_the_token(stub: Stub) -> None:
    stub.replies = [error(409, "DUPLICATE_MEMORY", memory_id=MEMORY_ID)]
    c = client(stub)
    with pytest.raises(EngramError) as caught:
        c.update(MEMORY_ID, text="dup")
    err = caught.value
    assert (err.status, err.code, err.message, err.detail, err.memory_id, err.request_id) == (
        409,
        "DUPLICATE_MEMORY",
        "DUPLICATE_MEMORY detail",
        "DUPLICATE_MEMORY detail",
        MEMORY_ID,
        "req-1",
    )
    assert str(err) == "DUPLICATE_MEMORY: DUPLICATE_MEMORY detail"
    shown = "".join(traceback.format_exception(err)) + repr(err) + repr(c) + repr(c._transport)
    assert "s3cr3t" not in shown


def test_a_body_that_is_not_the_services_error_gets_an_http_code(stub: Stub) -> None:
    stub.replies = [reply(502, b"<html>bad gateway</html>")]
    with pytest.raises(EngramError) as caught:
        client(stub).get(MEMORY_ID)
    assert (caught.value.status, caught.value.code, caught.value.message) == (502, "HTTP_502", "<html>bad gateway</html>")


def test_a_redirect_is_not_followed(stub: Stub) -> None:
    stub.replies = [reply(302, b"", {"Location": stub.url + "/elsewhere"}), reply(200, {})]
    with pytest.raises(EngramError) as caught:
        client(stub).get(MEMORY_ID)
    assert (caught.value.status, caught.value.code) == (302, "HTTP_302")
    assert len(stub.seen) == 1  # the token was not sent on to the Location


def test_a_slow_answer_is_a_timeout(stub: Stub) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(1.0)
        reply(200, {})(handler)

    stub.replies = [slow]
    started = time.monotonic()
    with pytest.raises(EngramError) as caught:
        client(stub, timeout=0.2).get(MEMORY_ID)
    assert (caught.value.status, caught.value.code) == (0, "TIMEOUT")
    assert time.monotonic() - started < 0.9
    assert len(stub.seen) == 1  # a timeout is not retried


def test_no_server_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(EngramError) as caught:
        EngramClient(f"http://127.0.0.1:{port}", TOKEN, max_retries=1).get(MEMORY_ID)
    assert (caught.value.status, caught.value.code) == (0, "NETWORK_ERROR")


# --- retries -------------------------------------------------------------------------------------


def test_429_is_retried_after_retry_after(stub: Stub) -> None:
    stub.replies = [error(429, "RATE_LIMITED", {"Retry-After": "1"}), reply(200, {"memory_id": MEMORY_ID})]
    started = time.monotonic()
    assert dict(client(stub).get(MEMORY_ID)) == {"memory_id": MEMORY_ID}
    assert time.monotonic() - started >= 0.95
    assert len(stub.seen) == 2


def test_retry_after_as_an_http_date(stub: Stub) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=2), usegmt=True)
    stub.replies = [error(503, "DATABASE_UNAVAILABLE", {"Retry-After": when}), reply(200, {})]
    started = time.monotonic()
    client(stub).get(MEMORY_ID)
    assert time.monotonic() - started >= 0.9  # the date has whole seconds: at least ~1 s away
    assert len(stub.seen) == 2


def test_retries_stop_after_max_retries(stub: Stub) -> None:
    stub.replies = [error(429, "RATE_LIMITED", {"Retry-After": "0"}) for _ in range(5)]
    with pytest.raises(EngramError) as caught:
        client(stub, max_retries=2).page()
    assert (caught.value.status, caught.value.code) == (429, "RATE_LIMITED")
    assert len(stub.seen) == 3


def test_without_retry_after_it_backs_off(stub: Stub) -> None:
    stub.replies = [error(503, "OVERLOADED"), reply(201, {"memory_id": MEMORY_ID})]
    assert client(stub).add("x")["memory_id"] == MEMORY_ID
    assert [s.body for s in stub.seen] == [{"user_id": "alice", "text": "x"}] * 2


def test_a_post_is_retried_only_when_refused_before_any_work(stub: Stub) -> None:
    stub.replies = [error(429, "RATE_LIMITED", {"Retry-After": "0"}), error(503, "OVERLOADED", {"Retry-After": "0"}), reply(201, {})]
    client(stub).add("x")
    assert len(stub.seen) == 3

    stub.seen.clear()
    stub.replies = [error(503, "DATABASE_UNAVAILABLE", {"Retry-After": "0"}), reply(201, {})]
    with pytest.raises(EngramError) as caught:
        client(stub).add("x")  # the write may have committed: not sent again
    assert (caught.value.status, caught.value.code) == (503, "DATABASE_UNAVAILABLE")
    assert len(stub.seen) == 1


def test_gets_patches_and_deletes_are_retried_on_any_503(stub: Stub) -> None:
    def unavailable() -> Reply:
        return error(503, "DATABASE_UNAVAILABLE", {"Retry-After": "0"})

    stub.replies = [unavailable(), reply(200, {}), unavailable(), reply(200, {}), unavailable(), reply(204)]
    c = client(stub)
    c.get(MEMORY_ID)
    c.update(MEMORY_ID, text="t")
    c.delete(MEMORY_ID)
    assert [s.method for s in stub.seen] == ["GET", "GET", "PATCH", "PATCH", "DELETE", "DELETE"]


def test_other_errors_are_not_retried(stub: Stub) -> None:
    stub.replies = [error(500, "INTERNAL"), reply(200, {})]
    with pytest.raises(EngramError) as caught:
        client(stub).get(MEMORY_ID)
    assert caught.value.code == "INTERNAL"
    assert len(stub.seen) == 1


def test_retry_after_parsing() -> None:
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("") is None
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(" 1.5 ") == 1.5
    assert retry_after_seconds("-1") is None
    assert retry_after_seconds("nan") is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0


# --- export --------------------------------------------------------------------------------------


def test_export_yields_each_line_as_it_arrives(stub: Stub) -> None:
    more = threading.Event()
    waited: list[bool] = []

    def stream(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-ndjson; charset=utf-8")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()

        def chunk(data: bytes) -> None:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            handler.wfile.flush()

        chunk(b'{"memory_id":"1","text":"first"}\n')
        waited.append(more.wait(3))  # False: the client waited for the whole body
        chunk(b'{"memory_id":"2","text":"sec')
        chunk(b'ond \xc3\xbc"}\n\n{"memory_id":"3","text":"third"}')
        chunk(b"")

    stub.replies = [stream]
    lines = client(stub).export()
    assert stub.seen == []  # nothing is sent before iteration starts
    first = next(lines)
    assert dict(first) == {"memory_id": "1", "text": "first"}
    assert waited == []  # the first memory came before the server sent the rest
    more.set()
    assert [dict(m) for m in lines] == [{"memory_id": "2", "text": "second ü"}, {"memory_id": "3", "text": "third"}]
    assert waited == [True]
    assert stub.seen[0].path == "/api/v1/memory/export?user_id=alice"
    assert stub.seen[0].headers["accept"] == "application/x-ndjson"


def test_an_export_cut_short_is_an_error(stub: Stub) -> None:
    def cut(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        data = b'{"memory_id":"1"}\n{"memory_id":'
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        handler.wfile.flush()
        handler.close_connection = True  # and no closing chunk

    stub.replies = [cut]
    lines = client(stub).export()
    assert dict(next(lines)) == {"memory_id": "1"}
    with pytest.raises(EngramError) as caught:
        next(lines)
    assert (caught.value.status, caught.value.code) == (0, "NETWORK_ERROR")


def test_export_errors_carry_the_code(stub: Stub) -> None:
    stub.replies = [error(403, "CROSS_TENANT")]
    with pytest.raises(EngramError) as caught:
        list(client(stub).export(user_id="bob"))
    assert caught.value.code == "CROSS_TENANT"


# --- construction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [("ftp://x", TOKEN), ("127.0.0.1:8080", TOKEN), ("http://x", ""), ("http://x", TOKEN, None, 0), ("http://x", TOKEN, None, 1, -1)],
)
def test_bad_options_are_refused(args: tuple[Any, ...]) -> None:
    with pytest.raises(ValueError):
        EngramClient(*args)
