"""The Lambda code bundle: one zip with the app, polyfn and the app's dependencies.

Dependencies are installed for Lambda's platform, not this machine's: pip is asked for
binary wheels of CPython 3.12 on manylinux for the chosen architecture, so a package with
a C extension (Pillow, say) ships the build Lambda can load. boto3 and botocore are left
out because every Lambda Python runtime includes them. The unzipped size is checked
against Lambda's 250 MB limit before anything is uploaded.

The zip is reproducible: files in sorted order with a fixed timestamp, so an unchanged app
gives a byte-identical bundle and SAM skips the upload.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from polyfn.core.errors import PolyfnError
from polyfn.deploy.limits_data import LIMITS
from polyfn.deploy.requirements import Requirements
from polyfn.deploy.source import AppSource, copy_app_source, copy_polyfn

__all__ = ["BuildError", "BundleReport", "build_bundle", "entry_file"]

PYTHON_VERSION = "3.12"
# Lambda's python3.12 runs on Amazon Linux 2023 (glibc 2.34): manylinux_2_28 wheels load,
# and older manylinux2014 ones too. pip accepts several --platform values.
_PLATFORMS = {
    "arm64": ("manylinux_2_28_aarch64", "manylinux2014_aarch64"),
    "x86_64": ("manylinux_2_28_x86_64", "manylinux2014_x86_64"),
}
_PROVIDED_BY_LAMBDA = ("boto3", "botocore", "s3transfer")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class BuildError(PolyfnError):
    """An artifact could not be built (a dependency install failed, a size limit)."""


class BundleReport:
    """What went into the zip and how big it is."""

    __slots__ = ("dependencies", "files", "path", "unzipped_bytes", "zipped_bytes")

    def __init__(
        self, path: Path, files: int, zipped: int, unzipped: int, dependencies: list[str]
    ) -> None:
        self.path = path
        self.files = files
        self.zipped_bytes = zipped
        self.unzipped_bytes = unzipped
        self.dependencies = dependencies  # top-level names pip installed

    def summary(self) -> str:
        limit = LIMITS["aws"]["package_unzipped_bytes"]["value"]
        return (
            f"{self.path.name}: {self.files} files, {_mb(self.zipped_bytes)} zipped, "
            f"{_mb(self.unzipped_bytes)} unzipped of Lambda's {_mb(limit)} limit"
        )


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def entry_file(source: AppSource) -> str:
    return (
        '"""Lambda entry point written by polyfn deploy."""\n\n'
        "from polyfn.adapters import aws\n"
        f"{source.import_line()}\n\n"
        "handler = aws.lambda_handler(app)\n"
    )


def build_bundle(
    source: AppSource,
    requirements: Requirements,
    target: Path,
    *,
    arch: str = "arm64",
    install_dependencies: bool = True,
    exclude: Path | None = None,
) -> BundleReport:
    """Write the bundle zip at ``target``; ``BuildError`` if pip fails or it is too big."""
    if arch not in _PLATFORMS:
        raise BuildError(f"unknown architecture {arch!r}; expected arm64 or x86_64")
    with tempfile.TemporaryDirectory(prefix="polyfn-bundle-") as tmp:
        staging = Path(tmp)
        copy_app_source(source, staging, exclude=exclude)
        copy_polyfn(staging, "aws")
        (staging / "polyfn_entry.py").write_text(entry_file(source))
        before = {p.name for p in staging.iterdir()}
        if install_dependencies and requirements.lines:
            _pip_install(requirements, staging, arch)
        for name in _PROVIDED_BY_LAMBDA:
            _remove_distribution(staging, name)
        installed = sorted(
            p.name for p in staging.iterdir() if p.name not in before and not _is_metadata(p)
        )
        unzipped = sum(p.stat().st_size for p in staging.rglob("*") if p.is_file())
        limit = LIMITS["aws"]["package_unzipped_bytes"]
        if unzipped > limit["value"]:
            raise BuildError(
                f"the bundle is {_mb(unzipped)} unzipped, over Lambda's {_mb(limit['value'])} "
                f"({limit['source']}); largest: {', '.join(_largest(staging))}"
            )
        files = _write_zip(staging, target)
    return BundleReport(target, files, target.stat().st_size, unzipped, installed)


def _pip_install(requirements: Requirements, target: Path, arch: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(requirements.lines) + "\n")
        requirements_file = handle.name
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-input", "--no-compile"]
    command += ["--disable-pip-version-check", "--only-binary=:all:", "--implementation", "cp"]
    command += ["--python-version", PYTHON_VERSION, "--target", str(target)]
    for platform in _PLATFORMS[arch]:
        command += ["--platform", platform]
    command += ["-r", requirements_file]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BuildError(f"cannot run pip ({exc}); install pip or build with --no-deps") from None
    finally:
        os.unlink(requirements_file)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-6:])
        raise BuildError(
            f"pip could not install the dependencies for Lambda ({arch}, Python "
            f"{PYTHON_VERSION}, binary wheels only):\n{tail}"
        )


def _is_metadata(path: Path) -> bool:
    return path.name.endswith((".dist-info", ".egg-info")) or path.name == "bin"


def _remove_distribution(staging: Path, name: str) -> None:
    for path in list(staging.iterdir()):
        base = path.name.split("-")[0].lower()
        if path.name == name or (_is_metadata(path) and base == name):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _largest(staging: Path) -> list[str]:
    sizes = {
        p.name: sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.is_dir() else 0
        for p in staging.iterdir()
    }
    ranked = sorted(sizes.items(), key=lambda item: -item[1])[:3]
    return [f"{name} {_mb(size)}" for name, size in ranked]


def _write_zip(staging: Path, target: Path) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    paths = sorted(p for p in staging.rglob("*") if p.is_file())
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            info = zipfile.ZipInfo(path.relative_to(staging).as_posix(), _FIXED_TIME)
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16  # a regular file, readable by Lambda
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return len(paths)
