"""What a deployment tells a function through its environment, read one way everywhere.

Deploy writes two variables next to every function: ``POLYFN_FUNCTION``, the one
function this deployment runs (each cloud function is pinned to one polyfn function),
and ``POLYFN_TIMEOUT_SECONDS``, the timeout the platform was configured with. Adapters
read them once, when their entry point is built: a platform fixes a deployment's
environment for the life of the process, and reading a variable per invocation costs
about a microsecond. Core never reads the environment; adapters pass the pinned name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from polyfn.core.errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (core/cheap_typing.py)
if TYPE_CHECKING:
    from typing import TypeVar

    from polyfn.core.http import Request

    V = TypeVar("V", bound=Request)

__all__ = [
    "FRONT_VARIABLE",
    "PINNED_FUNCTION_VARIABLE",
    "TIMEOUT_VARIABLE",
    "front_kinds",
    "pinned_function",
    "timeout_seconds",
    "with_front",
]

PINNED_FUNCTION_VARIABLE = "POLYFN_FUNCTION"
TIMEOUT_VARIABLE = "POLYFN_TIMEOUT_SECONDS"


def pinned_function(environ: Mapping[str, str] | None = None) -> str | None:
    """The function this deployment is pinned to, or None when it serves every function."""
    env = os.environ if environ is None else environ
    return env.get(PINNED_FUNCTION_VARIABLE) or None


# Written by deploy next to a function behind a gateway that authenticates callers
# (core.auth): which checks it made, "jwt" and/or "authorizer".
FRONT_VARIABLE = "POLYFN_AUTH_FRONT"


def front_kinds(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """What the deployment's front door checked before the function runs (empty: none)."""
    env = os.environ if environ is None else environ
    text = env.get(FRONT_VARIABLE, "")
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def with_front(view: type[V], kinds: frozenset[str]) -> type[V]:
    """``view``, reading what the front door verified for ``kinds`` (its ``_front``):
    a subclass made once, when the entry point is built, so that a request view of a
    deployment nothing fronts never looks for claims at all."""
    if not kinds:
        return view
    return type(view.__name__, (view,), {"__slots__": (), "_front": kinds})


def timeout_seconds(default: float, environ: Mapping[str, str] | None = None) -> float:
    """The platform's timeout for this deployment, in seconds; ``default`` when unset.

    One grammar on every cloud: a positive, finite decimal number (``30``, ``2.5``).
    """
    env = os.environ if environ is None else environ
    text = env.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise ConfigError(f"{TIMEOUT_VARIABLE} must be a positive number of seconds, got {text!r}")
    return value
