"""Shared fixtures for the Google Cloud adapter tests: a clean environment per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No binding variables, timeouts, pinned functions or Cloud Run markers leak in."""
    for name in list(os.environ):
        if name.startswith(("POLYFN_BUCKET_", "POLYFN_QUEUE_", "POLYFN_TABLE_")):
            monkeypatch.delenv(name)
    for name in ("POLYFN_FUNCTION", "POLYFN_TIMEOUT_SECONDS", "K_SERVICE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POLYFN_DATA_DIR", str(tmp_path / "data"))
