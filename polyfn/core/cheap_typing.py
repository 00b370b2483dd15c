"""Run-time stand-ins for the few ``typing`` names core and the adapters use at run time.

Importing ``typing`` costs 5 ms on its own and 17 ms with what it pulls in (``re``,
``collections``, ``functools``, ``contextlib``) on a bare interpreter, which is more than
all of polyfn's own modules together, on every cold start. Type checkers read the real
names: modules import them under ``if TYPE_CHECKING:`` and these under ``else:``.

- ``Generic[T]`` as a base class gives a plain base whose subscription returns the class
  itself, so ``Page[Item]`` still works at run time in annotations someone evaluates.
- ``overload`` returns the function; the last definition, the implementation, wins.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import GenericAlias
else:
    # types.GenericAlias without importing types (0.8 ms): the class of list[int].
    GenericAlias = type(list[int])

__all__ = ["Generic", "T", "overload"]


class Generic:
    """Base class that makes ``Cls[X]`` valid at run time without the typing module."""

    __slots__ = ()

    def __class_getitem__(cls, item: object) -> object:
        if cls is Generic:
            return Generic  # ``class C(Generic[T])``: the base is this plain class
        return GenericAlias(cls, item)  # ``C[int]``: what builtin generics answer


T = object()  # stands for a TypeVar in ``Generic[T]`` bases, which only type checkers read


def overload(function: object) -> object:
    return function
