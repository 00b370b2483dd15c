"""Cloud Scheduler ticks: how polyfn tells that an invocation is a schedule firing.

Cloud Scheduler calls a function in one of two ways, and polyfn accepts both:

- HTTP, which ``polyfn deploy`` sets up: the job POSTs to the function's URL (the ``http``
  target). Cloud Scheduler marks every such call with ``X-CloudScheduler: true`` and
  ``X-CloudScheduler-JobName: <job id>``, and for unix-cron jobs adds
  ``X-CloudScheduler-ScheduleTime`` (RFC 3339, UTC). Source: Cloud Scheduler API
  reference, ``HttpTarget.headers``, read 2025-11.
- Pub/Sub: the job publishes to a topic that the function's event trigger (the ``events``
  target) listens on, with the message attribute ``polyfn-schedule=<function or job>``.

A job name is mapped to a scheduled function by name: the function's own name, or a job
id ending in the function's name with an optional ``-schedule`` (deploy names the job
``<app>-<stage>-<function>-schedule``, with ``_`` written as ``-``). When the process is
pinned to one function (``POLYFN_FUNCTION``, as deploy does), that function is the one.

Headers can be forged by anyone who can reach a public URL, so the header alone never
makes a tick. A marked HTTP request is a tick only in a process pinned (``POLYFN_FUNCTION``)
to a scheduled function. That is how ``polyfn deploy`` sets one up: the function is
deployed ``--no-allow-unauthenticated``, the job sends an OIDC ID token
(``--oidc-service-account-email``, audience the function's URL) for a service account
granted ``roles/run.invoker`` on it, and Google's front end checks that token and that
grant before the request reaches the function. An unpinned ``http_function`` (the
two-line ``main.py``, possibly public) serves a marked request as an ordinary request, as
does ``polyfn run``, whose own scheduler fires the schedules. The token is not verified
again here: Cloud Run hands it over with the signature replaced by
``SIGNATURE_REMOVED_BY_GOOGLE`` (a request dumped on Cloud Run,
https://pc.atsuhiro-me.net/entry/2022/08/11/081130, read 2026-12).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from polyfn.core.events import Schedule

__all__ = [
    "JOB_NAME_HEADER",
    "SCHEDULER_HEADER",
    "SCHEDULE_ATTRIBUTE",
    "SCHEDULE_TIME_HEADER",
    "tick_from_headers",
    "utc_now",
]

SCHEDULER_HEADER = "X-CloudScheduler"
JOB_NAME_HEADER = "X-CloudScheduler-JobName"
SCHEDULE_TIME_HEADER = "X-CloudScheduler-ScheduleTime"
SCHEDULE_ATTRIBUTE = "polyfn-schedule"
_JOB_SUFFIX = "-schedule"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def tick_from_headers(headers: Any, raw: Any = None) -> Schedule | None:
    """The tick a request marked by Cloud Scheduler carries, or None for any other request.

    ``name`` is the job id; which function it is for is core's ``scheduled_function`` rule.
    """
    marker = headers.get(SCHEDULER_HEADER)
    if marker is None or marker.strip().lower() != "true":
        return None
    job = (headers.get(JOB_NAME_HEADER) or "").strip()
    time = (headers.get(SCHEDULE_TIME_HEADER) or "").strip() or utc_now()
    return Schedule(time, job, raw=raw)
