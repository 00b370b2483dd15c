"""One JSON object per log line, with the invocation's fields (``core.log_fields``).

The local runtime writes these (``polyfn run --log-format json``), and Google Cloud
functions do with ``cloud_logging=True``: Cloud Logging reads a JSON line on stdout as a
structured entry and gives its special fields their meaning (``severity``,
``logging.googleapis.com/trace`` as ``projects/P/traces/T``, ``.../spanId``,
``.../labels``: https://cloud.google.com/logging/docs/structured-logging#special-payload-fields).
Lambda's runtime client has its own JSON formatter (``AWS_LAMBDA_LOG_FORMAT=JSON``), which
writes the same fields from the record's attributes; Azure's worker forwards records to
the host itself.

An extra that JSON cannot hold is written as its ``repr``, never dropped; an exception
is written as fields (type, message, stack), not as text inside the message.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime
from typing import Any

from polyfn.core.log_fields import FIELDS

__all__ = ["JsonLineFormatter", "TextFormatter"]

# What a LogRecord has of its own: anything else on it was passed as ``extra``.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}
_SEVERITY = {"WARNING": "WARNING", "CRITICAL": "CRITICAL", "ERROR": "ERROR", "INFO": "INFO"}


class JsonLineFormatter(logging.Formatter):
    """A record as one JSON line; ``google_project`` adds Cloud Logging's special fields."""

    def __init__(self, *, cloud_logging: bool = False, google_project: str | None = None):
        super().__init__()
        self.cloud_logging = cloud_logging
        self.google_project = google_project

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.document(record), default=repr, ensure_ascii=False)

    def document(self, record: logging.LogRecord) -> dict[str, Any]:
        fields = record.__dict__
        document: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        for name in FIELDS:
            if name in fields:
                document[name] = fields[name]
        for name, value in fields.items():
            if name not in _RECORD_ATTRIBUTES and name not in document:
                document[name] = value
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            document["exception"] = {
                "type": type(exc).__name__,
                "message": str(exc),
                "stackTrace": traceback.format_exception(exc),
            }
        if self.cloud_logging:
            document["severity"] = _SEVERITY.get(record.levelname, "DEBUG")
            trace_id = fields.get("traceId")
            if trace_id:
                document["logging.googleapis.com/trace"] = (
                    f"projects/{self.google_project}/traces/{trace_id}"
                    if self.google_project
                    else trace_id
                )
                document["logging.googleapis.com/spanId"] = fields.get("spanId")
            if "function" in fields:
                document["logging.googleapis.com/labels"] = {
                    "function": str(fields["function"]),
                    "correlationId": str(fields.get("correlationId", "")),
                }
        return document


class TextFormatter(logging.Formatter):
    """A readable line for a terminal: time, level, function, message, ids at the end."""

    def format(self, record: logging.LogRecord) -> str:
        fields = record.__dict__
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        function = fields.get("function") or record.name
        line = f"{when} {record.levelname:<7} {function}: {record.getMessage()}"
        if fields.get("correlationId"):
            line += f"  [trace {fields.get('traceId')} correlation {fields['correlationId']}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line
