"""Binding: physical names, endpoint variables, lazy SDK imports and client reuse."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import boto3
import pytest
from resource_harness import Harness

from polyfn import App
from polyfn.core.resources import binding_variable
from polyfn.testing.emulators import AwsEmulator, free_port

pytestmark = pytest.mark.emulator


def test_binding_providers_imports_no_cloud_sdk() -> None:
    script = textwrap.dedent(
        """
        import sys
        before = set(sys.modules)  # namespace packages that .pth files load at start-up
        from polyfn import App
        from polyfn.adapters.aws.backends import AwsBackends
        from polyfn.adapters.azure.backends import AzureBackends
        from polyfn.adapters.gcp.backends import GcpBackends

        app = App("shop")
        handles = [app.bucket("uploads"), app.queue("jobs"), app.table("users")]
        for provider in (AwsBackends(), AzureBackends(), GcpBackends()):
            app.bind(provider)
        sdk = sorted(
            name for name in set(sys.modules) - before
            if name.split(".")[0] in ("boto3", "botocore", "google", "grpc")
            or name.startswith("azure.")
        )
        print(sdk)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_physical_names_come_from_the_binding_variables(aws_harness: Harness) -> None:
    bucket = aws_harness.bucket(physical="shop-uploads-prod")

    bucket.write("k", b"v")

    assert bucket.physical_name == "shop-uploads-prod"
    assert boto3.client("s3").get_object(Bucket="shop-uploads-prod", Key="k")["Body"].read() == b"v"


def test_a_queue_can_be_bound_by_its_url(
    aws_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = aws_harness.queue()
    url = boto3.client("sqs").get_queue_url(QueueName=queue.physical_name)["QueueUrl"]
    monkeypatch.setenv(binding_variable("queue", queue.name), url)
    aws_harness.app.bind(aws_harness.provider)

    queue.send("by url")

    assert [m.body for m in aws_harness.receive(queue, 1)] == [b"by url"]
    assert queue.backend.ref.physical == url.rsplit("/", 1)[-1]


def test_polyfn_endpoint_variable_wins_over_the_aws_one(
    aws_env: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from polyfn.adapters.aws.backends import AwsBackends

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing there
    monkeypatch.setenv("POLYFN_AWS_ENDPOINT_URL", aws_env.url)
    app = App("endpoint")
    app.bind(AwsBackends())
    table = app.table("settings")
    AwsBackends().ensure_table(table)

    table.put({"id": "theme", "value": "dark"})

    assert table.get("theme") == {"id": "theme", "value": "dark"}


def test_clients_are_made_once_and_shared(aws_env: AwsEmulator) -> None:
    from polyfn.adapters.aws.backends import AwsBackends
    from polyfn.adapters.aws.backends.clients import aws_client

    app = App("reuse")
    first = app.bucket("one")
    second = app.bucket("two")
    app.bind(AwsBackends())

    assert aws_client("s3") is aws_client("s3")
    assert first.backend is first.backend  # one backend per handle and binding
    assert first.backend._client is second.backend._client
