"""Request models: a route's declared body and typed parameters, checked before the handler.

A route may declare ``body=`` (a dataclass, a ``TypedDict`` or a pydantic model),
``path=`` and ``query=`` (``{"name": type}``). Declaring compiles each type once into a
converter (``compile_body``, ``compile_param``); on every request ``RequestModels.apply``
runs the converters and puts the results on the request (``req.model``, ``req.params``),
or raises ``RequestInvalid``, which dispatch answers with the one error format::

    {"error": {"status": 422, "message": "Request body is invalid", "request_id": "...",
               "errors": [{"location": ["body", "email"], "type": "missing",
                           "message": "field required"}]}}

``location`` starts with ``"body"``, ``"path"`` or ``"query"``, then the field names and
list indexes down to the value. An invalid body is a 422; a path or query parameter that
does not read as its type is a 400 (the request line itself is wrong), in the same format.

Why here, and what it costs: this module imports ``typing`` and ``dataclasses`` at module
level, which core's cold-start rule keeps off the path of an App that declares no model
(``pyproject.toml``, TID253). It is imported by ``App.route`` only when a route declares
a model, so an App without one loads nothing of it. pydantic is never imported: a model
is recognised by its ``model_validate`` and ``model_json_schema`` methods, which only a
pydantic v2 model class has, and whoever wrote that class imported pydantic already.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
import uuid
import weakref
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from polyfn.core.checks import Check
from polyfn.core.errors import ConfigError
from polyfn.core.http import HTTPError

__all__ = [
    "FieldError",
    "RequestInvalid",
    "RequestModels",
    "SchemaRegistry",
    "compile_body",
    "compile_param",
    "is_model",
    "json_schema",
]

# A converter reads one JSON value (or one query string) at ``location`` and returns the
# Python value, appending a FieldError to ``errors`` for each problem it finds.
Converter = Callable[[Any, list[Any], list["FieldError"]], Any]

_INVALID: Any = object()  # a converter's answer when it reported an error


class FieldError:
    """One problem with one value: where, what kind (a stable word) and a message."""

    __slots__ = ("location", "message", "type")

    def __init__(self, location: list[Any], type: str, message: str) -> None:
        self.location = list(location)
        self.type = type
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "type": self.type, "message": self.message}


class RequestInvalid(HTTPError):
    """A request that does not fit the route's declared models: 422 (body) or 400."""

    def __init__(self, status: int, message: str, errors: list[FieldError]) -> None:
        super().__init__(status, message)
        # dispatch reads ``errors`` (JSON values) into the error body.
        self.errors = [error.to_dict() for error in errors]


# ---------------------------------------------------------------------- model kinds


def is_pydantic_model(tp: Any) -> bool:
    """A pydantic v2 model class, recognised without importing pydantic."""
    return (
        isinstance(tp, type)
        and callable(getattr(tp, "model_validate", None))
        and callable(getattr(tp, "model_json_schema", None))
    )


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def is_model(tp: Any) -> bool:
    """What ``body=`` and ``response=`` accept: a dataclass, a TypedDict, a pydantic model."""
    return (
        (isinstance(tp, type) and dataclasses.is_dataclass(tp))
        or _is_typeddict(tp)
        or is_pydantic_model(tp)
    )


# Field types as resolved when the model was first declared. Resolving a string annotation
# reads the globals of ``sys.modules[cls.__module__]``, which may since have become another
# module of the same name (two apps loaded from files both called app.py): the first
# reading, made while the model's module was the one of its name, is kept.
_HINTS: weakref.WeakKeyDictionary[type, dict[str, Any]] = weakref.WeakKeyDictionary()


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is not None:
        return hints
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception as exc:
        raise ConfigError(
            f"cannot read the field types of {cls.__qualname__}: {exc} "
            "(declare the model and the types it names at module level)"
        ) from None
    _HINTS[cls] = hints
    return hints


_WRAPPERS = (typing.Annotated, typing.Required, typing.NotRequired)


def _typeddict_required(cls: Any, hints: dict[str, Any]) -> set[str]:
    """A TypedDict's required keys, read from the hints: ``__required_keys__`` misses
    ``NotRequired`` written as a string annotation (``from __future__ import annotations``)
    before Python 3.12's fix of its TypedDict class construction."""
    required = set()
    for name, tp in hints.items():
        origin = typing.get_origin(tp)
        if origin is typing.NotRequired:
            continue
        if origin is typing.Required or getattr(cls, "__total__", True):
            required.add(name)
    return required


def _strip(tp: Any) -> Any:
    """The type under ``Annotated[...]`` (whose ``Check``s ``_checks`` reads) and a
    TypedDict's ``Required[...]`` / ``NotRequired[...]``."""
    while typing.get_origin(tp) in _WRAPPERS:
        tp = typing.get_args(tp)[0]
    return tp


def _is_union(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    return origin is typing.Union or origin is types.UnionType


# ---------------------------------------------------------------------- JSON converters


def compile_body(tp: Any) -> Converter:
    """The converter of a JSON value to ``tp`` (see ``json_schema`` for what it accepts)."""
    return _compile(tp, {})


def _checks(tp: Any) -> list[Check]:
    """The ``Check`` limits of ``Annotated[T, Check(...)]`` (nested Annotated included)."""
    found: list[Check] = []
    while typing.get_origin(tp) in _WRAPPERS:
        found.extend(m for m in getattr(tp, "__metadata__", ()) if isinstance(m, Check))
        tp = typing.get_args(tp)[0]
    return found


def _limited(convert: Converter, checks: list[Check]) -> Converter:
    if not checks:
        return convert

    def limited(value: Any, loc: list[Any], errors: list[FieldError]) -> Any:
        result = convert(value, loc, errors)
        if result is _INVALID:
            return result
        for check in checks:
            problem = check.problem(result)
            if problem is not None:
                return _fail(loc, errors, "limit", problem)
        return result

    return limited


def _compile(tp: Any, seen: dict[Any, Converter]) -> Converter:
    checks = _checks(tp)
    return _limited(_compile_type(_strip(tp), seen), checks)


def _compile_type(tp: Any, seen: dict[Any, Converter]) -> Converter:
    if tp is Any or tp is object:
        return lambda value, loc, errors: value
    if tp is type(None) or tp is None:
        return _exact(lambda v: v is None, "null", "null")
    if tp is bool:
        return _exact(lambda v: v is True or v is False, "bool", "a boolean")
    if tp is int:
        return _exact(
            lambda v: type(v) is int or (type(v) is float and v.is_integer()),
            "int",
            "an integer",
            int,
        )
    if tp is float:
        return _exact(lambda v: type(v) in (int, float), "float", "a number", float)
    if tp is str:
        return _exact(lambda v: type(v) is str, "str", "a string")
    if tp in (uuid.UUID, datetime, date) or (isinstance(tp, type) and issubclass(tp, enum.Enum)):
        parse = _scalar_parser(tp)
        return lambda value, loc, errors: (
            parse(value, loc, errors)
            if isinstance(value, str) or isinstance(tp, enum.EnumMeta)
            else _fail(loc, errors, "type", f"expected {_describe(tp)}")
        )
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        choices = typing.get_args(tp)
        return lambda value, loc, errors: (
            value
            if any(value == c and type(value) is type(c) for c in choices)
            else _fail(loc, errors, "enum", f"expected one of {list(choices)!r}")
        )
    if _is_union(tp):
        return _union([_compile(arg, seen) for arg in typing.get_args(tp)], tp)
    if origin in (list, tuple, set, frozenset) or tp in (list, tuple, set, frozenset):
        args = typing.get_args(tp)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis) and args:
            raise ConfigError(f"fixed-length tuples are not supported in models: {tp!r}")
        item = _compile(args[0] if args else Any, seen)
        return _sequence(item, origin or tp)
    if origin is dict or tp is dict:
        args = typing.get_args(tp)
        if args and _strip(args[0]) is not str:
            raise ConfigError(f"JSON object keys are strings: {tp!r} cannot be a model field")
        return _mapping(_compile(args[1] if args else Any, seen))
    if tp in seen:  # a recursive model: the converter that is being built
        return lambda value, loc, errors: seen[tp](value, loc, errors)
    if is_pydantic_model(tp):
        return _pydantic(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _record(tp, seen, dataclass=True)
    if _is_typeddict(tp):
        return _record(tp, seen, dataclass=False)
    raise ConfigError(
        f"{tp!r} cannot be a model field: use str, int, float, bool, None, UUID, datetime, "
        "date, an Enum, a Literal, list, dict[str, ...], a union, a dataclass, a TypedDict "
        "or a pydantic model"
    )


def _fail(loc: list[Any], errors: list[FieldError], kind: str, message: str) -> Any:
    errors.append(FieldError(loc, kind, message))
    return _INVALID


def _exact(
    check: Callable[[Any], bool], kind: str, what: str, cast: Callable[[Any], Any] | None = None
) -> Converter:
    def convert(value: Any, loc: list[Any], errors: list[FieldError]) -> Any:
        if check(value):
            return cast(value) if cast is not None else value
        return _fail(loc, errors, "type", f"expected {what}, got {_json_kind(value)}")

    convert.kind = kind  # type: ignore[attr-defined]
    return convert


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _describe(tp: Any) -> str:
    if tp is uuid.UUID:
        return "a UUID"
    if tp is datetime:
        return "an ISO 8601 date-time"
    if tp is date:
        return "an ISO 8601 date"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return f"one of {[member.value for member in tp]!r}"
    return getattr(tp, "__name__", repr(tp))


def _union(options: list[Converter], tp: Any) -> Converter:
    def convert(value: Any, loc: list[Any], errors: list[FieldError]) -> Any:
        # The first option that takes the value without an error wins; when none does,
        # one error names the union rather than one per option.
        for option in options:
            attempt: list[FieldError] = []
            result = option(value, loc, attempt)
            if not attempt:
                return result
        return _fail(loc, errors, "type", f"expected {_union_text(tp)}, got {_json_kind(value)}")

    return convert


def _union_text(tp: Any) -> str:
    names = []
    for arg in typing.get_args(tp):
        arg = _strip(arg)
        names.append("null" if arg is type(None) else getattr(arg, "__name__", repr(arg)))
    return " or ".join(names)


def _sequence(item: Converter, container: Any) -> Converter:
    def convert(value: Any, loc: list[Any], errors: list[FieldError]) -> Any:
        if type(value) is not list:
            return _fail(loc, errors, "type", f"expected an array, got {_json_kind(value)}")
        before = len(errors)
        items = [item(element, [*loc, index], errors) for index, element in enumerate(value)]
        if len(errors) > before:
            return _INVALID
        try:
            return items if container is list else container(items)
        except TypeError:  # an unhashable item for a set
            return _fail(loc, errors, "type", "expected an array of distinct scalar values")

    return convert


def _mapping(item: Converter) -> Converter:
    def convert(value: Any, loc: list[Any], errors: list[FieldError]) -> Any:
        if type(value) is not dict:
            return _fail(loc, errors, "type", f"expected an object, got {_json_kind(value)}")
        before = len(errors)
        result = {key: item(element, [*loc, key], errors) for key, element in value.items()}
        return _INVALID if len(errors) > before else result

    return convert


def _record(cls: type, seen: dict[Any, Converter], *, dataclass: bool) -> Converter:
    """A dataclass or TypedDict: a JSON object with exactly its fields."""
    hints = _hints(cls)
    if dataclass:
        fields = [f for f in dataclasses.fields(cls) if f.init]
        required = {
            f.name
            for f in fields
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        names = [f.name for f in fields]
    else:
        names = list(hints)
        required = _typeddict_required(cls, hints)
    converters: dict[str, Converter] = {}

    def convert(value: Any, loc: list[Any], errors: list[FieldError]) -> Any:
        if type(value) is not dict:
            return _fail(loc, errors, "type", f"expected an object, got {_json_kind(value)}")
        before = len(errors)
        result: dict[str, Any] = {}
        for name in names:
            if name in value:
                result[name] = converters[name](value[name], [*loc, name], errors)
            elif name in required:
                _fail([*loc, name], errors, "missing", "field required")
        for name in value:
            if name not in converters:
                _fail([*loc, name], errors, "extra", "unknown field")
        if len(errors) > before:
            return _INVALID
        return cls(**result) if dataclass else result

    seen[cls] = convert
    for name in names:
        converters[name] = _compile(hints.get(name, Any), seen)
    return convert


def _pydantic(cls: Any) -> Converter:
    def convert(value: Any, loc: list[Any], errors: list[FieldError]) -> Any:
        try:
            return cls.model_validate(value)
        except Exception as exc:
            # pydantic.ValidationError, caught by its shape: its errors() are dicts of
            # loc/type/msg (pydantic's documented error format).
            read = getattr(exc, "errors", None)
            if not callable(read):
                raise
            for detail in read():
                where = [*loc, *detail.get("loc", ())]
                errors.append(FieldError(where, str(detail.get("type")), str(detail.get("msg"))))
            return _INVALID

    return convert


# ---------------------------------------------------------------------- parameters


def compile_param(tp: Any, name: str) -> tuple[Converter, bool, bool]:
    """The converter of a path or query string to ``tp``, whether the parameter is
    required (not ``X | None``) and whether it repeats (``list[X]``, query only)."""
    checks = _checks(tp)
    tp = _strip(tp)
    required = True
    if _is_union(tp):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) != 1 or len(args) == len(typing.get_args(tp)):
            raise ConfigError(f"parameter {name!r}: a union may only be X | None, got {tp!r}")
        checks += _checks(args[0])
        tp, required = _strip(args[0]), False
    many = typing.get_origin(tp) is list
    if many:
        (tp,) = typing.get_args(tp) or (str,)
        checks += _checks(tp)
        tp = _strip(tp)
    parse = _limited(_scalar_parser(tp), checks)
    return parse, required, many


def _scalar_parser(tp: Any) -> Converter:
    """A string (a path or query value, or a JSON string) to a scalar type."""
    if tp is str:
        return lambda value, loc, errors: value
    if tp is int:

        def to_int(value: Any, loc: list[Any], errors: list[FieldError]) -> Any:
            text = value.strip() if isinstance(value, str) else ""
            digits = text[1:] if text[:1] in "+-" else text
            # ASCII digits only: int() takes "١٢" and "1_000", which no client means.
            if digits.isascii() and digits.isdigit() and len(digits) <= 4300:
                return int(text)
            return _fail(loc, errors, "type", f"expected an integer, got {value!r}")

        return to_int
    if tp is float:

        def to_float(value: Any, loc: list[Any], errors: list[FieldError]) -> Any:
            try:
                number = float(value)
            except (TypeError, ValueError):
                return _fail(loc, errors, "type", f"expected a number, got {value!r}")
            if number != number or number in (float("inf"), float("-inf")):
                return _fail(loc, errors, "type", f"expected a finite number, got {value!r}")
            return number

        return to_float
    if tp is bool:
        words = {"true": True, "1": True, "false": False, "0": False}
        return lambda value, loc, errors: (
            words[value.lower()]
            if isinstance(value, str) and value.lower() in words
            else _fail(loc, errors, "type", f"expected true or false, got {value!r}")
        )
    if tp in (uuid.UUID, datetime, date):
        readers: dict[Any, Callable[[str], Any]] = {
            uuid.UUID: uuid.UUID,
            datetime: datetime.fromisoformat,
            date: date.fromisoformat,
        }
        reader = readers[tp]

        def to_value(value: Any, loc: list[Any], errors: list[FieldError]) -> Any:
            try:
                return reader(value)
            except (TypeError, ValueError):
                return _fail(loc, errors, "type", f"expected {_describe(tp)}, got {value!r}")

        return to_value
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        members = {member.value: member for member in tp}
        by_text = {str(member.value): member for member in tp}

        def to_member(value: Any, loc: list[Any], errors: list[FieldError]) -> Any:
            try:
                member = members.get(value)
            except TypeError:  # an unhashable JSON value
                member = None
            if member is None and isinstance(value, str):
                member = by_text.get(value)
            if member is None:
                return _fail(loc, errors, "enum", f"expected {_describe(tp)}, got {value!r}")
            return member

        return to_member
    if typing.get_origin(tp) is typing.Literal:
        choices = {str(c): c for c in typing.get_args(tp)}
        return lambda value, loc, errors: (
            choices[value]
            if value in choices
            else _fail(loc, errors, "enum", f"expected one of {list(choices)!r}, got {value!r}")
        )
    raise ConfigError(
        f"{tp!r} cannot type a path or query parameter: use str, int, float, bool, UUID, "
        "datetime, date, an Enum or a Literal (X | None when optional, list[X] to repeat)"
    )


class Param:
    """One declared path or query parameter."""

    __slots__ = ("convert", "many", "name", "required", "type")

    def __init__(self, name: str, tp: Any) -> None:
        self.name = name
        self.type = tp
        self.convert, self.required, self.many = compile_param(tp, name)


class RequestModels:
    """What one route declares about its input, compiled; ``apply`` runs it per request."""

    __slots__ = ("body", "body_type", "path", "query", "responses")

    def __init__(
        self,
        *,
        body: Any = None,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        responses: Mapping[int, Any] | None = None,
        path_names: tuple[str, ...] = (),
    ) -> None:
        if body is not None and not is_model(body):
            raise ConfigError(
                f"body= takes a dataclass, a TypedDict or a pydantic model, got {body!r}"
            )
        self.body_type = body
        self.body = compile_body(body) if body is not None else None
        unknown = set(path or ()) - set(path_names)
        if unknown:
            raise ConfigError(f"path= names {sorted(unknown)} which the route's path does not have")
        self.path = [Param(name, tp) for name, tp in (path or {}).items()]
        for param in self.path:
            if not param.required or param.many:
                raise ConfigError(f"path parameter {param.name!r} is always there and single")
        self.query = [Param(name, tp) for name, tp in (query or {}).items()]
        self.responses: dict[int, Any] = {}
        for status, model in (responses or {}).items():
            if not isinstance(status, int) or not 100 <= status <= 599:
                raise ConfigError(f"responses= keys are HTTP status codes, got {status!r}")
            if model is not None:
                # Any type a body may have (a ConfigError otherwise), its field types read
                # now, while its module is the one of its name (_hints).
                _compile(model, {})
            self.responses[status] = model

    @property
    def checks_input(self) -> bool:
        return self.body is not None or bool(self.path) or bool(self.query)

    def apply(self, request: Any) -> None:
        """Check ``request`` against the declaration; set ``request.params`` and
        ``request.model``, or raise ``RequestInvalid``."""
        errors: list[FieldError] = []
        params: dict[str, Any] = {}
        for param in self.path:
            params[param.name] = param.convert(
                request.path_params.get(param.name, ""), ["path", param.name], errors
            )
        if self.query:
            query = request.query
            for param in self.query:
                values = query.getlist(param.name)
                if not values:
                    if param.required:
                        _fail(["query", param.name], errors, "missing", "parameter required")
                    params[param.name] = [] if param.many else None
                elif param.many:
                    params[param.name] = [
                        param.convert(v, ["query", param.name, i], errors)
                        for i, v in enumerate(values)
                    ]
                else:
                    params[param.name] = param.convert(values[0], ["query", param.name], errors)
        if errors:
            raise RequestInvalid(400, "Request parameters are invalid", errors)
        request.params = params
        if self.body is not None:
            value = self.body(request.json(), ["body"], errors)
            if errors:
                raise RequestInvalid(422, "Request body is invalid", errors)
            request.model = value


# ---------------------------------------------------------------------- JSON Schema


class SchemaRegistry:
    """Named schemas (``components/schemas``) shared by every route of one document."""

    def __init__(self, ref_prefix: str = "#/components/schemas/") -> None:
        self.ref_prefix = ref_prefix
        self.schemas: dict[str, dict[str, Any]] = {}
        self._names: dict[Any, str] = {}

    def name_for(self, cls: Any) -> tuple[str, bool]:
        """The component name of ``cls`` and whether it is new."""
        name = self._names.get(cls)
        if name is not None:
            return name, False
        base = getattr(cls, "__name__", "Model")
        name, n = base, 2
        while name in self.schemas or name in self._names.values():
            name, n = f"{base}{n}", n + 1
        self._names[cls] = name
        return name, True

    def ref(self, name: str) -> dict[str, Any]:
        return {"$ref": self.ref_prefix + name}


def json_schema(tp: Any, registry: SchemaRegistry) -> dict[str, Any]:
    """The JSON Schema (2020-12, as OpenAPI 3.1 uses it) of what ``compile_body(tp)``
    accepts; dataclasses, TypedDicts and pydantic models become named components."""
    checks = _checks(tp)
    schema = _type_schema(_strip(tp), registry)
    for check in checks:
        schema = {**schema, **check.json_schema()}
    return schema


def _type_schema(tp: Any, registry: SchemaRegistry) -> dict[str, Any]:
    if tp is Any or tp is object:
        return {}
    if tp is type(None) or tp is None:
        return {"type": "null"}
    simple = {bool: "boolean", int: "integer", float: "number", str: "string"}
    if isinstance(tp, type) and tp in simple:
        return {"type": simple[tp]}
    if tp is uuid.UUID:
        return {"type": "string", "format": "uuid"}
    if tp is datetime:
        return {"type": "string", "format": "date-time"}
    if tp is date:
        return {"type": "string", "format": "date"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [member.value for member in tp]}
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return {"enum": list(typing.get_args(tp))}
    if _is_union(tp):
        return {"anyOf": [json_schema(arg, registry) for arg in typing.get_args(tp)]}
    if origin in (list, tuple, set, frozenset) or tp in (list, tuple, set, frozenset):
        args = typing.get_args(tp)
        schema: dict[str, Any] = {
            "type": "array",
            "items": json_schema(args[0] if args else Any, registry),
        }
        if origin in (set, frozenset):
            schema["uniqueItems"] = True
        return schema
    if origin is dict or tp is dict:
        args = typing.get_args(tp)
        return {
            "type": "object",
            "additionalProperties": json_schema(args[1] if args else Any, registry),
        }
    if is_pydantic_model(tp):
        return _pydantic_schema(tp, registry)
    if is_model(tp):
        name, new = registry.name_for(tp)
        if new:
            registry.schemas[name] = {}  # reserved first: a recursive model refers to it
            registry.schemas[name] = _record_schema(tp, registry)
        return registry.ref(name)
    raise ConfigError(f"{tp!r} has no JSON Schema")


def _record_schema(cls: Any, registry: SchemaRegistry) -> dict[str, Any]:
    hints = _hints(cls)
    properties: dict[str, Any] = {}
    if dataclasses.is_dataclass(cls):
        required = []
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            properties[f.name] = json_schema(hints.get(f.name, Any), registry)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
    else:
        for name, tp in hints.items():
            properties[name] = json_schema(tp, registry)
        required_keys = _typeddict_required(cls, hints)
        required = [n for n in hints if n in required_keys]
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    if cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("):
        schema["description"] = cls.__doc__.strip()
    return schema


def _pydantic_schema(cls: Any, registry: SchemaRegistry) -> dict[str, Any]:
    name, new = registry.name_for(cls)
    if new:
        schema = cls.model_json_schema(ref_template=registry.ref_prefix + "{model}")
        for sub_name, sub_schema in schema.pop("$defs", {}).items():
            registry.schemas.setdefault(sub_name, sub_schema)
        registry.schemas[name] = schema
    return registry.ref(name)
