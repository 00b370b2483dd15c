"""polyfn items to Azure Table Storage entities and back.

The layout (documented in docs/readme/resources.md; keep the two in step):

* Without a sort key, ``PartitionKey`` is always ``"polyfn"``: every item of a table lives
  in one partition, so ``query(prefix)`` is a ``RowKey`` range in key order. The price
  is the per-partition throughput target (2,000 entities per second, "Scalability and
  performance targets for Table storage", checked 2026-11). ``RowKey`` is the item's key.
* With a sort key, ``PartitionKey`` is the partition key and ``RowKey`` the sort key.
  The key attributes themselves are not stored again.
* An attribute whose name is a valid property name and whose value Table Storage stores
  natively is a property of that name: str (Edm.String), bool (Edm.Boolean), int
  (Edm.Int32, or Edm.Int64 beyond 32 bits), float (Edm.Double), bytes (Edm.Binary).
* Everything else (None, lists, dicts, ints beyond 64 bits, strings and bytes over a
  property's 64 KiB, names that are not C#-style identifiers or start with ``polyfn_``)
  goes into one JSON object, stored as Edm.String ``polyfn_json`` and, when longer than
  one property holds, continued in ``polyfn_json_1``, ``polyfn_json_2``, ... Inside it,
  bytes are ``{"$polyfn:bytes": "<base64>"}`` and NaN/infinities
  ``{"$polyfn:float": "nan"}``; a dict with a key starting ``$polyfn:`` cannot be stored.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from polyfn.adapters.common.errors import TooLarge, Unstorable

__all__ = [
    "JSON_PROPERTY",
    "MAX_ENTITY_BYTES",
    "PARTITION",
    "decode_entity",
    "encode_entity",
    "entity_size",
    "storable_key",
]

PARTITION = "polyfn"
JSON_PROPERTY = "polyfn_json"
_TAG_BYTES = "$polyfn:bytes"
_TAG_FLOAT = "$polyfn:float"

# "Understanding the Table service data model" (learn.microsoft.com, checked 2026-11): an
# entity is at most 1 MiB with at most 255 properties including PartitionKey, RowKey and
# Timestamp; an Edm.String or Edm.Binary value is at most 64 KiB (32K UTF-16 characters);
# PartitionKey and RowKey are at most 1 KiB and cannot hold / \ # ? or control characters;
# property names follow C# identifier rules and are at most 255 characters.
MAX_ENTITY_BYTES = 1024 * 1024
MAX_PROPERTIES = 252
_STRING_UNITS = 32 * 1024
_BINARY_BYTES = 64 * 1024
_KEY_BYTES = 1024
_KEY_FORBIDDEN = re.compile("[/\\\\#?\x00-\x1f\x7f-\x9f]")
_PROPERTY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
_RESERVED_NAMES = frozenset({"PartitionKey", "RowKey", "Timestamp", "ETag"})
_INT32 = range(-(2**31), 2**31)
_INT64 = range(-(2**63), 2**63)
_NOT_NATIVE = object()


def storable_key(key: str) -> bool:
    return 0 < len(key.encode("utf-16-le")) <= _KEY_BYTES and _KEY_FORBIDDEN.search(key) is None


def encode_entity(
    key_attribute: str, item: Mapping[str, Any], sort_attribute: str | None = None
) -> dict[str, Any]:
    """The entity of ``item``. Without a sort key: PartitionKey ``"polyfn"``, RowKey the
    key; with one: PartitionKey the partition key, RowKey the sort key. The key
    attributes are not stored again as properties."""
    key = item[key_attribute]
    for attribute in (key_attribute, sort_attribute):
        if attribute is not None and not storable_key(item[attribute]):
            raise Unstorable(
                "an Azure Table key is at most 1 KiB and cannot hold / \\ # ? or control "
                "characters",
                attribute,
            )
    natives: dict[str, Any] = {}
    overflow: dict[str, Any] = {}
    for name, value in item.items():
        if name in (key_attribute, sort_attribute):
            continue
        native = _native(name, value)
        if native is _NOT_NATIVE:
            overflow[name] = _to_json(value, name)
        else:
            natives[name] = native
    chunks = _json_chunks(overflow) if overflow else []
    if len(natives) + len(chunks) > MAX_PROPERTIES:
        # Too many properties: keep them all in the JSON object instead.
        overflow.update({name: _to_json(value, name) for name, value in natives.items()})
        natives, chunks = {}, _json_chunks(overflow)
    if sort_attribute is None:
        entity: dict[str, Any] = {"PartitionKey": PARTITION, "RowKey": key, **natives}
    else:
        entity = {"PartitionKey": key, "RowKey": item[sort_attribute], **natives}
    for index, chunk in enumerate(chunks):
        entity[_json_property(index)] = chunk
    size = entity_size(entity)
    if size > MAX_ENTITY_BYTES:
        raise TooLarge(f"item {key!r}", size, MAX_ENTITY_BYTES, "Table Storage entity size")
    return entity


def _native(name: str, value: Any) -> Any:
    if (
        not _PROPERTY_NAME.match(name)
        or name in _RESERVED_NAMES
        or name.lower().startswith("polyfn_")
    ):
        return _NOT_NATIVE
    if isinstance(value, bool | float):
        return value
    if isinstance(value, str):
        return value if _utf16_units(value) <= _STRING_UNITS else _NOT_NATIVE
    if isinstance(value, int):
        if value in _INT32:
            return value
        if value in _INT64:
            from azure.data.tables import EdmType, EntityProperty

            return EntityProperty(value, EdmType.INT64)
        return _NOT_NATIVE
    if isinstance(value, bytes | bytearray) and len(value) <= _BINARY_BYTES:
        return bytes(value)
    return _NOT_NATIVE


def _to_json(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {_TAG_FLOAT: repr(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {_TAG_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, list | tuple):
        return [_to_json(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        encoded: dict[str, Any] = {}
        for name, inner in value.items():
            if not isinstance(name, str):
                raise Unstorable(f"map keys must be strings, not {type(name).__name__}", path)
            if name.startswith("$polyfn:"):
                raise Unstorable("map keys starting with '$polyfn:' are reserved", path)
            encoded[name] = _to_json(inner, f"{path}.{name}")
        return encoded
    raise Unstorable(f"a {type(value).__name__} cannot be stored in Azure Table Storage", path)


def _from_json(value: Any) -> Any:
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, inner),) = value.items()
            if tag == _TAG_BYTES:
                return base64.b64decode(inner)
            if tag == _TAG_FLOAT:
                return float(inner)
        return {k: _from_json(v) for k, v in value.items()}
    return value


def _json_chunks(overflow: Mapping[str, Any]) -> list[str]:
    text = json.dumps(overflow, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return list(_split_utf16(text, _STRING_UNITS))


def _split_utf16(text: str, units: int) -> Iterator[str]:
    """Pieces of at most ``units`` UTF-16 code units, never splitting a character."""
    start, used = 0, 0
    for index, char in enumerate(text):
        width = 2 if ord(char) > 0xFFFF else 1
        if used + width > units:
            yield text[start:index]
            start, used = index, 0
        used += width
    yield text[start:]


def _json_property(index: int) -> str:
    return JSON_PROPERTY if index == 0 else f"{JSON_PROPERTY}_{index}"


def decode_entity(
    key_attribute: str, entity: Mapping[str, Any], sort_attribute: str | None = None
) -> dict[str, Any]:
    if sort_attribute is None:
        item: dict[str, Any] = {key_attribute: entity["RowKey"]}
    else:
        item = {key_attribute: entity["PartitionKey"], sort_attribute: entity["RowKey"]}
    chunks: dict[str, str] = {}
    for name, value in entity.items():
        if name in _RESERVED_NAMES or name.startswith("odata."):
            continue
        if name == JSON_PROPERTY or name.startswith(f"{JSON_PROPERTY}_"):
            chunks[name] = value
            continue
        # Edm.Int64 arrives as EntityProperty(value, edm_type); everything else as is.
        item[name] = getattr(value, "value", value) if hasattr(value, "edm_type") else value
    if chunks:
        text = "".join(chunks[_json_property(index)] for index in range(len(chunks)))
        item.update(_from_json(json.loads(text)))
    return item


def entity_size(entity: Mapping[str, Any]) -> int:
    """The entity's size by Table Storage's formula: 4 bytes, plus the keys in UTF-16,
    plus per property 8 bytes, its name in UTF-16 and its value's size."""
    size = 4 + 2 * (_utf16_units(entity["PartitionKey"]) + _utf16_units(entity["RowKey"]))
    for name, value in entity.items():
        if name in ("PartitionKey", "RowKey"):
            continue
        size += 8 + 2 * _utf16_units(name) + _value_size(getattr(value, "value", value))
    return size


def _value_size(value: Any) -> int:
    if isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return 4 + 2 * _utf16_units(value)
    if isinstance(value, bytes):
        return 4 + len(value)
    if isinstance(value, int):
        return 4 if value in _INT32 else 8
    return 8  # Edm.Double


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
