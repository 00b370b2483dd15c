"""Turning cloud SDK failures into polyfn's typed errors; shared by every cloud backend.

A backend runs each SDK call through ``guarded``: transient failures are retried with
``polyfn.adapters.common.retry``, and whatever still fails is classified by the cloud's own
``errors`` module into one of the ``polyfn.core.errors`` types, naming the logical
resource, its physical name and the cloud, with the SDK's exception chained as the cause.

Backends signal the two failures they detect themselves (before calling the cloud) by
raising ``Unstorable`` or ``TooLarge``; ``guarded`` gives those the same naming.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from polyfn.adapters.common.retry import DEFAULT_POLICY, RetryPolicy, call_with_retry
from polyfn.core.errors import (
    PayloadTooLarge,
    PolyfnError,
    ResourceError,
    UnsupportedValue,
)

__all__ = [
    "Classifier",
    "ResourceRef",
    "TooLarge",
    "Unstorable",
    "Verdict",
    "class_names",
    "guarded",
]

T = TypeVar("T")

# What a cloud's classifier says about an exception: the polyfn error type and a message,
# or None when the exception is not the cloud's (a bug in polyfn: let it propagate as is).
Verdict = tuple[type[ResourceError], str] | None
Classifier = Callable[[BaseException], Verdict]


class Unstorable(ValueError):
    """Raised by a backend for a value, key or name its cloud cannot store."""

    def __init__(self, reason: str, path: str = "") -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.reason = reason
        self.path = path


class TooLarge(ValueError):
    """Raised by a backend when a payload is over its cloud's limit, before sending it."""

    def __init__(self, what: str, size: int, limit: int, source: str) -> None:
        super().__init__(f"{what} is {size} bytes, over the {limit}-byte limit ({source})")
        self.size = size
        self.limit = limit


@dataclass(frozen=True)
class ResourceRef:
    """Which resource an operation is about, for error messages."""

    cloud: str
    kind: str
    name: str
    physical: str

    def error(self, error_type: type[ResourceError], message: str) -> ResourceError:
        if self.physical != self.name:
            message = f"{message} [{self.kind} {self.physical!r} on {self.cloud}]"
        return error_type(message, resource=self.name, cloud=self.cloud, kind=self.kind)

    def too_large(self, what: str, size: int, limit: int, source: str) -> ResourceError:
        return self.error(PayloadTooLarge, str(TooLarge(what, size, limit, source)))

    def unsupported(self, reason: str) -> ResourceError:
        return self.error(UnsupportedValue, reason)


def guarded(
    ref: ResourceRef,
    operation: Callable[[], T],
    *,
    is_transient: Callable[[BaseException], bool],
    classify: Classifier,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> T:
    """Run ``operation`` with retries; raise what still fails as a polyfn error."""
    try:
        return call_with_retry(operation, is_transient=is_transient, policy=policy)
    except PolyfnError:
        raise
    except Unstorable as exc:
        raise ref.error(UnsupportedValue, str(exc)) from exc
    except TooLarge as exc:
        raise ref.error(PayloadTooLarge, str(exc)) from exc
    except Exception as exc:
        verdict = classify(exc)
        if verdict is None:
            raise
        error_type, message = verdict
        if is_transient(exc):
            message = f"{message} (still failing after {policy.attempts} attempts)"
        raise ref.error(error_type, message) from exc


def class_names(exc: BaseException) -> set[str]:
    """The names of ``exc``'s class and its bases: how an SDK's exception is recognised
    without importing the SDK (``"NotFound" in class_names(exc)``)."""
    return {cls.__name__ for cls in type(exc).__mro__}
