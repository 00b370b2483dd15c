"""Metrics on AWS: CloudWatch Embedded Metric Format, one JSON line per dimension set.

CloudWatch Logs turns each such line of a Lambda's log into metrics. The document is the
EMF specification's: a root ``_aws`` member with ``Timestamp`` (epoch milliseconds) and
``CloudWatchMetrics`` directives (``Namespace``, ``Dimensions`` as a list of dimension
name lists, ``Metrics`` with ``Name`` and ``Unit``), and the dimension and metric values
as root members
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
The line goes to stdout as it is, as the aws-embedded-metrics library's Lambda sink
writes it, so it is never wrapped in another log format. The invocation's request id,
trace id (X-Ray's form) and correlation id ride along as properties, for Logs Insights.
"""

from __future__ import annotations

import json
import sys
import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any

    from polyfn.core.context import Context
    from polyfn.core.metrics import MetricPoint

__all__ = ["emf_documents", "write_emf"]


def emf_documents(ctx: Context, namespace: str, points: list[MetricPoint]) -> list[dict[str, Any]]:
    """The EMF documents for ``points``: one per distinct set of dimension values."""
    groups: dict[tuple[tuple[str, str], ...], list[MetricPoint]] = {}
    for point in points:
        groups.setdefault(tuple(sorted(point.dimensions.items())), []).append(point)
    timestamp = int(time.time() * 1000)
    trace = ctx.trace
    documents = []
    for dimensions, group in groups.items():
        document: dict[str, Any] = {
            "_aws": {
                "Timestamp": timestamp,
                "CloudWatchMetrics": [
                    {
                        "Namespace": namespace,
                        # No dimensions is an empty list, as aws-embedded-metrics writes it.
                        "Dimensions": [[name for name, _ in dimensions]] if dimensions else [],
                        "Metrics": [{"Name": p.name, "Unit": p.unit} for p in group],
                    }
                ],
            },
            "function": ctx.function_name,
            "requestId": ctx.request_id,
            "traceId": trace.xray_trace_id,
            "correlationId": trace.correlation_id,
        }
        document.update(dimensions)
        for point in group:
            value = point.value
            # One value is written as a number, several as an array (both EMF).
            document[point.name] = (
                value[0] if isinstance(value, list) and len(value) == 1 else value
            )
        documents.append(document)
    return documents


def write_emf(ctx: Context, namespace: str, points: list[MetricPoint]) -> None:
    """Write ``points`` to stdout as EMF lines (the ``aws`` metrics sink)."""
    out = sys.stdout
    for document in emf_documents(ctx, namespace, points):
        out.write(json.dumps(document, separators=(",", ":")) + "\n")
    out.flush()
