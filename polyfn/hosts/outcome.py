"""What one ``polyfn invoke`` produced: the native answer, whether the handler failed,
and whether it ran at all."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from polyfn.core import unmatched
from polyfn.core.datastructures import Headers

__all__ = ["Outcome", "http_answer", "observed"]


@dataclass
class Outcome:
    """``output`` is printed as JSON; ``failed`` makes the command exit 1 with ``reason``;
    ``skipped`` says why the handler did not run ("" when it ran)."""

    output: Any
    failed: bool = False
    reason: str = ""
    skipped: str = ""


def observed(invocation: Callable[[], Outcome]) -> Outcome:
    """Run ``invocation`` and mark its outcome skipped when dispatch ran nothing for it.

    Dispatch reports every input that runs no function (``core.unmatched``) on every
    cloud, in the thread the entry point runs in; the host calls the entry point in
    this one, so the reasons are this invocation's. A platform answer that is not
    already a native one (``{"ok": true}``) says ``"ran": 0`` and why.
    """
    with unmatched.listening() as reasons:
        outcome = invocation()
    if reasons and not outcome.failed:
        outcome.skipped = "; ".join(reasons)
        if isinstance(outcome.output, dict) and outcome.output.get("ok") is True:
            outcome.output = {**outcome.output, "ran": 0, "skipped": outcome.skipped}
    return outcome


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
