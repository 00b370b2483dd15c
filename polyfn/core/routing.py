"""Path templates and route lookup.

Templates use the braces every cloud understands: ``/users/{id}`` matches one segment,
``/files/{path+}`` matches the rest of the path (API Gateway's greedy form; Azure calls
it ``{*path}``). Static paths are found with one dict lookup; templates are compiled to
one regular expression each when the app is frozen, so lookup does no parsing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

__all__ = ["MethodNotAllowed", "NotFound", "PathTemplate", "Router"]

T = TypeVar("T")

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\+)?\}")
_VALID_STATIC = re.compile(r"^[A-Za-z0-9\-._~!$&'()*,;=:@%/]*$")


class NotFound(Exception):
    """No route has this path."""


class MethodNotAllowed(Exception):
    """The path exists but not for this method; ``allowed`` feeds the ``Allow`` header."""

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


class PathTemplate:
    """A parsed ``/users/{id}`` template."""

    __slots__ = ("greedy", "params", "regex", "template")

    def __init__(
        self,
        template: str,
        params: tuple[str, ...],
        greedy: str | None,
        regex: re.Pattern[str] | None,  # None for a static path
    ) -> None:
        self.template = template
        self.params = params
        self.greedy = greedy
        self.regex = regex

    def __repr__(self) -> str:
        return f"PathTemplate({self.template!r})"

    @classmethod
    def parse(cls, template: str) -> PathTemplate:
        if not template.startswith("/"):
            raise ValueError(f"route path must start with '/': {template!r}")
        if "//" in template:
            raise ValueError(f"route path has an empty segment: {template!r}")
        params: list[str] = []
        greedy: str | None = None
        pattern = ["^"]
        pos = 0
        for m in _PARAM.finditer(template):
            literal = template[pos : m.start()]
            _check_literal(template, literal)
            pattern.append(re.escape(literal))
            name, plus = m.group(1), m.group(2)
            if name in params:
                raise ValueError(f"route path repeats parameter {name!r}: {template!r}")
            if greedy is not None:
                raise ValueError(f"a greedy parameter must be last: {template!r}")
            before = template[m.start() - 1] if m.start() else ""
            after = template[m.end()] if m.end() < len(template) else "/"
            if before != "/" or after != "/":
                raise ValueError(
                    f"a parameter must be a whole path segment, like /users/{{id}}: {template!r}"
                )
            params.append(name)
            if plus:
                greedy = name
                pattern.append(f"(?P<{name}>.+)")
            else:
                pattern.append(f"(?P<{name}>[^/]+)")
            pos = m.end()
        tail = template[pos:]
        _check_literal(template, tail)
        if greedy is not None and tail:
            raise ValueError(f"a greedy parameter must be last: {template!r}")
        pattern.append(re.escape(tail))
        pattern.append("$")
        regex = re.compile("".join(pattern)) if params else None
        return cls(template, tuple(params), greedy, regex)

    @property
    def is_static(self) -> bool:
        return self.regex is None

    def format(self, style: str) -> str:
        """The template in a cloud's syntax: ``aws``/``gcp`` keep it, ``azure`` writes ``{*p}``."""
        if style != "azure":
            return self.template
        route = self.template.lstrip("/")
        if self.greedy:
            route = route.replace(f"{{{self.greedy}+}}", f"{{*{self.greedy}}}")
        return route


def _check_literal(template: str, literal: str) -> None:
    if "{" in literal or "}" in literal:
        raise ValueError(
            f"route path has a malformed parameter (use {{name}} or {{name+}}): {template!r}"
        )
    if not _VALID_STATIC.match(literal):
        raise ValueError(f"route path has characters a URL path cannot carry: {template!r}")


class _Entry(Generic[T]):
    __slots__ = ("by_method", "template")

    def __init__(self, template: PathTemplate) -> None:
        self.template = template
        self.by_method: dict[str, T] = {}


class Router(Generic[T]):
    """Maps (method, path) to a target and the path parameters.

    ``HEAD`` falls back to ``GET``, as HTTP servers do; a path that exists under other
    methods raises ``MethodNotAllowed`` with those methods.
    """

    def __init__(self) -> None:
        self._static: dict[str, _Entry[T]] = {}
        self._dynamic: list[_Entry[T]] = []
        self._by_template: dict[str, _Entry[T]] = {}

    def add(self, template: str, methods: Iterable[str], target: T) -> PathTemplate:
        parsed = PathTemplate.parse(template)
        entry = self._by_template.get(parsed.template)
        if entry is None:
            entry = _Entry(parsed)
            self._by_template[parsed.template] = entry
            if parsed.is_static:
                self._static[parsed.template] = entry
            else:
                self._dynamic.append(entry)
                # More literal characters first, so /users/me wins over /users/{id}
                # regardless of declaration order; greedy templates go last.
                self._dynamic.sort(key=_specificity)
        for method in methods:
            method = method.upper()
            if method in entry.by_method:
                raise ValueError(f"route {method} {template} is declared twice")
            entry.by_method[method] = target
        return parsed

    def match(self, method: str, path: str) -> tuple[T, dict[str, str]]:
        entry = self._static.get(path)
        params: dict[str, str] = {}
        if entry is None and len(path) > 1 and path.endswith("/"):
            entry = self._static.get(path.rstrip("/"))
        if entry is None:
            for candidate in self._dynamic:
                m = candidate.template.regex.match(path)  # type: ignore[union-attr]
                if m is not None:
                    entry = candidate
                    params = m.groupdict()
                    break
            else:
                raise NotFound(path)
        target = entry.by_method.get(method)
        if target is None and method == "HEAD":
            target = entry.by_method.get("GET")
        if target is None:
            raise MethodNotAllowed(self.allowed_for(entry))
        return target, params

    def allowed(self, path: str) -> list[str] | None:
        """The methods a path accepts, or None when no route has it (for CORS preflight)."""
        try:
            self.match("\0", path)
        except NotFound:
            return None
        except MethodNotAllowed as exc:
            return exc.allowed
        return []

    @staticmethod
    def allowed_for(entry: _Entry[T]) -> list[str]:
        methods = set(entry.by_method)
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods)

    def templates(self) -> list[PathTemplate]:
        return [entry.template for entry in self._by_template.values()]


def _specificity(entry: _Entry[Any]) -> tuple[int, int, int]:
    tpl = entry.template
    literal = len(_PARAM.sub("", tpl.template))
    return (1 if tpl.greedy else 0, -literal, -tpl.template.count("/"))
