"""Azure Functions (Python v2 programming model): ``app = azure.function_app(app)``.

Both names load on first use, ``function_app`` from ``entry`` and ``MessageFailed`` from
``events``, so importing this package (for the envelope, ``describe`` or the storage
backends) does not import ``azure.functions``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polyfn.adapters.azure.entry import function_app
    from polyfn.adapters.azure.events import MessageFailed

__all__ = ["MessageFailed", "function_app"]

# Each public name -> the module of this package that defines it.
_HOMES = {"function_app": "entry", "MessageFailed": "events"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)
