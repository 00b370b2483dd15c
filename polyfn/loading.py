"""Finding the App a command is pointed at: ``module:attr``, a ``.py`` file, or a folder."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

from polyfn.core.app import App

__all__ = ["AppNotFound", "load_app", "resolve_app_source"]


class AppNotFound(Exception):
    """The APP argument does not lead to a polyfn App."""


def resolve_app_source(spec: str) -> tuple[Path | None, str, str | None]:
    """(file or None, module name, attribute or None) for an APP argument."""
    path = Path(spec)
    if path.is_dir():
        candidate = path / "app.py"
        if not candidate.is_file():
            raise AppNotFound(f"{spec} is a folder without an app.py")
        return candidate.resolve(), _module_name(candidate), None
    if spec.endswith(".py") or path.is_file():
        file_part, _, attr = spec.partition(":") if spec.count(":") == 1 else (spec, "", "")
        file = Path(file_part)
        if not file.is_file():
            raise AppNotFound(f"no such file: {file_part}")
        return file.resolve(), _module_name(file), attr or None
    module, _, attr = spec.partition(":")
    if not module:
        raise AppNotFound(f"expected module:attr, a .py file or a folder, got {spec!r}")
    return None, module, attr or None


def _module_name(file: Path) -> str:
    return f"polyfn_user_{file.resolve().parent.name}_{file.stem}".replace("-", "_")


def load_app(spec: str) -> App:
    """Import the user's module and return its App (the attribute named, or the only one)."""
    file, module_name, attr = resolve_app_source(spec)
    if file is not None:
        # The app's own folder goes first on sys.path so that it can import its siblings.
        folder = str(file.parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        loader_spec = importlib.util.spec_from_file_location(module_name, file)
        if loader_spec is None or loader_spec.loader is None:
            raise AppNotFound(f"cannot import {file}")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[module_name] = module
        loader_spec.loader.exec_module(module)
    else:
        if "" not in sys.path and "." not in sys.path:
            sys.path.insert(0, "")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise AppNotFound(f"cannot import module {module_name!r}: {exc}") from None
    if attr:
        app = getattr(module, attr, None)
        if not isinstance(app, App):
            raise AppNotFound(f"{spec}: {attr!r} is not a polyfn App")
        return app
    apps = [value for value in vars(module).values() if isinstance(value, App)]
    if len(apps) != 1:
        found = "no App" if not apps else f"{len(apps)} Apps"
        raise AppNotFound(f"{spec}: found {found}; name one as module:attr")
    return apps[0]
