"""Choosing the backends an adapter binds: one grammar, ``auto`` / the cloud / ``keep``.

Every entry point (``lambda_handler``, ``function_app``, ``http_function``...) takes a
``backends`` choice:

- the cloud's own name (``"aws"``, ``"azure"``, ``"gcp"``): bind that cloud's backends;
- ``"keep"``: leave the App's binding as it is (tests, the local runtime);
- ``"auto"`` (the default): bind the cloud's backends when running on that platform and
  the App has nothing bound yet, so scripts and tests off the platform keep theirs.

The provider is made by a factory, so no SDK is imported until a resource is used.
"""

from __future__ import annotations

from polyfn.core.errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable

    from polyfn.core.app import App
    from polyfn.core.ports import BackendProvider

__all__ = ["choose_backends"]


def choose_backends(
    app: App,
    choice: str,
    cloud: str,
    *,
    on_platform: Callable[[], bool],
    provider: Callable[[], BackendProvider],
) -> bool:
    """Bind ``provider()`` as ``choice`` says; True when something was bound."""
    if choice not in ("auto", cloud, "keep"):
        raise ConfigError(f"backends must be 'auto', {cloud!r} or 'keep', got {choice!r}")
    if choice == cloud or (choice == "auto" and app.binding is None and on_platform()):
        app.bind(provider())
        return True
    return False
