"""Helpers to run an App through functions-framework: its test clients, and requests and
events sent the way Google's front end, Eventarc and legacy triggers send them. The app
itself is the shared ``behaviour.behaviour_app``; this module holds no app (its name is
kept only because a path-limited commit cannot add a renamed file)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from polyfn import App
from polyfn.adapters.gcp import event_function, http_function
from polyfn.adapters.gcp.serving import framework_app
from polyfn.hosts.events import gcp as events


def http_client(app: App, *, cloud: str = "gcp") -> Any:
    """functions-framework's test client for ``http_function(app)``."""
    target = http_function(app, cloud=cloud, backends="keep")
    return framework_app(target, "http").test_client(use_cookies=False)


def event_client(app: App) -> Any:
    """functions-framework's test client for ``event_function(app)``."""
    return framework_app(event_function(app, backends="keep"), "cloudevent").test_client()


def send(client: Any, document: Mapping[str, Any]) -> Any:
    """Send an HTTP request document through a test client."""
    return client.open(**events.flask_kwargs(document))


def post_binary(client: Any, event: Mapping[str, Any]) -> Any:
    """POST a CloudEvent in binary content mode."""
    headers, body = events.binary_mode(event)
    return client.post("/", headers=headers, data=body)


def post_structured(client: Any, event: Mapping[str, Any]) -> Any:
    """POST a CloudEvent in structured content mode."""
    headers, body = events.structured_mode(event)
    return client.post("/", headers=headers, data=body)


def post_legacy(client: Any, document: Mapping[str, Any]) -> Any:
    """POST a legacy (background function) event document."""
    return client.post("/", data=json.dumps(document), content_type="application/json")
