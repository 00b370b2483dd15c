"""How boto3/botocore failures map onto polyfn's error types (S3, SQS, DynamoDB).

botocore is only inspected here after it raised, so importing this module costs nothing.
Error codes are the documented ones (S3 "Error responses", SQS and DynamoDB "Common
errors" and per-action errors, checked 2026-11).
"""

from __future__ import annotations

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

_NOT_FOUND = frozenset(
    {
        "NoSuchBucket",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "ResourceNotFoundException",
    }
)
_THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "SlowDown",
        "BandwidthLimitExceeded",
    }
)
_SERVER_BUSY = frozenset(
    {"InternalError", "InternalFailure", "InternalServerError", "ServiceUnavailable"}
)
_CREDENTIALS = frozenset(
    {
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidToken",
        "MissingAuthenticationToken",
        "AccessDenied",
        "AccessDeniedException",
        "AuthFailure",
    }
)
_TOO_LARGE = frozenset({"EntityTooLarge", "BatchRequestTooLong", "RequestEntityTooLarge"})
# SQS and DynamoDB say "too large" in the message of a generic validation error.
_TOO_LARGE_MESSAGES = ("must be shorter than", "exceeded the maximum allowed size")

# botocore exceptions (by class name, so nothing is imported) that mean the request never
# got a complete answer: worth another attempt.
_TRANSIENT_TRANSPORT = frozenset(
    {
        "EndpointConnectionError",
        "ConnectionClosedError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ResponseStreamingError",
        "IncompleteReadError",
    }
)
_MISSING_CREDENTIALS = frozenset(
    {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"}
)


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (None for other exceptions)."""
    response: Any = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    return str(code) if code else None


def _status(exc: BaseException) -> int:
    response: Any = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return 0
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def is_transient(exc: BaseException) -> bool:
    code = error_code(exc)
    if code is not None:
        return code in _THROTTLED or code in _SERVER_BUSY or _status(exc) in (500, 502, 503, 504)
    return bool(class_names(exc) & _TRANSIENT_TRANSPORT)


def classify(exc: BaseException) -> Verdict:
    names = class_names(exc)
    if names & _MISSING_CREDENTIALS:
        return CredentialsError, f"no usable AWS credentials ({exc})"
    if "NoRegionError" in names:
        return CredentialsError, "no AWS region configured (set AWS_REGION)"
    if names & _TRANSIENT_TRANSPORT:
        return ResourceError, f"cannot reach the service ({exc})"
    code = error_code(exc)
    if code is None:
        return None
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message") or code)
    described = f"{message} ({code})"
    if code in _NOT_FOUND:
        return ResourceNotFound, f"does not exist: {described}"
    if code in _THROTTLED:
        return Throttled, f"throttled: {described}"
    if code in _CREDENTIALS:
        return CredentialsError, f"credentials refused: {described}"
    if code in _TOO_LARGE or any(sign in message for sign in _TOO_LARGE_MESSAGES):
        return PayloadTooLarge, f"payload too large: {described}"
    if code in ("ValidationException", "InvalidParameterValue", "InvalidMessageContents"):
        return UnsupportedValue, f"rejected: {described}"
    return ResourceError, described


def guard(ref: ResourceRef, operation: Callable[[], T]) -> T:
    """Run one AWS call for ``ref`` with polyfn's retries and error mapping."""
    return guarded(ref, operation, is_transient=is_transient, classify=classify)
