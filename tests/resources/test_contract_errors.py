"""Error mapping on every cloud backend: each failure is a ``polyfn.core.errors`` type
naming the logical resource, the cloud and the kind, with the SDK's exception chained.

Missing resources, payload limits and bad credentials are provoked on the emulators;
throttling, which no emulator does, comes from a tiny HTTP server that answers like the
cloud does when it throttles, so the whole SDK stack runs.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from resource_harness import Harness

from polyfn.adapters.common.retry import DEFAULT_POLICY
from polyfn.core.errors import (
    CredentialsError,
    PayloadTooLarge,
    ResourceError,
    ResourceNotFound,
    Throttled,
    UnsupportedValue,
)
from polyfn.testing.emulators import AZURITE_ACCOUNT, AZURITE_KEY, free_port

pytestmark = pytest.mark.emulator

KIB = 1024


def _expect(
    error_type: type[ResourceError], operation: Callable[[], Any], resource: Any, cloud: str
) -> ResourceError:
    with pytest.raises(error_type) as caught:
        operation()
    error = caught.value
    assert (error.resource, error.cloud, error.kind) == (resource.name, cloud, resource.kind)
    assert resource.name in str(error) and cloud in str(error)
    return error


# ----------------------------------------------------------------------------- missing


@pytest.mark.parametrize("harness", ["aws", "azure", "gcp"], indirect=True)
def test_a_missing_bucket_is_resource_not_found(harness: Harness) -> None:
    bucket = harness.bucket(create=False)

    for operation in (
        lambda: bucket.read("k"),
        lambda: bucket.write("k", b"x"),
        lambda: bucket.exists("k"),
        lambda: bucket.metadata("k"),
        lambda: bucket.list(),
        lambda: bucket.delete("k"),
    ):
        error = _expect(ResourceNotFound, operation, bucket, harness.cloud)
        assert error.__cause__ is not None
        assert bucket.physical_name in str(error)


@pytest.mark.parametrize("harness", ["aws", "azure"], indirect=True)
def test_a_missing_table_is_resource_not_found(harness: Harness) -> None:
    table = harness.table(create=False)

    for operation in (
        lambda: table.get("k"),
        lambda: table.put({"id": "k"}),
        lambda: table.put_if_absent({"id": "k"}),
        lambda: table.update("k", {"a": 1}),
        lambda: table.query("k"),
        lambda: table.scan(),
    ):
        error = _expect(ResourceNotFound, operation, table, harness.cloud)
        assert error.__cause__ is not None


@pytest.mark.parametrize("harness", ["aws", "azure", "gcp"], indirect=True)
def test_a_missing_queue_is_resource_not_found(harness: Harness) -> None:
    queue = harness.queue(create=False)

    _expect(ResourceNotFound, lambda: queue.send("x"), queue, harness.cloud)
    _expect(ResourceNotFound, lambda: queue.send_batch(["x", "y"]), queue, harness.cloud)


# ----------------------------------------------------------------------------- limits


@pytest.mark.parametrize("harness", ["aws"], indirect=True)
def test_sqs_message_limit_is_checked_before_sending(harness: Harness) -> None:
    queue = harness.queue()
    attributes = {"origin": "web"}
    fits = 256 * KIB - len("origin") - len("String") - len("web")

    queue.send(b"x" * fits, attributes=attributes)
    error = _expect(
        PayloadTooLarge,
        lambda: queue.send(b"x" * (fits + 1), attributes=attributes),
        queue,
        "aws",
    )
    assert "262144" in str(error)
    _expect(PayloadTooLarge, lambda: queue.send_batch(["ok", "x" * (256 * KIB + 1)]), queue, "aws")
    assert len(harness.receive(queue, 2, timeout=1.0)) == 1  # only the one that fitted


def test_sqs_rejection_of_a_large_message_is_payload_too_large(aws_harness: Harness) -> None:
    import boto3

    queue = aws_harness.queue(create=False)
    boto3.client("sqs").create_queue(
        QueueName=queue.physical_name, Attributes={"MaximumMessageSize": "1024"}
    )

    error = _expect(PayloadTooLarge, lambda: queue.send("x" * 2000), queue, "aws")
    assert type(error.__cause__).__name__ == "ClientError"


def test_sqs_bodies_must_be_text_with_few_attributes(aws_harness: Harness) -> None:
    queue = aws_harness.queue()

    _expect(UnsupportedValue, lambda: queue.send(b"\xff\xfe binary"), queue, "aws")
    _expect(UnsupportedValue, lambda: queue.send("bell \x07"), queue, "aws")
    too_many = {f"a{n}": "v" for n in range(11)}
    _expect(UnsupportedValue, lambda: queue.send("x", attributes=too_many), queue, "aws")
    _expect(UnsupportedValue, lambda: queue.send("x", attributes={"AWS.x": "v"}), queue, "aws")


def test_azure_queue_limit_counts_the_base64_encoding(azure_harness: Harness) -> None:
    queue = azure_harness.queue()

    queue.send(b"x" * (48 * KIB))  # base64: exactly 64 KiB
    error = _expect(PayloadTooLarge, lambda: queue.send(b"x" * (48 * KIB + 1)), queue, "azure")
    assert "65536" in str(error)
    # With attributes the envelope (and its base64 body inside) counts too.
    _expect(
        PayloadTooLarge,
        lambda: queue.send(b"x" * (40 * KIB), attributes={"a": "b"}),
        queue,
        "azure",
    )
    assert [len(m.body) for m in azure_harness.receive(queue, 2, timeout=1.0)] == [48 * KIB]


def test_dynamodb_item_limit_before_sending_and_from_the_server(aws_harness: Harness) -> None:
    table = aws_harness.table()

    table.put({"id": "fits", "blob": b"x" * (390 * KIB)})
    _expect(
        PayloadTooLarge, lambda: table.put({"id": "big", "blob": b"x" * (401 * KIB)}), table, "aws"
    )
    # The update is checked by DynamoDB itself (the merged item is only known there).
    error = _expect(
        PayloadTooLarge, lambda: table.update("fits", {"more": b"y" * (20 * KIB)}), table, "aws"
    )
    assert type(error.__cause__).__name__ == "ClientError"
    assert table.get("big") is None


def test_dynamodb_numbers_it_cannot_hold(aws_harness: Harness) -> None:
    table = aws_harness.table()

    _expect(UnsupportedValue, lambda: table.put({"id": "a", "x": float("nan")}), table, "aws")
    _expect(UnsupportedValue, lambda: table.put({"id": "a", "x": 10**40 + 1}), table, "aws")
    _expect(UnsupportedValue, lambda: table.put({"id": "a", "x": {1, 2}}), table, "aws")
    table.put({"id": "a", "x": 10**37, "y": float("1e125")})
    assert table.get("a") == {"id": "a", "x": 10**37, "y": 1e125}


def test_azure_table_limits_and_large_values(azure_harness: Harness) -> None:
    table = azure_harness.table()
    long_text = "ü" * (100 * KIB)  # over one property's 64 KiB: continued in polyfn_json_N

    table.put({"id": "long", "text": long_text, "blob": b"\x01" * (70 * KIB)})
    assert table.get("long") == {"id": "long", "text": long_text, "blob": b"\x01" * (70 * KIB)}
    _expect(
        PayloadTooLarge,
        lambda: table.put({"id": "big", "blob": b"x" * (1100 * KIB)}),
        table,
        "azure",
    )
    _expect(UnsupportedValue, lambda: table.put({"id": "a/b"}), table, "azure")
    assert table.get("a/b") is None
    many = {f"field{n}": n for n in range(300)}  # over 252 properties: kept as JSON instead
    table.put({"id": "wide", **many})
    assert table.get("wide") == {"id": "wide", **many}


# ----------------------------------------------------------------------------- credentials


def test_aws_without_credentials(
    aws_harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bucket = aws_harness.bucket()
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    aws_harness.app.bind(type(aws_harness.provider)())  # handles get fresh backends

    error = _expect(CredentialsError, lambda: bucket.read("k"), bucket, "aws")
    assert type(error.__cause__).__name__ == "NoCredentialsError"


def test_azure_without_a_connection_string(
    azure_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = azure_harness.table(create=False)
    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING")

    error = _expect(CredentialsError, lambda: table.get("k"), table, "azure")
    assert "AZURE_STORAGE_CONNECTION_STRING" in str(error)


def test_azure_with_a_wrong_account_key(
    azure_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = azure_harness.bucket()
    wrong = azure_harness.connection_string.replace(AZURITE_KEY, AZURITE_KEY[::-1])
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", wrong)
    azure_harness.app.bind(type(azure_harness.provider)())

    _expect(CredentialsError, lambda: bucket.read("k"), bucket, "azure")


def test_azure_functions_setting_is_used_when_the_storage_variable_is_not_set(
    azure_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = azure_harness.bucket()
    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING")
    monkeypatch.setenv("AzureWebJobsStorage", azure_harness.connection_string)
    azure_harness.app.bind(type(azure_harness.provider)())

    bucket.write("k", b"v")
    assert bucket.read("k") == b"v"


def test_gcp_without_credentials(
    gcp_harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bucket = gcp_harness.bucket(create=False)
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    gcp_harness.app.bind(type(gcp_harness.provider)())

    error = _expect(CredentialsError, lambda: bucket.read("k"), bucket, "gcp")
    assert type(error.__cause__).__name__ == "DefaultCredentialsError"


# ----------------------------------------------------------------------------- throttling


class _Throttler(BaseHTTPRequestHandler):
    """Answers every request as a throttled cloud would, until ``passes`` runs out."""

    status = 503
    headers_out: dict[str, str] = {}
    body = b""
    answer_after: int | None = None  # requests after which it answers ``success``
    success = (200, {}, b"")
    seen: list[str]

    def _respond(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.seen.append(f"{self.command} {self.path}")
        if self.answer_after is not None and len(self.seen) > self.answer_after:
            status, headers, body = self.success
        else:
            status, headers, body = self.status, self.headers_out, self.body
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _respond

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def throttling_server(**behaviour: Any) -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_Throttler,), {**behaviour, "seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


_DYNAMODB_THROTTLED = {
    "status": 400,
    "headers_out": {"Content-Type": "application/x-amz-json-1.0"},
    "body": json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
            "message": "Rate exceeded",
        }
    ).encode(),
}


def test_aws_throttling_is_retried_then_throttled(
    aws_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = aws_harness.table(create=False)
    with throttling_server(**_DYNAMODB_THROTTLED) as (url, seen):
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        aws_harness.app.bind(type(aws_harness.provider)())

        error = _expect(Throttled, lambda: table.get("k"), table, "aws")

    assert len(seen) == DEFAULT_POLICY.attempts  # polyfn's retries, not the SDK's as well
    assert "ThrottlingException" in str(error)


def test_aws_throttling_that_passes_is_invisible(
    aws_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = aws_harness.table(create=False)
    ok = (200, {"Content-Type": "application/x-amz-json-1.0"}, b"{}")
    with throttling_server(**_DYNAMODB_THROTTLED, answer_after=2, success=ok) as (url, seen):
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        aws_harness.app.bind(type(aws_harness.provider)())

        assert table.get("k") is None

    assert len(seen) == 3


def test_azure_server_busy_is_retried_then_throttled(
    azure_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = azure_harness.table(create=False)
    busy = {
        "status": 503,
        "headers_out": {"x-ms-error-code": "ServerBusy", "Content-Type": "application/json"},
        "body": json.dumps(
            {"odata.error": {"code": "ServerBusy", "message": {"value": "The server is busy."}}}
        ).encode(),
    }
    with throttling_server(**busy) as (url, seen):
        monkeypatch.setenv(
            "AZURE_STORAGE_CONNECTION_STRING",
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};TableEndpoint={url}/{AZURITE_ACCOUNT};",
        )
        azure_harness.app.bind(type(azure_harness.provider)())

        _expect(Throttled, lambda: table.get("k"), table, "azure")

    assert len(seen) == DEFAULT_POLICY.attempts


def test_gcp_rate_limit_is_retried_then_throttled(
    gcp_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = gcp_harness.bucket(create=False)
    limited = {
        "status": 429,
        "headers_out": {"Content-Type": "application/json"},
        "body": json.dumps({"error": {"code": 429, "message": "rate limit exceeded"}}).encode(),
    }
    with throttling_server(**limited) as (url, seen):
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", url)
        gcp_harness.app.bind(type(gcp_harness.provider)())

        _expect(Throttled, lambda: bucket.metadata("k"), bucket, "gcp")

    # google-cloud-storage also fetches the bucket's metadata on a background thread.
    object_requests = [request for request in seen if "/o/k" in request]
    assert len(object_requests) == DEFAULT_POLICY.attempts
