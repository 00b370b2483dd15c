"""polyfn: write serverless handlers once, run them on AWS, Azure, Google Cloud or locally.

This module re-exports the cloud-neutral model and wires the two things core leaves to
the outer layer: the local backends for an App used with nothing bound (loaded only
then), and the process environment as the deployment's settings. Importing it loads
nothing outside the standard library, so it adds next to nothing to a cold start.
"""

from __future__ import annotations

import os

from polyfn.core.app import App, set_default_binding
from polyfn.core.auth import JWT, Allow, AuthRequest, Deny, Identity, set_token_verifier
from polyfn.core.context import Context, current_context
from polyfn.core.errors import PolyfnError
from polyfn.core.http import HTTPError, Request, Response
from polyfn.core.settings import use_settings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (core/cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any

    from polyfn.core.changes import Change
    from polyfn.core.checks import Check
    from polyfn.core.cors import CORS
    from polyfn.core.events import BadPayload, Event, Message, ObjectEvent, Schedule
    from polyfn.core.idempotency import (
        IdempotencyError,
        IdempotencyInProgress,
        IdempotencyKeyInvalid,
        IdempotencyKeyMissing,
        IdempotencyKeyReused,
        IdempotencyRecordInvalid,
        idempotent,
    )
    from polyfn.core.ports import BackendProvider
    from polyfn.core.table_conditions import If
    from polyfn.core.table_cursors import InvalidCursor
    from polyfn.core.table_keys import Sort
    from polyfn.core.table_transactions import Tx
    from polyfn.core.workflow_steps import (
        All,
        AnyOf,
        Choice,
        Fail,
        Map,
        Not,
        Parallel,
        Retry,
        Succeed,
        Wait,
        When,
    )

__all__ = [
    "CORS",
    "JWT",
    "All",
    "Allow",
    "AnyOf",
    "App",
    "AuthRequest",
    "BadPayload",
    "Change",
    "Check",
    "Choice",
    "Context",
    "Deny",
    "Event",
    "Fail",
    "HTTPError",
    "IdempotencyError",
    "IdempotencyInProgress",
    "IdempotencyKeyInvalid",
    "IdempotencyKeyMissing",
    "IdempotencyKeyReused",
    "IdempotencyRecordInvalid",
    "Identity",
    "If",
    "InvalidCursor",
    "Map",
    "Message",
    "Not",
    "ObjectEvent",
    "Parallel",
    "PolyfnError",
    "Request",
    "Response",
    "Retry",
    "Schedule",
    "Sort",
    "Succeed",
    "Tx",
    "Wait",
    "When",
    "current_context",
    "idempotent",
]

__version__ = "0.1.0"


def _local_backends(app: App) -> BackendProvider:
    # An App used outside any runtime (a script, a test) works on the local backends,
    # imported only when a resource is first used that way.
    from polyfn.adapters.local.backends import LocalBackends

    return LocalBackends.from_env(app.name)


def _verify_token(token: str, config: JWT) -> dict[str, Any]:
    # A bearer token no front door validated: PyJWT (polyfn[jwt]), loaded by the first,
    # which then installs the verifier itself so that later tokens skip this import.
    from polyfn.adapters.common.jwt_verifier import verify_token

    set_token_verifier(verify_token)
    return verify_token(token, config)


set_default_binding(_local_backends)
set_token_verifier(_verify_token)
# Core reads a deployment's settings (resource binding variables, ...) from the mapping it
# is given; the outer layer decides that it is this process's environment.
use_settings(os.environ)


# Loaded when first asked for: most functions behind an API gateway leave CORS to the
# gateway, and an HTTP-only function never sees an event, message or tick.
_LAZY = {
    "CORS": "polyfn.core.cors",
    "Check": "polyfn.core.checks",
    "Change": "polyfn.core.changes",
    "BadPayload": "polyfn.core.events",
    "Event": "polyfn.core.events",
    "Message": "polyfn.core.events",
    "ObjectEvent": "polyfn.core.events",
    "Schedule": "polyfn.core.events",
    # The workflow vocabulary: loaded by apps that declare a workflow.
    **dict.fromkeys(
        ["All", "AnyOf", "Choice", "Fail", "Map", "Not", "Parallel", "Retry", "Succeed"],
        "polyfn.core.workflow_steps",
    ),
    **dict.fromkeys(["Wait", "When"], "polyfn.core.workflow_steps"),
    # The table query and condition builders, for handlers that use them.
    "If": "polyfn.core.table_conditions",
    "InvalidCursor": "polyfn.core.table_cursors",
    "Sort": "polyfn.core.table_keys",
    "Tx": "polyfn.core.table_transactions",
    # Idempotency, for the handlers that declare it.
    **dict.fromkeys(
        [
            "IdempotencyError",
            "IdempotencyInProgress",
            "IdempotencyKeyInvalid",
            "IdempotencyKeyMissing",
            "IdempotencyKeyReused",
            "IdempotencyRecordInvalid",
            "idempotent",
        ],
        "polyfn.core.idempotency",
    ),
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'polyfn' has no attribute {name!r}")
    # __import__ rather than importlib, which would be one more module to load
    value = getattr(__import__(module, fromlist=[name]), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value
