"""Which event fits a function: the sample ``polyfn invoke`` builds, and the fit check.

For each trigger the sample is the cloud's usual event source, filled in from what the
function declares: an HTTP route's first method and its path with sample parameter
values, the physical name of the function's queue or bucket, a key that passes the
object trigger's prefix and suffix filters, an event source and type the function
subscribes to. The options use ``polyfn events``' vocabulary (``path``, ``bucket``, ...)
so they reach the cloud's generator through the same mapping as the command line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from polyfn.core.errors import UnrecognizedEvent
from polyfn.core.functions import (
    ChangeTrigger,
    EventTrigger,
    Function,
    HttpTrigger,
    MessageTrigger,
    ObjectTrigger,
    ScheduleTrigger,
)
from polyfn.hosts.vocabulary import EventOptionError, Generator, generator_kwargs

__all__ = [
    "SAMPLE_KINDS",
    "check_fits",
    "native_sample",
    "sample_kind",
    "sample_options",
]

# cloud -> trigger -> the generator kind that cloud delivers that trigger with. AWS HTTP
# defaults to the HTTP API (payload 2.0), the source `sam init` templates use today.
SAMPLE_KINDS: dict[str, dict[str, str]] = {
    "aws": {
        "http": "apigw-v2",
        "object-created": "s3",
        "object-deleted": "s3",
        "message": "sqs",
        "schedule": "schedule",
        "event": "eventbridge",
        "change": "dynamodb-stream",
    },
    "azure": {
        "http": "http",
        "object-created": "blob",
        "object-deleted": "blob-deleted",
        "message": "queue",
        "schedule": "timer",
        "event": "eventgrid",
    },
    "gcp": {
        "http": "http",
        "object-created": "storage-finalized",
        "object-deleted": "storage-deleted",
        "message": "pubsub",
        "schedule": "scheduler",
        "event": "cloudevent",
        "change": "firestore-document",
    },
}

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\+)?\}")
SAMPLE_MESSAGE = '{"sample": true}'


def _trigger_name(fn: Function) -> str:
    trigger = fn.trigger
    if isinstance(trigger, ObjectTrigger):
        return f"object-{trigger.action}"
    return trigger.kind


def sample_kind(cloud: str, fn: Function) -> str:
    """The event kind ``cloud`` delivers ``fn``'s trigger with."""
    kind = SAMPLE_KINDS[cloud].get(_trigger_name(fn))
    if kind is None:
        # Azure Table Storage has no change feed: nothing delivers a change there.
        raise EventOptionError(f"{cloud} has no event for {fn.name}: {fn.trigger.describe()}")
    return kind


def sample_path(template: str) -> str:
    """``/users/{id}`` -> ``/users/1``; a greedy ``{path+}`` becomes ``sample/path``."""
    return _PARAM.sub(lambda found: "sample/path" if found.group(2) else "1", template)


def sample_key(trigger: ObjectTrigger) -> str:
    """A key that passes the trigger's filters: prefix + ``sample`` + suffix."""
    return f"{trigger.prefix}sample{trigger.suffix or '.txt'}"


def _literal(pattern: str | None, fallback: str) -> str:
    """A value matching an ``on_event`` pattern: exact, ``prefix*`` or any."""
    if not pattern or pattern == "*":
        return fallback
    return pattern[:-1] + "sample" if pattern.endswith("*") else pattern


def sample_options(fn: Function) -> dict[str, Any]:
    """Event options (``polyfn events`` dests) that make the event reach ``fn``."""
    trigger = fn.trigger
    if isinstance(trigger, HttpTrigger):
        return {
            "method": trigger.methods[0],
            "path": sample_path(trigger.path),
            "option:path_template": trigger.path,
        }
    if isinstance(trigger, ObjectTrigger):
        return {
            "bucket": trigger.bucket.physical_name,
            "key": sample_key(trigger),
            "action": trigger.action,
        }
    if isinstance(trigger, MessageTrigger):
        # SQS and Azure name the queue; Pub/Sub delivers from the topic of the same name.
        return {
            "queue": trigger.queue.physical_name,
            "topic": trigger.queue.physical_name,
            "message": [SAMPLE_MESSAGE],
        }
    if isinstance(trigger, ChangeTrigger):
        return {"table": trigger.table.physical_name, "option:key_name": trigger.table.key}
    if isinstance(trigger, ScheduleTrigger):
        return {"option:rule_name": f"{fn.name.replace('_', '-')}", "option:name": fn.name}
    assert isinstance(trigger, EventTrigger)
    return {
        "source": _literal(trigger.source, "polyfn.sample"),
        "type": _literal(trigger.type, "Sample"),
        "data": {"sample": True},
    }


# An event of one trigger kind may legitimately reach a function of another: S3
# notifications come through SQS queues, SNS topics and EventBridge.
_FITS: dict[str, frozenset[str]] = {
    "http": frozenset({"http"}),
    "object": frozenset({"object"}),
    "message": frozenset({"message", "object"}),
    "schedule": frozenset({"schedule"}),
    "event": frozenset({"event", "object"}),
    "change": frozenset({"change"}),
}

# What an event of each kind is called in a refusal, with its article ("an object event").
_EVENT_NAMES = {
    "http": "an HTTP request",
    "object": "an object event",
    "message": "a queue message",
    "schedule": "a schedule tick",
    "event": "a custom event",
    "change": "a table change",
}


def check_fits(fn: Function, kind: str) -> None:
    """Raise ``UnrecognizedEvent`` when an event of ``kind`` cannot be for ``fn``.

    A request for a route, whichever function the app routes it to, is let through: the
    pinned entry point answers it as the deployed function does (a 404 for another
    function's route, which ``polyfn invoke`` reports as not run), so that invoke and
    the deployment behave the same.
    """
    if fn.trigger.kind not in _FITS.get(kind, frozenset({kind})):
        raise UnrecognizedEvent(
            f"{fn.name} is triggered by {fn.trigger.describe()}, and this is "
            f"{_EVENT_NAMES.get(kind, repr(kind) + ' event')}",
            expected=f"an event for {fn.trigger.kind} triggers",
        )


def native_sample(
    cloud: str,
    generators: Mapping[str, Generator],
    fn: Function,
    kind: str | None,
    given: Mapping[str, Any],
) -> Any:
    """The native event for ``fn``: kind ``kind`` (or the trigger's usual one) with the
    user's options, and the function's own queue, bucket, path, ... where not given."""
    kind = kind or sample_kind(cloud, fn)
    generator = generators.get(kind)
    if generator is None:
        raise EventOptionError(
            f"unknown {cloud} event kind {kind!r}; expected one of {', '.join(generators)}"
        )
    kwargs: dict[str, Any] = {}
    for name, value in sample_options(fn).items():
        if name in given:
            continue
        if name == "option:path_template" and "path" in given:
            # The route API Gateway matched is the function's only for the function's
            # own path; a path of the user's choosing is routed by polyfn itself.
            continue
        try:
            # A default the kind has no use for (a path for a schedule) is left out.
            kwargs.update(generator_kwargs(cloud, kind, generator, {name: value}))
        except EventOptionError:
            continue
    kwargs.update(generator_kwargs(cloud, kind, generator, given))
    try:
        return generator(**kwargs)
    except (TypeError, ValueError) as exc:
        raise EventOptionError(f"cannot build a {cloud} {kind} event: {exc}") from None
