"""HTTP requests as Google Cloud delivers them to an HTTP function, as plain documents.

A request is described by a JSON-able dict (what ``polyfn events gcp http`` prints and
``polyfn invoke``/``polyfn inspect`` read back)::

    {"method": "POST", "path": "/users/1", "query": {"tag": ["a", "b"]},
     "headers": {"Content-Type": ["application/json"]}, "body": "{...}"}

``path`` is decoded; a body that is not UTF-8 travels as ``body_base64`` instead of
``body``. ``flask_kwargs`` and ``requests_kwargs`` turn it into the arguments of Flask's
test client and of ``requests``. ``scheduler`` is the POST a Cloud Scheduler HTTP job
makes (headers: Cloud Scheduler API reference, ``HttpTarget.headers``, read 2025-11).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from polyfn.adapters.gcp.request_documents import (
    PATH_SAFE,
    flask_kwargs,
    pairs,
    request_body,
    value_lists,
)

__all__ = [
    "flask_kwargs",
    "http",
    "job_name_for",
    "request_body",
    "requests_kwargs",
    "scheduler",
    "scheduler_job",
]

QueryInput = Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]]
HeadersInput = Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]]


def http(
    method: str = "GET",
    path: str = "/",
    *,
    query: QueryInput | None = None,
    headers: HeadersInput | None = None,
    body: bytes | str | None = None,
) -> dict[str, Any]:
    """An HTTP request to an HTTP function; repeated query keys and headers are kept."""
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/', got {path!r}")
    document: dict[str, Any] = {
        "method": method.upper(),
        "path": path,
        "query": value_lists(query),
        "headers": value_lists(headers),
    }
    if isinstance(body, str):
        body = body.encode("utf-8")
    if body:
        try:
            document["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            document["body"] = None
            document["body_base64"] = base64.b64encode(body).decode("ascii")
    else:
        document["body"] = None
    return document


def job_name_for(function: str, app: str = "polyfn-app", stage: str = "dev") -> str:
    """The job id ``polyfn deploy`` gives a scheduled function: ``<app>-<stage>-<fn>-schedule``."""
    return f"{app}-{stage}-{function.lower().replace('_', '-')}-schedule"


def scheduler(
    job_name: str | None = None,
    *,
    name: str | None = None,
    schedule_time: str | None = None,
    path: str = "/",
    body: bytes | str | None = None,
) -> dict[str, Any]:
    """The POST a Cloud Scheduler HTTP job makes to a function; what ``polyfn deploy`` sets up.

    ``job_name`` is the job id; ``name`` (a scheduled function's name) names the job the way
    deploy does instead.
    """
    job_name = scheduler_job(job_name, name)
    when = schedule_time or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:00Z")
    headers = {
        "User-Agent": ["Google-Cloud-Scheduler"],
        "X-CloudScheduler": ["true"],
        "X-CloudScheduler-JobName": [job_name],
        "X-CloudScheduler-ScheduleTime": [when],
        "X-Cloud-Trace-Context": [f"{os.urandom(16).hex()}/{int.from_bytes(os.urandom(4))};o=1"],
    }
    if body:
        # A job with a body sends it as application/octet-stream unless told otherwise.
        headers["Content-Type"] = ["application/octet-stream"]
    return http("POST", path, headers=headers, body=body)


def scheduler_job(job_name: str | None, name: str | None) -> str:
    if job_name is not None and name is not None:
        raise ValueError("give job_name= or name=, not both")
    return job_name or job_name_for(name or "tick")


def requests_kwargs(document: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """Keyword arguments of ``requests.request(**kwargs)`` sending ``document`` to
    ``base_url``. ``requests`` sends one line per header name, so repeated values are
    joined with ", " as RFC 9110 allows for list-valued fields."""
    headers = {
        name: ", ".join(values) for name, values in value_lists(document.get("headers")).items()
    }
    path = quote(str(document.get("path") or "/"), safe=PATH_SAFE)
    return {
        "method": str(document.get("method") or "GET").upper(),
        "url": base_url.rstrip("/") + path,
        "params": pairs(document.get("query")),
        "headers": headers,
        "data": request_body(document),
    }
