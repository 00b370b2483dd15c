"""Google Cloud Functions (2nd gen) and Cloud Run through functions-framework.

``main.py`` is two lines: ``http = gcp.http_function(app)`` and
``events = gcp.event_function(app)``. Both are loaded on first use (from ``entry``), so
importing this package (for ``polyfn inspect`` or the backends) imports nothing but the
standard library and polyfn's core; functions-framework and Flask are never imported by
polyfn itself on the request path, only used as the objects they hand over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polyfn.adapters.gcp.entry import InvocationFailed, event_function, http_function

__all__ = ["InvocationFailed", "event_function", "http_function"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from polyfn.adapters.gcp import entry

        return getattr(entry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
