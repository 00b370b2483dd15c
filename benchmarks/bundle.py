"""What polyfn itself adds to an AWS bundle: the modules deploy ships, zipped as deploy zips them.

The files are the ones ``polyfn deploy build --cloud aws`` copies (``deploy.source.copy_polyfn``):
``polyfn/__init__``, ``core``, ``adapters/common``, ``adapters/aws`` and the local backends
(an App used outside a runtime binds them); the CLI, hosts, deploy, plan, testing and the
other clouds' adapters are development tools that a Lambda never imports.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from polyfn.deploy.source import copy_polyfn


def polyfn_share() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder)
        copy_polyfn(target, "aws")
        files = sorted(p for p in (target / "polyfn").rglob("*") if p.is_file())
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in files:
                archive.write(file, file.relative_to(target).as_posix())
        raw = sum(f.stat().st_size for f in files)
    return {"files": len(files), "raw_kb": raw / 1024, "zip_kb": len(buffer.getvalue()) / 1024}
