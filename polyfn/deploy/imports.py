"""What the app's code imports: followed from the module that defines the App.

Deploy ships the app's whole folder (a data file or a module loaded by name still arrives),
but reads only the modules the app imports, directly or through its own modules, to infer
its requirements. A sibling script the app never imports is neither parsed nor allowed to
stop the build when it is broken, and its imports are not installed.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator
from pathlib import Path, PurePosixPath

from polyfn.core.errors import ConfigError

__all__ = ["imported_top_modules", "module_file"]


def module_file(module: str, files: Collection[Path]) -> Path | None:
    """The shipped file of a dotted module name: ``a/b.py`` or ``a/b/__init__.py``."""
    base = PurePosixPath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        path = Path(candidate)
        if path in files:
            return path
    return None


def _local_targets(
    node: ast.Import | ast.ImportFrom, current: Path, files: Collection[Path]
) -> Iterator[Path]:
    """The shipped files an import statement loads: each package on the way, then the module."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            # ``from . import x`` in a/b/c.py: the package a/b (a/b/__init__.py: a/b too).
            package = list(current.parent.parts)
            if node.level > 1:
                package = package[: len(package) - (node.level - 1)]
            prefix = ".".join(package)
            base = ".".join(p for p in (prefix, node.module or "") if p)
        else:
            base = node.module or ""
        if base:
            names.append(base)
        # ``from pkg import name``: name may be a submodule.
        names += [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
    for name in names:
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            found = module_file(".".join(parts[:depth]), files)
            if found is not None:
                yield found


def imported_top_modules(root: Path, files: Collection[Path], start: Path | None) -> set[str]:
    """Top-level names imported by ``start`` and every shipped module it reaches.

    ``files`` are the shipped files relative to ``root``. Without a ``start`` (the app's
    module is not among them), every shipped ``.py`` file is read.
    """
    shipped = set(files)
    queue = [start] if start is not None else sorted(p for p in shipped if p.suffix == ".py")
    seen: set[Path] = set(queue)
    modules: set[str] = set()
    while queue:
        relative = queue.pop()
        try:
            tree = ast.parse((root / relative).read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {relative}: {exc}") from None
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
            else:
                continue
            for target in _local_targets(node, relative, shipped):
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
    return modules
