"""End-to-end flows through the inbound adapters and the backends, on the emulators.

Where a platform service sits between a cloud resource and the function (Lambda's SQS
event source mapping, the Functions host's queue trigger), the test plays that part
against the emulator the way the platform documents it, and the function code is the
real adapter entry point: ``lambda_handler(app)`` or ``function_app(app)``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
from PIL import Image

from polyfn import App, HTTPError, Message, ObjectEvent, Request, Response
from polyfn.core.resources import binding_variable
from polyfn.hosts.events import aws as aws_events
from polyfn.testing.emulators import AwsEmulator, AzuriteEmulator

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

Call = Callable[[str, str, Any], tuple[int, Any]]

# The App the runtime-client tests deploy (its object handler reports on its log stream).
RUNTIME_APP = (
    Path(__file__).resolve().parents[1] / "adapters" / "aws" / "runtime_client" / "runtime_app.py"
)


def _bind(monkeypatch: pytest.MonkeyPatch, kind: str, logical: str, physical: str) -> None:
    monkeypatch.setenv(binding_variable(kind, logical), physical)


# ----------------------------------------------------------------------------- users API


def users_app() -> App:
    app = App("users-api")
    users = app.table("users", key="id")

    @app.post("/users")
    def create(req: Request) -> Response:
        user = req.json()
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise HTTPError(400, "a user needs a string id")
        if not users.put_if_absent(user):
            raise HTTPError(409, "User exists")
        return Response.json(user, 201)

    @app.get("/users/{id}")
    def read(req: Request) -> Response:
        user = users.get(req.path_params["id"])
        if user is None:
            raise HTTPError(404, "User not found")
        return Response.json(user)

    @app.patch("/users/{id}")
    def change(req: Request) -> Response:
        try:
            return Response.json(users.update(req.path_params["id"], req.json()))
        except KeyError:
            raise HTTPError(404, "User not found") from None

    @app.delete("/users/{id}")
    def remove(req: Request) -> Response:
        users.delete(req.path_params["id"])
        return Response(status=204)

    @app.get("/users")
    def listing(req: Request) -> Response:
        prefix = req.query.get("prefix") or ""
        page = users.query(prefix, limit=2, cursor=req.query.get("cursor"))
        return Response.json({"ids": [u["id"] for u in page], "cursor": page.cursor})

    return app


def _split(target: str) -> tuple[str, dict[str, list[str]]]:
    path, _, query = target.partition("?")
    params: dict[str, list[str]] = {}
    for pair in query.split("&") if query else []:
        name, _, value = pair.partition("=")
        params.setdefault(name, []).append(value)
    return path, params


def exercise_users_api(call: Call) -> None:
    assert call("POST", "/users", {"id": "ada", "name": "Ada", "langs": ["en"]})[0] == 201
    assert call("POST", "/users", {"id": "ada", "name": "Imposter"})[0] == 409
    for user in ("alan", "grace", "annie"):
        assert call("POST", "/users", {"id": user, "name": user.title()})[0] == 201

    assert call("GET", "/users/ada", None) == (200, {"id": "ada", "name": "Ada", "langs": ["en"]})
    status, body = call("PATCH", "/users/ada", {"age": 36})
    assert (status, body) == (200, {"id": "ada", "name": "Ada", "langs": ["en"], "age": 36})
    assert call("PATCH", "/users/nobody", {"age": 1})[0] == 404

    status, first = call("GET", "/users?prefix=a", None)
    assert (status, first["ids"]) == (200, ["ada", "alan"])
    status, second = call("GET", f"/users?prefix=a&cursor={first['cursor']}", None)
    assert (status, second) == (200, {"ids": ["annie"], "cursor": None})

    assert call("DELETE", "/users/ada", None)[0] == 204
    status, body = call("GET", "/users/ada", None)
    assert status == 404 and body["error"]["message"] == "User not found"


def test_users_api_on_lambda_stores_in_dynamodb(
    aws_env: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from polyfn.adapters.aws import lambda_handler
    from polyfn.adapters.aws.backends import AwsBackends

    _bind(monkeypatch, "table", "users", "flow-users")
    app = users_app()
    AwsBackends().ensure_table(app.tables["users"])
    handler = lambda_handler(app, backends="aws")

    def call(method: str, target: str, payload: Any) -> tuple[int, Any]:
        path, params = _split(target)
        body = json.dumps(payload) if payload is not None else None
        event = aws_events.apigw_v2(
            method,
            path,
            query=params,
            body=body,
            headers=[("content-type", "application/json")],
        )
        response = handler(event, aws_events.lambda_context())
        text = response.get("body") or ""
        return response["statusCode"], json.loads(text) if text else None

    exercise_users_api(call)

    raw = boto3.client("dynamodb").get_item(
        TableName="flow-users", Key={"id": {"S": "grace"}}, ConsistentRead=True
    )
    assert raw["Item"] == {"id": {"S": "grace"}, "name": {"S": "Grace"}}


def test_users_api_on_azure_functions_stores_in_table_storage(
    azure_env: AzuriteEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azure.data.tables import TableClient

    from polyfn.adapters.azure.backends import AzureBackends
    from polyfn.hosts.azure import AzureHost

    _bind(monkeypatch, "table", "users", "flowusers")
    app = users_app()
    app.bind(AzureBackends())
    AzureBackends().ensure_table(app.tables["users"])
    driver = AzureHost()

    def call(method: str, target: str, payload: Any) -> tuple[int, Any]:
        path, params = _split(target)
        body = json.dumps(payload).encode() if payload is not None else None
        result = driver.http(
            app,
            method,
            path,
            query=params,
            body=body,
            headers=[("content-type", "application/json")],
        )
        return result.status, result.json() if result.body else None

    exercise_users_api(call)

    entity = TableClient.from_connection_string(
        azure_env.connection_string, "flowusers"
    ).get_entity("polyfn", "grace")
    assert dict(entity) == {"PartitionKey": "polyfn", "RowKey": "grace", "name": "Grace"}


# ----------------------------------------------------------------------------- Lambda's SQS poller


class SqsPoller:
    """What Lambda's SQS event source mapping does: receive a batch, invoke the function
    with it, delete the messages not listed in ``batchItemFailures``."""

    def __init__(self, handler: Callable[..., Any], queue_url: str, visibility: int) -> None:
        self.handler = handler
        self.url = queue_url
        self.visibility = visibility
        self.sqs = boto3.client("sqs")
        self.arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.deleted: Counter[str] = Counter()

    def poll_once(self) -> int:
        response = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=self.visibility,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        result = self.handler({"Records": [self._record(m) for m in messages]}, None)
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
                self.deleted[message["Body"]] += 1
        return len(messages)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        # The record shape of "Using Lambda with Amazon SQS" (Lambda Developer Guide).
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value["DataType"],
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": "us-east-1",
        }


def _png(width: int, height: int) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_s3_upload_notifies_sqs_and_lambda_writes_a_thumbnail(
    aws_env: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from polyfn.adapters.aws import lambda_handler
    from polyfn.adapters.aws.backends import AwsBackends

    _bind(monkeypatch, "bucket", "uploads", "flow-uploads")
    _bind(monkeypatch, "bucket", "thumbs", "flow-thumbs")
    app = App("thumbnails")
    uploads = app.bucket("uploads")
    thumbs = app.bucket("thumbs")
    seen: list[ObjectEvent] = []

    @app.on_object_created(uploads, prefix="images/", suffix=".png")
    def thumbnail(event: ObjectEvent) -> None:
        seen.append(event)
        image = Image.open(BytesIO(uploads.read(event.key)))
        image.thumbnail((64, 64))
        out = BytesIO()
        image.save(out, format="PNG")
        thumbs.write("thumbs/" + event.key.removeprefix("images/"), out.getvalue(), "image/png")

    backends = AwsBackends()
    backends.ensure_bucket(uploads)
    backends.ensure_bucket(thumbs)
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    queue_url = sqs.create_queue(QueueName="flow-upload-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket="flow-uploads",
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "images/"}]}},
                }
            ]
        },
    )
    poller = SqsPoller(lambda_handler(app, backends="aws"), queue_url, visibility=30)

    s3.put_object(Bucket="flow-uploads", Key="images/my cat+1.png", Body=_png(320, 200))
    s3.put_object(Bucket="flow-uploads", Key="images/notes.txt", Body=b"not an image")
    deadline = time.monotonic() + 15
    while not thumbs.exists("thumbs/my cat+1.png") and time.monotonic() < deadline:
        if not poller.poll_once():
            time.sleep(0.1)

    assert [(e.bucket, e.key, e.action) for e in seen] == [
        ("uploads", "images/my cat+1.png", "created")
    ]
    made = Image.open(BytesIO(thumbs.read("thumbs/my cat+1.png")))
    assert made.size == (64, 40)
    assert thumbs.metadata("thumbs/my cat+1.png").content_type == "image/png"  # type: ignore[union-attr]
    assert poller.poll_once() == 0  # every notification was handled and deleted


def test_s3_notifications_through_sqs_reach_the_object_handler_under_awslambdaric(
    aws_env: AwsEmulator, tmp_path: Path
) -> None:
    """S3 -> SQS on moto -> the deployed bundle under Lambda's runtime client.

    The notification bodies are moto's own (S3 URL-encodes the key in them: spaces as
    ``+``, UTF-8 as ``%XX``); the function is ``polyfn_entry.handler`` of the built bundle,
    run by ``awslambdaric`` in its own process. The queue has no ``on_message`` consumer,
    so each notification goes to the bucket's object handler, and a handler that fails
    fails only its own SQS message, which stays on the queue.
    """
    from polyfn.testing.lambda_runtime_api import (
        LambdaProcess,
        LambdaRuntimeApi,
        build_task_root,
    )

    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    s3.create_bucket(Bucket="flow-ric-files")
    queue_url = sqs.create_queue(QueueName="flow-ric-object-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket="flow-ric-files",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    task_root = build_task_root(str(RUNTIME_APP), tmp_path)
    environ = {binding_variable("bucket", "files"): "flow-ric-files", **aws_env.environ}
    keys = ["photos/été 2024/a b+c%41.jpg", "photos/ü.png", "poison/x.txt"]
    with (
        LambdaRuntimeApi("ric-objects") as api,
        LambdaProcess(api, task_root, environ=environ) as function,
    ):

        def handler(event: dict[str, Any], context: Any) -> Any:
            answer = function.invoke(event)
            assert answer.kind == "response", answer.body
            return answer.json()

        poller = SqsPoller(handler, queue_url, visibility=0)
        for key in keys:
            s3.put_object(Bucket="flow-ric-files", Key=key, Body=b"x" * 7)
        deadline = time.monotonic() + 15
        # Three deletions: the two objects, and the s3:TestEvent S3 (and moto) sends when
        # the notification is configured, which has nothing to run and is acknowledged.
        while sum(poller.deleted.values()) < 3 and time.monotonic() < deadline:
            if not poller.poll_once():
                time.sleep(0.1)
    # The process has stopped and its reader has read every line it wrote.
    lines = list(function.lines)

    seen = [json.loads(line.partition("SEEN ")[2]) for line in lines if "SEEN " in line]
    assert sorted((doc["bucket"], doc["key"], doc["size"]) for doc in seen) == [
        ("files", "photos/été 2024/a b+c%41.jpg", 7),
        ("files", "photos/ü.png", 7),
    ]
    deleted = [json.loads(body) for body in poller.deleted]
    assert sorted(doc.get("Event", "object") for doc in deleted) == [
        "object",
        "object",
        "s3:TestEvent",
    ]
    # The failed notification was never deleted: it is back on the queue for a retry.
    left = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    raw_keys = [json.loads(m["Body"])["Records"][0]["s3"]["object"]["key"] for m in left]
    assert [unquote_plus(key) for key in raw_keys] == ["poison/x.txt"]


def test_a_failing_sqs_message_lands_in_the_dlq_after_max_receives(
    aws_env: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from polyfn.adapters.aws import lambda_handler
    from polyfn.adapters.aws.backends import AwsBackends, dead_letter_queue_name

    _bind(monkeypatch, "queue", "jobs", "flow-jobs")
    app = App("jobs")
    jobs = app.queue("jobs", max_receives=2)
    handled: list[tuple[str, int | None, dict[str, str]]] = []

    @app.on_message(jobs)
    def work(message: Message) -> None:
        handled.append((message.text, message.receive_count, dict(message.attributes)))
        if message.text == "poison":
            raise RuntimeError("this job always fails")

    handler = lambda_handler(app, backends="aws")  # binds the AWS backends
    url = AwsBackends().ensure_queue(jobs)
    jobs.send_batch(["a", "b", "poison", "c"], attributes={"tenant": "t1"})
    poller = SqsPoller(handler, url, visibility=1)

    sqs = boto3.client("sqs")
    dlq_url = sqs.get_queue_url(QueueName=dead_letter_queue_name("flow-jobs"))["QueueUrl"]
    dead: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    while not dead and time.monotonic() < deadline:
        if not poller.poll_once():
            time.sleep(0.2)
        dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", [])

    assert [m["Body"] for m in dead] == ["poison"]
    attempts = Counter(text for text, _, _ in handled)
    assert attempts == {"a": 1, "b": 1, "c": 1, "poison": 2}
    assert [count for text, count, _ in handled if text == "poison"] == [1, 2]
    assert all(attributes == {"tenant": "t1"} for _, _, attributes in handled)
    assert poller.deleted == {"a": 1, "b": 1, "c": 1}
    assert poller.poll_once() == 0


# ----------------------------------------------------------------------------- Functions host


def test_a_failing_azure_message_moves_to_poison_after_max_dequeue_count(
    azure_env: AzuriteEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azure.storage.queue import (
        BinaryBase64DecodePolicy,
        BinaryBase64EncodePolicy,
        QueueClient,
    )

    from polyfn.adapters.azure.backends import AzureBackends, poison_queue_name
    from polyfn.adapters.azure.envelope import unwrap
    from polyfn.hosts.azure import IndexedApp
    from polyfn.hosts.events import azure as azure_events

    _bind(monkeypatch, "queue", "jobs", "flow-jobs")
    app = App("jobs")
    jobs = app.queue("jobs", max_receives=2)
    handled: list[tuple[str, int | None, dict[str, str]]] = []

    @app.on_message(jobs)
    def work(message: Message) -> None:
        handled.append((message.text, message.receive_count, dict(message.attributes)))
        if message.text == "poison":
            raise RuntimeError("this job always fails")

    app.bind(AzureBackends())
    AzureBackends().ensure_queue(jobs)
    jobs.send_batch(["a", "b", "poison"], attributes={"tenant": "t1"})
    indexed = IndexedApp(app)
    [function_name] = indexed.named("queueTrigger")

    def client(name: str) -> QueueClient:
        return QueueClient.from_connection_string(
            azure_env.connection_string,
            name,
            message_encode_policy=BinaryBase64EncodePolicy(),
            message_decode_policy=BinaryBase64DecodePolicy(),
        )

    queue, poison = client("flow-jobs"), client(poison_queue_name("flow-jobs"))
    deleted: Counter[str] = Counter()
    # The host's queue trigger loop ("Azure Queue storage trigger", host.json queues
    # settings): dequeue; run; on success delete; on failure make the message visible
    # again (visibilityTimeout 0) unless it was dequeued maxDequeueCount times, in which
    # case copy it to <queue>-poison and delete it.
    for _ in range(10):
        received = list(queue.receive_messages(messages_per_page=16, visibility_timeout=30))
        if not received:
            break
        for native in received:
            message = azure_events.queue_message(
                native.content, dequeue_count=native.dequeue_count, id=native.id
            )
            try:
                indexed.call(function_name, "msg", message)
            except Exception:
                if native.dequeue_count >= jobs.max_receives:
                    poison.send_message(native.content)
                    queue.delete_message(native)
                else:
                    queue.update_message(native, visibility_timeout=0)
            else:
                queue.delete_message(native)
                deleted[unwrap(native.content)[0].decode()] += 1

    [dead] = list(poison.receive_messages())
    assert unwrap(dead.content) == (b"poison", {"tenant": "t1"})
    assert Counter(text for text, _, _ in handled) == {"a": 1, "b": 1, "poison": 2}
    assert [count for text, count, _ in handled if text == "poison"] == [1, 2]
    assert all(attributes == {"tenant": "t1"} for _, _, attributes in handled)
    assert deleted == {"a": 1, "b": 1}
    assert list(queue.receive_messages()) == []
