"""What polyfn itself adds to an AWS bundle: its runtime modules, zipped as deploy zips them.

The AWS bundle needs ``polyfn/__init__``, ``core`` and ``adapters/aws`` plus the shared
adapter helpers; commands, deploy, plan, testing and the other clouds' adapters are
development tools that a Lambda never imports.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent.parent / "polyfn"
RUNTIME_PARTS = (
    "__init__.py",
    "py.typed",
    "core",
    "adapters/__init__.py",
    "adapters/aws",
    "adapters/errors.py",
    "adapters/retry.py",
)


def polyfn_share() -> dict[str, Any]:
    files = []
    for part in RUNTIME_PARTS:
        path = PACKAGE / part
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.write(file, file.relative_to(PACKAGE.parent).as_posix())
    raw = sum(f.stat().st_size for f in files)
    return {"files": len(files), "raw_kb": raw / 1024, "zip_kb": len(buffer.getvalue()) / 1024}
