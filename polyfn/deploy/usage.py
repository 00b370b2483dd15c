"""Which resources each handler touches, and how: read from the handler's code.

Handlers do not declare the buckets, queues and tables they use, yet least privilege needs
exactly that. So the deploy step reads each handler's source (``ast``, nothing executed):
a name in the body that resolves, through the handler's globals and closure, to a resource
of the app is a use; the method called on it says which access (``users.get`` reads,
``emails.send`` sends). Helper functions and objects of the user's own code that the handler
calls are followed (a workflow is a resource too: ``order.start`` starts it,
``order.execution`` reads one), and so is a resource passed to one of them: ``_all(users)``
grants what ``_all`` does with its parameter (``table.scan`` lists), and a plain alias
(``t = users``) is the resource. Where the scan cannot tell (a resource passed to a library
or a class, returned, put in a container, stored on an object created at run time) or the
resource is reached dynamically through the App (``app.tables[name]``), that is an error
asking for ``uses=[...]``: polyfn never grants everything because it could not see.


``uses=[...]`` on the decorator replaces the scan for that function (full access to each
listed resource), for code the scan cannot see through.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.core.event_bus import EventBus
from polyfn.core.functions import Function
from polyfn.core.idempotency import Idempotency
from polyfn.core.resources import Bucket, Queue, Resource, Table
from polyfn.core.workflow import Workflow

__all__ = ["ALL_ACCESS", "FunctionUsage", "scan_function"]

# The access each handle method needs. Anything not listed (``backend`` included) is "all".
_METHOD_ACCESS: dict[str, dict[str, str]] = {
    "bucket": {
        "read": "read",
        "read_text": "read",
        "exists": "read",
        "metadata": "read",
        "list": "list",
        "iter": "list",
        "write": "write",
        "delete": "delete",
    },
    "queue": {"send": "send", "send_batch": "send"},
    "event_bus": {"publish": "publish"},
    # Starting may read the execution back (a reused name), so it reads as well.
    "workflow": {"start": "start", "execution": "describe"},
    "table": {
        "get": "read",
        "query": "list",
        "scan": "list",
        "put": "write",
        "put_if_absent": "write",
        "update": "write",
        "delete": "delete",
        "batch_get": "batch_read",
        "batch_write": "batch_write",
    },
}
# Attributes that describe a handle without touching the cloud.
_HARMLESS = frozenset(
    {"name", "kind", "physical_name", "binding_variable", "key", "max_receives"}
    | {"sort", "indexes", "schema"}
    | {"visibility_timeout", "tasks", "graph", "timeout"}
)
ALL_ACCESS: dict[str, frozenset[str]] = {
    "bucket": frozenset({"read", "list", "write", "delete"}),
    "queue": frozenset({"send"}),
    "event_bus": frozenset({"publish"}),
    "table": frozenset({"read", "list", "write", "delete", "batch_read", "batch_write"}),
    "workflow": frozenset({"start", "describe"}),
}
_APP_DYNAMIC = frozenset({"buckets", "queues", "tables", "bucket", "queue", "table", "workflows"})
# Builtins a handle may be given without touching the cloud (they only describe it).
_DESCRIBING_BUILTINS = frozenset({"repr", "str", "print", "isinstance", "id", "type", "hash"})
_MISSING = object()
_RESOURCES = (Bucket, Queue, Table, EventBus, Workflow)
_CALLABLE_CODE = (types.FunctionType, types.MethodType, type)
_LIBRARY_DIRS = frozenset({"site-packages", "dist-packages", ".venv", "venv", "node_modules"})


class FunctionUsage:
    """The resources one function touches: ``(kind, name) -> accesses``."""

    __slots__ = ("accesses", "declared")

    def __init__(self, accesses: dict[tuple[str, str], frozenset[str]], declared: bool) -> None:
        self.accesses = accesses
        self.declared = declared  # True when it came from uses=[...], not from the scan

    def resources(self, kind: str) -> list[str]:
        return sorted(name for k, name in self.accesses if k == kind)

    def access(self, kind: str, name: str) -> frozenset[str]:
        return self.accesses.get((kind, name), frozenset())

    def __repr__(self) -> str:
        return f"FunctionUsage({self.accesses!r})"


def scan_function(app: App, fn: Function, source_root: Path | None = None) -> FunctionUsage:
    """The resources ``fn`` touches; ``ConfigError`` when its code cannot tell."""
    if fn.options.uses is not None:
        declared = {(r.kind, r.name): ALL_ACCESS[r.kind] for r in fn.options.uses}
        return FunctionUsage(declared, declared=True)
    scanner = _Scanner(app, fn, source_root)
    handler = fn.handler
    records = getattr(handler, "idempotency", None)
    if isinstance(records, Idempotency):
        # @idempotent wraps the user's handler: scan the user's code, and grant what the
        # records need (get, conditional put, delete of a failed run's record).
        handler = inspect.unwrap(handler)
        scanner.record(records.table, frozenset({"read", "write", "delete"}))
    scanner.follow(handler)
    if scanner.unknown:
        where = "; ".join(sorted(set(scanner.unknown)))
        raise ConfigError(
            f"function {fn.name!r}: polyfn cannot tell what the code does with {where}, so it "
            "will not guess (granting everything would be a surprise); declare the "
            "resources the function uses: uses=[...] on its decorator"
        )
    if scanner.dynamic:
        where = "; ".join(sorted(set(scanner.dynamic)))
        raise ConfigError(
            f"function {fn.name!r} reaches resources through the App at run time ({where}); "
            "polyfn cannot tell which, so declare them: uses=[...] on its decorator"
        )
    return FunctionUsage(
        {key: frozenset(value) for key, value in scanner.found.items()}, declared=False
    )


class _Scanner:
    def __init__(self, app: App, fn: Function, source_root: Path | None) -> None:
        self.app = app
        self.fn = fn
        self.source_root = source_root.resolve() if source_root is not None else None
        self.found: dict[tuple[str, str], set[str]] = {}
        self.dynamic: list[str] = []
        self.unknown: list[str] = []
        self._seen: set[tuple[types.CodeType, int, frozenset[tuple[str, int]]]] = set()
        self._handler_file: str | None = None

    # ------------------------------------------------------------------ callables

    def follow(self, target: Any, arguments: dict[str, Resource] | None = None) -> None:
        """Scan the code behind ``target``; ``arguments`` binds its parameters to resources
        passed to it (only for a plain function or method)."""
        for function, bound in _functions_of(target):
            code = function.__code__
            key = (code, id(bound), frozenset((k, id(v)) for k, v in (arguments or {}).items()))
            if key in self._seen:
                continue
            if self._handler_file is None:
                self._handler_file = code.co_filename
            elif not self._is_user_code(code.co_filename):
                continue
            self._seen.add(key)
            self._scan_body(function, bound, arguments or {})

    def is_user_function(self, value: Any) -> bool:
        """A plain function or method of the user's own code, whose parameters can be bound."""
        function = value.__func__ if isinstance(value, types.MethodType) else value
        if not isinstance(function, types.FunctionType):
            return False
        filename = function.__code__.co_filename
        return filename == self._handler_file or (
            self.source_root is not None and self._is_user_code(filename)
        )

    def unknown_use(self, resource: Resource, how: str, where: str) -> None:
        if self._owned(resource):
            self.unknown.append(f"{resource.kind} {resource.name!r} ({how} in {where})")

    def _is_user_code(self, filename: str) -> bool:
        if self.source_root is None:
            return filename == self._handler_file
        try:
            relative = Path(filename).resolve().relative_to(self.source_root)
        except (ValueError, OSError):
            return False
        # A virtualenv inside the project holds libraries, not the user's handlers.
        return not any(part in _LIBRARY_DIRS for part in relative.parts)

    def _scan_body(
        self, function: types.FunctionType, bound: Any, arguments: dict[str, Resource]
    ) -> None:
        try:
            source = textwrap.dedent(inspect.getsource(function))
            tree = ast.parse(source)
        except (OSError, TypeError, SyntaxError):
            raise ConfigError(
                f"cannot read the source of {function.__qualname__} (used by function "
                f"{self.fn.name!r}) to find the resources it touches; declare them with "
                "uses=[...] on its decorator"
            ) from None
        node = _first_function_node(tree)
        if node is None:
            raise ConfigError(
                f"cannot find {function.__qualname__} in its source; declare the resources "
                f"of function {self.fn.name!r} with uses=[...]"
            )
        namespace = _Namespace(function, _local_names(node), bound, arguments)
        visitor = _BodyVisitor(self, namespace)
        # Decorators are not the body: `@app.on_message(emails)` is not a use of emails.
        body = node.body if isinstance(node.body, list) else [node.body]
        for statement in body:
            visitor.visit(statement)

    # ------------------------------------------------------------------ findings

    def record(self, resource: Resource, access: frozenset[str] | str) -> None:
        if self._owned(resource):
            grants = {access} if isinstance(access, str) else set(access)
            self.found.setdefault((resource.kind, resource.name), set()).update(grants)

    def _owned(self, resource: Resource) -> bool:
        registry: dict[str, Any] = self.app.registry_of(resource.kind)
        return registry.get(resource.name) is resource

    def resolved(self, value: Any, attrs: list[str], where: str) -> None:
        """``value.attr1.attr2...`` was read in a body."""
        for index, attr in enumerate(attrs):
            if isinstance(value, Bucket | Queue | Table | EventBus | Workflow):
                self._use(value, attr)
                return
            if isinstance(value, App):
                if value is self.app and attr in _APP_DYNAMIC:
                    self.dynamic.append(f"app.{attr} in {where}")
                return
            value = _safe_getattr(value, attr)
            if value is _MISSING:
                return
            if index == len(attrs) - 1:
                break
        self.value_used(value)

    def value_used(self, value: Any) -> None:
        """A value was used whole (called, passed, stored)."""
        if isinstance(value, Bucket | Queue | Table | EventBus | Workflow):
            self.record(value, ALL_ACCESS[value.kind])
        elif isinstance(value, _CALLABLE_CODE) or _is_user_object(value):
            self.follow(value)

    def _use(self, resource: Resource, attr: str) -> None:
        if attr in _HARMLESS:
            return
        access = _METHOD_ACCESS[resource.kind].get(attr)
        self.record(resource, access if access is not None else ALL_ACCESS[resource.kind])


class _Namespace:
    """Resolves a name the way the function would at run time: locals win, then closure."""

    def __init__(
        self,
        function: types.FunctionType,
        local_names: set[str],
        bound: Any,
        arguments: dict[str, Resource],
    ) -> None:
        self.local_names = local_names
        # Parameters bound to the resources the caller passed, and plain local aliases
        # (``t = users``): both resolve to the resource itself.
        self.aliases: dict[str, Resource] = dict(arguments)
        # A method reached through an object sees that object as its first parameter
        # (``self``), so ``self.table.get`` resolves like a global would.
        code = function.__code__
        self.self_name = code.co_varnames[0] if bound is not None and code.co_argcount else None
        self.bound = bound
        self.closure: dict[str, Any] = {}
        cells = function.__closure__ or ()
        for name, cell in zip(function.__code__.co_freevars, cells, strict=False):
            try:
                self.closure[name] = cell.cell_contents
            except ValueError:  # an empty cell
                continue
        self.globals = function.__globals__
        self.builtins = self.globals.get("__builtins__", {})
        self.where = function.__qualname__

    def lookup(self, name: str) -> Any:
        if name in self.aliases:
            return self.aliases[name]
        if name == self.self_name:
            return self.bound
        if name in self.local_names:
            return _MISSING
        if name in self.closure:
            return self.closure[name]
        return self.globals.get(name, _MISSING)


class _BodyVisitor(ast.NodeVisitor):
    def __init__(self, scanner: _Scanner, namespace: _Namespace) -> None:
        self.scanner = scanner
        self.namespace = namespace

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attrs: list[str] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            attrs.append(base.attr)
            base = base.value
        if isinstance(base, ast.Name):
            value = self.namespace.lookup(base.id)
            if value is not _MISSING:
                self.scanner.resolved(value, list(reversed(attrs)), self.namespace.where)
            return
        self.generic_visit(node)

    def _resource(self, node: ast.expr) -> Resource | None:
        if isinstance(node, ast.Name):
            value = self.namespace.lookup(node.id)
            if isinstance(value, Bucket | Queue | Table | EventBus):
                return value
        return None

    def _callee(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            return self.namespace.lookup(node.id)
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return _MISSING
        value = self.namespace.lookup(node.id)
        for attr in reversed(attrs):
            if value is _MISSING:
                break
            value = _safe_getattr(value, attr)
        return value

    def visit_Call(self, node: ast.Call) -> None:
        passed = [(i, a) for i, a in enumerate(node.args) if self._resource(a) is not None]
        passed_kw = [k for k in node.keywords if self._resource(k.value) is not None]
        if not passed and not passed_kw:
            self.generic_visit(node)
            return
        callee = self._callee(node.func)
        where = self.namespace.where
        # repr(users), print(users): a description, not a use (unless the name is rebound).
        described = (
            isinstance(node.func, ast.Name)
            and node.func.id in _DESCRIBING_BUILTINS
            and self.namespace.lookup(node.func.id) is _MISSING
        )
        if described:
            pass
        elif self.scanner.is_user_function(callee):
            arguments = self._bind(callee, passed, passed_kw)
            if arguments is None:
                for resource in self._resources_of(passed, passed_kw):
                    self.scanner.unknown_use(resource, "passed as *args/**kwargs", where)
            else:
                self.scanner.follow(callee, arguments)
        else:
            name = ast.unparse(node.func)
            for resource in self._resources_of(passed, passed_kw):
                self.scanner.unknown_use(resource, f"passed to {name}()", where)
        # The callee itself (when not followed above) and the other arguments.
        if not self.scanner.is_user_function(callee):
            self.visit(node.func)
        for index, argument in enumerate(node.args):
            if index not in {i for i, _ in passed}:
                self.visit(argument)
        for keyword in node.keywords:
            if keyword not in passed_kw:
                self.visit(keyword.value)

    def _resources_of(
        self, passed: list[tuple[int, ast.expr]], passed_kw: list[ast.keyword]
    ) -> list[Resource]:
        nodes = [a for _, a in passed] + [k.value for k in passed_kw]
        return [r for r in (self._resource(n) for n in nodes) if r is not None]

    def _bind(
        self, callee: Any, passed: list[tuple[int, ast.expr]], passed_kw: list[ast.keyword]
    ) -> dict[str, Resource] | None:
        """Parameter name -> resource for the resources passed; None when it cannot tell."""
        function = callee.__func__ if isinstance(callee, types.MethodType) else callee
        code = function.__code__
        offset = 1 if isinstance(callee, types.MethodType) else 0
        positional = code.co_varnames[offset : code.co_argcount]
        arguments: dict[str, Resource] = {}
        for index, argument in passed:
            resource = self._resource(argument)
            if index >= len(positional) or resource is None:
                return None  # into *args: the scan does not follow it
            arguments[positional[index]] = resource
        names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        for keyword in passed_kw:
            resource = self._resource(keyword.value)
            if keyword.arg is None or keyword.arg not in names or resource is None:
                return None
            arguments[keyword.arg] = resource
        return arguments

    def visit_Assign(self, node: ast.Assign) -> None:
        resource = self._resource(node.value)
        if resource is None:
            self.generic_visit(node)
            return
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.namespace.aliases[target.id] = resource  # t = users: t is users
            elif isinstance(target, ast.Attribute) and self.namespace.bound is not None:
                # Stored on a live object: its readers resolve the attribute to it.
                continue
            else:
                self.scanner.unknown_use(
                    resource, f"stored in {ast.unparse(target)}", self.namespace.where
                )

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            value = self.namespace.lookup(node.id)
            if isinstance(value, Bucket | Queue | Table | EventBus):
                # Returned, put in a container, compared...: the scan cannot follow it.
                self.scanner.unknown_use(value, "used as a value", self.namespace.where)
            elif value is not _MISSING:
                self.scanner.value_used(value)


def _functions_of(target: Any) -> Iterator[tuple[types.FunctionType, Any]]:
    """The plain functions whose code runs when ``target`` is used, each with its ``self``."""
    if isinstance(target, types.MethodType):
        if isinstance(target.__func__, types.FunctionType):
            yield target.__func__, target.__self__
        return
    if isinstance(target, types.FunctionType):
        yield target, None
        return
    instance = None if isinstance(target, type) else target
    cls = target if isinstance(target, type) else type(target)
    for klass in cls.__mro__:
        if klass is object:
            continue
        for member in vars(klass).values():
            inner: Any
            if isinstance(member, staticmethod):
                inner, bound = member.__func__, None
            elif isinstance(member, classmethod):
                inner, bound = member.__func__, cls
            elif isinstance(member, property):
                inner, bound = member.fget, instance
            else:
                inner, bound = member, instance
            if isinstance(inner, types.FunctionType):
                yield inner, bound


def _is_user_object(value: Any) -> bool:
    # An instance of a class defined in Python code (not a module, builtin or library type
    # we cannot place); _Scanner.follow then keeps only the user's own files.
    if isinstance(value, types.ModuleType | types.BuiltinFunctionType):
        return False
    module = getattr(type(value), "__module__", "")
    return module not in ("builtins",) and hasattr(type(value), "__dict__")


def _safe_getattr(value: Any, attr: str) -> Any:
    # getattr_static: reading an attribute must not run a property or __getattr__.
    if isinstance(value, types.ModuleType | type):
        try:
            return inspect.getattr_static(value, attr)
        except AttributeError:
            return _MISSING
    if not _is_user_object(value):
        return _MISSING
    try:
        found = inspect.getattr_static(value, attr)
    except AttributeError:
        return _MISSING
    if isinstance(found, types.FunctionType) and attr not in getattr(value, "__dict__", {}):
        return types.MethodType(found, value)  # a method: its self is this object
    return found


def _first_function_node(
    tree: ast.Module,
) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return node
    return None


def _local_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    names = {arg.arg for arg in ast.walk(node.args) if isinstance(arg, ast.arg)}
    body = node.body if isinstance(node.body, list) else [node.body]
    for statement in body:
        for child in ast.walk(statement):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store | ast.Del):
                names.add(child.id)
            elif isinstance(child, ast.Global | ast.Nonlocal):
                names.difference_update(child.names)
    return names
