"""The price list: ``prices.json``, read once, with each figure's source and date.

A figure in the file is ``{"value": ..., "source": URL, "read": DATE, "confirmed": bool}``.
Code asks for figures by dotted path (``"aws.free_tier.requests"``) so that a figure the
file lacks is a clear error naming the path, and so the report can list the unconfirmed
figures a cost rests on.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from polyfn.plan.model import PlanInputError

__all__ = ["Prices", "load_prices"]


class Prices:
    """The parsed price file."""

    def __init__(self, document: dict[str, Any]) -> None:
        if document.get("schema_version") != 1:
            raise PlanInputError("prices.json: unknown schema_version (expected 1)")
        self.document = document
        self.version = str(document.get("version", "unknown"))
        self.month_hours = float(document.get("month_hours", 730))
        self.notes: list[str] = list(document.get("notes", []))
        _check_figures(document, "")

    def node(self, path: str) -> Any:
        node: Any = self.document
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise PlanInputError(f"prices.json has no {path!r}")
            node = node[part]
        return node

    def value(self, path: str) -> float:
        figure = self.node(path)
        if not isinstance(figure, dict) or "value" not in figure:
            raise PlanInputError(f"prices.json: {path!r} is not a figure")
        return float(figure["value"])

    def raw_value(self, path: str) -> Any:
        return self.node(path)["value"]

    def source(self, path: str) -> str:
        figure = self.node(path)
        return f"{figure['source']} (read {figure['read']})"

    def unconfirmed(self, prefix: str) -> list[str]:
        """Dotted paths under ``prefix`` whose figure is marked unconfirmed."""
        found: list[str] = []
        _walk_unconfirmed(self.node(prefix), prefix, found)
        return found


def _is_figure(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and "source" in node


def _check_figures(node: Any, path: str) -> None:
    """Every figure must say where it came from and when, whether that page showed it, and,
    when it did not, what was looked for: the file's one promise."""
    if _is_figure(node):
        for key in ("source", "read"):
            if not node.get(key):
                raise PlanInputError(f"prices.json: figure {path!r} has no {key}")
        if not isinstance(node.get("confirmed"), bool):
            raise PlanInputError(f"prices.json: figure {path!r} has no confirmed: true|false")
        if node["confirmed"] is False and not node.get("note"):
            raise PlanInputError(
                f"prices.json: unconfirmed figure {path!r} has no note saying what was looked for"
            )
        return
    if isinstance(node, dict):
        for key, child in node.items():
            if key in ("price",) or isinstance(child, dict | list):
                _check_figures(child, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            _check_figures(child, f"{path}[{index}]")


def _walk_unconfirmed(node: Any, path: str, found: list[str]) -> None:
    if _is_figure(node):
        if node.get("confirmed") is False:
            found.append(path)
        return
    if isinstance(node, dict):
        for key, child in node.items():
            _walk_unconfirmed(child, f"{path}.{key}", found)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            _walk_unconfirmed(child, f"{path}[{index}]", found)


@lru_cache(maxsize=1)
def load_prices() -> Prices:
    """The price file shipped with polyfn (package data, read with importlib.resources)."""
    text = resources.files("polyfn.plan").joinpath("prices.json").read_text(encoding="utf-8")
    return Prices(json.loads(text))
