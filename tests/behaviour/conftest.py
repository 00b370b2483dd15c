"""The behaviour suite runs every test once per runtime driver, through native events."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyfn.hosts import Host, all_hosts
from polyfn.testing import aws_runtime_client

# Every runtime's hosts, and AWS's again with Lambda's own runtime client (awslambdaric)
# between the event and the handler: it builds the context and marshals the answer.
HOSTS: list[Host] = [*all_hosts(), *aws_runtime_client.hosts()]


@pytest.fixture(params=HOSTS, ids=[driver.name for driver in HOSTS])
def driver(request: pytest.FixtureRequest) -> Host:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own local data directory, so state never leaks between tests."""
    monkeypatch.setenv("POLYFN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("POLYFN_FUNCTION", raising=False)
    return tmp_path
