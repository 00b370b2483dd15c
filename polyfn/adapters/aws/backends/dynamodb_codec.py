"""Python values to DynamoDB attribute values and back, and DynamoDB's item size rule.

str, int, float, bool, None, bytes, lists and dicts round-trip. Numbers travel as
decimal strings (never through float), so an int of up to 38 digits stays exact and an
int stays an int; a float is written in its shortest round-tripping form, which always
holds a '.' or an exponent, and a number string with either reads back as a float.

One thing DynamoDB itself decides: it stores numbers normalised ("leading and trailing
zeroes are trimmed"), so a float with an integral value such as 2.0 comes back from
DynamoDB (not from moto) as the int 2. Equal in Python, different in type.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from polyfn.adapters.common.errors import Unstorable

__all__ = [
    "MAX_ITEM_BYTES",
    "MAX_KEY_BYTES",
    "decode_item",
    "decode_value",
    "encode_item",
    "encode_value",
    "item_size",
]

# DynamoDB Developer Guide, "Quotas in Amazon DynamoDB" and "Supported data types and
# naming rules" (checked 2026-11): an item is at most 400 KB (names and values counted
# together); a partition key value is 1 to 2048 bytes; numbers have at most 38 significant
# digits and a magnitude between 1E-130 and 9.9999999999999999999999999999999999999E+125.
MAX_ITEM_BYTES = 400 * 1024
MAX_KEY_BYTES = 2048
_MAX_DIGITS = 38
_SMALLEST = Decimal("1E-130")
_LARGEST = Decimal("9.9999999999999999999999999999999999999E+125")

AttributeValue = dict[str, Any]


def encode_item(item: Mapping[str, Any]) -> dict[str, AttributeValue]:
    return {name: encode_value(value, name) for name, value in item.items()}


def encode_value(value: Any, path: str) -> AttributeValue:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):  # before int: bool is an int subclass
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int):
        return {"N": _checked_number(Decimal(value), str(value), path)}
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Unstorable("DynamoDB numbers cannot be NaN or infinite", path)
        text = repr(value)
        return {"N": _checked_number(Decimal(text), text, path)}
    if isinstance(value, Decimal):
        return {"N": _checked_number(value, str(value), path)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"B": bytes(value)}
    if isinstance(value, list | tuple):
        return {"L": [encode_value(v, f"{path}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, Mapping):
        encoded: dict[str, AttributeValue] = {}
        for name, inner in value.items():
            if not isinstance(name, str):
                raise Unstorable(f"map keys must be strings, not {type(name).__name__}", path)
            encoded[name] = encode_value(inner, f"{path}.{name}")
        return {"M": encoded}
    raise Unstorable(f"a {type(value).__name__} cannot be stored in DynamoDB", path)


def _checked_number(number: Decimal, text: str, path: str) -> str:
    if number != 0:
        magnitude = number.copy_abs()  # exact, unlike abs(), which rounds to 28 digits
        if magnitude < _SMALLEST or magnitude > _LARGEST:
            raise Unstorable(f"{text} is outside DynamoDB's number range", path)
        if _significant_digits(number) > _MAX_DIGITS:
            raise Unstorable(f"{text} has more than {_MAX_DIGITS} significant digits", path)
    return text


def _significant_digits(number: Decimal) -> int:
    # Read from the exact digit tuple: Decimal.normalize() rounds to the context's 28.
    digits = "".join(map(str, number.as_tuple().digits)).strip("0")
    return max(len(digits), 1)


def decode_item(attributes: Mapping[str, AttributeValue]) -> dict[str, Any]:
    return {name: decode_value(value) for name, value in attributes.items()}


def decode_value(attribute: Mapping[str, Any]) -> Any:
    ((tag, value),) = attribute.items()
    if tag == "S":
        return value
    if tag == "N":
        return _decode_number(value)
    if tag == "BOOL":
        return bool(value)
    if tag == "NULL":
        return None
    if tag == "B":
        return bytes(value)
    if tag == "L":
        return [decode_value(v) for v in value]
    if tag == "M":
        return {k: decode_value(v) for k, v in value.items()}
    # Sets are never written by polyfn; items written by other tools read back as lists.
    if tag == "SS":
        return list(value)
    if tag == "NS":
        return [_decode_number(v) for v in value]
    if tag == "BS":
        return [bytes(v) for v in value]
    raise ValueError(f"unknown DynamoDB attribute type {tag!r}")


def _decode_number(text: str) -> int | float:
    if any(mark in text for mark in ".eE"):
        return float(text)
    return int(text)


def item_size(item: Mapping[str, AttributeValue]) -> int:
    """The item's size by DynamoDB's rule ("Item sizes and formats" in the Developer
    Guide): attribute names plus values, with a few bytes of overhead per list and map."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(attribute: Mapping[str, Any]) -> int:
    ((tag, value),) = attribute.items()
    if tag == "S":
        return len(value.encode())
    if tag == "N":
        return (_significant_digits(Decimal(value)) + 1) // 2 + 1
    if tag == "B":
        return len(value)
    if tag in ("BOOL", "NULL"):
        return 1
    if tag == "L":
        return 3 + sum(1 + _value_size(v) for v in value)
    if tag == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in value.items())
    return 0
