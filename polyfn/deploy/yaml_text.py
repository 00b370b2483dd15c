"""A small YAML writer for the templates deploy generates.

polyfn has no dependencies, so it cannot count on PyYAML being installed where
``polyfn deploy`` runs. Templates only need mappings, lists and scalars, which this writes
in block style; a string is written plain only when YAML cannot read it as anything else
(a number, a date, a boolean such as ``on``), otherwise double-quoted with JSON's escapes,
which are valid YAML escapes. CloudFormation intrinsics are written in their long form
(``{"Ref": ...}``, ``{"Fn::GetAtt": [...]}``), so no custom tags are needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["dump_yaml"]

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./+-]*")
# YAML 1.1 (PyYAML, CloudFormation's parser) reads these as booleans or null.
_RESERVED = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})


def dump_yaml(document: Mapping[str, Any]) -> str:
    lines: list[str] = []
    _mapping(document, 0, lines)
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
            return value
        return _quoted(value)
    raise TypeError(f"cannot write {type(value).__name__} to YAML")


def _quoted(text: str) -> str:
    """A double-quoted YAML scalar that escapes everything but printable ASCII.

    Escaping all else sidesteps YAML's character rules (DEL is refused, NEL is a line
    break) and JSON's surrogate pairs, which YAML does not join: ``\\U`` carries those.
    """
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _is_collection(value: Any) -> bool:
    return isinstance(value, Mapping) or (
        isinstance(value, Sequence) and not isinstance(value, str | bytes)
    )


def _empty(value: Any) -> str:
    return "{}" if isinstance(value, Mapping) else "[]"


def _mapping(mapping: Mapping[str, Any], indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for key, value in mapping.items():
        label = f"{pad}{_scalar(str(key))}:"
        if _is_collection(value) and value:
            lines.append(label)
            _block(value, indent + 2, lines)
        elif _is_collection(value):
            lines.append(f"{label} {_empty(value)}")
        else:
            lines.append(f"{label} {_scalar(value)}")


def _sequence(items: Sequence[Any], indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, Mapping) and item:
            nested: list[str] = []
            _mapping(item, indent + 2, nested)
            # The first key shares the dash's line: "- Key: value".
            nested[0] = f"{pad}- {nested[0][indent + 2 :]}"
            lines.extend(nested)
        elif _is_collection(item) and item:
            lines.append(f"{pad}-")
            _block(item, indent + 2, lines)
        elif _is_collection(item):
            lines.append(f"{pad}- {_empty(item)}")
        else:
            lines.append(f"{pad}- {_scalar(item)}")


def _block(value: Any, indent: int, lines: list[str]) -> None:
    if isinstance(value, Mapping):
        _mapping(value, indent, lines)
    else:
        _sequence(value, indent, lines)
