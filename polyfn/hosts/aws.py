"""The AWS drivers: an App through ``lambda_handler(app)`` with the events AWS sends.

One driver per HTTP event source (``aws-v1`` REST API, ``aws-v2`` HTTP API, ``aws-alb``
in multi-value headers mode, ``aws-url`` Function URL); the other inputs go the same way
for all four: messages as one SQS batch, object events as a direct S3 notification,
schedules as a scheduled EventBridge rule, other events as an EventBridge event.

Each answer is read back from the native response dict the way the service reads it
(v1/ALB ``multiValueHeaders``, v2 ``headers`` plus ``cookies``, base64 bodies), and a
response the service would reject raises ``ValueError``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from polyfn.adapters.aws import lambda_handler
from polyfn.adapters.aws.sources import DYNAMODB_STREAM, HTTP_KINDS, SQS, detect
from polyfn.core.app import App
from polyfn.core.datastructures import Headers
from polyfn.core.event_bus import EventBus, OutgoingEvent
from polyfn.core.functions import Function
from polyfn.core.resources import physical_name
from polyfn.hosts.base import Host, HttpResult
from polyfn.hosts.events import aws as events
from polyfn.hosts.events.aws import GENERATORS
from polyfn.hosts.events.changes import dynamodb_stream
from polyfn.hosts.outcome import Outcome, observed
from polyfn.hosts.samples import check_fits, native_sample

__all__ = ["GENERATORS", "HOSTS", "AwsHost", "describe", "looks_like"]

_HTTP_SOURCES = ("v1", "v2", "alb", "url")


class AwsHost:
    """Runs an App as AWS Lambda would, with HTTP arriving from ``source``."""

    cloud = "aws"

    def __init__(self, source: str) -> None:
        if source not in _HTTP_SOURCES:
            raise ValueError(f"source must be one of {', '.join(_HTTP_SOURCES)}, got {source!r}")
        self.source = source
        self.name = f"aws-{source}"

    def __repr__(self) -> str:
        return f"<AwsHost {self.name}>"

    def invoke(self, app: App, fn: Function, event: Any) -> Outcome:
        # The entry point is pinned to fn by argument, as deploy pins it by POLYFN_FUNCTION.
        return observed(lambda: invoke_native(app, fn, event))

    def sample(self, fn: Function, kind: str | None, options: Mapping[str, Any]) -> Any:
        return native_sample("aws", GENERATORS, fn, kind, options)

    def _call(self, app: App, event: dict[str, Any], function: str = "") -> Any:
        """One invocation with a fresh Lambda context, as the runtime makes it; ``function``
        pins the handler as deploy pins a one-function deployment ("" pins nothing)."""
        handler = lambda_handler(app, backends="keep", function=function)
        return handler(event, events.lambda_context(function_name=f"{app.name}-function"))

    # ------------------------------------------------------------------ HTTP

    def http(
        self,
        app: App,
        method: str,
        path: str,
        *,
        query: Mapping[str, Sequence[str]] | None = None,
        headers: Sequence[tuple[str, str]] | None = None,
        body: bytes | None = None,
    ) -> HttpResult:
        options: dict[str, Any] = {"query": query, "headers": headers, "body": body}
        if self.source == "v1":
            native = self._call(app, events.apigw_v1(method, path, **options))
            return _read_v1(native)
        if self.source == "v2":
            native = self._call(app, events.apigw_v2(method, path, **options))
            return _read_v2(native)
        if self.source == "url":
            native = self._call(app, events.function_url(method, path, **options))
            return _read_v2(native)
        native = self._call(app, events.alb(method, path, multi_value=True, **options))
        return _read_alb(native)

    # ------------------------------------------------------------------ other triggers

    def messages(
        self,
        app: App,
        queue: str,
        bodies: Sequence[bytes],
        *,
        attributes: Mapping[str, str] | None = None,
    ) -> list[int]:
        physical = physical_name("queue", queue)
        event = events.sqs(physical, list(bodies), attributes=attributes)
        answer = self._call(app, event)
        if not isinstance(answer, dict) or not isinstance(answer.get("batchItemFailures"), list):
            raise ValueError(f"an SQS handler must answer with batchItemFailures, got {answer!r}")
        index = {record["messageId"]: i for i, record in enumerate(event["Records"])}
        failed = []
        for failure in answer["batchItemFailures"]:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if identifier not in index:
                # Lambda treats an unknown identifier as a failure of the whole batch.
                raise ValueError(f"batchItemFailures names an unknown message: {failure!r}")
            failed.append(index[identifier])
        return sorted(failed)

    def changes(
        self,
        app: App,
        table: str,
        changes: Sequence[tuple[str, Mapping[str, Any] | None, Mapping[str, Any] | None]],
    ) -> list[int]:
        resource = app.tables[table]
        event = dynamodb_stream(
            resource.physical_name,
            changes=changes,
            key_name=resource.key,
            sort_name=resource.sort,
        )
        answer = self._call(app, event)
        if not isinstance(answer, dict) or not isinstance(answer.get("batchItemFailures"), list):
            raise ValueError(f"a stream handler must answer with batchItemFailures, got {answer!r}")
        index = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(event["Records"])}
        failed = []
        for failure in answer["batchItemFailures"]:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if identifier not in index:
                raise ValueError(f"batchItemFailures names an unknown record: {failure!r}")
            failed.append(index[identifier])
        if not failed:
            return []
        # Lambda resumes the shard at the lowest sequence number reported: that record
        # and every one after it are delivered again.
        return list(range(min(failed), len(changes)))

    def object_event(
        self,
        app: App,
        action: str,
        bucket: str,
        key: str,
        *,
        size: int = 0,
        content_type: str | None = None,
    ) -> None:
        physical = physical_name("bucket", bucket)
        # S3 notifications carry no content type; content_type has nowhere to go.
        self._call(app, events.s3(action, physical, key, size=size))

    def schedule(self, app: App, function: str) -> None:
        # Deploy names each rule after the app and the function; the handler finds the
        # function from the end of the rule name.
        rule = f"{app.name}-{function.replace('_', '-')}"
        self._call(app, events.schedule(rule))

    def event(
        self,
        app: App,
        source: str,
        type: str,
        data: Any,
        *,
        subject: str | None = None,
    ) -> None:
        resources = [subject] if subject else []
        self._call(app, events.eventbridge(source, type, data, resources=resources))

    def bus_event(self, app: App, bus: EventBus, event: OutgoingEvent) -> None:
        import json

        from polyfn.adapters.aws.backends.event_bus import put_events_entry

        # What PutEvents sent, as the bus's rule for each function hands it to Lambda.
        entry = put_events_entry(event, bus.physical_name)
        delivered = events.eventbridge(
            entry["Source"],
            entry["DetailType"],
            json.loads(entry["Detail"]),
            resources=entry.get("Resources"),
        )
        for fn in bus.subscribers():
            self._call(app, delivered, fn.name)


def _status(native: Any) -> int:
    if not isinstance(native, dict):
        raise ValueError(f"an HTTP handler must return a dict, got {type(native).__name__}")
    status = native.get("statusCode")
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"statusCode must be an HTTP status, got {status!r}")
    return status


def _body(native: dict[str, Any]) -> bytes:
    body = native.get("body") or ""
    if not isinstance(body, str):
        raise ValueError(f"body must be a string, got {type(body).__name__}")
    if native.get("isBase64Encoded"):
        return base64.b64decode(body, validate=True)
    return body.encode("utf-8")


def _read_v1(native: Any) -> HttpResult:
    status = _status(native)
    headers = Headers.from_multi(native.get("multiValueHeaders"))
    # API Gateway merges "headers" in too; a name in both keeps the multi-value list.
    for name, value in (native.get("headers") or {}).items():
        if name not in headers:
            headers.add(name, value)
    return HttpResult(status, headers, _body(native), native)


def _read_v2(native: Any) -> HttpResult:
    status = _status(native)
    headers = Headers.from_single(native.get("headers"))
    for cookie in native.get("cookies") or ():
        headers.add("set-cookie", cookie)
    return HttpResult(status, headers, _body(native), native)


def _read_alb(native: Any) -> HttpResult:
    status = _status(native)
    description = native.get("statusDescription")
    if not isinstance(description, str) or not description.startswith(f"{status} "):
        raise ValueError(f"statusDescription {description!r} is not '{status} <reason>'")
    if "headers" in native:
        raise ValueError("a multi-value headers target group reads multiValueHeaders only")
    headers = Headers.from_multi(native.get("multiValueHeaders"))
    return HttpResult(status, headers, _body(native), native)


HOSTS: list[Host] = [AwsHost(source) for source in _HTTP_SOURCES]


def looks_like(document: Any) -> bool:
    from polyfn.adapters.aws.describe import looks_like as aws_looks_like

    return aws_looks_like(document)


def describe(document: Any) -> dict[str, Any]:
    from polyfn.adapters.aws.describe import describe as aws_describe

    return aws_describe(document)


# ---------------------------------------------------------------- native events (polyfn invoke)
# ``polyfn invoke --cloud aws``: one Lambda event through ``aws.lambda_handler(app)``.


def invoke_native(app: App, fn: Function, event: Any) -> Outcome:
    source = detect(event)  # an event of no AWS source is bad input: UnrecognizedEvent
    model = describe(event)
    check_fits(fn, str(model.get("trigger")))
    handler = lambda_handler(app, function=fn.name)
    # The deployed function's name: the app's name and the function's, as deploy names it.
    context = events.lambda_context(function_name=f"{app.name}-{fn.name}".replace("_", "-"))
    result = handler(event, context)
    if source in HTTP_KINDS:
        status = int(result.get("statusCode", 0))
        return Outcome(result, failed=status >= 500, reason=f"HTTP {status}")
    if source in (SQS, DYNAMODB_STREAM):
        failures = result.get("batchItemFailures") or []
        ids = ", ".join(str(item.get("itemIdentifier")) for item in failures)
        what = "message(s)" if source == SQS else "stream record(s)"
        return Outcome(result, failed=bool(failures), reason=f"failed {what}: {ids}")
    return Outcome({"ok": True} if result is None else result)
