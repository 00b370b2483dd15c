"""Which AWS service sent a Lambda event, told apart with a few dict lookups.

Lambda hands every source's event to the same function with no envelope naming the
source, so the shape is the only clue. Each check below looks at a key only that
source sets; the order puts the HTTP sources first because they are the hot path.
"""

from __future__ import annotations

from polyfn.core.errors import UnrecognizedEvent

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "ALB",
    "APIGW_V1",
    "APIGW_V2",
    "AUTHORIZER_V1",
    "AUTHORIZER_V2",
    "DYNAMODB_STREAM",
    "ENTRY_STATES",
    "EVENTBRIDGE",
    "EXPECTED",
    "FUNCTION_URL",
    "HTTP_KINDS",
    "S3",
    "S3_EVENTBRIDGE",
    "S3_OBJECT_DETAIL_TYPES",
    "S3_TEST",
    "SCHEDULE",
    "SNS",
    "SQS",
    "TASK",
    "TASK_EXECUTION_FIELD",
    "TASK_FIELD",
    "TASK_INPUT_FIELD",
    "UnhandledAwsEvent",
    "detect",
    "malformed",
]

APIGW_V1 = "apigw-v1"  # API Gateway REST API, or an HTTP API with payload format 1.0
APIGW_V2 = "apigw-v2"  # API Gateway HTTP API, payload format 2.0
FUNCTION_URL = "function-url"  # a Lambda Function URL (payload format 2.0 as well)
ALB = "alb"  # an Application Load Balancer target group
S3 = "s3"  # S3 event notification delivered to Lambda directly
S3_TEST = "s3-test"  # the s3:TestEvent S3 sends when notifications are configured
S3_EVENTBRIDGE = "s3-eventbridge"  # S3 "Object Created"/"Object Deleted" via EventBridge
SQS = "sqs"
DYNAMODB_STREAM = "dynamodb-stream"  # DynamoDB Streams records via an event source mapping
SNS = "sns"
SCHEDULE = "schedule"  # an EventBridge rule with a schedule expression
EVENTBRIDGE = "eventbridge"  # any other EventBridge event
TASK = "task"  # a workflow's Task state (Step Functions), in polyfn's envelope

# The envelope the state machine polyfn deploy writes passes each task's Lambda
# (``polyfn.deploy.workflow_asl``): {"polyfnTask": <task name>, "input": <the state's data>,
# "execution": <the execution's input, which may carry the starter's trace>}.
TASK_FIELD = "polyfnTask"
TASK_INPUT_FIELD = "input"
TASK_EXECUTION_FIELD = "execution"
# The states of polyfn's own that open every state machine (not in an execution's path).
ENTRY_STATES = ("PolyfnStart", "PolyfnUnwrap")
AUTHORIZER_V2 = "authorizer-v2"  # an HTTP API Lambda authorizer call (payload 2.0)
AUTHORIZER_V1 = "authorizer-v1"  # a REST API Lambda REQUEST authorizer call

HTTP_KINDS = frozenset({APIGW_V1, APIGW_V2, FUNCTION_URL, ALB})

# The two detail types S3 sends to EventBridge that polyfn models as object events; the
# others (restore, tagging, storage class changes, ...) stay generic events with source
# "aws.s3". Source: docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
# (read 2026-11).
S3_OBJECT_DETAIL_TYPES = frozenset({"Object Created", "Object Deleted"})

EXPECTED = (
    "an API Gateway REST (v1) or HTTP API (v2) request, an ALB or Function URL request, "
    "S3, SQS, SNS or DynamoDB stream records, an EventBridge event or schedule, the "
    "s3:TestEvent, or a workflow task's envelope"
)


class UnhandledAwsEvent(UnrecognizedEvent):
    """An event an AWS service did send, of a kind polyfn does not serve (Kinesis
    records, an authorizer's input, a WebSocket or VPC Lattice request).

    ``polyfn inspect`` counts it as AWS's, so its specific reason is what gets printed.
    """


def detect(event: Any) -> str:
    """The source kind of ``event``; ``UnrecognizedEvent`` when no AWS source made it."""
    if type(event) is not dict:
        raise UnrecognizedEvent(
            f"an AWS Lambda event is a JSON object, got {type(event).__name__}",
            expected=EXPECTED,
        )
    context = event.get("requestContext")
    if type(context) is dict:
        if "routeArn" in event or "methodArn" in event:
            return _authorizer_kind(event)
        if "http" in context:
            # Function URLs and HTTP APIs share payload format 2.0; only the domain differs.
            domain = context.get("domainName")
            if type(domain) is str and ".lambda-url." in domain:
                return FUNCTION_URL
            return APIGW_V2
        if "elb" in context:
            return ALB
        if "connectionId" in context:
            # WebSocket APIs share REST's envelope, with a connection instead of a method.
            raise UnhandledAwsEvent(
                "an API Gateway WebSocket event is not handled by polyfn",
                expected=EXPECTED,
            )
        if "httpMethod" in event:
            return APIGW_V1
        if "serviceNetworkArn" in context:
            # VPC Lattice payload 2.0 (VPC Lattice user guide, lambda-functions.html,
            # "Receive events from the VPC Lattice service", read 2026-12).
            raise UnhandledAwsEvent(
                "a VPC Lattice request is not handled by polyfn", expected=EXPECTED
            )
    records = event.get("Records")
    if records is not None:
        return _record_source(records)
    detail_type = event.get("detail-type")
    if detail_type is not None and "source" in event:
        source = event["source"]
        if type(detail_type) is not str or type(source) is not str:
            raise UnrecognizedEvent(
                "an EventBridge event's source and detail-type are strings", expected=EXPECTED
            )
        # EventBridge Scheduler's schedules send the same detail-type from their own source
        # (with detail as the text "{}"): a tick as well.
        if detail_type == "Scheduled Event" and source in _SCHEDULE_SOURCES:
            return SCHEDULE
        if source == "aws.s3" and detail_type in S3_OBJECT_DETAIL_TYPES:
            return S3_EVENTBRIDGE
        return EVENTBRIDGE
    if event.get("Event") == "s3:TestEvent":
        return S3_TEST
    if TASK_FIELD in event:
        return _task(event)
    if "methodArn" in event:  # a TOKEN authorizer's input has no requestContext
        _authorizer_kind(event)
    keys = ", ".join(sorted(str(key) for key in event)[:8]) or "none"
    raise UnrecognizedEvent(
        f"not an event of an AWS source polyfn handles (top-level keys: {keys})",
        expected=EXPECTED,
    )


# aws.events: a scheduled EventBridge rule; aws.scheduler: EventBridge Scheduler (Lambda
# developer guide, "Invoke a Lambda function on a schedule", with-eventbridge-scheduler,
# read 2026-12).
_SCHEDULE_SOURCES = frozenset({"aws.events", "aws.scheduler"})


def _authorizer_kind(event: dict[str, Any]) -> str:
    """A Lambda authorizer's input is not a request to serve: API Gateway asks the
    function for a verdict (HTTP API payload 2.0: ``routeArn``) or an IAM policy (REST:
    ``methodArn``), which the App's ``@app.authorizer`` answers (``aws/authorizer.py``).
    Only REQUEST authorizers are deployed by polyfn; a TOKEN authorizer's input names no
    request to read. Source: API Gateway developer guide, "Input to an API Gateway Lambda
    authorizer" (api-gateway-lambda-authorizer-input.html) and "Lambda authorizers for
    HTTP APIs" (http-api-lambda-authorizer.html), read 2026-12.
    """
    kind = event.get("type")
    if kind == "REQUEST":
        if "routeArn" in event and event.get("version") == "2.0":
            return AUTHORIZER_V2
        if "methodArn" in event:
            return AUTHORIZER_V1
    raise UnhandledAwsEvent(
        f"an API Gateway Lambda authorizer input (type {kind!r}, version "
        f"{event.get('version')!r}) is not one polyfn answers; polyfn serves REQUEST "
        "authorizers (HTTP API payload 2.0, REST API)",
        expected=EXPECTED,
    )


def _task(event: dict[str, Any]) -> str:
    """A Task state's envelope: the task's name, and its data under ``input`` (which the
    state machine always sets: ``"input.$": "$"``)."""
    if type(event[TASK_FIELD]) is not str or TASK_INPUT_FIELD not in event:
        raise UnrecognizedEvent(
            f"a workflow task event has a string {TASK_FIELD!r} and an {TASK_INPUT_FIELD!r}",
            expected=f'{{"{TASK_FIELD}": "<task>", "{TASK_INPUT_FIELD}": <data>}}',
        )
    return TASK


def malformed(source: str, exc: Exception) -> UnrecognizedEvent:
    """The error for an event of a known source that lacks what that source always sends."""
    return UnrecognizedEvent(
        f"malformed {source} event ({type(exc).__name__}: {exc})",
        expected=f"an {source} event as AWS sends it",
    )


def _record_source(records: Any) -> str:
    if type(records) is not list or not records or type(records[0]) is not dict:
        raise UnrecognizedEvent(
            "the event has 'Records' but not a non-empty list of records", expected=EXPECTED
        )
    first = records[0]
    # SQS and S3 spell it eventSource, SNS spells it EventSource.
    source = first.get("eventSource") or first.get("EventSource")
    if source == "aws:sqs":
        return SQS
    if source == "aws:s3":
        return S3
    if source == "aws:sns":
        return SNS
    if source == "aws:dynamodb":
        return DYNAMODB_STREAM
    error = (
        UnhandledAwsEvent
        if type(source) is str and source.startswith("aws:")
        else UnrecognizedEvent
    )
    raise error(
        f"records from {source!r} are not handled by polyfn",
        expected="records from aws:s3, aws:sqs, aws:sns or aws:dynamodb",
    )
