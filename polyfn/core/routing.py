"""Path templates and route lookup.

Templates use the braces every cloud understands: ``/users/{id}`` matches one segment,
``/files/{path+}`` matches the rest of the path (API Gateway's greedy form; Azure calls
it ``{*path}``). Static paths are found with one dict lookup; templates go into a trie
keyed on their literal segments, so a lookup costs one dict probe per segment of the
path however many routes there are, and never parses. No regular expressions: ``re``
would add milliseconds to every cold start.

Which route wins, when several fit a path:

1. a static route (no parameters) equal to the path, or to the path without its
   trailing slashes;
2. else a route whose every segment is a literal or a ``{name}``, same segment count,
   parameters never empty: the one with the most literal characters, then the one
   declared first;
3. else a greedy ``{name+}`` route, whose rest is never empty: most literal characters,
   then most segments, then declared first.

The route that wins decides 405: another route that has the method does not step in.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Generic, TypeVar

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
    """One template and its targets by method; ``rank`` orders it among its rivals."""

    __slots__ = ("by_method", "rank", "template")

    def __init__(self, template: PathTemplate, rank: tuple[int, int, int]) -> None:
        self.template = template
        self.rank = rank
        self.by_method: dict[str, T] = {}


_WORST = (1 << 62, 0, 0)  # ranks are (-literal characters, -slashes, declaration order)


class _Node(Generic[T]):
    """A trie node: the templates whose first segments lead here.

    ``entry`` is the best template that ends here (non-greedy trie) or whose greedy rest
    starts here (greedy trie); ``first`` the best rank anywhere at or below this node, so
    a search can skip a branch that cannot beat what it has found.
    """

    __slots__ = ("entry", "first", "literal", "param")

    def __init__(self) -> None:
        self.literal: dict[str, _Node[T]] = {}
        self.param: _Node[T] | None = None
        self.entry: _Entry[T] | None = None
        self.first: tuple[int, int, int] = _WORST


class Router(Generic[T]):
    """Maps (method, path) to a target and the path parameters.

    ``HEAD`` falls back to ``GET``, as HTTP servers do; a path that exists under other
    methods raises ``MethodNotAllowed`` with those methods.
    """

    def __init__(self) -> None:
        self._static: dict[str, _Entry[T]] = {}
        # Templates with one-segment parameters only, then the greedy ones.
        self._exact: _Node[T] = _Node()
        self._greedy: _Node[T] | None = None
        self._by_template: dict[str, _Entry[T]] = {}
        # "GET /users/{id}" -> target, for platforms that route before polyfn does (API
        # Gateway names the route it matched in routeKey): one lookup instead of a match.
        self.by_route_key: dict[str, T] = {}

    def add(self, template: str, methods: Iterable[str], target: T) -> PathTemplate:
        parsed = PathTemplate.parse(template)
        entry = self._by_template.get(parsed.template)
        if entry is None:
            literal = sum(len(segment) for segment in parsed.segments if segment is not None)
            rank = (-literal, -parsed.template.count("/"), len(self._by_template))
            entry = _Entry(parsed, rank)
            self._by_template[parsed.template] = entry
            if parsed.is_static:
                self._static[parsed.template] = entry
            elif parsed.greedy is None:
                _insert(self._exact, entry)
            else:
                if self._greedy is None:
                    self._greedy = _Node()
                _insert(self._greedy, entry)
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
        params: dict[str, str] = {}
        if entry is None:
            # The split keeps the "" before the leading slash: segment i of a template is
            # segments[i + 1], which PathTemplate.path_names already counts in.
            segments = path.split("/")
            if segments[0]:
                raise NotFound(path)  # not a path at all
            # The common walk, inlined: one way on at each segment. Where a literal child
            # and the parameter child both fit, the full search decides.
            node = self._exact
            for segment in segments[1:]:
                param = node.param
                child = node.literal.get(segment)
                if param is not None and segment:  # a parameter is never empty
                    if child is not None:
                        entry = self._find_exact(segments)
                        break
                    child = param
                if child is None:
                    break
                node = child
            else:
                entry = node.entry
            if entry is not None:
                for index, name in entry.template.path_names:
                    params[name] = segments[index]
            else:
                entry, rest = self._find_greedy(segments)
                template = entry.template
                for index, name in template.path_names:
                    params[name] = segments[index]
                assert template.greedy is not None
                params[template.greedy] = rest
        target = entry.by_method.get(method)
        if target is None:
            if method == "HEAD":
                target = entry.by_method.get("GET")
            if target is None:
                raise MethodNotAllowed(self.allowed_for(entry))
        return target, params

    def _find_exact(self, segments: list[str]) -> _Entry[T] | None:
        """The best template with exactly these segments; literal children are tried
        before the parameter child, whose branch waits on a stack when both fit."""
        end = len(segments)
        best: _Entry[T] | None = None
        pending: list[tuple[_Node[T], int]] = []
        node: _Node[T] | None = self._exact
        index = 1
        while True:
            while node is not None:
                if best is not None and node.first >= best.rank:
                    break  # nothing below beats what was found
                if index == end:
                    found = node.entry
                    if found is not None and (best is None or found.rank < best.rank):
                        best = found
                    break
                segment = segments[index]
                index += 1
                param = node.param
                node = node.literal.get(segment)
                if param is not None and segment:  # a parameter is never empty
                    if node is None:
                        node = param
                    else:
                        pending.append((param, index))
            if not pending:
                return best
            node, index = pending.pop()

    def _find_greedy(self, segments: list[str]) -> tuple[_Entry[T], str]:
        """The best greedy template for these segments and the rest it takes, or NotFound.

        The rest is everything after the template's fixed segments and is never empty.
        """
        root = self._greedy
        if root is None:
            raise NotFound("/".join(segments))
        end = len(segments)
        best: _Entry[T] | None = None
        best_at = 0
        pending: list[tuple[_Node[T], int]] = [(root, 1)]
        while pending:
            node, index = pending.pop()
            while True:
                if best is not None and node.first >= best.rank:
                    break
                if index == end:
                    break  # no rest left for a greedy parameter
                found = node.entry
                if (
                    found is not None
                    and (best is None or found.rank < best.rank)
                    and (index < end - 1 or segments[index])
                ):
                    best, best_at = found, index
                segment = segments[index]
                index += 1
                param = node.param
                child = node.literal.get(segment)
                if param is not None and segment:
                    if child is None:
                        child = param
                    else:
                        pending.append((param, index))
                if child is None:
                    break
                node = child
        if best is None:
            raise NotFound("/".join(segments))
        return best, "/".join(segments[best_at:])

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


def _insert(root: _Node[T], entry: _Entry[T]) -> None:
    """Put ``entry`` in the trie under its fixed segments, ``None`` going to ``param``."""
    rank = entry.rank
    node = root
    for segment in entry.template.segments:
        if rank < node.first:
            node.first = rank
        if segment is None:
            child = node.param
            if child is None:
                child = node.param = _Node()
        else:
            child = node.literal.get(segment)
            if child is None:
                child = node.literal[segment] = _Node()
        node = child
    if rank < node.first:
        node.first = rank
    if node.entry is None or rank < node.entry.rank:
        # Two templates of one shape (/u/{id} and /u/{name}): the first declared wins,
        # the other is never reached, as before.
        node.entry = entry
