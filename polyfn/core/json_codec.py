"""JSON as core and the adapters write and read it, with ``json`` imported on first use.

``import json`` costs 5.5 ms on a bare interpreter and brings ``re``; on Lambda the
runtime client has imported it already, so there it costs nothing (figures and the
command that measures them: ``core/cheap_typing.py``). Building ``encode`` and ``decode``
the first time either is asked for, through the module ``__getattr__`` (PEP 562), keeps
both out of a bare import at no cost per call: from then on they are plain module
attributes. Call them as ``json_codec.encode(...)``: a ``from`` import would build them
at import time.

``encode`` writes compact JSON, keeps non-ASCII as it is, and renders the values that
reach JSON most often from tables: datetimes and dates as ISO 8601, UUIDs as strings,
Decimals as numbers, bytes as base64, sets and tuples as lists. ``decode`` raises
``ValueError`` (``json.JSONDecodeError``) or ``UnicodeDecodeError`` on bad input, and
``RecursionError`` on a document nested deeper than the interpreter's recursion limit.

``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (RFC 8259, section 6: "Numeric
values that cannot be represented ... such as Infinity and NaN are not permitted"),
although Python's ``json`` reads and writes them by default. Both directions refuse
them with ``ValueError``: a peer in another language would reject the document, so
polyfn neither accepts one nor sends one. The checks cost nothing on ordinary
documents: the decoder calls ``parse_constant`` only when it meets one of the three
words, and the encoder's ``allow_nan`` test runs only for floats.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    encode: Callable[[Any], str]
    decode: Callable[[str | bytes | bytearray], Any]

__all__ = ["decode", "encode"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    codec = globals()
    codec["encode"], codec["decode"] = _build()
    return codec[name]


def _refuse_constant(word: str) -> Any:
    # json calls this for NaN, Infinity and -Infinity only.
    raise ValueError(f"{word} is not a JSON value (RFC 8259 permits no NaN or Infinity)")


def _default(value: Any) -> Any:
    iso = getattr(value, "isoformat", None)
    if iso is not None:
        return iso()
    if isinstance(value, bytes | bytearray):
        import base64

        return base64.b64encode(value).decode()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    name = type(value).__name__
    if name in ("UUID", "Decimal"):
        return str(value) if name == "UUID" else float(value)
    raise TypeError(f"Object of type {name} is not JSON serializable")


# First bytes of a UTF-16/32 document, with or without a BOM, and of a UTF-8 BOM.
_NOT_UTF8_START = (b"\0", b"\xef", b"\xfe", b"\xff")


def _build() -> tuple[Callable[[Any], str], Callable[[str | bytes | bytearray], Any]]:
    import json
    from json import encoder

    decoder = json.JSONDecoder(parse_constant=_refuse_constant)
    decode_text = decoder.decode

    def loads(text: str | bytes | bytearray) -> Any:
        # json.loads with this decoder: its BOM check and encoding detection for bytes.
        return json.loads(text, parse_constant=_refuse_constant)

    def decode(text: str | bytes | bytearray) -> Any:
        # json.loads' type and BOM checks are for bytes; text goes straight through.
        if type(text) is str:
            return decode_text(text)
        # Bytes that json.loads would read as UTF-8 (no BOM, no NUL in the first two
        # bytes, see json.detect_encoding) skip its encoding detection: 0.6 µs of a
        # 300-byte body. Anything else goes through json.loads as before.
        if type(text) is bytes and text[:1] not in _NOT_UTF8_START and text[1:2] != b"\0":
            return decode_text(text.decode("utf-8", "surrogatepass"))
        return loads(text)

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without the C accelerator
        slow = json.JSONEncoder(
            separators=(",", ":"), ensure_ascii=False, default=_default, allow_nan=False
        )
        return slow.encode, decode
    # JSONEncoder.encode builds a new C encoder object on every call, which costs twice
    # what encoding {"id": "123"} does (1.8 µs of a v2 GET); this one is built once, with
    # the private signature tests/core/test_import_rules.py pins. It keeps no record of
    # the containers it is inside: a cycle ends in RecursionError instead of ValueError.
    # (markers, default, encode str, indent, key sep, item sep, sort_keys, skipkeys, allow_nan)
    # allow_nan=0: NaN and the infinities raise ValueError (see the module docstring).
    chunks = make(None, _default, encoder.encode_basestring, None, ":", ",", 0, 0, 0)
    join = "".join

    def encode(data: Any) -> str:
        return join(chunks(data, 0))

    return encode, decode
