"""Pub/Sub push end to end: gcloud's Pub/Sub emulator pushes to a real functions-framework
server on 127.0.0.1 running polyfn's ``event_function``.

The emulator posts the raw push body (``{"message": {...}, "subscription": ...}``, no
CloudEvent headers) to the subscription's endpoint, as Pub/Sub does for a push
subscription that targets a function's URL directly; functions-framework converts it to
a ``messagePublished`` CloudEvent, taking the topic from the URL's
``/projects/P/topics/T``. (Deployed, Eventarc's trigger sends a CloudEvent instead:
test_gcp_server.py and the behaviour suite drive that shape.) A 2xx acknowledges the
message; anything else makes the emulator push it again.

What the emulator lacks (gcloud's pubsub-emulator 0.8.20, seen here): it accepts a
subscription's dead-letter policy and retry policy but applies neither. It never adds
``deliveryAttempt`` to a push, never moves a message to the dead-letter topic, and
redelivers a refused push about once a second whatever the retry backoff says. The
subscription below is still given both policies, as deploy gives them
(tests/deploy/test_gcp.py pins ``--dead-letter-topic ... --max-delivery-attempts`` and
``--retry``). That the delivery attempt of a push reaches ``Message.receive_count`` is
shown by replaying the emulator's own push body with the field Pub/Sub adds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from polyfn.testing.emulators import PubSubEmulator, free_port

pytestmark = [pytest.mark.slow, pytest.mark.emulator]

REPO = Path(__file__).resolve().parents[3]

APP_SOURCE = """
import json
import os

import flask

from polyfn import App, Message

app = App("pushed")
jobs = app.queue("jobs")


@app.on_message(jobs)
def work(msg: Message) -> None:
    with open(os.environ["PUSHED_RECORD"], "a", encoding="utf-8") as out:
        out.write(json.dumps({
            "id": msg.id,
            "body": msg.text,
            "attributes": msg.attributes,
            "attempt": msg.receive_count,
            "queue": msg.queue,
            "push": flask.request.get_json(silent=True),
        }) + "\\n")
    with open(os.environ["PUSHED_RECORD"], encoding="utf-8") as seen:
        deliveries = sum(json.loads(line)["id"] == msg.id for line in seen)
    if deliveries <= int(msg.attributes.get("fail_times", "0")):
        raise ValueError("failing on purpose")
"""

MAIN_SOURCE = """
from polyfn.adapters import gcp
from pushed_app import app as polyfn_app

events = gcp.event_function(polyfn_app)
"""


class FunctionsFramework:
    """``functions-framework --target events`` in its own process group."""

    def __init__(self, folder: Path, environ: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        env = {**os.environ, **environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(folder)])}
        for name in ("FUNCTION_TARGET", "FUNCTION_SIGNATURE_TYPE", "FUNCTION_SOURCE", "K_SERVICE"):
            env.pop(name, None)
        command = [
            sys.executable, "-m", "functions_framework", "--target", "events",
            "--source", str(folder / "main.py"), "--host", "127.0.0.1", "--port", str(self.port),
        ]  # fmt: skip
        with self.log.open("wb") as log:
            # gunicorn forks a worker: stopping the group stops both.
            self.process = subprocess.Popen(
                command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"functions-framework exited:\n{self.log.read_text()}")
            try:
                requests.get(self.url, timeout=1)
                return
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"functions-framework did not start:\n{self.log.read_text()}"
                    ) from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


class Pushed:
    """The topic, its push subscription and the server, with what the handler recorded."""

    def __init__(
        self, emulator: PubSubEmulator, server: FunctionsFramework, record: Path, topic_id: str
    ) -> None:
        from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

        self.server, self.record, self.topic_id = server, record, topic_id
        project = emulator.project
        self.topic = f"projects/{project}/topics/{self.topic_id}"
        dead_letter = f"{self.topic}-dead-letter"
        self.publisher, self.subscriber = PublisherClient(), SubscriberClient()
        self.publisher.create_topic(name=self.topic)
        self.publisher.create_topic(name=dead_letter)
        self.subscriber.create_subscription(
            request={
                "name": f"projects/{project}/subscriptions/{self.topic_id}-push",
                "topic": self.topic,
                # The topic in the URL's path is how functions-framework names the source.
                "push_config": {"push_endpoint": f"{server.url}/{self.topic}"},
                "ack_deadline_seconds": 10,
                # Accepted and ignored by the emulator (see the module docstring).
                "dead_letter_policy": {
                    "dead_letter_topic": dead_letter,
                    "max_delivery_attempts": 5,
                },
                "retry_policy": {"minimum_backoff": {"seconds": 1}},
            }
        )

    def publish(self, body: bytes, **attributes: str) -> str:
        return str(self.publisher.publish(self.topic, body, **attributes).result(timeout=30))

    def deliveries(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        lines = self.record.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    def wait_for(self, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not done(self.deliveries()):
            if time.monotonic() > deadline:
                raise AssertionError(f"not delivered in {timeout} s: {self.deliveries()}")
            time.sleep(0.1)

    def close(self) -> None:
        self.publisher.transport.close()
        self.subscriber.close()


@pytest.fixture(scope="module")
def pushed(pubsub: PubSubEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushed]:
    folder = tmp_path_factory.mktemp("pushed")
    (folder / "pushed_app.py").write_text(APP_SOURCE, encoding="utf-8")
    (folder / "main.py").write_text(MAIN_SOURCE, encoding="utf-8")
    record = folder / "record.jsonl"
    topic_id = f"jobs-{uuid.uuid4().hex[:8]}"
    server = FunctionsFramework(
        folder, {"PUSHED_RECORD": str(record), "POLYFN_QUEUE_JOBS": topic_id, "THREADS": "2"}
    )
    saved = {name: os.environ.get(name) for name in pubsub.environ}
    os.environ.update(pubsub.environ)  # for the clients made in this process
    try:
        flow = Pushed(pubsub, server, record, topic_id)
        yield flow
        flow.close()
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_a_push_reaches_the_handler_with_its_attributes_and_is_acknowledged(
    pushed: Pushed,
) -> None:
    message_id = pushed.publish(b'{"order": 42}', origin="web", trace="abc.1")

    pushed.wait_for(lambda seen: any(d["id"] == message_id for d in seen))
    time.sleep(3)  # a refused push comes back within about a second: this one must not

    [delivery] = [d for d in pushed.deliveries() if d["id"] == message_id]
    assert delivery["body"] == '{"order": 42}'
    assert delivery["attributes"] == {"origin": "web", "trace": "abc.1"}
    assert delivery["queue"] == "jobs"
    assert delivery["attempt"] is None  # the emulator sends no deliveryAttempt
    assert delivery["push"]["subscription"].endswith(f"/subscriptions/{pushed.topic_id}-push")


def test_a_failing_handler_makes_the_emulator_push_again_until_it_succeeds(
    pushed: Pushed,
) -> None:
    message_id = pushed.publish(b'{"n": 1}', fail_times="2")

    pushed.wait_for(lambda seen: sum(d["id"] == message_id for d in seen) >= 3)
    time.sleep(3)  # the third push succeeded: acknowledged, so no fourth

    attempts = [d for d in pushed.deliveries() if d["id"] == message_id]
    assert [(d["body"], d["attributes"]) for d in attempts] == [
        ('{"n": 1}', {"fail_times": "2"})
    ] * 3
    assert b"failing on purpose" in pushed.server.log.read_bytes()  # logged, then a 500


def test_the_delivery_attempt_of_a_push_reaches_the_message(pushed: Pushed) -> None:
    message_id = pushed.publish(b"replayed", origin="emulator")
    pushed.wait_for(lambda seen: any(d["id"] == message_id for d in seen))
    [delivery] = [d for d in pushed.deliveries() if d["id"] == message_id]
    push = delivery["push"]
    assert "deliveryAttempt" not in push  # what the emulator sent

    # Pub/Sub adds deliveryAttempt to the push body when the subscription has a
    # dead-letter policy ("Push subscriptions", Pub/Sub docs): replay the emulator's
    # own body, at the same URL, with it.
    response = requests.post(
        f"{pushed.server.url}/{pushed.topic}", json={**push, "deliveryAttempt": 4}, timeout=10
    )

    assert response.status_code == 200
    replayed = [d for d in pushed.deliveries() if d["id"] == message_id][-1]
    assert (replayed["attempt"], replayed["body"]) == (4, "replayed")
    assert replayed["attributes"] == {"origin": "emulator"}
