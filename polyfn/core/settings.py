"""The deployment's settings, as core reads them: a mapping the outer layer hands in.

Core reads no environment variables itself. What a deployment tells polyfn through its
environment (the resource binding variables ``POLYFN_<KIND>_<NAME>``, the
``POLYFN_FULL_TRACEBACKS`` switch) reaches core through ``use_settings``, which
``polyfn/__init__`` calls with the process environment; a test or a tool can hand in any
other mapping. Platforms fix a deployment's environment for the life of the process, so
the mapping is read when needed, not copied.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["settings", "use_settings"]

_settings: Mapping[str, str] = {}


def use_settings(mapping: Mapping[str, str]) -> None:
    """Read the deployment's settings from ``mapping`` from now on."""
    global _settings
    _settings = mapping


def settings() -> Mapping[str, str]:
    """The mapping core reads the deployment's settings from."""
    return _settings
