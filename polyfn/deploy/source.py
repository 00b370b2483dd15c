"""The code that ships: the user's app source and polyfn itself.

Every artifact is self-contained: it carries the app's folder (or package) and a copy of
polyfn's own source trimmed to the runtime that cloud needs, so nothing has to be
published to a package index first. polyfn has no dependencies, so copying its source is
installing it "without extras".
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import polyfn
from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.hosts import CLOUDS
from polyfn.loading import resolve_app_source

__all__ = ["AppSource", "copy_app_source", "copy_polyfn", "locate_app_source"]

# Never shipped: caches, virtualenvs, VCS data, local runtime data, tests, and dotfiles
# (a ``.env`` holds secrets more often than not).
_SKIP_NAMES = frozenset(
    {"__pycache__", "node_modules", "venv", "env", "tests", "test", "build", "dist"}
)
_SKIP_SUFFIXES = (".pyc", ".pyo")
# Parts of polyfn a deployed function never imports.
_POLYFN_NOT_SHIPPED = frozenset(
    {"deploy", "plan", "testing", "hosts", "cli", "loading.py", "__main__.py"}
)
_CLOUD_ADAPTERS = CLOUDS


class AppSource:
    """Where the app's code is and how the entry file imports it."""

    __slots__ = ("attr", "entries", "module", "root")

    def __init__(self, root: Path, entries: list[str], module: str, attr: str) -> None:
        self.root = root  # the folder that goes on sys.path
        self.entries = entries  # what to copy from it ([] = everything shippable)
        self.module = module  # import path of the module that defines the App
        self.attr = attr  # the App's name in that module

    def import_line(self, alias: str = "app") -> str:
        if self.attr == alias:
            return f"from {self.module} import {self.attr}"
        return f"from {self.module} import {self.attr} as {alias}"

    def files(self, exclude: Path | None = None) -> Iterator[Path]:
        """Every file that ships, relative to ``root``."""
        tops = [self.root / e for e in self.entries] if self.entries else [self.root]
        for top in tops:
            if top.is_file():
                yield top.relative_to(self.root)
                continue
            yield from _walk(self.root, top, exclude)


def _walk(root: Path, folder: Path, exclude: Path | None) -> Iterator[Path]:
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name in _SKIP_NAMES:
            continue
        if exclude is not None and path.resolve() == exclude:
            continue
        if path.is_dir():
            yield from _walk(root, path, exclude)
        elif path.is_file() and not path.name.endswith(_SKIP_SUFFIXES):
            yield path.relative_to(root)


def locate_app_source(spec: str, app: App) -> AppSource:
    """Find the code behind an APP argument (already loaded with ``load_app``)."""
    file, module_name, attr = resolve_app_source(spec)
    module = sys.modules.get(module_name)
    if module is None:
        raise ConfigError(f"load the app from {spec!r} before locating its source")
    attr = attr or next((k for k, v in vars(module).items() if v is app), "")
    if not attr:
        raise ConfigError(f"cannot find the App object in {spec!r}")
    if file is not None:
        return AppSource(file.parent, [], file.stem, attr)
    found = importlib.util.find_spec(module_name)
    if found is None or found.origin is None:
        raise ConfigError(f"cannot find the source of module {module_name!r}")
    top = module_name.split(".")[0]
    origin = Path(found.origin).resolve()
    # The top-level package (or the lone module) is what ships, from the folder above it.
    depth = module_name.count(".") + (1 if origin.name == "__init__.py" else 0)
    root = origin.parents[depth]
    entry = top if (root / top).is_dir() else f"{top}.py"
    return AppSource(root, [entry], module_name, attr)


def copy_app_source(source: AppSource, target: Path, exclude: Path | None = None) -> list[Path]:
    """Copy the app into ``target``; returns the copied files (relative)."""
    copied: list[Path] = []
    for relative in source.files(exclude=exclude.resolve() if exclude else None):
        destination = target / relative
        if relative.parts[0] == "polyfn":
            raise ConfigError(f"the app folder has its own 'polyfn' ({relative}); rename it")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source.root / relative, destination)
        copied.append(relative)
    return copied


def copy_polyfn(target: Path, cloud: str) -> None:
    """Copy polyfn's runtime (core, the cloud's adapter, shared adapter helpers)."""
    package = Path(polyfn.__file__).resolve().parent
    destination = target / "polyfn"
    others = {c for c in _CLOUD_ADAPTERS if c != cloud}

    def ignore(folder: str, names: list[str]) -> set[str]:
        here = Path(folder).resolve()
        skipped = {n for n in names if n == "__pycache__" or n.endswith(_SKIP_SUFFIXES)}
        if here == package:
            skipped |= _POLYFN_NOT_SHIPPED & set(names)
        if here == package / "adapters":
            skipped |= others & set(names)
        return skipped

    shutil.copytree(package, destination, ignore=ignore, dirs_exist_ok=True)
