"""AWS backends of polyfn's ports: bucket = S3, queue = SQS, table = DynamoDB, workflow =
Step Functions (boto3).

``AwsBackends`` is the ``BackendProvider`` the Lambda runtime binds (through
``adapters.aws.binding``, which defers even this import to the first resource use). It
imports each port's module (``bucket``, ``queue``, ``table``) when that port is first
asked for, and those import only ``clients``, ``errors`` and the codec, never this
module, so there is no import cycle and no AWS code is loaded before it is needed.
Clients come from ``clients.aws_client``: one per service and environment, per process.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from polyfn.adapters.aws.backends.clients import aws_client
from polyfn.adapters.aws.backends.errors import error_code, guard
from polyfn.adapters.common.errors import ResourceRef

if TYPE_CHECKING:
    from polyfn.adapters.aws.backends.bucket import S3Bucket
    from polyfn.adapters.aws.backends.event_bus import EventBridgeBus
    from polyfn.adapters.aws.backends.queue import SqsQueue
    from polyfn.adapters.aws.backends.table import DynamoDbTable
    from polyfn.adapters.aws.backends.workflow import StepFunctionsWorkflow
    from polyfn.core.event_bus import EventBus
    from polyfn.core.resources import Bucket, Queue, Table
    from polyfn.core.workflow import Workflow

__all__ = ["STREAM_VIEW", "AwsBackends", "dead_letter_queue_name"]

# What a table's stream records carry when an on_change function reads them.
STREAM_VIEW = "NEW_AND_OLD_IMAGES"


def dead_letter_queue_name(queue_name: str) -> str:
    """The dead-letter queue ``ensure_queue`` creates for a queue (``<name>-dlq``)."""
    return f"{queue_name}-dlq"


def dynamodb_table_spec(resource: Table) -> dict[str, Any]:
    """The key schema, attribute definitions and GSIs of ``resource``'s DynamoDB table,
    as CreateTable takes them (the deploy artifact writes the same)."""

    def key_schema(partition: str, sort: str | None) -> list[dict[str, str]]:
        schema = [{"AttributeName": partition, "KeyType": "HASH"}]
        if sort is not None:
            schema.append({"AttributeName": sort, "KeyType": "RANGE"})
        return schema

    attributes = dict.fromkeys(resource.schema.key_attributes())
    for index in resource.indexes.values():
        attributes.update(dict.fromkeys(index.attributes))
    spec: dict[str, Any] = {
        "KeySchema": key_schema(resource.key, resource.sort),
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attributes],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if resource.indexes:
        spec["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": key_schema(index.partition, index.sort),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in resource.indexes.values()
        ]
    if resource.has_change_feed:
        # Both images: a change carries the item before and after (core.changes).
        spec["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": STREAM_VIEW}
    return spec


class AwsBackends:
    """Backends on AWS for every bucket, queue and table of an App."""

    cloud = "aws"

    def bucket(self, resource: Bucket) -> S3Bucket:
        from polyfn.adapters.aws.backends.bucket import S3Bucket

        return S3Bucket(resource.name, resource.physical_name)

    def queue(self, resource: Queue) -> SqsQueue:
        from polyfn.adapters.aws.backends.queue import SqsQueue

        return SqsQueue(resource.name, resource.physical_name)

    def table(self, resource: Table) -> DynamoDbTable:
        from polyfn.adapters.aws.backends.table import DynamoDbTable

        return DynamoDbTable(resource.name, resource.physical_name, resource.schema)

    def event_bus(self, resource: EventBus) -> EventBridgeBus:
        from polyfn.adapters.aws.backends.event_bus import EventBridgeBus

        return EventBridgeBus(resource.name, resource.physical_name)

    def workflow(self, resource: Workflow) -> StepFunctionsWorkflow:
        from polyfn.adapters.aws.backends.workflow import StepFunctionsWorkflow

        return StepFunctionsWorkflow(resource)

    # ------------------------------------------------------------------ for tests and dev
    # Deploy creates the real resources (with the same settings); these make them on an
    # emulator or in a scratch account. Each is idempotent.

    def ensure_bucket(self, resource: Bucket) -> None:
        s3 = aws_client("s3")
        ref = ResourceRef(self.cloud, "bucket", resource.name, resource.physical_name)

        def create() -> None:
            region = s3.meta.region_name
            extra: dict[str, Any] = {}
            if region and region != "us-east-1":
                extra["CreateBucketConfiguration"] = {"LocationConstraint": region}
            try:
                s3.create_bucket(Bucket=resource.physical_name, **extra)
            except Exception as exc:
                if error_code(exc) != "BucketAlreadyOwnedByYou":
                    raise

        guard(ref, create)

    def ensure_queue(self, resource: Queue) -> str:
        """Create the queue and its dead-letter queue ``<name>-dlq``; return the queue URL.

        The redrive policy's ``maxReceiveCount`` is ``max_receives``: SQS moves a message
        to the dead-letter queue when it is received once more after that many receives.
        """
        sqs = aws_client("sqs")
        name = resource.physical_name
        ref = ResourceRef(self.cloud, "queue", resource.name, name)

        def create() -> str:
            dlq_url = sqs.create_queue(QueueName=dead_letter_queue_name(name))["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            attributes = {
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(resource.max_receives)}
                ),
                "VisibilityTimeout": str(resource.visibility_timeout),
                # The portable limit polyfn checks (see queue.MAX_MESSAGE_BYTES).
                "MaximumMessageSize": "262144",
            }
            try:
                return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])
            except Exception as exc:
                if error_code(exc) not in ("QueueAlreadyExists", "QueueNameExists"):
                    raise
            url = str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
            return url

        return guard(ref, create)

    def ensure_table(self, resource: Table, timeout: float = 60.0) -> None:
        """Create the table (string hash key ``resource.key``, range key ``resource.sort``,
        a global secondary index per polyfn index, on-demand) and wait for it."""
        dynamodb = aws_client("dynamodb")
        name = resource.physical_name
        ref = ResourceRef(self.cloud, "table", resource.name, name)

        def create() -> None:
            try:
                dynamodb.create_table(TableName=name, **dynamodb_table_spec(resource))
            except Exception as exc:
                if error_code(exc) != "ResourceInUseException":
                    raise

        guard(ref, create)
        deadline = time.monotonic() + timeout
        while True:
            status = guard(
                ref, lambda: dynamodb.describe_table(TableName=name)["Table"]["TableStatus"]
            )
            if status == "ACTIVE":
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"DynamoDB table {name!r} is still {status} after {timeout} s")
            time.sleep(0.2)
