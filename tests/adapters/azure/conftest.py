"""Shared fixtures for the Azure adapter tests: a clean binding environment per test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No binding variables, timeouts or pinned functions leak in from the shell."""
    import os

    for name in list(os.environ):
        if name.startswith(("POLYFN_BUCKET_", "POLYFN_QUEUE_", "POLYFN_TABLE_")):
            monkeypatch.delenv(name)
    for name in ("POLYFN_FUNCTION", "POLYFN_TIMEOUT_SECONDS", "POLYFN_AZURE_ROUTE_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POLYFN_DATA_DIR", str(tmp_path / "data"))
