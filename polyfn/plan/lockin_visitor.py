"""The lock-in scan's AST walk over one file: what each expression holds, what it calls.

``lockin.scan_sources`` runs it on every file and attributes the findings to handlers.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from polyfn.plan import lockin_rules as rules
from polyfn.plan.model import Severity

__all__ = ["FileResult", "Raw", "Scanner", "docstring_ids"]

_IMPORT_REPLACEMENT = "polyfn handles (app.bucket / app.queue / app.table); then drop the import"
_CLIENT_REPLACEMENT = (
    "declare the resource with app.bucket / app.queue / app.table: polyfn creates the client "
    "for the cloud it runs on and reuses it across invocations"
)
_NATIVE_MODELS = {
    "azure.functions": "the native Azure Functions programming model",
    "functions_framework": "the native Google functions-framework programming model",
    "aws_lambda_powertools": "Powertools for AWS Lambda",
}
_DECORATOR_REPLACEMENT = "polyfn decorators (@app.get, @app.on_message, ...) on one App"


@dataclass
class Raw:
    line: int
    cloud: str
    service: str
    category: str
    severity: Severity
    what: str
    replacement: str
    scope: str | None  # enclosing top-level def (or Class.method); None at module level
    col: int = 0


@dataclass
class FileResult:
    path: Path
    findings: list[Raw] = field(default_factory=list)
    calls: dict[str, set[str]] = field(default_factory=dict)  # def -> local names called
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (module, name)
    defs: set[str] = field(default_factory=set)


class Scanner(ast.NodeVisitor):
    def __init__(self, result: FileResult, docstrings: set[int]) -> None:
        self.result = result
        self.docstrings = docstrings
        self.aliases: dict[str, str] = {}  # local name -> dotted module / class path
        self.kinds: dict[str, str] = {}  # variable -> client kind
        self.scope: list[str] = []
        self.params: list[set[str]] = []
        self.class_name: str | None = None
        self.tmp_checked: set[int] = set()

    # ------------------------------------------------------------------ bookkeeping

    def add(
        self,
        node: ast.AST,
        cloud: str,
        service: str,
        category: str,
        severity: Severity,
        what: str,
        replacement: str,
    ) -> None:
        scope = self.scope[0] if self.scope else None
        line, col = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
        self.result.findings.append(
            Raw(line, cloud, service, category, severity, what, replacement, scope, col)
        )

    def _in_params(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and bool(self.params) and node.id in self.params[-1]

    # ------------------------------------------------------------------ imports

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.aliases[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0]
            )
            self._import_finding(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            local = alias.asname or alias.name
            self.aliases[local] = f"{module}.{alias.name}" if module else alias.name
            self.result.imported[local] = (module.rpartition(".")[2], alias.name)
        if module:
            self._import_finding(node, module)

    def _import_finding(self, node: ast.AST, module: str) -> None:
        cloud = rules.cloud_of_module(module)
        if cloud is None:
            return
        for native, label in _NATIVE_MODELS.items():
            if module == native or module.startswith(native + "."):
                self.add(
                    node,
                    cloud,
                    "programming model",
                    "raw-event",
                    "high",
                    f"imports {module}: {label}",
                    _DECORATOR_REPLACEMENT,
                )
                return
        self.add(node, cloud, module, "import", "low", f"imports {module}", _IMPORT_REPLACEMENT)

    # ------------------------------------------------------------------ scopes

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        outer, self.class_name = self.class_name, node.name
        self.generic_visit(node)
        self.class_name = outer

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        name = f"{self.class_name}.{node.name}" if self.class_name else node.name
        top = not self.scope
        if top:
            self.result.defs.add(name)
            self.result.calls.setdefault(name, set())
        args = [a.arg for a in node.args.posonlyargs + node.args.args]
        if top and args == ["event", "context"]:
            self.scope.append(name)
            self.add(
                node,
                "aws",
                "Lambda runtime",
                "raw-event",
                "high",
                f"Lambda handler signature {node.name}(event, context)",
                "an @app.<trigger> handler taking the polyfn model and an optional ctx",
            )
            self.scope.pop()
        self.scope.append(name)
        self.params.append(set(args))
        self.generic_visit(node)
        self.params.pop()
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    # ------------------------------------------------------------------ what things hold

    def dotted(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def kind_of(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.kinds.get(node.id)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "self":
                return self.kinds.get(f"self.{node.attr}")
            return None
        if isinstance(node, ast.Call):
            return self.created_kind(node) or self.derived_kind(node)
        return None

    def created_kind(self, call: ast.Call) -> str | None:
        """The kind a client-creating call returns (boto3.client, BlobServiceClient...)."""
        func = call.func
        if isinstance(func, ast.Attribute):
            base_path = self.dotted(func.value)
            base_kind = self.kind_of(func.value)
            if (base_path == "boto3" or base_kind == "aws:session") and func.attr in (
                "client",
                "resource",
            ):
                service = _first_string(call) or "unknown"
                return f"aws:{service}" + ("_resource" if func.attr == "resource" else "")
            if base_path in ("boto3", "boto3.session") and func.attr == "Session":
                return "aws:session"
            if base_path and func.attr.startswith("from_"):
                return _class_kind(base_path)
        path = self.dotted(func)
        return _class_kind(path) if path else None

    def derived_kind(self, call: ast.Call) -> str | None:
        func = call.func
        if isinstance(func, ast.Attribute):
            base = self.kind_of(func.value)
            if base is not None:
                return rules.CONSTRUCTORS.get((base, func.attr))
        return None

    # ------------------------------------------------------------------ statements

    def visit_Assign(self, node: ast.Assign) -> None:
        kind = self.kind_of(node.value)
        if kind is not None:
            for target in node.targets:
                self._bind(target, kind)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            kind = self.kind_of(node.value)
            if kind is not None:
                self._bind(node.target, kind)
        self.generic_visit(node)

    def _bind(self, target: ast.AST, kind: str) -> None:
        if isinstance(target, ast.Name):
            self.kinds[target.id] = kind
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            self.kinds[f"self.{target.attr}"] = kind

    # ------------------------------------------------------------------ expressions

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if self.scope and isinstance(func, ast.Name):
            self.result.calls[self.scope[0]].add(func.id)
        elif (
            self.scope
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "self"
            and self.class_name
        ):
            self.result.calls[self.scope[0]].add(f"{self.class_name}.{func.attr}")
        created = self.created_kind(node)
        if created is not None:
            cloud = created.partition(":")[0]
            service = rules.SERVICE_NAMES.get(created, created.partition(":")[2])
            self.add(
                node,
                cloud,
                service,
                "sdk",
                "medium",
                f"{service} client created ({ast.unparse(func)})",
                _CLIENT_REPLACEMENT,
            )
        elif isinstance(func, ast.Attribute):
            self._method_call(node, func)
        self._env_call(node, func)
        if isinstance(func, ast.Attribute) and func.attr in ("exists", "isfile", "isdir"):
            for inner in ast.walk(node):
                value = inner.value if isinstance(inner, ast.Constant) else None
                if isinstance(value, str) and _is_tmp(value):
                    self.tmp_checked.add(id(inner))
        self.generic_visit(node)

    def _method_call(self, node: ast.Call, func: ast.Attribute) -> None:
        kind = self.kind_of(func.value)
        if kind is None:
            if func.attr == "get_remaining_time_in_millis":
                self._lambda_context(node, func.attr)
            return
        if (kind, func.attr) in rules.CONSTRUCTORS:
            return  # the data-path call that follows is the finding
        service = rules.SERVICE_NAMES.get(kind, kind)
        replacement = rules.METHODS.get((kind, func.attr), rules.GENERIC_REPLACEMENT)
        if func.attr == "put_item" and any(k.arg == "ConditionExpression" for k in node.keywords):
            replacement = "table.put_if_absent(item) on app.table(...)"
        self.add(
            node,
            kind.partition(":")[0],
            service,
            "sdk",
            "high",
            f"{service} {func.attr}()",
            replacement,
        )

    def _lambda_context(self, node: ast.AST, attr: str) -> None:
        self.add(
            node,
            "aws",
            "Lambda runtime",
            "raw-event",
            "high",
            f"Lambda context.{attr}",
            rules.LAMBDA_CONTEXT_ATTRIBUTES[attr],
        )

    def _env_call(self, node: ast.Call, func: ast.AST) -> None:
        path = self.dotted(func)
        if path in ("os.getenv", "os.environ.get", "os.environ.setdefault", "os.environ.pop"):
            name = _first_string(node)
            if name:
                self._env(node, name)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        key = node.slice.value if isinstance(node.slice, ast.Constant) else None
        if isinstance(key, str):
            if self.dotted(node.value) == "os.environ":
                self._env(node, key)
            elif key in rules.LAMBDA_EVENT_KEYS and self._native_event(node.value, key):
                self.add(
                    node,
                    "aws",
                    "Lambda event",
                    "raw-event",
                    "high",
                    f"reads the native Lambda event: [{key!r}]",
                    rules.LAMBDA_EVENT_KEYS[key],
                )
        self.generic_visit(node)

    def _native_event(self, base: ast.AST, key: str) -> bool:
        if isinstance(base, ast.Attribute) and base.attr == "raw":
            return True
        if not self._in_params(base):
            return False
        generic = key in ("body", "detail")
        return not generic or (isinstance(base, ast.Name) and base.id == "event")

    def visit_Compare(self, node: ast.Compare) -> None:
        # "AWS_REGION" in os.environ
        if (
            isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
            and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
            and any(self.dotted(c) == "os.environ" for c in node.comparators)
        ):
            self._env(node, node.left.value)
        self.generic_visit(node)

    def _env(self, node: ast.AST, name: str) -> None:
        for cloud, prefixes in rules.ENV_PREFIXES.items():
            if name.startswith(prefixes):
                replacement = rules.ENV_REPLACEMENTS.get(name, rules.ENV_DEFAULT_REPLACEMENT)
                self.add(
                    node,
                    cloud,
                    "environment",
                    "env",
                    "medium",
                    f"reads {name}, which only {cloud} sets",
                    replacement,
                )
                return

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "raw" and self._in_params(node.value):
            self.add(
                node,
                "any",
                "native event",
                "raw-event",
                "high",
                f"{ast.unparse(node)}: the platform's native event or request",
                "the polyfn model's own fields; if one is missing, ask for it rather than read raw",
            )
        elif (
            node.attr in rules.LAMBDA_CONTEXT_ATTRIBUTES
            and node.attr != "get_remaining_time_in_millis"  # visit_Call reports the call
            and self._in_params(node.value)
        ):
            self._lambda_context(node, node.attr)
        elif node.attr in rules.AZURE_CONTEXT_ATTRIBUTES and self._in_params(node.value):
            self.add(
                node,
                "azure",
                "Functions runtime",
                "raw-event",
                "high",
                f"Azure context.{node.attr}",
                rules.AZURE_CONTEXT_ATTRIBUTES[node.attr],
            )
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if not isinstance(value, str) or id(node) in self.docstrings:
            return
        if _is_tmp(value):
            checked = id(node) in self.tmp_checked or not self.scope
            self.add(
                node,
                "any",
                "/tmp",
                "tmp-state",
                "medium" if checked else "low",
                f"{value!r}: /tmp survives only on a warm instance and is not shared "
                "between instances" + (" (used as a cache across invocations)" if checked else ""),
                "keep state in app.bucket / app.table; use /tmp only as scratch "
                "within one invocation",
            )
            return
        self._constant_patterns(node, value)

    def _constant_patterns(self, node: ast.Constant, value: str) -> None:
        arn = rules.ARN_PATTERN.search(value)
        if arn:
            self.add(
                node,
                "aws",
                arn.group(1),
                "arn",
                "medium",
                f"hard-coded ARN {arn.group(0)[:80]!r}",
                "app.bucket / app.queue / app.table by logical name; deploy binds the "
                "physical resource (POLYFN_<KIND>_<NAME>)",
            )
            return
        for pattern, cloud, service in rules.RESOURCE_URL_PATTERNS:
            match = pattern.search(value)
            if match:
                self.add(
                    node,
                    cloud,
                    service,
                    "resource-url",
                    "medium",
                    f"hard-coded {service} address {match.group(0)[:80]!r}",
                    "a polyfn handle by logical name; deploy binds the physical resource",
                )
                return
        for pattern, cloud in rules.REGION_PATTERNS:
            if pattern.match(value):
                self.add(
                    node,
                    cloud,
                    "region",
                    "region",
                    "low",
                    f"hard-coded region {value!r}",
                    "leave the region to the deployment (each runtime knows its own)",
                )
                return


def _first_string(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    for keyword in call.keywords:
        if keyword.arg in ("service_name", "key") and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    return None


def _class_kind(path: str) -> str | None:
    module, _, name = path.rpartition(".")
    if rules.cloud_of_module(module or path) is None:
        return None
    return rules.CLASS_KINDS.get(name) or rules.CLASS_KINDS.get(f"{name}@{module}")


def _is_tmp(value: str) -> bool:
    return value == "/tmp" or value.startswith("/tmp/")


def docstring_ids(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids
