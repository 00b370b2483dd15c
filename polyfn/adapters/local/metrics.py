"""Metrics on the local runtime: each point logged, and a running summary for the end.

``polyfn run`` prints ``summary()`` when it stops: per metric and dimensions, how many
invocations added it and its total (counters), last value (gauges) or count, min, max
and mean (histograms).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from polyfn.core.context import Context
from polyfn.core.metric_sinks import register_sink
from polyfn.core.metrics import MetricPoint, log_sink

__all__ = [
    "SUMMARY_FILE",
    "install",
    "load_summary",
    "reset",
    "save_summary",
    "summary",
    "summary_text",
]

# In the app's data folder: what the last ``polyfn run`` emitted, for ``polyfn metrics``.
SUMMARY_FILE = "metrics.json"

_lock = threading.Lock()
_totals: dict[tuple[str, str, tuple[tuple[str, str], ...]], dict[str, Any]] = {}


# polyfn's own per-invocation metrics say what each invocation's line already says (that
# it ran, cold or not, and how long): three lines more per request would bury the user's
# own. They go to the summary, and to the log only at DEBUG.
_PER_INVOCATION = frozenset({"ColdStart", "Invocations", "Duration"})


def record(ctx: Context, namespace: str, points: list[MetricPoint]) -> None:
    """The ``local`` sink: log each point (as Azure does) and add it to the summary."""
    own = [p for p in points if p.name in _PER_INVOCATION and set(p.dimensions) == {"function"}]
    log_sink(ctx, namespace, [p for p in points if p not in own])
    log_sink(ctx, namespace, own, level=logging.DEBUG)
    with _lock:
        for point in points:
            key = (namespace, point.name, tuple(sorted(point.dimensions.items())))
            total = _totals.setdefault(
                key, {"kind": point.kind, "unit": point.unit, "invocations": 0, "values": []}
            )
            total["invocations"] += 1
            if point.kind == "counter":
                total["values"].append(sum(point.values))
            else:
                total["values"].extend(point.values)


def install() -> None:
    # The local runtime is the platform here: polyfn's own metrics are in its summary.
    register_sink("local", record, builtin=True, invocations=True)


def reset() -> None:
    with _lock:
        _totals.clear()


def summary() -> list[dict[str, Any]]:
    """What the local runtime's functions emitted so far, one row per metric."""
    rows = []
    with _lock:
        for (namespace, name, dimensions), total in sorted(_totals.items()):
            values = total["values"]
            row: dict[str, Any] = {
                "namespace": namespace,
                "name": name,
                "dimensions": dict(dimensions),
                "kind": total["kind"],
                "unit": total["unit"],
                "invocations": total["invocations"],
            }
            if total["kind"] == "counter":
                row["total"] = sum(values)
            elif total["kind"] == "gauge":
                row["last"] = values[-1]
            else:
                row.update(count=len(values), min=min(values), max=max(values))
                row["mean"] = sum(values) / len(values)
            rows.append(row)
    return rows


def save_summary(app_dir: Path) -> Path:
    app_dir.mkdir(parents=True, exist_ok=True)
    path = app_dir / SUMMARY_FILE
    path.write_text(json.dumps(summary(), indent=2) + "\n")
    return path


def load_summary(app_dir: Path) -> list[dict[str, Any]] | None:
    path = app_dir / SUMMARY_FILE
    if not path.is_file():
        return None
    rows: list[dict[str, Any]] = json.loads(path.read_text())
    return rows


def summary_text(rows: list[dict[str, Any]] | None = None) -> str:
    """The summary as lines for a terminal (empty when nothing was emitted)."""
    lines = []
    for row in summary() if rows is None else rows:
        dims = ",".join(f"{k}={v}" for k, v in row["dimensions"].items())
        label = f"{row['namespace']}/{row['name']}" + (f"{{{dims}}}" if dims else "")
        if row["kind"] == "counter":
            figure = f"total {row['total']:g}"
        elif row["kind"] == "gauge":
            figure = f"last {row['last']:g}"
        else:
            figure = (
                f"count {row['count']} min {row['min']:g} mean {row['mean']:g} max {row['max']:g}"
            )
        lines.append(f"  {label:<40} {figure} {row['unit']} ({row['invocations']} invocations)")
    return "\n".join(["metrics:", *lines]) if lines else ""
