"""Path templates and route lookup.

Templates use the braces every cloud understands: ``/users/{id}`` matches one segment,
``/files/{path+}`` matches the rest of the path (API Gateway's greedy form; Azure calls
it ``{*path}``). Static paths are found with one dict lookup; templates are split into
segments when declared and grouped by segment count, so a lookup compares a few strings
and never parses. No regular expressions: ``re`` would add 7 ms to every cold start.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Generic, TypeVar

    T = TypeVar("T")
else:
    from polyfn.core.cheap_typing import Generic, T

__all__ = ["MethodNotAllowed", "NotFound", "PathTemplate", "Router"]

_IDENTIFIER_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_IDENTIFIER = _IDENTIFIER_START | frozenset("0123456789")
# The characters RFC 3986 allows in a path segment (unreserved, sub-delims, ":", "@")
# plus "%" for escapes.
_SEGMENT_CHARS = _IDENTIFIER | frozenset("-.~!$&'()*,;=:@%")


class NotFound(Exception):
    """No route has this path."""


class MethodNotAllowed(Exception):
    """The path exists but not for this method; ``allowed`` feeds the ``Allow`` header."""

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


class PathTemplate:
    """A parsed ``/users/{id}`` template.

    ``segments`` are the parts between slashes before any greedy parameter: a literal
    string, or None where a one-segment parameter goes.
    """

    __slots__ = (
        "greedy",
        "literals",
        "names",
        "params",
        "path_literals",
        "path_names",
        "segments",
        "template",
    )

    def __init__(
        self,
        template: str,
        segments: tuple[str | None, ...],
        params: tuple[str, ...],
        greedy: str | None,
    ) -> None:
        self.template = template
        self.segments = segments
        self.params = params
        self.greedy = greedy
        # (index, literal) and (index, parameter name) of the segments, for matching
        self.literals = tuple((i, s) for i, s in enumerate(segments) if s is not None)
        one_segment = iter(params)
        self.names = tuple((i, next(one_segment)) for i, s in enumerate(segments) if s is None)
        # The same, indexed into path.split("/"), whose first item is the "" before "/".
        self.path_literals = tuple((i + 1, s) for i, s in self.literals)
        self.path_names = tuple((i + 1, name) for i, name in self.names)

    def __repr__(self) -> str:
        return f"PathTemplate({self.template!r})"

    @classmethod
    def parse(cls, template: str) -> PathTemplate:
        if not template.startswith("/"):
            raise ValueError(f"route path must start with '/': {template!r}")
        if "//" in template:
            raise ValueError(f"route path has an empty segment: {template!r}")
        parts = template[1:].split("/")
        segments: list[str | None] = []
        params: list[str] = []
        greedy: str | None = None
        for index, part in enumerate(parts):
            name, plus = _parameter(template, part)
            if name is None:
                segments.append(part)
                continue
            if name in params:
                raise ValueError(f"route path repeats parameter {name!r}: {template!r}")
            params.append(name)
            if plus:
                if index != len(parts) - 1:
                    raise ValueError(f"a greedy parameter must be last: {template!r}")
                greedy = name
            else:
                segments.append(None)
        return cls(template, tuple(segments), tuple(params), greedy)

    @property
    def is_static(self) -> bool:
        return not self.params

    def match(self, path: str) -> dict[str, str] | None:
        """The parameters if ``path`` fits this template, else None."""
        if not path.startswith("/"):
            return None
        if self.greedy is None:
            return self.match_segments(path[1:].split("/"))
        fixed = len(self.segments)
        parts = path[1:].split("/", fixed)
        if len(parts) != fixed + 1 or not parts[fixed]:
            return None
        params = self.match_segments(parts[:fixed])
        if params is not None:
            params[self.greedy] = parts[fixed]
        return params

    def match_segments(self, segments: list[str]) -> dict[str, str] | None:
        """The parameters if the path's segments fit the template's, else None."""
        if len(segments) != len(self.segments):
            return None
        for index, literal in self.literals:
            if segments[index] != literal:
                return None
        params: dict[str, str] = {}
        for index, name in self.names:
            value = segments[index]
            if not value:
                return None  # a parameter is never empty
            params[name] = value
        return params

    def format(self, style: str) -> str:
        """The template in a cloud's syntax: ``aws``/``gcp`` keep it, ``azure`` writes ``{*p}``."""
        if style != "azure":
            return self.template
        route = self.template.lstrip("/")
        if self.greedy:
            route = route.replace(f"{{{self.greedy}+}}", f"{{*{self.greedy}}}")
        return route


def _parameter(template: str, part: str) -> tuple[str | None, bool]:
    """(name, greedy) when the segment is ``{name}`` or ``{name+}``; (None, False) for a
    literal; ValueError for anything else."""
    if "{" not in part and "}" not in part:
        if not _SEGMENT_CHARS.issuperset(part):
            raise ValueError(f"route path has characters a URL path cannot carry: {template!r}")
        return None, False
    inner = part[1:-1] if part.startswith("{") and part.endswith("}") else ""
    plus = inner.endswith("+")
    name = inner[:-1] if plus else inner
    if not name or name[0] not in _IDENTIFIER_START or not _IDENTIFIER.issuperset(name):
        raise ValueError(
            "a parameter must be a whole path segment written {name} or {name+}, "
            f"like /users/{{id}}: {template!r}"
        )
    return name, plus


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
        # Templates with one-segment parameters only, by segment count; then the greedy
        # ones. Each list is in specificity order.
        self._by_length: dict[int, list[_Entry[T]]] = {}
        self._greedy: list[_Entry[T]] = []
        self._by_template: dict[str, _Entry[T]] = {}
        # "GET /users/{id}" -> target, for platforms that route before polyfn does (API
        # Gateway names the route it matched in routeKey): one lookup instead of a match.
        self.by_route_key: dict[str, T] = {}

    def add(self, template: str, methods: Iterable[str], target: T) -> PathTemplate:
        parsed = PathTemplate.parse(template)
        entry = self._by_template.get(parsed.template)
        if entry is None:
            entry = _Entry(parsed)
            self._by_template[parsed.template] = entry
            if parsed.is_static:
                self._static[parsed.template] = entry
            else:
                if parsed.greedy is None:
                    group = self._by_length.setdefault(len(parsed.segments), [])
                else:
                    group = self._greedy
                group.append(entry)
                # More literal characters first, so /users/me wins over /users/{id}
                # regardless of declaration order.
                group.sort(key=_specificity)
        for method in methods:
            method = method.upper()
            if method in entry.by_method:
                raise ValueError(f"route {method} {template} is declared twice")
            entry.by_method[method] = target
            self.by_route_key[f"{method} {parsed.template}"] = target
        return parsed

    def match(self, method: str, path: str) -> tuple[T, dict[str, str]]:
        entry = self._static.get(path)
        if entry is None and path[-1:] == "/" and len(path) > 1:
            entry = self._static.get(path.rstrip("/"))
        params: dict[str, str] | None
        if entry is not None:
            params = {}
        else:
            # PathTemplate.match_segments, inlined: this runs on most requests. The split
            # keeps the empty string before the leading slash, hence the one-off indexes
            # (and no copy of the path without its slash).
            segments = path.split("/")
            for candidate in self._by_length.get(len(segments) - 1, ()) if not segments[0] else ():
                for index, literal in candidate.template.path_literals:
                    if segments[index] != literal:
                        break
                else:
                    params = {}
                    for index, name in candidate.template.path_names:
                        value = segments[index]
                        if not value:
                            params = None  # a parameter is never empty
                            break
                        params[name] = value
                    if params is not None:
                        entry = candidate
                        break
            else:
                entry, params = self._match_greedy(path)
        target = entry.by_method.get(method)
        if target is None:
            if method == "HEAD":
                target = entry.by_method.get("GET")
            if target is None:
                raise MethodNotAllowed(self.allowed_for(entry))
        return target, params

    def _match_greedy(self, path: str) -> tuple[_Entry[T], dict[str, str]]:
        if path.startswith("/"):
            for candidate in self._greedy:
                params = candidate.template.match(path)
                if params is not None:
                    return candidate, params
        raise NotFound(path)

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


def _specificity(entry: _Entry[Any]) -> tuple[int, int]:
    tpl = entry.template
    literal = sum(len(segment) for segment in tpl.segments if segment is not None)
    return (-literal, -tpl.template.count("/"))
