"""The baseline: handlers a careful engineer would write by hand for one cloud.

They do the same work as the polyfn handlers they are compared with: read the id, answer
JSON; parse a JSON body and echo it; loop an SQS batch and report the failures.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any
from urllib.parse import unquote_plus

_log = logging.getLogger("handwritten")


def business(payload: Any) -> None:
    """The handler's own work in the queue/object cases: as little as possible."""
    if isinstance(payload, dict) and payload.get("fail"):
        raise ValueError("failed")


def apigw_get(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"id": event["pathParameters"]["id"]}),
    }


def apigw_post(event: dict[str, Any], context: Any) -> dict[str, Any]:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    try:
        data = json.loads(body)
    except ValueError:
        return {"statusCode": 400, "body": '{"error": "bad json"}'}
    return {
        "statusCode": 201,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(data),
    }


def alb_get(event: dict[str, Any], context: Any) -> dict[str, Any]:
    user_id = event["path"].rsplit("/", 1)[-1]
    return {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"id": user_id}),
        "isBase64Encoded": False,
    }


def sqs_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event["Records"]:
        try:
            business(json.loads(record["body"]))
        except Exception:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def sqs_batch_logged(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event["Records"]:
        try:
            business(json.loads(record["body"]))
        except Exception:
            _log.exception("message %s failed", record["messageId"])
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def s3_event(event: dict[str, Any], context: Any) -> None:
    for record in event["Records"]:
        key = unquote_plus(record["s3"]["object"]["key"])
        business({"key": key, "size": record["s3"]["object"].get("size")})
