"""How Azure Storage SDK failures map onto polyfn's error types (Blob, Queue, Table).

Error codes are the documented ones ("Blob/Queue/Table service error codes" and "Common
REST API error codes" on learn.microsoft.com, checked 2026-11). Nothing from the SDK is
imported: exceptions are recognised by their class names and ``status_code``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from polyfn.adapters.common.errors import ResourceRef, Verdict, class_names, guarded
from polyfn.core.errors import (
    CredentialsError,
    PayloadTooLarge,
    ResourceError,
    ResourceNotFound,
    Throttled,
    UnsupportedValue,
)

__all__ = ["error_code", "guard", "is_transient"]

T = TypeVar("T")

# {"odata.error": {"code": "TableNotFound", ...}} or <Error><Code>QueueNotFound</Code>.
_CODE_IN_BODY = re.compile(r'"code"\s*:\s*"([^"]+)"|<Code>([^<]+)</Code>')
_NOT_FOUND = frozenset({"ContainerNotFound", "QueueNotFound", "TableNotFound"})
_CREDENTIALS = frozenset(
    {
        "AuthenticationFailed",
        "AuthorizationFailure",
        "AuthorizationPermissionMismatch",
        "InsufficientAccountPermissions",
        "InvalidAuthenticationInfo",
        "AccountIsDisabled",
    }
)
_TOO_LARGE = frozenset(
    {
        "RequestBodyTooLarge",
        "MessageTooLarge",
        "EntityTooLarge",
        "PropertyValueTooLarge",
        "BlobTooLarge",
    }
)
_BAD_VALUE = frozenset(
    {"PropertyNameInvalid", "PropertyNameTooLong", "TooManyProperties", "InvalidInput"}
)
_THROTTLING = frozenset({"ServerBusy", "OperationTimedOut", "TooManyRequests"})
_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
# azure.core exceptions for a request that got no (complete) answer.
_NO_ANSWER = frozenset({"ServiceRequestError", "ServiceResponseError"})


def error_code(exc: BaseException) -> str | None:
    """The storage error code (``BlobNotFound``, ...) of an azure.core error, if any.

    The storage SDKs set ``error_code``; some Table paths raise the bare azure.core
    error, whose code is then read from the response header or body.
    """
    code: Any = getattr(exc, "error_code", None)
    if code:
        return str(getattr(code, "value", code))
    response: Any = getattr(exc, "response", None)
    if response is None:
        return None
    header = response.headers.get("x-ms-error-code")
    if header:
        return str(header)
    try:
        text = response.text()
    except Exception:
        return None
    match = _CODE_IN_BODY.search(text or "")
    return (match.group(1) or match.group(2)) if match else None


def is_transient(exc: BaseException) -> bool:
    if class_names(exc) & _NO_ANSWER:
        return True
    if not type(exc).__module__.startswith("azure."):
        return False
    return getattr(exc, "status_code", None) in _TRANSIENT_STATUS or (
        error_code(exc) in _THROTTLING
    )


def classify(exc: BaseException) -> Verdict:
    names = class_names(exc)
    if names & _NO_ANSWER:
        return ResourceError, f"cannot reach the storage account ({_first_line(exc)})"
    if not type(exc).__module__.startswith("azure."):
        return None
    code = error_code(exc)
    status = getattr(exc, "status_code", None)
    described = f"{_first_line(exc)} ({code or status})"
    if code in _NOT_FOUND:
        return ResourceNotFound, f"does not exist: {described}"
    if code in _CREDENTIALS or "ClientAuthenticationError" in names:
        return CredentialsError, f"credentials refused: {described}"
    if code in _THROTTLING or status in (429, 503):
        return Throttled, f"throttled: {described}"
    if code in _TOO_LARGE or status == 413:
        return PayloadTooLarge, f"payload too large: {described}"
    if code in _BAD_VALUE:
        return UnsupportedValue, f"rejected: {described}"
    return ResourceError, described


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def guard(ref: ResourceRef, operation: Callable[[], T]) -> T:
    """Run one Azure Storage call for ``ref`` with polyfn's retries and error mapping."""
    return guarded(ref, operation, is_transient=is_transient, classify=classify)
