"""How a local table item is written as JSON text so that every value comes back exactly.

Python's JSON already keeps str, int (any size), float, bool, None, lists and dicts
apart, so an item without bytes is written as plain JSON after a ``=`` mark, and read
back by one ``json`` call (the common case, and the fast one). An item holding bytes
somewhere is tagged: bytes, and every dict (so that a user's dict can never be mistaken
for a tag), so that in its text every JSON object is a tag with exactly one key:

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

__all__ = ["MAX_ITEM_BYTES", "decode_item", "encode_item", "fits", "item_size"]

# The strictest item limit of the three clouds, so that an item that fits locally fits
# everywhere: DynamoDB's 400 KB (Azure Table and Firestore allow about 1 MiB).
# Source: Amazon DynamoDB Developer Guide, "Service, account, and table quotas", 2026-11.
MAX_ITEM_BYTES = 400 * 1024

_MAP = "m"
_BYTES = "b"


_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_loads = json.JSONDecoder().decode
_raw_decode = json.JSONDecoder().raw_decode
_SCALARS = (int, bool, type(None))


_PLAIN = "="  # the mark of an item written as plain JSON


# Exact types that json's C encoder writes just as the checks below accept them (floats:
# with allow_nan=False it refuses NaN and the infinities itself). No circularity check:
# ``_plain`` has walked the item first (a cycle ends there, as in ``_check``).
_LEAVES = frozenset({str, int, float, bool, type(None)})
_plain_encoder = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
)


def _c_encoder() -> Any:
    """``_plain_encoder``'s C encoder, made once: ``JSONEncoder.encode`` makes a new one
    on every call (and two Python frames), a fifth of the encoding of a small item
    (benchmarks/table_sqlite.py, batch write, counted under cachegrind). The arguments
    are the ones ``JSONEncoder.iterencode`` passes (CPython 3.6 to 3.13); None where
    there is no C encoder (or it takes other arguments), then ``encode`` it is."""
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        made = make(
            None,  # no circularity markers: _plain has walked the item (check_circular=False)
            _plain_encoder.default,
            encoder.encode_basestring,  # ensure_ascii=False
            None,  # no indent
            ":",
            ",",
            False,  # sort_keys
            False,  # skipkeys
            False,  # allow_nan
        )
        if "".join(made({"a": [1, "é"]}, 0)) != '{"a":[1,"é"]}':
            return None
    except Exception:
        return None
    return made


_C_ENCODER = _c_encoder()


def _plain(value: Any) -> bool:
    """True when ``value`` is exact dicts with str keys, exact lists and tuples, and leaves
    of the exact JSON types: json's C encoder alone then writes what ``encode_item``
    would. Anything else (bytes, a subclass, a non-str key, a set) takes the checks."""
    kind = type(value)
    if kind is dict:
        for name, inner in value.items():
            if type(name) is not str or (type(inner) not in _LEAVES and not _plain(inner)):
                return False
        return True
    if kind is list or kind is tuple:
        # A loop, not all(...): the generator's frame is a quarter of this walk's time.
        for inner in value:  # noqa: SIM110
            if type(inner) not in _LEAVES and not _plain(inner):
                return False
        return True
    return False


def encode_item(item: dict[str, Any]) -> str:
    # The common item (JSON types, ASCII text) is one walk over types and one C call: a
    # quarter less than the checks below (benchmarks/table_sqlite.py, batch write).
    if _plain(item):
        try:
            if _C_ENCODER is not None:
                text = "".join(_C_ENCODER(item, 0))
            else:
                text = _plain_encoder.encode(item)
        except ValueError:
            pass  # NaN or an infinity: the checks below name the attribute
        else:
            if text.isascii() or _is_utf8(text):
                return _PLAIN + text
            # An unpaired surrogate somewhere: the checks say where.
    return encode_checked(item)


def encode_checked(item: dict[str, Any]) -> str:
    """``encode_item`` by the checks alone (its fast path must agree: a test fuzzes both)."""
    # Check every value (the top level inline: most attributes are scalars), noting
    # whether the item holds bytes; only then does it need the tagged form.
    has_bytes = False
    for name, value in item.items():
        if not isinstance(name, str):
            raise Unstorable(f"map keys must be strings, got {name!r}", "")
        if not name.isascii():
            _check_text(name, "")
        kind = type(value)
        if kind is str:
            if not value.isascii():
                _check_text(value, name)
        elif kind not in _SCALARS and _check(value, name):
            has_bytes = True
    if has_bytes:
        return _dumps(_encode(item, ""))
    return _PLAIN + _dumps(item)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check(value: Any, path: str) -> bool:
    """Check what ``_encode`` checks; True when ``value`` holds bytes. Paths of nested
    values are built only for an error (``_at``), not for every value checked."""
    kind = type(value)
    if kind is str:
        if not value.isascii():
            _check_text(value, path)
        return False
    if kind in _SCALARS:
        return False
    if kind is float:
        if not math.isfinite(value):
            raise Unstorable(f"{value!r} is not a storable number (DynamoDB refuses it)", path)
        return False
    if kind is dict:
        found = False
        for name, inner in value.items():
            if type(name) is not str:
                if not isinstance(name, str):
                    raise Unstorable(f"map keys must be strings, got {name!r}", path)
            elif not name.isascii():
                _check_text(name, path)
            if type(inner) is not str or not inner.isascii():
                try:
                    found = _check(inner, "") or found
                except Unstorable as exc:
                    raise _at(exc, f"{path}.{name}" if path else name) from None
        return found
    if kind is list or kind is tuple:
        found = False
        for index, inner in enumerate(value):
            try:
                found = _check(inner, "") or found
            except Unstorable as exc:
                raise _at(exc, f"{path}[{index}]") from None
        return found
    if isinstance(value, bytes | bytearray | memoryview):
        return True
    if isinstance(value, bool | int | str | float | dict | list | tuple):
        return _check(_plain_type(value), path)  # a subclass: checked as its base type
    raise Unstorable(
        f"a {type(value).__name__} cannot be stored; use str, int, float, bool, None, "
        "bytes, lists and dicts",
        path,
    )


def _plain_type(value: Any) -> Any:
    bases: tuple[Any, ...] = (bool, int, str, float, dict, list, tuple)
    for base in bases:
        if isinstance(value, base):
            return base(value)
    return value


def _at(exc: Unstorable, prefix: str) -> Unstorable:
    """``exc`` with the path of the value that holds the bad one in front."""
    if not exc.path:
        path = prefix
    elif exc.path.startswith("["):
        path = prefix + exc.path
    else:
        path = f"{prefix}.{exc.path}"
    return Unstorable(exc.reason, path)


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
    if text[:1] == _PLAIN:
        item = _raw_decode(text, 1)[0]
        if type(item) is not dict:
            raise ValueError("a stored item is not a map")
        return item
    loaded = _loads(text)
    top = loaded.get(_MAP) if type(loaded) is dict else None
    if type(top) is not dict:
        raise ValueError("a stored item is not a map")
    # Scalars stay as they are, in place; only nested lists and tags are walked.
    for name, value in top.items():
        if type(value) in (dict, list):
            top[name] = _decode(value)
    return top


def fits(text: str, item: dict[str, Any]) -> int | None:
    """None when the item is surely within MAX_ITEM_BYTES, else its size to check.

    ``item_size`` walks the item in Python; the encoded text bounds it: a character of
    the text is at most 4 bytes of UTF-8, and every value the size counts (3 bytes for a
    list or map, 2 for a small number) takes at least one character and a separator of
    the text. So an item whose text is under a quarter of the limit fits.
    """
    if 4 * len(text) <= MAX_ITEM_BYTES:
        return None
    return item_size(item)


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
