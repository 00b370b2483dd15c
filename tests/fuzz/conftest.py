"""The fuzz tests run with a clean polyfn environment."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """No binding variables, pinned function or route prefix leak in from the shell."""
    for name in list(os.environ):
        if name.startswith(("POLYFN_BUCKET_", "POLYFN_QUEUE_", "POLYFN_TABLE_")):
            monkeypatch.delenv(name)
    for name in ("POLYFN_FUNCTION", "POLYFN_TIMEOUT_SECONDS", "POLYFN_AZURE_ROUTE_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POLYFN_DATA_DIR", str(tmp_path) + "/data")
