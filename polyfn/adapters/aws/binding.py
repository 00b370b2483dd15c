"""Binding an App to the AWS backends without paying for them up front.

On Lambda the App's buckets, queues and tables must be S3, SQS and DynamoDB. The
backends (``polyfn.adapters.aws.backends.AwsBackends``) need boto3, which costs a few
hundred milliseconds to import; a function that never touches a resource should not
pay that. This provider stands in for the real one and loads it on the first resource
use.
"""

from __future__ import annotations

import os

from polyfn.adapters.common.binding import choose_backends

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any, Literal

    from polyfn.core.app import App
    from polyfn.core.event_bus import EventBus
    from polyfn.core.ports import (
        BackendProvider,
        BucketBackend,
        EventBusBackend,
        QueueBackend,
        TableBackend,
    )
    from polyfn.core.resources import Bucket, Queue, Table
    from polyfn.core.workflow import Workflow

__all__ = ["BackendsChoice", "LazyAwsBackends", "bind_backends", "running_on_lambda"]

if TYPE_CHECKING:
    BackendsChoice = Literal["auto", "aws", "keep"]


def running_on_lambda() -> bool:
    """True inside the Lambda runtime (it sets AWS_LAMBDA_FUNCTION_NAME for every function)."""
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ


class LazyAwsBackends:
    """A BackendProvider that imports and builds the AWS one when first asked."""

    cloud = "aws"

    def __init__(self) -> None:
        self._provider: BackendProvider | None = None

    def _real(self) -> BackendProvider:
        provider = self._provider
        if provider is None:
            from polyfn.adapters.aws.backends import AwsBackends

            provider = self._provider = AwsBackends()
        return provider

    def bucket(self, resource: Bucket) -> BucketBackend:
        return self._real().bucket(resource)

    def queue(self, resource: Queue) -> QueueBackend:
        return self._real().queue(resource)

    def table(self, resource: Table) -> TableBackend:
        return self._real().table(resource)

    def event_bus(self, resource: EventBus) -> EventBusBackend:
        return self._real().event_bus(resource)

    def workflow(self, resource: Workflow) -> Any:
        real: Any = self._real()  # BackendProvider does not declare workflows (core's port)
        return real.workflow(resource)


def bind_backends(app: App, choice: BackendsChoice) -> None:
    """Bind the AWS backends as ``choice`` says (``adapters.common.binding``)."""
    choose_backends(app, choice, "aws", on_platform=running_on_lambda, provider=LazyAwsBackends)
