"""The one home of polyfn's cold-start shims, and what each trick is measured to be worth.

Every trick below was measured twice: in a ``python -S`` child after ``import
awslambdaric.bootstrap`` (what a Lambda process has imported before the handler: json,
re, logging, decimal, collections.abc, enum, functools, types...), and on a bare
``python -S`` (a local run, a test, a runtime that preloads less). Per-invocation
figures are the AWS HTTP API v2 GET of the benchmarks. Reproduce with::

    make bench                                   # cold start and invocation tables
    .bench-venv/bin/python benchmarks/tricks.py  # the per-trick figures below

Figures from a 2-core x86-64 machine, Python 3.11, December 2026 (ms of import avoided,
after awslambdaric / bare):

- **No ``typing`` at run time** (1.7 / 6.4 ms): KEPT. Lambda's runtime client does not
  import typing, so the first module that does pays it on every cold start. Modules
  write ``TYPE_CHECKING = False`` and put typing-only imports under ``if TYPE_CHECKING:``
  (ruff and mypy read that as typing.TYPE_CHECKING); at run time they take ``Generic``,
  ``T`` and ``overload`` from here. ``tests/core/test_import_rules.py`` and ruff's TID253
  (pyproject.toml) hold the rule.
- **Lazy ``json`` in ``json_codec``** (0.0 / 5.5 ms, 0 µs per call once built): KEPT,
  though on Lambda it buys nothing (the runtime client imports json). It costs nothing
  per call either (the first call replaces the module attributes), and it is what keeps
  ``re`` (json.decoder imports it) out of a bare import of polyfn.
- **Prebuilt C JSON encoder in ``json_codec``** (1.8 µs of a 2.5 µs v2 GET; 0.5 against
  1.3 µs to encode ``{"id": "123"}``): KEPT. It relies on the private
  ``json.encoder.c_make_encoder`` signature, which ``tests/core/test_import_rules.py``
  pins, so a Python upgrade that changes it fails a test, not production.
- **UTF-8 bytes straight to the decoder in ``json_codec.decode``** (0.6 µs of a 300-byte
  v2 POST body): KEPT; bytes json.loads would read as UTF-8 skip its encoding detection,
  the rest go through json.loads, and a test holds the two to the same answers.
- **No ``re`` in core** (0.0 / 4.0 ms): KEPT as a rule, cheaply: routing checks
  characters with frozensets, schedule parses ``rate(...)`` with ``str.split``. Free on
  Lambda (json imports re), 4 ms anywhere json is not loaded yet.
- **``datetime`` imported inside ``schedule.next_fire``** (0.8 / 1.3 ms): KEPT; only
  the local scheduler computes firing times.
- **``_collections_abc`` instead of ``collections.abc``** (0.0 / 1.2 ms): DROPPED; every
  runtime client has ``collections.abc`` loaded, so core imports the public module.
- **``type(list[int])`` for ``types.GenericAlias``** (0.0 / ~0.8 ms): kept, being one
  line; ``types`` is loaded on Lambda anyway.

What is not a trick but a rule, also measured (after awslambdaric): ``dataclasses``
(4.2 ms, brings inspect), ``inspect`` (3.5 ms), ``urllib.parse`` (1.6 ms, the AWS
adapter's ``url_codec`` imports it on first use) stay out of the import path; TID253
bans them at module level in ``polyfn/core`` and ``polyfn/adapters/aws``.

The stand-ins:

- ``Generic[T]`` as a base class gives a plain base whose subscription returns the class
  itself, so ``Page[Item]`` still works at run time in annotations someone evaluates.
- ``overload`` returns the function; the last definition, the implementation, wins.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import GenericAlias
else:
    # types.GenericAlias without importing types: the class of list[int].
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
