"""The local runtime's input documents: what ``polyfn invoke --cloud local`` reads.

The local runtime has no native event format of its own, so its input is a small JSON
document naming the trigger (``--event FILE`` may give one too)::

    {"http": {"method": "GET", "path": "/users/1", "query": {"q": ["x"]},
              "headers": [["accept", "application/json"]], "body": ""}}
    {"messages": {"queue": "emails", "bodies": ["{...}"], "attributes": {}}}
    {"object": {"action": "created", "bucket": "uploads", "key": "uploads/a.jpg",
                "size": 0, "content_type": "image/jpeg"}}
    {"schedule": {"function": "cleanup"}}
    {"event": {"source": "shop.orders", "type": "OrderPlaced", "data": {}, "subject": null}}
    {"changes": {"table": "orders", "changes": [{"kind": "insert", "new": {"id": "o1"},
                                                 "old": null}]}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from polyfn.core.functions import Function
from polyfn.hosts.samples import SAMPLE_MESSAGE, sample_options
from polyfn.hosts.vocabulary import EventOptionError

__all__ = ["LOCAL_KINDS", "build_local_event"]

LOCAL_KINDS = ("http", "messages", "object", "schedule", "event", "changes")
_TRIGGER_KIND = {
    "http": "http",
    "message": "messages",
    "object": "object",
    "schedule": "schedule",
    "event": "event",
    "change": "changes",
}
# Which of polyfn events' options each local kind takes.
_OPTIONS: dict[str, frozenset[str]] = {
    "http": frozenset({"method", "path", "query", "header", "body"}),
    "messages": frozenset({"queue", "message"}),
    "object": frozenset({"action", "bucket", "key"}),
    "schedule": frozenset(),
    "event": frozenset({"source", "type", "data"}),
    "changes": frozenset({"table", "change", "key", "data", "option:key_name"}),
}


def build_local_event(fn: Function, kind: str | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """The local input document for ``fn`` from ``polyfn events``-style options."""
    kind = kind or _TRIGGER_KIND[fn.trigger.kind]
    if kind not in LOCAL_KINDS:
        raise EventOptionError(
            f"unknown local event kind {kind!r}; expected one of {', '.join(LOCAL_KINDS)}"
        )
    for name in given:
        if name not in _OPTIONS[kind]:
            flag = name.replace("option:", "--option ") if name.startswith("option:") else name
            raise EventOptionError(f"local {kind} does not take --{flag.removeprefix('--')}")
    options = {
        name: value
        for name, value in sample_options(fn).items()
        if name in _OPTIONS[kind] and name not in given
    }
    options.update(given)
    if kind == "http":
        return {
            "http": {
                "method": options.get("method", "GET"),
                "path": options.get("path", "/"),
                "query": options.get("query", {}),
                "headers": [list(pair) for pair in options.get("header", [])],
                "body": options.get("body", ""),
            }
        }
    if kind == "messages":
        return {
            "messages": {
                "queue": options.get("queue", ""),
                "bodies": list(options.get("message", [SAMPLE_MESSAGE])),
            }
        }
    if kind == "object":
        return {
            "object": {
                "action": options.get("action", "created"),
                "bucket": options.get("bucket", ""),
                "key": options.get("key", "sample.txt"),
            }
        }
    if kind == "schedule":
        return {"schedule": {"function": fn.name}}
    if kind == "changes":
        key_name = str(options.get("option:key_name", "id"))
        key = options.get("key", "item-1")
        data = options.get("data")
        if isinstance(data, str | bytes):
            data = json.loads(data)
        new = {key_name: key, **(data if isinstance(data, Mapping) else {"note": "hello"})}
        change = options.get("change", "insert")
        before = {key_name: key, "note": "before"}
        images = {"insert": (new, None), "modify": (new, before), "remove": (None, before)}
        if change not in images:
            raise EventOptionError(f"--change is insert, modify or remove, not {change!r}")
        after, old = images[change]
        return {
            "changes": {
                "table": options.get("table", ""),
                "changes": [{"kind": change, "new": after, "old": old}],
            }
        }
    return {
        "event": {
            "source": options.get("source", "polyfn.sample"),
            "type": options.get("type", "Sample"),
            "data": options.get("data"),
        }
    }
