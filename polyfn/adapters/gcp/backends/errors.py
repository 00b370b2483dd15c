"""How Google Cloud client failures map onto polyfn's error types (Cloud Storage,
Pub/Sub, Firestore).

``google.api_core.exceptions`` names each HTTP/gRPC status with a class; those names are
read here without importing anything, so this module costs nothing to import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from polyfn.adapters.common.errors import ResourceRef, Verdict, class_names, guarded
from polyfn.core.errors import (
    CredentialsError,
    PayloadTooLarge,
    ResourceError,
    ResourceNotFound,
    Throttled,
    UnsupportedValue,
)

__all__ = ["guard", "is_transient"]

T = TypeVar("T")

_THROTTLED = frozenset({"TooManyRequests", "ResourceExhausted"})
_SERVER_BUSY = frozenset(
    {"InternalServerError", "BadGateway", "ServiceUnavailable", "GatewayTimeout", "Aborted"}
)
_NO_ANSWER = frozenset({"ConnectionError", "Timeout", "TransportError", "DeadlineExceeded"})
_CREDENTIALS = frozenset(
    {
        "DefaultCredentialsError",
        "RefreshError",
        "Unauthorized",
        "Unauthenticated",
        "Forbidden",
        "PermissionDenied",
    }
)
_BAD_REQUEST = frozenset({"BadRequest", "InvalidArgument"})
_TOO_LARGE_MESSAGES = ("too large", "exceeds the maximum", "maximum allowed size")


def _is_google(exc: BaseException) -> bool:
    return type(exc).__module__.startswith(("google.", "requests.", "urllib3."))


def is_transient(exc: BaseException) -> bool:
    names = class_names(exc)
    return bool(names & (_THROTTLED | _SERVER_BUSY | _NO_ANSWER)) and _is_google(exc)


def classify(exc: BaseException) -> Verdict:
    if not _is_google(exc):
        if isinstance(exc, TimeoutError):  # a publish future that never resolved
            return ResourceError, "timed out waiting for the service"
        if isinstance(exc, OSError) and "Project" in str(exc):
            # google.cloud.client raises a plain OSError when no project can be found.
            return CredentialsError, f"no Google Cloud project: {exc} (set GOOGLE_CLOUD_PROJECT)"
        return None
    names = class_names(exc)
    message = str(getattr(exc, "message", None) or exc).strip().splitlines()[0]
    if names & _CREDENTIALS:
        return CredentialsError, f"credentials refused or missing: {message}"
    if "NotFound" in names:
        return ResourceNotFound, f"does not exist: {message}"
    if names & _THROTTLED:
        return Throttled, f"throttled: {message}"
    if "MessageTooLargeError" in names or (
        names & _BAD_REQUEST and any(sign in message.lower() for sign in _TOO_LARGE_MESSAGES)
    ):
        return PayloadTooLarge, f"payload too large: {message}"
    if names & _BAD_REQUEST:
        return UnsupportedValue, f"rejected: {message}"
    if names & (_NO_ANSWER | _SERVER_BUSY):
        return ResourceError, f"cannot reach the service ({message})"
    return ResourceError, message


def guard(ref: ResourceRef, operation: Callable[[], T]) -> T:
    """Run one Google Cloud call for ``ref`` with polyfn's retries and error mapping."""
    return guarded(ref, operation, is_transient=is_transient, classify=classify)
