"""Testing helpers: the pytest plugin, the test Client and the emulator launchers.

``all_runtimes`` and ``runtimes(...)`` mark a test to run once per runtime through the
plugin's ``polyfn_runtime`` and ``polyfn_client`` fixtures. pytest is imported only when
they are used, so importing ``polyfn.testing`` stays free for production code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["all_runtimes", "runtimes"]

F = TypeVar("F", bound=Callable[..., Any])


def runtimes(*names: str) -> Callable[[F], F]:
    """``@polyfn.testing.runtimes("aws", "local")``: run the test on those runtimes."""
    import pytest

    from polyfn.testing.plugin import MARKER

    marker = getattr(pytest.mark, MARKER)(*names)

    def mark(test: F) -> F:
        return marker(test)

    return mark


def all_runtimes(test: F) -> F:
    """``@polyfn.testing.all_runtimes``: run the test once on each of aws, azure, gcp, local."""
    return runtimes()(test)
