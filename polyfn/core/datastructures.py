"""Multi-valued mappings shared by requests and responses.

HTTP lets a name repeat (``?tag=a&tag=b``, two ``Set-Cookie`` headers), and every cloud
hands repeated values over differently. ``MultiDict`` keeps all of them; indexing gives
the first, ``getlist`` gives them all. ``Headers`` is the same with case-insensitive
names, as RFC 9110 wants.
"""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Self, TypeVar, overload

    _T = TypeVar("_T")
else:
    from polyfn.core.cheap_typing import overload

__all__ = ["Headers", "MultiDict"]


class MultiDict(Mapping[str, str]):
    """A read-mostly mapping of name -> list of values; ``d[name]`` is the first value."""

    __slots__ = ("_data",)

    def __init__(
        self,
        items: Mapping[str, str | list[str]] | Iterable[tuple[str, str]] | None = None,
    ) -> None:
        self._data: dict[str, list[str]] = {}
        if items is None:
            return
        if isinstance(items, Mapping):
            for name, value in items.items():
                if isinstance(value, list):
                    for v in value:
                        self.add(name, v)
                else:
                    self.add(name, value)
        else:
            for name, value in items:
                self.add(name, value)

    @classmethod
    def _from_lists(cls, data: dict[str, list[str]]) -> Self:
        # Adapters that already hold name -> [values] hand the dict over without copying.
        md = cls.__new__(cls)
        md._data = data
        return md

    def _norm(self, name: str) -> str:
        return name

    def __getitem__(self, name: str) -> str:
        return self._data[self._norm(name)][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._norm(name) in self._data

    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, default: str, /) -> str: ...
    @overload
    def get(self, name: str, default: _T, /) -> str | _T: ...

    def get(self, name: str, default: object = None, /) -> object:
        values = self._data.get(self._norm(name))
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        """All values of ``name`` in the order they arrived (an empty list if absent)."""
        return list(self._data.get(self._norm(name), ()))

    def multi_items(self) -> list[tuple[str, str]]:
        """Every (name, value) pair, repeated names included."""
        return [(name, v) for name, values in self._data.items() for v in values]

    def to_lists(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self._data.items()}

    # Mutation is for the side that builds a message (responses, tests, adapters).
    def add(self, name: str, value: str) -> None:
        self._data.setdefault(self._norm(name), []).append(value)

    def set(self, name: str, value: str) -> None:
        self._data[self._norm(name)] = [value]

    def setdefault_value(self, name: str, value: str) -> None:
        self._data.setdefault(self._norm(name), [value])

    def remove(self, name: str) -> None:
        self._data.pop(self._norm(name), None)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return self._data == other._data
        return NotImplemented

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.multi_items()!r})"


class Headers(MultiDict):
    """Case-insensitive, multi-valued HTTP headers. Names are stored lower-case."""

    __slots__ = ()

    def _norm(self, name: str) -> str:
        return name.lower()

    @classmethod
    def from_single(cls, mapping: Mapping[str, str] | None) -> Headers:
        """From a name -> value dict whose names may be in any case (API Gateway v2, Azure)."""
        headers = cls.__new__(cls)
        data: dict[str, list[str]] = {}
        if mapping:
            for name, value in mapping.items():
                key = name.lower()
                if key in data:
                    data[key].append(value)
                else:
                    data[key] = [value]
        headers._data = data
        return headers

    @classmethod
    def from_multi(cls, mapping: Mapping[str, list[str]] | None) -> Headers:
        """From a name -> [values] dict (API Gateway v1 multiValueHeaders, ALB multi mode)."""
        headers = cls.__new__(cls)
        data: dict[str, list[str]] = {}
        if mapping:
            for name, values in mapping.items():
                data.setdefault(name.lower(), []).extend(values)
        headers._data = data
        return headers
