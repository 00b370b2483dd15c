"""A real ``functions-framework`` server process on 127.0.0.1 for each target.

The servers run the entry file as deploy writes it; ``http`` is started with
``--signature-type http`` and ``events`` with no signature flag at all, so the second
also proves that functions-framework finds the target's registered signature type.
Handlers record what they saw in a JSON-lines file the test reads.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from polyfn.hosts.events import gcp as events

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]

APP_SOURCE = """
import json
import os

from polyfn import App, Context, Message, ObjectEvent, Request, Response

app = App("served")
jobs = app.queue("jobs")
uploads = app.bucket("uploads")


def record(kind, **values):
    with open(os.environ["SERVED_RECORD"], "a", encoding="utf-8") as out:
        out.write(json.dumps({"kind": kind, **values}) + "\\n")


@app.route("/echo/{name}", ["GET", "POST"])
def echo(req: Request, ctx: Context) -> Response:
    response = Response.json(
        {
            "name": req.path_params["name"],
            "query": req.query.to_lists(),
            "tags": req.headers.getlist("x-tag"),
            "cookies": req.cookies,
            "length": len(req.body),
            "client_ip": req.client_ip,
            "request_id": req.request_id,
            "cloud": ctx.cloud,
            "cold_start": ctx.cold_start,
        }
    )
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    return response


@app.post("/reverse")
def reverse(req: Request) -> Response:
    return Response.binary(req.body[::-1])


@app.on_message(jobs)
def work(msg: Message) -> None:
    if msg.json().get("fail"):
        raise ValueError("failing on purpose")
    record("message", body=msg.text, attempt=msg.receive_count, queue=msg.queue)


@app.on_object_created(uploads)
def uploaded(event: ObjectEvent) -> None:
    record("object", key=event.key, size=event.size)
"""

MAIN_SOURCE = """
from polyfn.adapters import gcp
from served_app import app as polyfn_app

http = gcp.http_function(polyfn_app)
events = gcp.event_function(polyfn_app)
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One functions-framework process; ``url`` is where it listens."""

    def __init__(self, folder: Path, arguments: list[str]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"server-{self.port}.log"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO), str(folder)]),
            "SERVED_RECORD": str(folder / "record.jsonl"),
            "THREADS": "2",
        }
        for name in ("FUNCTION_TARGET", "FUNCTION_SIGNATURE_TYPE", "FUNCTION_SOURCE", "K_SERVICE"):
            env.pop(name, None)
        command = [
            sys.executable,
            "-m",
            "functions_framework",
            *arguments,
            "--source",
            str(folder / "main.py"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        with self.log.open("wb") as log:
            # Its own process group: gunicorn forks a worker, and stopping the group stops both.
            self.process = subprocess.Popen(
                command,
                cwd=folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"functions-framework exited:\n{self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"functions-framework did not listen within 30 s:\n{self.log.read_text()}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("served")
    (folder / "served_app.py").write_text(APP_SOURCE, encoding="utf-8")
    (folder / "main.py").write_text(MAIN_SOURCE, encoding="utf-8")
    started: list[Server] = []
    try:
        started.append(Server(folder, ["--target", "http", "--signature-type", "http"]))
        started.append(Server(folder, ["--target", "events"]))
        yield {"http": started[0], "events": started[1], "record": folder / "record.jsonl"}
    finally:
        for server in started:
            server.stop()


def _records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_http_through_a_real_server(served: dict[str, Any]) -> None:
    server = served["http"]
    document = events.http(
        "POST",
        "/echo/caf\u00e9 1",
        query={"tag": ["a b", "c&d"]},
        headers=[
            ("X-Tag", "one"),
            ("X-Tag", "two"),
            ("Cookie", "x=1; y=2"),
            ("X-Forwarded-For", "203.0.113.9"),
            ("X-Cloud-Trace-Context", "0af7651916cd43dd8448eb211c80319c/7;o=1"),
        ],
        body="payload",
    )
    first = requests.request(**events.requests_kwargs(document, server.url), timeout=10)
    assert first.status_code == 200
    assert first.json() == {
        "name": "caf\u00e9 1",
        "query": {"tag": ["a b", "c&d"]},
        "tags": ["one", "two"],
        "cookies": {"x": "1", "y": "2"},
        "length": 7,
        "client_ip": "203.0.113.9",
        "request_id": "0af7651916cd43dd8448eb211c80319c",
        "cloud": "gcp",
        "cold_start": True,
    }
    assert [c.strip()[:3] for c in first.raw.headers.getlist("Set-Cookie")] == ["a=1", "b=2"]
    second = requests.get(f"{server.url}/echo/again", timeout=10)
    assert second.json()["cold_start"] is False

    payload = bytes(range(256))
    reversed_ = requests.post(f"{server.url}/reverse", data=payload, timeout=10)
    assert reversed_.content == payload[::-1]

    missing = requests.get(f"{server.url}/nowhere", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["request_id"]


def test_cloudevents_through_a_real_server(served: dict[str, Any]) -> None:
    server, record = served["events"], served["record"]
    assert requests.get(server.url, timeout=10).status_code == 405  # cloudevent: POST only

    headers, body = events.binary_mode(events.pubsub("jobs", b'{"n": 1}', delivery_attempt=3))
    assert requests.post(server.url, headers=headers, data=body, timeout=10).status_code == 200

    headers, body = events.structured_mode(
        events.storage("created", "uploads", "in/a b+c.jpg", size=77)
    )
    assert requests.post(server.url, headers=headers, data=body, timeout=10).status_code == 200

    headers, body = events.binary_mode(events.pubsub("jobs", b'{"fail": true}'))
    failed = requests.post(server.url, headers=headers, data=body, timeout=10)
    assert failed.status_code == 500
    assert b"failing on purpose" not in failed.content

    legacy = events.legacy_pubsub("jobs", b'{"n": 2}')
    assert requests.post(server.url, json=legacy, timeout=10).status_code == 200

    assert requests.post(server.url, json={"not": "an event"}, timeout=10).status_code == 400

    assert _records(record) == [
        {"kind": "message", "body": '{"n": 1}', "attempt": 3, "queue": "jobs"},
        {"kind": "object", "key": "in/a b+c.jpg", "size": 77},
        {"kind": "message", "body": '{"n": 2}', "attempt": None, "queue": "jobs"},
    ]
