"""The App's HTTP API as an OpenAPI 3.1 document: routes, parameters, models, errors, auth.

``openapi_document(app)`` is what ``polyfn openapi APP`` prints and ``polyfn run`` serves
at ``/openapi.json``. It is built from the App's declarations alone (``App.route`` and
``core.models``): nothing runs, no handler is called.

What each operation documents:

- its path parameters (typed by ``path_params=``, else strings) and ``query=`` parameters;
- its ``body=`` model as the JSON request body (required);
- its ``response=`` / ``responses=`` models, or a ``2XX`` answer of any content when it
  declares none;
- ``default``: the one error body every runtime answers with (``dispatch.error_response``,
  with ``errors`` for a request that does not fit the models), which covers the 400, 404,
  405, 422 and 500 any route may give;
- its auth (``core.openapi_security``): the security requirement and scheme of a
  ``JWT(...)``, an ``@app.authorizer`` or ``auth="platform-key"``, and the 401/403/503
  answers of a refusal; 422 when it has a body model.

Greedy parameters (``/files/{path+}``) are written ``{path}``: OpenAPI has no greedy form,
and a client must percent-encode the slashes of such a value.
"""

from __future__ import annotations

from polyfn.core.functions import HttpTrigger
from polyfn.core.openapi_security import FUNCTION_AUTH, SecuritySchemes, refusal

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any

    from polyfn.core.app import App
    from polyfn.core.functions import Function
    from polyfn.core.models import SchemaRegistry

__all__ = ["ERROR_SCHEMA", "FUNCTION_AUTH", "openapi_document", "openapi_path"]

OPENAPI_VERSION = "3.1.0"

# The error body of dispatch.error_response, as JSON Schema.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message", "request_id"],
            "properties": {
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "message": {"type": "string"},
                "request_id": {"type": "string"},
                "errors": {
                    "type": "array",
                    "description": "Present when the request does not fit the route's "
                    "declared models: one entry per problem.",
                    "items": {"$ref": "#/components/schemas/FieldError"},
                },
            },
        }
    },
}

FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["location", "type", "message"],
    "properties": {
        "location": {
            "type": "array",
            "description": '"body", "path" or "query", then field names and list indexes',
            "items": {"type": ["string", "integer"]},
        },
        "type": {
            "type": "string",
            "description": "missing, extra, type or enum (pydantic's own error types for "
            "a pydantic model)",
        },
        "message": {"type": "string"},
    },
}


def openapi_path(template: str) -> str:
    """``/files/{path+}`` as OpenAPI writes it: ``/files/{path}``."""
    return template.replace("+}", "}")


def openapi_document(
    app: App, *, version: str = "0.1.0", title: str | None = None
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``app``'s HTTP routes."""
    from polyfn.core.models import SchemaRegistry

    registry = SchemaRegistry()
    security = SecuritySchemes(app)
    paths: dict[str, dict[str, Any]] = {}
    for fn in app.functions_of("http"):
        trigger = fn.trigger
        assert isinstance(trigger, HttpTrigger)
        item = paths.setdefault(openapi_path(trigger.path), {})
        for method in trigger.methods:
            if method == "HEAD":
                continue  # answered for every GET route; OpenAPI lists it with GET's
            item[method.lower()] = _operation(fn, trigger, method, registry, security)
    schemas = dict(sorted(registry.schemas.items()))
    schemas["Error"] = ERROR_SCHEMA
    schemas["FieldError"] = FIELD_ERROR_SCHEMA
    components: dict[str, Any] = {"schemas": schemas}
    if security.schemes:
        components["securitySchemes"] = dict(sorted(security.schemes.items()))
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title or app.name, "version": version},
        "paths": dict(sorted(paths.items())),
        "components": components,
    }


def _operation(
    fn: Function,
    trigger: HttpTrigger,
    method: str,
    registry: SchemaRegistry,
    security: SecuritySchemes,
) -> dict[str, Any]:
    from polyfn.core.models import json_schema

    models = fn.models
    operation_id = fn.name if len(trigger.methods) == 1 else f"{fn.name}_{method.lower()}"
    operation: dict[str, Any] = {"operationId": operation_id}
    doc = (fn.handler.__doc__ or "").strip()
    if doc:
        summary, _, description = doc.partition("\n")
        operation["summary"] = summary.strip()
        if description.strip():
            operation["description"] = description.strip()
    declared_path = {p.name: p for p in models.path} if models is not None else {}
    parameters: list[dict[str, Any]] = []
    for name in trigger.template.params:
        param = declared_path.get(name)
        typed = json_schema(param.type, registry) if param is not None else {"type": "string"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": typed})
    for param in models.query if models is not None else ():
        schema = json_schema(param.type, registry)
        if not param.required:
            schema = {"anyOf": [s for s in schema["anyOf"] if s != {"type": "null"}]}
            if len(schema["anyOf"]) == 1:
                schema = schema["anyOf"][0]
        entry: dict[str, Any] = {"name": param.name, "in": "query", "schema": schema}
        if param.required:
            entry["required"] = True
        if param.many:
            entry["explode"] = True
        parameters.append(entry)
    if parameters:
        operation["parameters"] = parameters
    if models is not None and models.body_type is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": json_schema(models.body_type, registry)}},
        }
    responses: dict[str, Any] = {}
    declared = models.responses if models is not None else {}
    for status, model in sorted(declared.items()):
        answer: dict[str, Any] = {"description": _reason(status)}
        if model is not None:
            answer["content"] = {"application/json": {"schema": json_schema(model, registry)}}
        responses[str(status)] = answer
    if not any(200 <= status < 300 for status in declared):
        responses["2XX"] = {"description": "Success"}
    refusals = security.refusals(trigger)
    if models is not None and models.body_type is not None:
        refusals.append(422)
    for status in refusals:
        responses.setdefault(str(status), refusal(status))
    responses["default"] = {
        "description": "An error: the one error body of every runtime",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    operation["responses"] = responses
    requirement = security.requirement(trigger)
    if requirement is not None:
        operation["security"] = requirement
    return operation


def _reason(status: int) -> str:
    from polyfn.core.http import reason_phrase

    return reason_phrase(status) or f"Status {status}"
