"""``polyfn run``'s HTTP server over real sockets: what it bounds (body size, idle and
half-sent connections, connections at once) and what its log says the client got."""

from __future__ import annotations

import io
import json
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from polyfn import App, Request, Response
from polyfn.adapters.local.http import HttpServer, build_wsgi_app
from polyfn.adapters.local.invocations import Invocations
from polyfn.adapters.local.limits import ServerLimits, parse_size

# A guard against a hang, never a threshold: every wait below ends much sooner.
PATIENCE = 20.0


def make_app(ran: list[str]) -> App:
    app = App("limited")

    @app.post("/echo")
    def echo(req: Request) -> Response:
        ran.append("echo")
        return Response.json({"size": len(req.body)})

    @app.get("/crlf")
    def crlf(req: Request) -> Response:
        ran.append("crlf")
        return Response("x", headers={"X-A": "a\r\nSet-Cookie: evil=1"})

    @app.get("/latin")
    def latin(req: Request) -> Response:
        ran.append("latin")
        return Response("x", headers={"X-A": "caf\u00e9 \u20ac"})

    @app.get("/big")
    def big(req: Request) -> Response:
        return Response("y" * 8_000_000)

    @app.get("/doc")
    def doc(req: Request) -> Response:
        return Response.json({"a": "b" * 50})

    return app


class Served:
    def __init__(self, limits: ServerLimits) -> None:
        self.ran: list[str] = []
        self.log = io.StringIO()
        app = make_app(self.ran)
        wsgi = build_wsgi_app(app, Invocations(self.log), max_body=limits.max_body)
        self.server = HttpServer(wsgi, "127.0.0.1", 0, limits)
        self.server.start()

    def connect(self) -> socket.socket:
        connection = socket.create_connection(("127.0.0.1", self.server.port))
        connection.settimeout(PATIENCE)
        return connection

    def exchange(self, raw: bytes) -> bytes:
        with self.connect() as connection:
            connection.sendall(raw)
            return read_all(connection)

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.getvalue().splitlines()]

    def wait_for_line(self) -> dict[str, Any]:
        """The one invocation line, once the server has written it."""
        deadline = time.monotonic() + PATIENCE
        while not self.lines() and time.monotonic() < deadline:
            time.sleep(0.01)
        (line,) = self.lines()
        return line


def read_all(connection: socket.socket) -> bytes:
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    return data


def head_and_body(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.fixture
def served() -> Iterator[Served]:
    running = Served(ServerLimits(max_body=1000, idle_timeout=0.5, max_connections=3))
    yield running
    running.server.stop(5)


@pytest.mark.parametrize("path", ["/crlf", "/latin"])
def test_an_unsendable_header_is_a_500_and_the_log_says_so(
    served: Served, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    status, headers, body = head_and_body(
        served.exchange(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    )
    assert status == 500
    assert "x-a" not in headers and "set-cookie" not in headers
    error = json.loads(body)["error"]
    (line,) = served.lines()
    assert (line["status"], line["outcome"]) == (500, "error")
    assert error["request_id"] == line["request_id"]


def test_a_client_leaving_mid_answer_is_logged_as_such_not_as_a_failure(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    with served.connect() as connection:
        connection.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.recv(100)
        connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
    line = served.wait_for_line()
    assert (line["status"], line["outcome"], line["client_gone"]) == (200, "ok", True)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_client_leaving_mid_request_body_runs_nothing(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    with served.connect() as connection:
        connection.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n" + b"a" * 10
        )
    line = served.wait_for_line()
    assert (line["outcome"], line["client_gone"], line["status"]) == ("client_gone", True, None)
    assert served.ran == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_head_does_not_claim_an_empty_body(served: Served) -> None:
    _, get_headers, get_body = head_and_body(
        served.exchange(b"GET /doc HTTP/1.1\r\nHost: x\r\n\r\n")
    )
    status, headers, body = head_and_body(served.exchange(b"HEAD /doc HTTP/1.1\r\nHost: x\r\n\r\n"))
    assert status == 200 and body == b""
    assert int(get_headers["content-length"]) == len(get_body) > 0
    assert (
        headers.get("content-length", get_headers["content-length"])
        == get_headers["content-length"]
    )


def test_a_body_over_the_limit_is_413_and_the_handler_does_not_run(served: Served) -> None:
    fits = served.exchange(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"a" * 1000
    )
    assert head_and_body(fits)[0] == 200
    assert json.loads(head_and_body(fits)[2]) == {"size": 1000}
    over = served.exchange(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n" + b"a" * 1001
    )
    status, _, body = head_and_body(over)
    assert status == 413
    assert json.loads(body)["error"]["status"] == 413
    chunk = b"%x\r\n%s\r\n" % (600, b"c" * 600)
    chunked = served.exchange(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunk * 2
        + b"0\r\n\r\n"
    )
    assert head_and_body(chunked)[0] == 413
    small = served.exchange(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunk
        + b"0\r\n\r\n"
    )
    assert json.loads(head_and_body(small)[2]) == {"size": 600}
    assert served.ran == ["echo", "echo"]
    assert [line["status"] for line in served.lines()] == [200, 413, 413, 200]


def test_a_half_sent_request_is_closed_after_the_idle_timeout(served: Served) -> None:
    with served.connect() as connection:
        connection.sendall(b"GET /doc HTTP/1.1\r\nHost:")
        # The server closes it (recv returns b""); without a timeout this would wait for
        # PATIENCE and fail.
        assert read_all(connection) == b""
    with served.connect() as idle:
        assert read_all(idle) == b""


def test_connections_over_the_cap_are_answered_503(served: Served) -> None:
    held = [served.connect() for _ in range(3)]
    try:
        for connection in held:
            connection.sendall(b"GET /doc HTTP/1.1\r\n")  # half-sent: each holds a thread
        status, headers, _ = head_and_body(served.exchange(b"GET /doc HTTP/1.1\r\nHost: x\r\n\r\n"))
        assert status == 503
        assert headers["retry-after"] == "1"
    finally:
        for connection in held:
            connection.close()
    # Once they are gone (closed by the client or the idle timeout), a slot is free again.
    for _ in range(int(PATIENCE * 10)):
        answer = served.exchange(b"GET /doc HTTP/1.1\r\nHost: x\r\n\r\n")
        if head_and_body(answer)[0] == 200:
            break
    else:
        raise AssertionError("no slot came free")


@pytest.mark.parametrize(
    ("text", "size"), [("6291456", 6291456), ("6MB", 6291456), ("512k", 524288), ("1G", 1 << 30)]
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("bad", ["", "MB", "6 TB", "-1", "1.5M"])
def test_bad_sizes(bad: str) -> None:
    with pytest.raises(ValueError, match="expected a size"):
        parse_size(bad)
