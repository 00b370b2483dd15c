"""A structural check of ARM templates, offline.

There is no ARM engine without Azure, so this evaluates the template language far enough
to catch what breaks a deployment: expressions that do not parse, parameters that are not
declared, ``resourceId``/``listKeys``/``dependsOn`` pointing at resources the template does
not define, child resource names with the wrong number of segments for their type, and
names (after evaluating the default parameters) that Azure's naming rules refuse.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

Resource = tuple[str, str]  # (type, evaluated name)

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<sym>[(),.\[\]]))"
)


class ArmError(AssertionError):
    """The template would not deploy."""


# The properties each resource type's ARM reference marks as required, or that the service
# refuses a deployment without (learn.microsoft.com/azure/templates/<type>, read 2026-12):
# a storage account needs its location, sku and kind; a plan its sku; a site its plan; a
# Flex site its deployment storage and runtime (Flex has no linuxFxVersion); a role
# assignment its role, principal and scope; an Event Grid subscription its destination.
REQUIRED_PROPERTIES: dict[str, tuple[str, ...]] = {
    "Microsoft.Storage/storageAccounts": ("location", "sku.name", "kind"),
    "Microsoft.Web/serverfarms": ("location", "sku.name"),
    "Microsoft.Web/sites": ("location", "properties.serverFarmId"),
    "Microsoft.Authorization/roleAssignments": (
        "scope", "properties.roleDefinitionId", "properties.principalId",
    ),
    "Microsoft.EventGrid/topics": ("location",),
    "Microsoft.EventGrid/systemTopics": ("location", "properties.source", "properties.topicType"),
    "Microsoft.EventGrid/topics/eventSubscriptions": ("properties.destination.endpointType",),
    "Microsoft.EventGrid/systemTopics/eventSubscriptions": (
        "properties.destination.endpointType",
    ),
}  # fmt: skip
FLEX_REQUIRED = (
    "properties.functionAppConfig.deployment.storage.value",
    "properties.functionAppConfig.runtime.name",
    "properties.functionAppConfig.scaleAndConcurrency.instanceMemoryMB",
)


def _lookup(document: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(document, dict) or key not in document:
            return None
        document = document[key]
    return document


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise ArmError(f"cannot parse expression at {text[pos:]!r}")
            kind = match.lastgroup
            assert kind is not None
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ArmError(f"expected {value!r}, found {token!r}")
        self.pos += 1
        return token

    def expression(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            node: Any = ("lit", value[1:-1].replace("''", "'"))
        elif kind == "num":
            node = ("lit", int(value))
        elif kind == "name":
            self.take("(")
            args = []
            if self.peek() != ("sym", ")"):
                args.append(self.expression())
                while self.peek() == ("sym", ","):
                    self.take(",")
                    args.append(self.expression())
            self.take(")")
            node = ("call", value, args)
        else:
            raise ArmError(f"unexpected {value!r}")
        while self.peek() in (("sym", "."), ("sym", "[")):
            if self.take()[1] == ".":
                node = ("prop", node, self.take()[1])
            else:
                node = ("index", node, self.expression())
                self.take("]")
        return node


class ArmTemplate:
    """Evaluates one template with given parameter values (defaults otherwise)."""

    def __init__(
        self, template: dict[str, Any], values: dict[str, Any] | None = None,
        external: tuple[str, ...] = (),
        existing: tuple[tuple[str, str], ...] = (),
    ) -> None:  # fmt: skip
        for key in ("$schema", "contentVersion", "parameters", "resources"):
            if key not in template:
                raise ArmError(f"the template has no {key!r}")
        self.template = template
        self.values = dict(values or {})
        self.external = external  # resource types created outside the template
        # (type, name) of resources that exist already and the template only references
        self.existing = set(existing)
        self.parameters_used: set[str] = set()
        self.resources: list[Resource] = []
        for resource in template["resources"]:
            for key in ("type", "apiVersion", "name"):
                if key not in resource:
                    raise ArmError(f"a resource has no {key!r}: {resource}")
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", resource["apiVersion"]):
                raise ArmError(f"bad apiVersion {resource['apiVersion']!r}")
            self.resources.append((resource["type"], str(self.value(resource["name"]))))

    # ------------------------------------------------------------------ evaluation

    def value(self, text: Any) -> Any:
        if isinstance(text, dict):
            return {k: self.value(v) for k, v in text.items()}
        if isinstance(text, list):
            return [self.value(v) for v in text]
        if isinstance(text, str) and text.startswith("[") and not text.startswith("[["):
            if not text.endswith("]"):
                raise ArmError(f"unterminated expression {text!r}")
            parser = _Parser(text[1:-1])
            node = parser.expression()
            if parser.peek() is not None:
                raise ArmError(f"trailing text in {text!r}")
            return self._eval(node)
        return text

    def _eval(self, node: Any) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "prop":
            target = self._eval(node[1])
            if not isinstance(target, dict) or node[2] not in target:
                raise ArmError(f"no property {node[2]!r} on {target!r}")
            return target[node[2]]
        if kind == "index":
            return self._eval(node[1])[self._eval(node[2])]
        name, args = node[1], [self._eval(a) for a in node[2]]
        function = getattr(self, f"_fn_{name}", None)
        if function is None:
            raise ArmError(f"unknown template function {name}()")
        return function(*args)

    def _fn_parameters(self, name: str) -> Any:
        declared = self.template["parameters"]
        if name not in declared:
            raise ArmError(f"parameters({name!r}) is not declared")
        self.parameters_used.add(name)
        if name in self.values:
            return self.values[name]
        if "defaultValue" not in declared[name]:
            raise ArmError(f"parameter {name!r} has no value and no default")
        return self.value(declared[name]["defaultValue"])

    def _fn_format(self, fmt: str, *args: Any) -> str:
        return re.sub(r"\{(\d+)\}", lambda m: str(args[int(m.group(1))]), fmt)

    def _fn_concat(self, *args: Any) -> str:
        return "".join(str(a) for a in args)

    def _fn_take(self, text: str, count: int) -> str:
        return text[:count]

    def _fn_toLower(self, text: str) -> str:
        return text.lower()

    def _fn_uniqueString(self, *args: Any) -> str:
        return hashlib.sha256("|".join(map(str, args)).encode()).hexdigest()[:13]

    def _fn_resourceGroup(self) -> dict[str, str]:
        return {"id": "/subscriptions/0000/resourceGroups/rg", "location": "westeurope"}

    def _fn_environment(self) -> dict[str, Any]:
        return {"suffixes": {"storage": "core.windows.net"}}

    def _fn_resourceId(self, kind: str, *names: str) -> str:
        name = "/".join(names)
        if len(names) != kind.count("/"):
            raise ArmError(f"resourceId({kind!r}) takes {kind.count('/')} name(s), got {names}")
        known = (kind, name) in self.resources or (kind, name) in self.existing
        if kind not in self.external and not known:
            raise ArmError(f"resourceId({kind!r}, {name!r}) names no resource of the template")
        return f"/subscriptions/0000/resourceGroups/rg/providers/{kind}/{name}"

    def _fn_subscriptionResourceId(self, kind: str, *names: str) -> str:
        if len(names) != kind.count("/"):
            raise ArmError(f"subscriptionResourceId({kind!r}) takes {kind.count('/')} name(s)")
        return f"/subscriptions/0000/providers/{kind}/{'/'.join(names)}"

    def _fn_guid(self, *args: Any) -> str:
        digest = hashlib.sha256("|".join(map(str, args)).encode()).hexdigest()
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

    def _fn_listKeys(self, resource_id: str, api_version: str) -> dict[str, Any]:
        if "/providers/Microsoft.EventGrid/topics/" in resource_id:
            return {"key1": "key", "key2": "key"}  # an Event Grid topic's keys
        if "/providers/Microsoft.Web/sites/host/" in resource_id:
            # The host's keys (Microsoft.Web/sites/host listKeys): master, function, system.
            return {"masterKey": "key", "functionKeys": {}, "systemKeys": {"blobs_extension": "k"}}
        return {"keys": [{"value": "key"}]}  # a storage account's

    def _fn_reference(self, resource_id: str, *options: str) -> dict[str, Any]:
        if "/providers/Microsoft.Insights/components/" in resource_id:
            # An Application Insights component's runtime properties.
            return {"ConnectionString": "InstrumentationKey=0000;IngestionEndpoint=https://x/"}
        if "/providers/Microsoft.Storage/storageAccounts/" in resource_id:
            account = resource_id.rsplit("/", 1)[1]
            return {
                "primaryEndpoints": {
                    s: f"https://{account}.{s}.core.windows.net/"
                    for s in ("blob", "queue", "table")
                }
            }
        if "/providers/Microsoft.Web/sites/" in resource_id:
            site = {"defaultHostName": f"{resource_id.rsplit('/', 1)[1]}.azurewebsites.net"}
            if options and options[-1].lower() == "full":
                # reference(..., 'full') wraps the properties with the resource's envelope.
                return {"properties": site, "identity": {"principalId": "0000-principal"}}
            return site
        return {"endpoint": "https://topic.westeurope-1.eventgrid.azure.net/api/events"}

    # ------------------------------------------------------------------ checks

    def check(self) -> None:
        for resource in self.template["resources"]:
            kind, name = resource["type"], str(self.value(resource["name"]))
            if "scope" in resource:
                # An extension resource (a role assignment): its name is one segment, and its
                # scope must be a resource of this template.
                self._check_scope(str(self.value(resource["scope"])))
            elif name.count("/") != kind.count("/") - 1:
                raise ArmError(f"{kind} needs {kind.count('/') - 1} '/' in its name, got {name!r}")
            for path in REQUIRED_PROPERTIES.get(kind, ()):
                if _lookup(resource, path) is None:
                    raise ArmError(f"{kind} {name!r} has no {path!r}, which Azure requires")
            # Every field: resourceId() in dependsOn and properties checks its target exists.
            self.value(resource)
            for dependency in resource.get("dependsOn", []):
                # ARM refuses a dependency on a resource the template does not deploy, even
                # one that exists (an adopted account, container, queue or table).
                target = str(self.value(dependency)).split("/providers/", 1)[-1].split("/")
                target_kind = "/".join(target[:2] + target[3::2])
                target_name = "/".join(target[2::2])
                if (target_kind, target_name) in self.existing and (
                    target_kind,
                    target_name,
                ) not in self.resources:
                    raise ArmError(f"{kind} {name!r} depends on {dependency!r}, not deployed here")
        self.value(self.template.get("outputs", {}))
        unused = set(self.template["parameters"]) - self.parameters_used
        if unused:
            raise ArmError(f"parameters never used: {sorted(unused)}")

    def _check_scope(self, scope: str) -> None:
        parts = scope.split("/")
        # <namespace>/<type>/<name>[/<child type>/<child name>]...
        if len(parts) < 3 or len(parts) % 2 == 0:
            raise ArmError(f"malformed scope {scope!r}")
        kind = "/".join(parts[:2] + parts[3::2])
        name = "/".join(parts[2::2])
        if (kind, name) not in self.resources and (kind, name) not in self.existing:
            raise ArmError(f"scope {scope!r} names no resource of the template")

    def resource(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.template["resources"] if r["type"] == kind]
