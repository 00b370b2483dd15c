"""Builds shared by the deploy tests: each app built once per cloud per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from polyfn.deploy.builder import BuildOptions, BuildResult, build

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "shop"
SAMPLE = Path(__file__).resolve().parent / "sample"

Builder = Callable[..., BuildResult]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Builder:
    """``built(app_dir, cloud, **options)``: the build result, made once per arguments."""
    cache: dict[tuple[str, str, tuple[tuple[str, object], ...]], BuildResult] = {}

    def get(app_dir: Path, cloud: str, **options: object) -> BuildResult:
        key = (str(app_dir), cloud, tuple(sorted(options.items())))
        if key not in cache:
            out = tmp_path_factory.mktemp(f"{app_dir.name}-{cloud}") / "out"
            cache[key] = build(str(app_dir), out, BuildOptions(cloud=cloud, **options))  # type: ignore[arg-type]
        return cache[key]

    return get
