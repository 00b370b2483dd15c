"""How a local table item is written as JSON text so that every value comes back exactly.

Python's JSON already keeps str, int (any size), float, bool, None and lists apart, so they
are written as they are. Two things JSON cannot say are tagged: bytes, and a dict (so that
a user's dict can never be mistaken for a tag). In the encoded text every JSON object is
therefore a tag with exactly one key:

    {"m": {"name": <encoded>, ...}}   a dict (keys are strings)
    {"b": "<base64>"}                 bytes

A value no cloud can store portably (a set, a datetime, NaN, a dict with non-string keys)
is refused at write time with ``Unstorable``, which the table turns into ``UnsupportedValue``.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from polyfn.adapters.common.errors import Unstorable

__all__ = ["MAX_ITEM_BYTES", "decode_item", "encode_item", "item_size"]

# The strictest item limit of the three clouds, so that an item that fits locally fits
# everywhere: DynamoDB's 400 KB (Azure Table and Firestore allow about 1 MiB).
# Source: Amazon DynamoDB Developer Guide, "Service, account, and table quotas", 2026-11.
MAX_ITEM_BYTES = 400 * 1024

_MAP = "m"
_BYTES = "b"


def encode_item(item: dict[str, Any]) -> str:
    return json.dumps(_encode(item, ""), separators=(",", ":"), ensure_ascii=False)


def _encode(value: Any, path: str) -> Any:
    # bool before int: True is an int in Python but a distinct JSON value.
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        if not value.isascii():
            _check_text(value, path)
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Unstorable(f"{value!r} is not a storable number (DynamoDB refuses it)", path)
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return {_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        encoded: dict[str, Any] = {}
        for name, inner in value.items():
            if not isinstance(name, str):
                raise Unstorable(f"map keys must be strings, got {name!r}", path)
            if not name.isascii():
                _check_text(name, path)
            encoded[name] = _encode(inner, f"{path}.{name}" if path else name)
        return {_MAP: encoded}
    if isinstance(value, list | tuple):
        return [_encode(inner, f"{path}[{i}]") for i, inner in enumerate(value)]
    raise Unstorable(
        f"a {type(value).__name__} cannot be stored; use str, int, float, bool, None, "
        "bytes, lists and dicts",
        path,
    )


def _check_text(value: str, path: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Unstorable("a string with unpaired surrogates is not valid UTF-8", path) from None


def decode_item(text: str) -> dict[str, Any]:
    decoded = _decode(json.loads(text))
    if not isinstance(decoded, dict):
        raise ValueError("a stored item is not a map")
    return decoded


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(inner) for inner in value]
    if isinstance(value, dict):
        if _MAP in value:
            return {name: _decode(inner) for name, inner in value[_MAP].items()}
        return base64.b64decode(value[_BYTES])
    return value


def item_size(value: Any) -> int:
    """An item's size the way DynamoDB counts it (names and values; numbers approximate),
    so that the local limit refuses what DynamoDB would."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, int | float):
        return len(repr(value)) // 2 + 2  # about one byte per two significant digits
    if isinstance(value, bytes | bytearray | memoryview):
        return len(value)
    if isinstance(value, dict):
        return 3 + sum(len(str(name).encode()) + item_size(inner) for name, inner in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(item_size(inner) + 1 for inner in value)
    return 0
