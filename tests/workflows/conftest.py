"""The ``engine`` fixture: one workflow test runs on every engine polyfn compiles to — the
local executor, ASL under aws-local-stepfunctions, Durable replay, and the Cloud
Workflows interpreter calling the functions-framework task endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workflows.engines import AslEngine, DurableEngine, Engine, LocalEngine, task_server
from workflows.gcp_interpreter import GcpEngine


@pytest.fixture(scope="module")
def _task_server() -> Iterator[Any]:
    with task_server() as server:
        yield server


@pytest.fixture(params=["local", "asl", "durable", "gcp"])
def engine(request: pytest.FixtureRequest, tmp_path: Path, _task_server: Any) -> Engine:
    if request.param == "local":
        return LocalEngine(tmp_path)
    if request.param == "durable":
        return DurableEngine()
    if request.param == "gcp":
        return GcpEngine()
    return AslEngine(_task_server, tmp_path)
