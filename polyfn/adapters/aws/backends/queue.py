"""The queue port on Amazon SQS (standard queues).

Attributes travel as String message attributes; ``delay_seconds`` is SQS's DelaySeconds.
Dead-lettering after ``max_receives`` is the queue's redrive policy, which deploy (or
``AwsBackends.ensure_queue``) sets; sending needs nothing of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

from polyfn.adapters.aws.backends.clients import aws_client
from polyfn.adapters.aws.backends.errors import guard
from polyfn.adapters.common.errors import ResourceRef

__all__ = ["MAX_ATTRIBUTES", "MAX_BATCH", "MAX_MESSAGE_BYTES", "SqsQueue"]

# Limits from the Amazon SQS Developer Guide, "Amazon SQS message quotas" (checked 2026-11):
# a message (body plus attribute names, types and values) is at most 262,144 bytes on a
# queue with the default MaximumMessageSize (queues can be raised to 1 MiB; polyfn keeps
# the default as its portable limit), at most 10 attributes, at most 10 messages per batch.
MAX_MESSAGE_BYTES = 262_144
MAX_ATTRIBUTES = 10
MAX_BATCH = 10
# The same guide lists the characters a body may hold (the XML 1.0 character set).
_NOT_ALLOWED_IN_BODY = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Message attribute names: letters, digits, '_', '-', '.'; up to 256 characters; not
# starting with "AWS." or "Amazon." (SQS Developer Guide, "Message attribute components").
_ATTRIBUTE_NAME = re.compile(r"^(?!\.)(?!.*\.\.)(?!.*\.$)[A-Za-z0-9_.\-]{1,256}$")


class _BatchEntriesFailed(Exception):
    """Some entries of a SendMessageBatch failed on the server's side (retryable)."""

    def __init__(self, failures: list[dict[str, Any]]) -> None:
        first = failures[0]
        super().__init__(f"{len(failures)} message(s) failed: {first.get('Message')}")
        self.response = {"Error": {"Code": first.get("Code"), "Message": first.get("Message")}}


class SqsQueue:
    """Sends to one SQS queue, named by its physical name or its queue URL."""

    def __init__(self, name: str, physical: str) -> None:
        is_url = physical.startswith(("https://", "http://"))
        queue_name = physical.rstrip("/").rsplit("/", 1)[-1] if is_url else physical
        self.ref = ResourceRef("aws", "queue", name, queue_name)
        self._url: str | None = physical if is_url else None

    @cached_property
    def _client(self) -> Any:
        # Made on first use: building a backend (binding an App, a test) creates no client.
        return aws_client("sqs")

    @property
    def url(self) -> str:
        """The queue URL, looked up once by name (a deploy may bind the URL directly)."""
        if self._url is None:
            response = guard(
                self.ref, lambda: self._client.get_queue_url(QueueName=self.ref.physical)
            )
            self._url = str(response["QueueUrl"])
        return self._url

    def send(self, body: bytes, attributes: Mapping[str, str], delay_seconds: int) -> str:
        entry, _ = self._entry("0", body, attributes, delay_seconds)
        params = {k: v for k, v in entry.items() if k != "Id"}
        response = guard(self.ref, lambda: self._client.send_message(QueueUrl=self.url, **params))
        return str(response["MessageId"])

    def send_batch(
        self, bodies: list[bytes], attributes: Mapping[str, str], delay_seconds: int
    ) -> list[str]:
        sized = [
            self._entry(str(index), body, attributes, delay_seconds)
            for index, body in enumerate(bodies)
        ]
        ids: dict[str, str] = {}
        for chunk in _chunks(sized):
            ids.update(self._send_chunk(chunk))
        return [ids[str(index)] for index in range(len(bodies))]

    def _send_chunk(self, chunk: list[dict[str, Any]]) -> dict[str, str]:
        pending = {entry["Id"]: entry for entry in chunk}
        sent: dict[str, str] = {}

        def attempt() -> None:
            response = self._client.send_message_batch(
                QueueUrl=self.url, Entries=list(pending.values())
            )
            for success in response.get("Successful", []):
                sent[success["Id"]] = success["MessageId"]
                pending.pop(success["Id"], None)
            failures = response.get("Failed", [])
            if failures:
                # A sender fault will not improve with time; a server fault might. Either
                # way only the failed entries are sent again, so nothing is sent twice.
                raise _BatchEntriesFailed(failures)

        guard(self.ref, attempt)
        return sent

    def _entry(
        self, entry_id: str, body: bytes, attributes: Mapping[str, str], delay_seconds: int
    ) -> tuple[dict[str, Any], int]:
        """The SendMessageBatch entry for one message, and its size as SQS counts it."""
        text = self._text_body(body)
        size = len(body)
        message_attributes: dict[str, dict[str, str]] = {}
        if len(attributes) > MAX_ATTRIBUTES:
            raise self.ref.unsupported(
                f"SQS allows at most {MAX_ATTRIBUTES} message attributes, got {len(attributes)}"
            )
        for attr_name, value in attributes.items():
            if not _ATTRIBUTE_NAME.match(attr_name) or attr_name.lower().startswith(
                ("aws.", "amazon.")
            ):
                raise self.ref.unsupported(f"{attr_name!r} is not a valid SQS attribute name")
            if not value:
                raise self.ref.unsupported(f"SQS attribute {attr_name!r} cannot be empty")
            message_attributes[attr_name] = {"DataType": "String", "StringValue": value}
            size += len(attr_name.encode()) + len(b"String") + len(value.encode())
        if size > MAX_MESSAGE_BYTES:
            raise self.ref.too_large(
                "message (body and attributes)", size, MAX_MESSAGE_BYTES, "SQS message quota"
            )
        entry: dict[str, Any] = {"Id": entry_id, "MessageBody": text}
        if message_attributes:
            entry["MessageAttributes"] = message_attributes
        if delay_seconds:
            entry["DelaySeconds"] = delay_seconds
        return entry, size

    def _text_body(self, body: bytes) -> str:
        if not body:
            raise self.ref.unsupported("SQS messages cannot be empty")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise self.ref.unsupported(
                "SQS message bodies are text; base64-encode binary data before sending"
            ) from None
        bad = _NOT_ALLOWED_IN_BODY.search(text)
        if bad:
            raise self.ref.unsupported(
                f"SQS message bodies cannot hold the character U+{ord(bad.group()):04X}"
            )
        return text


def _chunks(sized: list[tuple[dict[str, Any], int]]) -> Iterator[list[dict[str, Any]]]:
    """Batches of at most 10 entries and at most MAX_MESSAGE_BYTES in all (SQS's batch
    payload limit equals its message limit)."""
    chunk: list[dict[str, Any]] = []
    total = 0
    for entry, size in sized:
        if chunk and (len(chunk) == MAX_BATCH or total + size > MAX_MESSAGE_BYTES):
            yield chunk
            chunk, total = [], 0
        chunk.append(entry)
        total += size
    if chunk:
        yield chunk
