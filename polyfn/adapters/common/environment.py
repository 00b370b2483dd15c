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

__all__ = ["PINNED_FUNCTION_VARIABLE", "TIMEOUT_VARIABLE", "pinned_function", "timeout_seconds"]

PINNED_FUNCTION_VARIABLE = "POLYFN_FUNCTION"
TIMEOUT_VARIABLE = "POLYFN_TIMEOUT_SECONDS"


def pinned_function(environ: Mapping[str, str] | None = None) -> str | None:
    """The function this deployment is pinned to, or None when it serves every function."""
    env = os.environ if environ is None else environ
    return env.get(PINNED_FUNCTION_VARIABLE) or None


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
