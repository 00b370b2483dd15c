"""Reading an existing AWS app: a Serverless Framework ``serverless.yml`` or a SAM template.

Each function's handler, memory, timeout and events become polyfn triggers; each event
polyfn cannot express becomes a note that says so (``blocked``) or what must change,
never a silent drop. ``import_aws_app`` tells the two formats apart by their content.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from polyfn.plan.cfn_yaml import load_yaml
from polyfn.plan.import_auth import FunctionOf, ServerlessAuth
from polyfn.plan.import_callers import FunctionRefs, explain_callers
from polyfn.plan.import_events import (
    add_message,
    add_object,
    add_pattern,
    add_schedule,
    add_sns,
    add_stream,
    add_unsupported,
    as_int,
    http_methods,
    http_path,
    new_function,
    route_label,
)
from polyfn.plan.import_model import (
    HttpSpec,
    ImportedApp,
    ImportedFunction,
    logical_name,
    python_name,
)
from polyfn.plan.import_resources import as_mapping, read_resources, ref_id
from polyfn.plan.import_sam import import_sam
from polyfn.plan.model import PlanInputError

__all__ = ["ImportedApp", "import_aws_app", "import_sam", "import_serverless"]


def import_aws_app(path: Path) -> ImportedApp:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    document = load_yaml(text, str(path))
    if not isinstance(document, Mapping):
        raise PlanInputError(f"{path}: expected a mapping at the top level")
    transform = document.get("Transform")
    transforms = transform if isinstance(transform, list) else [transform]
    if any(str(t).startswith("AWS::Serverless") for t in transforms if t):
        return import_sam(document, path)
    if "service" in document and "functions" in document:
        return import_serverless(document, path)
    raise PlanInputError(
        f"{path}: neither a serverless.yml (service + functions) nor a SAM template "
        "(Transform: AWS::Serverless-2016-10-31)"
    )


# ----------------------------------------------------------------------------- serverless


_VARIABLE = re.compile(r"\$\{([^{}]+)\}")


class _Variables:
    """Serverless variables whose value the file, the command line's defaults or the
    environment knows (Serverless Framework docs, "Variables", read 2026-12):
    ``${self:a.b.c}`` (any path of the file), ``${sls:stage}``, ``${opt:stage}`` and
    ``${opt:region}`` (the provider's, as ``serverless deploy`` would default them),
    ``${env:NAME}`` (the environment ``polyfn plan`` runs in), each with an optional
    ``, default``. Anything else (``ssm:``, ``file(...)``, ``cf:``) is left as written and
    listed in ``unresolved``, so the report says so instead of inventing a name.
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        service: str,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.document = document
        self.environ = os.environ if environ is None else environ
        self.unresolved: set[str] = set()
        provider = document.get("provider") or {}
        self.values = {"self:service": service}
        stage = self.resolve(str(provider.get("stage", "dev")))
        self.values |= {
            "sls:stage": stage,
            "opt:stage": stage,
            "self:provider.stage": stage,
            "opt:region": str(provider.get("region", "us-east-1")),
            "self:provider.region": str(provider.get("region", "us-east-1")),
        }

    def _lookup(self, name: str) -> Any:
        """The raw value behind one variable name, or ``None``."""
        if name in self.values:
            return self.values[name]
        source, _, rest = name.partition(":")
        if source == "self":
            node: Any = self.document
            for key in rest.split("."):
                if not isinstance(node, Mapping) or key not in node:
                    return None
                node = node[key]
            return node
        if source == "env":
            return self.environ.get(rest.strip())
        if source == "opt":
            return self.values.get(f"opt:{rest.strip()}")
        return None

    def resolve(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        whole = _VARIABLE.fullmatch(value.strip())
        if whole is not None and "${" not in whole.group(1):
            # "${self:provider.environment.QUEUE}" may stand for a mapping (!Ref ...).
            found = self._lookup(whole.group(1).partition(",")[0].strip())
            if isinstance(found, Mapping | list):
                return found

        def one(match: re.Match[str]) -> str:
            inner = match.group(1)
            name, _, default = inner.partition(",")
            found = self._lookup(name.strip())
            if isinstance(found, str | int | float) and not isinstance(found, bool):
                return str(found)
            if default.strip():
                return default.strip().strip("'\"")
            self.unresolved.add(match.group(0))
            return match.group(0)

        for _ in range(8):  # values may themselves hold variables
            resolved = _VARIABLE.sub(one, value)
            if resolved == value:
                break
            value = resolved
        return value

    def short(self, physical: str) -> str:
        """'shop-api-uploads-dev' -> 'uploads': the service and stage are deploy's business."""
        service, stage = self.values["self:service"], self.values["sls:stage"]
        name = physical.removeprefix(f"{service}-").removesuffix(f"-{stage}")
        return name or physical


def import_serverless(document: Mapping[str, Any], path: Path) -> ImportedApp:
    service = document.get("service")
    service_name = str(service.get("name") if isinstance(service, Mapping) else service)
    provider = document.get("provider") or {}
    if str(provider.get("name", "aws")) != "aws":
        raise PlanInputError(f"{path}: provider {provider.get('name')!r}; only aws can be read")
    variables = _Variables(document, service_name)
    stage = variables.values["sls:stage"]
    imported = ImportedApp(service_name, "serverless.yml", path, stage=stage)
    resources = document.get("resources") or {}
    blocks = resources if isinstance(resources, list) else [resources]
    for block in blocks:
        if isinstance(block, Mapping) and isinstance(block.get("Resources"), Mapping):
            read_resources(imported, _resolve_tree(block["Resources"], variables))
        elif block:
            imported.note(
                "",
                "info",
                f"resources entry {str(block)[:60]!r} was not read (only inline CloudFormation is)",
            )
    defaults = {
        "memory": provider.get("memorySize"),
        "timeout": provider.get("timeout"),
        "architecture": provider.get("architecture"),
    }
    resolved = _resolve_tree(document, variables)
    functions = as_mapping(resolved.get("functions"))
    refs = {
        str(key): _serverless_refs(str(key), spec, variables)
        for key, spec in functions.items()
        if isinstance(spec, Mapping)
    }
    # Before the functions: the loop must know which Lambda is an authorizer.
    auth = ServerlessAuth(
        imported,
        resolved,
        {key: (python_name(key), bool(functions[key].get("events"))) for key in refs},
        _function_of(refs),
    )
    for original, spec in (document.get("functions") or {}).items():
        if not isinstance(spec, Mapping):
            continue
        spec = _resolve_tree(spec, variables)
        fn = new_function(
            imported,
            str(original),
            python_name(str(original)),
            spec,
            defaults,
            handler=str(spec.get("handler", "")),
            code_root=imported.root,
        )
        fn.reserved_concurrency = as_int(spec.get("reservedConcurrency"))
        fn.provisioned_concurrency = as_int(spec.get("provisionedConcurrency"))
        for event in spec.get("events") or []:
            if isinstance(event, Mapping) and len(event) == 1:
                ((kind, body),) = event.items()
                _serverless_event(imported, fn, str(kind), body, variables, auth)
        explain_callers(
            imported,
            resolved,
            fn,
            _serverless_refs(str(original), spec, variables),
            ("functions", str(original)),
        )
    if document.get("stepFunctions") is not None:
        from polyfn.plan.import_workflows import read_serverless_state_machines

        steps_block = _resolve_tree(document.get("stepFunctions"), variables)
        read_serverless_state_machines(imported, {"stepFunctions": steps_block}, variables.short)
    _not_carried(imported, resolved)
    for variable in sorted(variables.unresolved):
        imported.note(
            "",
            "change",
            f"variable {variable} is not known from the file, the provider defaults or the "
            "environment: the value it stands for was kept as written; set it (or the "
            "environment variable) before planning, or edit the scaffold",
        )
    return imported


# What well-known plugins do, in polyfn's terms (a plugin polyfn does not know is listed
# as not carried).
_PLUGINS = {
    "serverless-python-requirements": (
        "info",
        "mapped: polyfn deploy installs requirements.txt (and the imports it finds) per cloud",
    ),
    "serverless-iam-roles-per-function": (
        "info",
        "mapped: polyfn deploy grants each function its own permissions from its code",
    ),
    "serverless-offline": ("info", "mapped: polyfn run / polyfn invoke run the app locally"),
    "serverless-step-functions": (
        "blocked",
        "not carried: polyfn has no state machines; the workflow needs a redesign",
    ),
}


def _not_carried(imported: ImportedApp, document: Mapping[str, Any]) -> None:
    """File-level settings polyfn maps elsewhere or does not carry, each listed."""
    plugins = document.get("plugins") or []
    if isinstance(plugins, Mapping):  # plugins: {modules: [...], localPath: ...}
        plugins = plugins.get("modules") or []
    for plugin in plugins if isinstance(plugins, list) else []:
        impact, text = _PLUGINS.get(
            str(plugin), ("change", "not carried: polyfn has no equivalent; check what it did")
        )
        imported.note("", impact, f"plugin {plugin}: {text}")  # type: ignore[arg-type]
    provider = as_mapping(document.get("provider"))
    role = as_mapping(as_mapping(provider.get("iam")).get("role"))
    statements = role.get("statements") or provider.get("iamRoleStatements") or []
    actions: set[str] = set()
    for statement in statements if isinstance(statements, list) else []:
        action = as_mapping(statement).get("Action")
        actions.update(str(a) for a in (action if isinstance(action, list) else [action]) if a)
    if actions:
        imported.note(
            "",
            "info",
            "provider IAM role statements not carried: polyfn grants each function what its "
            "code uses (see `polyfn deploy preview`), not the shared role's "
            + ", ".join(sorted(actions)),
        )
    if as_mapping(provider.get("httpApi")).get("cors"):
        imported.note(
            "",
            "change",
            "provider.httpApi.cors not carried: declare App(..., cors=CORS(...)) in the "
            "scaffold; polyfn answers preflights the same way on every cloud",
        )


def _disabled_schedule(imported: ImportedApp, fn: ImportedFunction, rate: Any) -> None:
    imported.note(
        fn.name,
        "info",
        f"schedule {rate} is disabled (enabled: false): not imported as a live trigger and "
        "not priced; add app.schedule(...) when it should run",
    )


def _serverless_refs(original: str, spec: Mapping[str, Any], variables: _Variables) -> FunctionRefs:
    """How a serverless.yml names a function: its key, its Lambda's logical id, its ARN.

    The Framework names the function's CloudFormation resource
    ``<Key>LambdaFunction`` with '-' spelt 'Dash' and '_' 'Underscore', and deploys it
    as ``<service>-<stage>-<key>`` unless ``name`` says otherwise (Serverless Framework
    docs, "Functions" and "Resources: AWS CloudFormation resource reference").
    """
    normalized = original.replace("-", "Dash").replace("_", "Underscore")
    logical = normalized[:1].upper() + normalized[1:] + "LambdaFunction"
    service, stage = variables.values["self:service"], variables.values["sls:stage"]
    physical = str(spec.get("name") or f"{service}-{stage}-{original}")
    return FunctionRefs(
        logical_ids=frozenset({original, logical}),
        names=frozenset({original}),
        arn_suffixes=frozenset({f":function:{physical}"}),
    )


def _function_of(refs: Mapping[str, FunctionRefs]) -> FunctionOf:
    """The function key a value names: the key itself, its ARN, !GetAtt <Key>LambdaFunction."""

    def function_of(value: Any) -> str | None:
        if isinstance(value, str):
            text = value.strip()
            if text in refs:
                return text
            return next(
                (k for k, r in refs.items() if any(text.endswith(s) for s in r.arn_suffixes)),
                None,
            )
        target = ref_id(value)
        return next((k for k, r in refs.items() if target in r.logical_ids), None)

    return function_of


def _resolve_tree(node: Any, variables: _Variables) -> Any:
    if isinstance(node, Mapping):
        return {k: _resolve_tree(v, variables) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_tree(v, variables) for v in node]
    return variables.resolve(node)


def _serverless_event(
    imported: ImportedApp,
    fn: ImportedFunction,
    kind: str,
    body: Any,
    variables: _Variables,
    auth: ServerlessAuth,
) -> None:
    if kind in ("http", "httpApi"):
        if isinstance(body, str):
            method, _, path = body.partition(" ") if body.strip() != "*" else ("ANY", "", "*")
            body = {"method": method, "path": path}
        if not isinstance(body, Mapping):
            add_unsupported(imported, fn, f"{kind} ({str(body)[:40]!r}, not a mapping)")
            return
        if body.get("cors"):
            imported.note(
                fn.name,
                "change",
                f"cors on {body.get('method', 'ANY')} {body.get('path')} not carried: "
                "declare App(..., cors=CORS(...)) in the scaffold (one policy for the app)",
            )
        path, methods = http_path(body.get("path")), http_methods(body.get("method"))
        where = route_label(methods, path)
        fn.triggers.append(HttpSpec(path, methods, auth.route_auth(fn.name, kind, body, where)))
    elif kind == "s3":
        body = {"bucket": body} if isinstance(body, str) else body
        bucket = ref_id(body.get("bucket")) or str(body.get("bucket"))
        if bucket not in imported.buckets and not any(
            bucket == b.physical for b in imported.buckets.values()
        ):
            resource = imported.bucket_named(bucket)
            resource.name = logical_name(variables.short(bucket))
        rules = body.get("rules") or []
        prefix = next((r["prefix"] for r in rules if isinstance(r, Mapping) and "prefix" in r), "")
        suffix = next((r["suffix"] for r in rules if isinstance(r, Mapping) and "suffix" in r), "")
        add_object(
            imported, fn, bucket, [str(body.get("event", "s3:ObjectCreated:*"))], prefix, suffix
        )
    elif kind == "sqs":
        body = {"arn": body} if not isinstance(body, Mapping) or "arn" not in body else body
        add_message(imported, fn, body.get("arn"), as_int(body.get("batchSize")) or 10)
        window = body.get("maximumBatchingWindow")
        if window:
            imported.note(
                fn.name,
                "change",
                f"maximumBatchingWindow {window} s not carried: polyfn sets a 1 s window only "
                "for batches over 10 on AWS; Azure and Pub/Sub deliver without one",
            )
    elif kind == "stream":
        body = {"arn": body} if not isinstance(body, Mapping) else body
        if str(body.get("type", "dynamodb")).lower() != "dynamodb" or ":kinesis:" in str(
            body.get("arn")
        ):
            add_unsupported(imported, fn, "Kinesis stream")
        else:
            add_stream(
                imported,
                fn,
                body.get("arn"),
                {
                    "BatchSize": body.get("batchSize"),
                    "StartingPosition": body.get("startingPosition"),
                    "MaximumRetryAttempts": body.get("maximumRetryAttempts"),
                    "BisectBatchOnFunctionError": body.get("bisectBatchOnFunctionError", True),
                    "FilterCriteria": body.get("filterPatterns"),
                },
            )
    elif kind == "schedule":
        body = {"rate": body} if isinstance(body, str) else body
        if body.get("enabled") is False or str(body.get("enabled")).lower() == "false":
            _disabled_schedule(imported, fn, body.get("rate"))
            return
        rates = body.get("rate")
        for rate in rates if isinstance(rates, list) else [rates]:
            add_schedule(imported, fn, str(rate), body.get("input"))
    elif kind == "sns":
        topic = body if isinstance(body, str) else body.get("topicName") or body.get("arn")
        add_sns(imported, fn, topic, isinstance(body, Mapping) and bool(body.get("filterPolicy")))
    elif kind in ("eventBridge", "cloudwatchEvent"):
        if body.get("enabled") is False and body.get("schedule"):
            _disabled_schedule(imported, fn, body.get("schedule"))
        elif body.get("schedule"):
            add_schedule(imported, fn, str(body["schedule"]), body.get("input"))
        else:
            add_pattern(imported, fn, body.get("pattern") or body.get("event") or {})
    elif kind == "alb":
        conditions = body.get("conditions") or {}
        paths = conditions.get("path") or ["/"]
        for path in paths if isinstance(paths, list) else [paths]:
            methods = conditions.get("method") or ["any"]
            fn.triggers.append(
                HttpSpec(http_path(path), [m for x in methods for m in http_methods(x)])
            )
    else:
        add_unsupported(imported, fn, kind)
