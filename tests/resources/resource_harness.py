"""One harness per backend: declares fresh resources bound to unique physical names,
creates them on the emulator, and reads queues back with the cloud's own SDK.

The contract tests only talk to a ``Harness``; what differs between clouds lives here.
"""

from __future__ import annotations

import time
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any

import pytest

from polyfn import App
from polyfn.core.resources import Bucket, Queue, Table, binding_variable


@dataclass
class Received:
    body: bytes
    attributes: dict[str, str]
    raw: Any = None


def unique(prefix: str) -> str:
    """A name every cloud accepts for every kind: lower-case letters and digits, 13 long."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@dataclass
class Harness:
    """Resources on one backend for one test."""

    cloud: str
    provider: Any
    monkeypatch: pytest.MonkeyPatch
    app: App = field(init=False)

    def __post_init__(self) -> None:
        self.app = App(unique("contract"))
        self.app.bind(self.provider)

    def _bind(self, kind: str, logical: str, physical: str | None) -> str:
        physical = physical or unique(kind[0])
        self.monkeypatch.setenv(binding_variable(kind, logical), physical)
        return physical

    def bucket(self, *, create: bool = True, physical: str | None = None) -> Bucket:
        handle = self.app.bucket(unique("b"))
        self._bind("bucket", handle.name, physical)
        if create:
            self.provider.ensure_bucket(handle)
        return handle

    def queue(
        self,
        *,
        create: bool = True,
        max_receives: int = 3,
        visibility_timeout: int = 30,
        physical: str | None = None,
    ) -> Queue:
        handle = self.app.queue(
            unique("q"), max_receives=max_receives, visibility_timeout=visibility_timeout
        )
        self._bind("queue", handle.name, physical)
        if create:
            self.provider.ensure_queue(handle)
        return handle

    def table(
        self,
        *,
        create: bool = True,
        key: str = "id",
        physical: str | None = None,
        sort: str | None = None,
        indexes: dict[str, Any] | None = None,
    ) -> Table:
        handle = self.app.table(unique("t"), key=key, sort=sort, indexes=indexes)
        self._bind("table", handle.name, physical)
        if create:
            self.provider.ensure_table(handle)
        return handle

    def receive(self, queue: Queue, count: int, timeout: float = 10.0) -> list[Received]:
        """Receive (and delete) ``count`` messages, waiting at most ``timeout`` seconds."""
        messages: list[Received] = []
        deadline = time.monotonic() + timeout
        while len(messages) < count and time.monotonic() < deadline:
            batch = self.receive_once(queue)
            messages.extend(batch)
            if not batch:
                time.sleep(0.1)
        return messages

    def receive_once(self, queue: Queue) -> list[Received]:
        raise NotImplementedError


# ----------------------------------------------------------------------------- AWS


class AwsHarness(Harness):
    def receive_once(self, queue: Queue) -> list[Received]:
        import boto3

        sqs = boto3.client("sqs")
        physical = queue.physical_name
        is_url = physical.startswith("http")
        url = physical if is_url else sqs.get_queue_url(QueueName=physical)["QueueUrl"]
        response = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        )
        received = []
        for message in response.get("Messages", []):
            attributes = {
                name: value["StringValue"]
                for name, value in message.get("MessageAttributes", {}).items()
            }
            received.append(Received(message["Body"].encode(), attributes, message))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return received


# ----------------------------------------------------------------------------- Azure


class AzureHarness(Harness):
    connection_string: str = ""

    def queue_client(self, name: str) -> Any:
        from azure.storage.queue import (
            BinaryBase64DecodePolicy,
            BinaryBase64EncodePolicy,
            QueueClient,
        )

        return QueueClient.from_connection_string(
            self.connection_string,
            name,
            message_encode_policy=BinaryBase64EncodePolicy(),
            message_decode_policy=BinaryBase64DecodePolicy(),
        )

    def receive_once(self, queue: Queue) -> list[Received]:
        from polyfn.adapters.azure.envelope import unwrap

        client = self.queue_client(queue.physical_name)
        received = []
        for message in client.receive_messages(messages_per_page=32, max_messages=32):
            body, attributes = unwrap(message.content)
            received.append(Received(body, attributes, message))
            client.delete_message(message)
        return received


# ----------------------------------------------------------------------------- GCP


class GcpHarness(Harness):
    """Cloud Storage on gcp-storage-emulator; Pub/Sub and Firestore on gcloud's emulators,
    which are started (and the clients pointed at them) only once a test makes a queue or
    a table. A queue is a topic plus a pull subscription this harness reads it back from
    (Pub/Sub keeps no message published before a subscription existed)."""

    request: pytest.FixtureRequest | None = None
    _subscriber: Any = None

    def _use(self, fixture: str) -> Any:
        assert self.request is not None, "GcpHarness needs the test's request"
        emulator = self.request.getfixturevalue(fixture)
        for variable, value in emulator.environ.items():
            self.monkeypatch.setenv(variable, value)
        return emulator

    def queue(self, **kwargs: Any) -> Queue:
        emulator = self._use("pubsub")
        handle = super().queue(**kwargs)
        if kwargs.get("create", True):
            subscriber = self.subscriber()
            subscriber.create_subscription(
                request={
                    "name": self.subscription(handle),
                    "topic": f"projects/{emulator.project}/topics/{handle.physical_name}",
                }
            )
        return handle

    def table(self, **kwargs: Any) -> Table:
        self._use("firestore")
        return super().table(**{**kwargs, "create": False})  # nothing to create

    def subscription(self, queue: Queue) -> str:
        project = self._use("pubsub").project
        return f"projects/{project}/subscriptions/{queue.physical_name}-read"

    def subscriber(self) -> Any:
        if self._subscriber is None:
            from google.cloud.pubsub_v1 import SubscriberClient

            self._subscriber = SubscriberClient()
            assert self.request is not None
            self.request.addfinalizer(self._subscriber.close)
        return self._subscriber

    def receive_once(self, queue: Queue) -> list[Received]:
        subscriber, subscription = self.subscriber(), self.subscription(queue)
        with warnings.catch_warnings():
            # Deprecated for production pulls, but it is what makes "nothing there" answer
            # at once instead of holding the pull open, and the emulator honours it.
            warnings.simplefilter("ignore", DeprecationWarning)
            response = subscriber.pull(
                request={
                    "subscription": subscription,
                    "max_messages": 10,
                    "return_immediately": True,
                },
                timeout=10,
            )
        received = [
            Received(bytes(m.message.data), dict(m.message.attributes), m)
            for m in response.received_messages
        ]
        if received:
            subscriber.acknowledge(
                request={
                    "subscription": subscription,
                    "ack_ids": [m.ack_id for m in response.received_messages],
                }
            )
        return received


# ----------------------------------------------------------------------------- local


class LocalHarness(Harness):
    """The laptop backends (folder and SQLite), which need nothing created up front."""

    def bucket(self, *, create: bool = True, physical: str | None = None) -> Bucket:
        return super().bucket(create=False, physical=physical)

    def queue(self, **kwargs: Any) -> Queue:
        kwargs["create"] = False
        return super().queue(**kwargs)

    def table(self, **kwargs: Any) -> Table:
        return super().table(**{**kwargs, "create": False})

    def receive_once(self, queue: Queue) -> list[Received]:
        backend = queue.backend
        deliveries = backend.receive(10)
        backend.ack(deliveries)
        return [Received(d.body, dict(d.attributes), d) for d in deliveries]
