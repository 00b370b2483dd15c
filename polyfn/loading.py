"""Finding the App a command is pointed at: ``module:attr``, a ``.py`` file, or a folder."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

from polyfn.core.app import App
from polyfn.core.errors import ConfigError

__all__ = ["AppImportFailed", "AppNotFound", "load_app", "resolve_app_source"]


class AppNotFound(Exception):
    """The APP argument does not lead to a polyfn App."""


class AppImportFailed(AppNotFound):
    """The app's own code raised while it was imported; the message is the user's error as
    Python would show it (a syntax error's caret line, the traceback of the app's frames),
    without the frames of polyfn and importlib that ran the import."""


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
    """The name the app's module is imported under: its file's stem, as ``import app``
    would name it (so exception names read ``app.Poison``, and the app's tests importing
    ``app`` get the same module), unless that name is taken by another module, the
    standard library's, or is not an identifier; then a name made from the folder."""
    stem = file.stem
    taken = sys.modules.get(stem)
    if (
        stem.isidentifier()
        and stem not in sys.stdlib_module_names
        and stem != "polyfn"
        and (taken is None or _file_of(taken) == file.resolve())
    ):
        return stem
    return f"polyfn_user_{file.resolve().parent.name}_{stem}".replace("-", "_")


def _file_of(module: ModuleType) -> Path | None:
    origin = getattr(module, "__file__", None)
    return Path(origin).resolve() if origin else None


def _user_error(spec: str, exc: BaseException, file: Path | None) -> AppImportFailed:
    """``exc`` shown as Python shows an error in a script: for a syntax error its location
    and caret, otherwise the traceback from the first frame of the app's own code."""
    if isinstance(exc, SyntaxError):
        shown = "".join(traceback.format_exception_only(exc))
    else:
        tb = exc.__traceback__
        own = str(file) if file is not None else None
        while tb is not None and not _is_users_frame(tb.tb_frame.f_code.co_filename, own):
            tb = tb.tb_next
        shown = "".join(traceback.format_exception(type(exc), exc, tb))
    return AppImportFailed(f"{spec} failed to import:\n{shown.rstrip()}")


def _is_users_frame(filename: str, own: str | None) -> bool:
    if own is not None:
        return filename == own
    # module:attr: the first frame outside the import machinery and this module.
    machinery = (str(Path(importlib.__file__ or "").parent), "<frozen")
    return not filename.startswith(machinery) and filename != __file__


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
        try:
            loader_spec.loader.exec_module(module)
        except ConfigError:
            sys.modules.pop(module_name, None)
            raise  # polyfn's own one-line explanation (a bad schedule, a bad route...)
        except Exception as exc:
            sys.modules.pop(module_name, None)  # as a failed import leaves no module
            raise _user_error(spec, exc, file) from None
    else:
        if "" not in sys.path and "." not in sys.path:
            sys.path.insert(0, "")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name.split(".")[0] and exc.name != module_name:
                raise _user_error(spec, exc, None) from None  # the app imports a missing one
            raise AppNotFound(f"cannot import module {module_name!r}: {exc}") from None
        except ConfigError:
            raise
        except Exception as exc:
            raise _user_error(spec, exc, None) from None
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
