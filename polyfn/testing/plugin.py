"""The pytest plugin polyfn registers (entry point ``pytest11``).

Fixtures for testing a user's App through any runtime with native events; see the
README's "Testing your app" section.
"""

from __future__ import annotations

import time

import pytest

from polyfn.core.context import Context


@pytest.fixture
def polyfn_context() -> Context:
    """A real Context for calling handlers directly; set ``.deadline`` to test timeouts."""
    return Context("local", "test", "test-request", deadline=time.time() + 30)
