"""Fixtures of the local runtime's tests: a fresh data directory and backends on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from polyfn import App
from polyfn.adapters.local.backends import LocalBackends


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("POLYFN_DATA_DIR", str(folder))
    monkeypatch.delenv("POLYFN_FUNCTION", raising=False)
    return folder


@pytest.fixture
def backends(data_dir: Path) -> Iterator[LocalBackends]:
    provider = LocalBackends(data_dir, "testapp")
    yield provider
    provider.close()


@pytest.fixture
def app(backends: LocalBackends) -> App:
    declared = App("testapp")
    declared.bind(backends)
    return declared
