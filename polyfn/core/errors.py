"""The error types polyfn raises. Every one says what failed and where.

Resource errors name the logical resource and the cloud and chain the SDK's exception,
so a handler can catch ``ResourceNotFound`` on every cloud alike.
"""

from __future__ import annotations

__all__ = [
    "ConditionFailed",
    "ConfigError",
    "CredentialsError",
    "ExecutionExists",
    "PayloadTooLarge",
    "PolyfnError",
    "ResourceError",
    "ResourceNotFound",
    "Throttled",
    "UnknownExecution",
    "UnrecognizedEvent",
    "UnsupportedValue",
    "WorkflowInputError",
]


class PolyfnError(Exception):
    """Base class of every error polyfn raises on purpose."""


class ConfigError(PolyfnError):
    """The App is declared in a way polyfn (or a target cloud) cannot honour."""


class UnrecognizedEvent(PolyfnError, ValueError):
    """An adapter received a native event whose shape it does not know."""

    def __init__(self, message: str, *, expected: str | None = None) -> None:
        super().__init__(message if expected is None else f"{message}; expected {expected}")
        self.expected = expected


class ResourceError(PolyfnError):
    """A bucket, queue or table operation failed on a backend."""

    def __init__(
        self,
        message: str,
        *,
        resource: str,
        cloud: str,
        kind: str = "",
    ) -> None:
        where = f"{kind} {resource!r}" if kind else repr(resource)
        super().__init__(f"{where} on {cloud}: {message}")
        self.resource = resource
        self.cloud = cloud
        self.kind = kind


class ResourceNotFound(ResourceError):
    """The bucket, queue or table itself does not exist (not a missing key)."""


class CredentialsError(ResourceError):
    """The backend refused or could not find credentials."""


class Throttled(ResourceError):
    """The backend kept throttling after polyfn's bounded retries."""


class PayloadTooLarge(ResourceError):
    """A message, object or item is over the cloud's limit."""


class UnsupportedValue(ResourceError):
    """A value cannot be stored by this backend (checked at write time)."""


class ConditionFailed(ResourceError):
    """A conditional write lost (``put_if_absent`` on an existing key, for instance)."""


class ExecutionExists(PolyfnError, ValueError):
    """A workflow execution name reused with different input (Step Functions' rule, which
    every engine that names executions follows)."""


class WorkflowInputError(PolyfnError, ValueError):
    """A workflow's input is not JSON (every engine keeps an execution's input as JSON);
    refused at ``start``, before anything is sent."""


class UnknownExecution(PolyfnError, KeyError):
    """No execution of that id in the workflow."""

    def __str__(self) -> str:
        return str(self.args[0])


class LoopStopped(PolyfnError):
    """A workflow task reached through more polyfn sends and starts than its hop limit
    (``core.loop_guard``): not run. The task fails with this error name, which a
    flow's ``Retry``/``catch`` can name like any other (retrying it fails again)."""
