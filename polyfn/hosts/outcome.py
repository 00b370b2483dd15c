"""What one ``polyfn invoke`` produced: the native answer and whether the handler failed."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from polyfn.core.datastructures import Headers

__all__ = ["Outcome", "http_answer"]


@dataclass
class Outcome:
    """``output`` is printed as JSON; ``failed`` makes the command exit 1 with ``reason``."""

    output: Any
    failed: bool = False
    reason: str = ""


def http_answer(status: int, headers: Headers, body: bytes) -> dict[str, Any]:
    """A platform's HTTP answer as JSON: status, headers (lists for repeats) and body.

    A body that is not UTF-8 text is given base64-encoded, as Lambda's responses do.
    """
    answer: dict[str, Any] = {
        "status": status,
        "headers": {
            name: values[0] if len(values) == 1 else values
            for name, values in headers.to_lists().items()
        },
    }
    try:
        answer["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        answer["body"] = base64.b64encode(body).decode("ascii")
        answer["isBase64Encoded"] = True
    return answer


def http_outcome(status: int, headers: Headers, body: bytes) -> Outcome:
    return Outcome(
        http_answer(status, headers, body), failed=status >= 500, reason=f"HTTP {status}"
    )
