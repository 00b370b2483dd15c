"""``urllib.parse``'s decoders for the AWS adapter, imported with the first encoded value.

``urllib.parse`` is not on the AWS import path: a function whose paths, keys and queries
carry no escapes should not load it at cold start. A ``from urllib.parse import ...``
inside the function that needs it is no answer either, because that statement runs the
import machinery on every call: 11k instructions on CPython 3.11, more than decoding an
S3 key. So, as in ``core/json_codec``, the module ``__getattr__`` (PEP 562) imports
``urllib.parse`` the first time any name is asked for and binds all of them here; from
then on ``url_codec.unquote`` is a plain module attribute. Call them through the module
(``url_codec.unquote(path)``): a ``from`` import would import ``urllib.parse`` at once.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (core/cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any
    from urllib.parse import parse_qsl, unquote, unquote_plus

__all__ = ["parse_qsl", "unquote", "unquote_plus"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from urllib import parse

    codec = globals()
    for each in __all__:
        codec[each] = getattr(parse, each)
    return codec[name]
