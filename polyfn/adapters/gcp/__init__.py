"""Google Cloud Functions (2nd gen) and Cloud Run through functions-framework.

``main.py`` is two lines: ``http = gcp.http_function(app)`` and
``events = gcp.event_function(app)``. Both are loaded on first use, so importing this
package (for the event inspector or the storage backends) imports nothing but the
standard library and polyfn's core; functions-framework and Flask are never imported by
polyfn itself on the request path, only used as the objects they hand over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polyfn.adapters.gcp.runtime import InvocationFailed, event_function, http_function

__all__ = ["InvocationFailed", "event_function", "http_function"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from polyfn.adapters.gcp import runtime

        return getattr(runtime, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
