"""Metrics on Google Cloud: one structured log entry per metric, for log-based metrics.

Cloud Run functions read a JSON line on stdout as a structured entry. Each entry says
``metric`` with its name, kind, unit, value and dimensions; the dimensions are also the
entry's labels (``logging.googleapis.com/labels``), so a log-based metric turns them
into metric labels: a counter counts entries matching ``jsonPayload.metric.name="X"``,
a distribution extracts ``EXTRACT(jsonPayload.metric.value)``
(https://cloud.google.com/logging/docs/logs-based-metrics). The entry carries the
invocation's trace like every log line of it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from polyfn.core.context import Context
from polyfn.core.metrics import MetricPoint

__all__ = ["metric_entries", "write_entries"]


def metric_entries(ctx: Context, namespace: str, points: list[MetricPoint]) -> list[dict[str, Any]]:
    project = os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GCP_PROJECT")
    trace = ctx.trace
    return [
        {
            "severity": "INFO",
            "message": f"metric {namespace}/{point.name}",
            "metric": {
                "namespace": namespace,
                "name": point.name,
                "kind": point.kind,
                "unit": point.unit,
                "value": point.value,
                "dimensions": point.dimensions,
            },
            "function": ctx.function_name,
            "requestId": ctx.request_id,
            "correlationId": trace.correlation_id,
            "logging.googleapis.com/trace": (
                f"projects/{project}/traces/{trace.trace_id}" if project else trace.trace_id
            ),
            "logging.googleapis.com/spanId": trace.span_id,
            "logging.googleapis.com/labels": {
                "function": ctx.function_name,
                **point.dimensions,
            },
        }
        for point in points
    ]


def write_entries(ctx: Context, namespace: str, points: list[MetricPoint]) -> None:
    """Write ``points`` to stdout as structured entries (the ``gcp`` metrics sink)."""
    out = sys.stdout
    for entry in metric_entries(ctx, namespace, points):
        out.write(json.dumps(entry, separators=(",", ":")) + "\n")
    out.flush()
