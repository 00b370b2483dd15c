"""Shared fixtures for the Google Cloud adapter tests: a clean environment per test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The shared test app is ``behaviour.behaviour_app`` under tests/. pytest puts tests/ on
# sys.path only when it loads tests/behaviour's conftest, which a run of this folder alone
# does not; the same directory, so the module is the same one either way.
_TESTS = str(Path(__file__).resolve().parents[2])
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No binding variables, timeouts, pinned functions or Cloud Run markers leak in."""
    for name in list(os.environ):
        if name.startswith(("POLYFN_BUCKET_", "POLYFN_QUEUE_", "POLYFN_TABLE_")):
            monkeypatch.delenv(name)
    for name in ("POLYFN_FUNCTION", "POLYFN_TIMEOUT_SECONDS", "K_SERVICE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POLYFN_DATA_DIR", str(tmp_path / "data"))
