"""Azure Functions (Python v2 programming model): ``app = azure.function_app(app)``.

``function_app`` is loaded on first use (from ``entry``), so importing this package (for
the envelope, ``describe`` or the storage backends) does not import ``azure.functions``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polyfn.adapters.azure.entry import MessageFailed, function_app

__all__ = ["MessageFailed", "function_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from polyfn.adapters.azure import entry

        return getattr(entry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
