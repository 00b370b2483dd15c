"""S3, SQS, SNS and EventBridge events as Lambda receives them.

Sources (read 2026-11): S3 notification structure and test event (AmazonS3/latest/
userguide/notification-content-structure.html), S3 events in EventBridge (.../
ev-events.html), SQS and SNS Lambda events (lambda/latest/dg/with-sqs.html,
with-sns.html), the SNS JSON envelope delivered to SQS (sns/latest/dg/
sns-message-and-json-formats.html), EventBridge events and scheduled events
(eventbridge/latest/ref/overiew-event-structure.html, eventbridge/latest/userguide/
eb-run-lambda-schedule.html). S3 notifications URL-encode the key (space as ``+``);
S3 events through EventBridge carry it as stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote_plus

from polyfn.hosts.events.aws_common import ACCOUNT, CLIENT_IP, REGION, hex_id, iso, new_id

__all__ = [
    "eventbridge",
    "s3",
    "s3_test_event",
    "s3_via_eventbridge",
    "s3_via_sns",
    "s3_via_sqs",
    "schedule",
    "sns",
    "sqs",
]


def _s3_record(
    action: str, bucket: str, key: str, size: int | None, etag: str | None, time: str | None
) -> dict[str, Any]:
    if action not in ("created", "deleted"):
        raise ValueError(f"action must be 'created' or 'deleted', got {action!r}")
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/")}
    if action == "created":
        obj["size"] = size if size is not None else 0
        obj["eTag"] = etag or hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()
        obj["versionId"] = hex_id(32)
    obj["sequencer"] = _sequencer()
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": time or iso(),
        "eventName": "ObjectCreated:Put" if action == "created" else "ObjectRemoved:Delete",
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLEPRINCIPAL"},
        "requestParameters": {"sourceIPAddress": CLIENT_IP},
        "responseElements": {"x-amz-request-id": hex_id(16), "x-amz-id-2": hex_id(56)},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "polyfn-notification",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }


def _sequencer() -> str:
    """An S3-style sequencer: hex that grows with time, so later events sort later."""
    return f"{time.time_ns():018X}"


def s3(
    action: str = "created",
    bucket: str = "uploads",
    key: str = "uploads/photo.jpg",
    *,
    size: int | None = 1024,
    etag: str | None = None,
    time: str | None = None,
) -> dict[str, Any]:
    """An S3 notification delivered to Lambda directly; ``key`` is URL-encoded as S3 does."""
    return {"Records": [_s3_record(action, bucket, key, size, etag, time)]}


def s3_test_event(bucket: str = "uploads") -> dict[str, Any]:
    """The s3:TestEvent S3 sends to a destination when notifications are configured."""
    return {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": iso(),
        "Bucket": bucket,
        "RequestId": hex_id(16),
        "HostId": base64.b64encode(os.urandom(48)).decode(),
    }


def _sns_envelope(topic_arn: str, message: str, subject: str | None) -> dict[str, Any]:
    # The JSON document SNS delivers to an SQS subscription without raw delivery.
    envelope: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": new_id(),
        "TopicArn": topic_arn,
    }
    if subject is not None:
        envelope["Subject"] = subject
    envelope.update(
        {
            "Message": message,
            "Timestamp": iso(),
            "SignatureVersion": "1",
            "Signature": base64.b64encode(os.urandom(64)).decode(),
            "SigningCertURL": f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-example.pem",
            "UnsubscribeURL": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe",
        }
    )
    return envelope


def s3_via_sns(
    action: str = "created",
    bucket: str = "uploads",
    key: str = "uploads/photo.jpg",
    *,
    size: int | None = 1024,
    etag: str | None = None,
    topic: str = "uploads-events",
) -> dict[str, Any]:
    """An S3 notification published to an SNS topic that invokes Lambda."""
    payload = json.dumps(s3(action, bucket, key, size=size, etag=etag))
    return sns(topic, payload, subject="Amazon S3 Notification")


def s3_via_sqs(
    action: str = "created",
    bucket: str = "uploads",
    key: str = "uploads/photo.jpg",
    *,
    size: int | None = 1024,
    etag: str | None = None,
    queue_name: str = "uploads-events",
    via_sns: bool = False,
) -> dict[str, Any]:
    """An S3 notification sent to an SQS queue (optionally through SNS) that Lambda polls."""
    payload = json.dumps(s3(action, bucket, key, size=size, etag=etag))
    if via_sns:
        topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{queue_name}-topic"
        payload = json.dumps(_sns_envelope(topic_arn, payload, "Amazon S3 Notification"))
    return sqs(queue_name, [payload])


def s3_via_eventbridge(
    action: str = "created",
    bucket: str = "uploads",
    key: str = "uploads/photo.jpg",
    *,
    size: int | None = 1024,
    etag: str | None = None,
) -> dict[str, Any]:
    """An S3 "Object Created"/"Object Deleted" event from EventBridge (key as stored)."""
    if action not in ("created", "deleted"):
        raise ValueError(f"action must be 'created' or 'deleted', got {action!r}")
    obj: dict[str, Any] = {"key": key}
    if action == "created":
        obj["size"] = size if size is not None else 0
        obj["etag"] = etag or hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()
    obj["version-id"] = hex_id(32)
    obj["sequencer"] = _sequencer()
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket},
        "object": obj,
        "request-id": hex_id(16),
        "requester": ACCOUNT,
        "source-ip-address": CLIENT_IP,
        "reason": "PutObject" if action == "created" else "DeleteObject",
    }
    if action == "deleted":
        detail["deletion-type"] = "Permanently Deleted"
    return eventbridge(
        "aws.s3",
        "Object Created" if action == "created" else "Object Deleted",
        detail,
        resources=[f"arn:aws:s3:::{bucket}"],
    )


# ----------------------------------------------------------------------------- SQS, SNS


def sqs(
    queue_name: str = "jobs",
    bodies: Sequence[bytes | str] | None = None,
    *,
    attributes: Mapping[str, str] | None = None,
    receive_count: int = 1,
    message: str | None = None,
) -> dict[str, Any]:
    """An SQS batch as Lambda receives it; ``attributes`` become String message attributes.

    ``message`` is a shorthand for a batch of one (``polyfn events aws sqs --message``).
    """
    if bodies is None:
        bodies = [message if message is not None else '{"hello": "world"}']
    now_ms = str(int(time.time() * 1000))
    records = []
    for body in bodies:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        records.append(
            {
                "messageId": new_id(),
                "receiptHandle": base64.b64encode(os.urandom(48)).decode(),
                "body": text,
                "attributes": {
                    "ApproximateReceiveCount": str(receive_count),
                    "SentTimestamp": now_ms,
                    "SenderId": "AIDAEXAMPLESENDER",
                    "ApproximateFirstReceiveTimestamp": now_ms,
                },
                "messageAttributes": {
                    name: {
                        "stringValue": value,
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": "String",
                    }
                    for name, value in (attributes or {}).items()
                },
                "md5OfBody": hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}",
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


def sns(
    topic: str = "orders",
    message: str = '{"order": 7}',
    subject: str | None = None,
    *,
    attributes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An SNS notification as Lambda receives it (one record per invocation)."""
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic}"
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{new_id()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": new_id(),
                    "TopicArn": topic_arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": iso(),
                    "SignatureVersion": "1",
                    "Signature": base64.b64encode(os.urandom(64)).decode(),
                    "SigningCertUrl": f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-example.pem",
                    "UnsubscribeUrl": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe",
                    "MessageAttributes": {
                        name: {"Type": "String", "Value": value}
                        for name, value in (attributes or {}).items()
                    },
                },
            }
        ]
    }


# ----------------------------------------------------------------------------- EventBridge


def eventbridge(
    source: str = "shop.orders",
    detail_type: str = "OrderPlaced",
    detail: Any = None,
    *,
    resources: Sequence[str] | None = None,
    time: str | None = None,
) -> dict[str, Any]:
    """An EventBridge event as a rule delivers it to Lambda."""
    return {
        "version": "0",
        "id": new_id(),
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": time or iso(millis=False),
        "region": REGION,
        "resources": list(resources or []),
        "detail": {} if detail is None else detail,
    }


def schedule(rule_name: str = "shop-cleanup", time: str | None = None) -> dict[str, Any]:
    """The event a scheduled EventBridge rule sends; the rule's ARN is in ``resources``."""
    return eventbridge(
        "aws.events",
        "Scheduled Event",
        {},
        resources=[f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule_name}"],
        time=time,
    )
