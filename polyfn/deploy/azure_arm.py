"""The Azure infrastructure as ARM templates: ``infra/main.json`` and ``infra/eventgrid.json``.

``main.json`` creates two storage accounts (the Functions host's own, and a data account
holding the app's containers, queues with their ``-poison`` queues, and tables), the
hosting plan (Flex Consumption by default; Consumption ``Y1`` or Elastic Premium on
request), the Function App with a system-assigned managed identity, the role assignments
that identity needs (``azure_roles``: one per resource, no account keys in app settings),
and the Event Grid topics the app needs. ``eventgrid.json`` subscribes functions to those
topics (and, on Flex, feeds blob triggers from Event Grid); it is deployed after the code
is published, because an Event Grid subscription to a function fails until that function
exists.
"""

from __future__ import annotations

from typing import Any

from polyfn.adapters.azure.settings import DATA_CONNECTION
from polyfn.core.functions import EventTrigger, ObjectTrigger
from polyfn.core.resources import binding_variable
from polyfn.deploy import azure_auth
from polyfn.deploy.azure_roles import (
    BLOB_POISON_QUEUE,
    data_grants,
    host_grants,
    role_assignment,
    topic_role_assignment,
)
from polyfn.deploy.existing import azure_data_account, azure_existing
from polyfn.deploy.front_door import azure_site_cors
from polyfn.deploy.limits_data import LIMITS
from polyfn.deploy.model import DeployModel
from polyfn.deploy.naming import app_slug, azure_function_app_name_prefix, azure_physical_name
from polyfn.deploy.observability import DEFAULT_LOG_RETENTION_DAYS, app_insights_resources
from polyfn.deploy.table_indexes import INDEX_TABLE_SUFFIX

__all__ = [
    "DATA_CONNECTION",
    "DEFAULT_PLAN",
    "PLANS",
    "PYTHON_VERSION",
    "eventgrid_template",
    "flex_instance_memory",
    "http_instance_concurrency",
    "main_template",
]

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PYTHON_VERSION = "3.12"
_STORAGE_API = "2023-05-01"
_WEB_API = "2023-12-01"
_GRID_API = "2022-06-15"
# Flex Consumption first: the plan Microsoft recommends for new serverless apps, and the
# only one of the three without a shared key anywhere ("Azure Functions Flex Consumption
# plan hosting", learn.microsoft.com, read 2026-12). Linux Consumption (Y1) is retired for
# new features; Premium keeps instances warm at a monthly baseline.
_PLAN_SKUS: dict[str, dict[str, Any]] = {
    "flex": {"sku": {"name": "FC1", "tier": "FlexConsumption"}, "kind": "functionapp"},
    "consumption": {"sku": {"name": "Y1", "tier": "Dynamic"}, "kind": "functionapp"},
    "premium": {"sku": {"name": "EP1", "tier": "ElasticPremium"}, "kind": "elastic"},
}
PLANS = tuple(_PLAN_SKUS)
DEFAULT_PLAN = "flex"
# Flex's default upper bound on instances (40 to 1000 allowed; Flex Consumption docs).
_FLEX_MAX_INSTANCES = 100
# Where Flex takes the published package from: a container of the host's account.
_FLEX_PACKAGE_CONTAINER = "app-package"
_STORAGE_ID = "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]"
_HOST_STORAGE_ID = (
    "[resourceId('Microsoft.Storage/storageAccounts', parameters('hostStorageAccountName'))]"
)
_SITE_ID = "[resourceId('Microsoft.Web/sites', parameters('functionAppName'))]"
_PLAN_ID = (
    "[resourceId('Microsoft.Web/serverfarms', format('{0}-plan', parameters('functionAppName')))]"
)
# Only Elastic Premium needs a key: its content share is on Azure Files, which takes no
# managed identity (WEBSITE_CONTENTAZUREFILECONNECTIONSTRING, "App settings reference for
# Azure Functions", read 2026-12). It points at the host's account, never the data one.
_CONTENT_SHARE_CONNECTION = (
    "[format('DefaultEndpointsProtocol=https;AccountName={0};"
    "EndpointSuffix={1};AccountKey={2}', "
    "parameters('hostStorageAccountName'), environment().suffixes.storage, "
    f"listKeys({_HOST_STORAGE_ID[1:-1]}, '{_STORAGE_API}').keys[0].value)]"
)
STORAGE_EVENTS_TOPIC = "[format('{0}-storage-events', parameters('storageAccountName'))]"
APP_EVENTS_TOPIC = "[format('{0}-events', parameters('functionAppName'))]"
_INSIGHTS_ID = (
    "[resourceId('Microsoft.Insights/components', "
    "concat(parameters('functionAppName'), '-insights'))]"
)


def _template(
    parameters: dict[str, Any], resources: list[Any], outputs: dict[str, Any]
) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "parameters": parameters,
        "resources": resources,
        "outputs": outputs,
    }


def _blob_created_from_event_grid(plan: str) -> bool:
    """Flex Consumption has no polling blob trigger: it takes blob events from Event Grid
    ("Flex Consumption plan hosting": considerations, read 2026-12)."""
    return plan == "flex"


def _uses_storage_events(model: DeployModel, plan: str) -> bool:
    return any(
        isinstance(f.fn.trigger, ObjectTrigger)
        and (f.fn.trigger.action == "deleted" or _blob_created_from_event_grid(plan))
        for f in model.functions
    )


def _uses_app_events(model: DeployModel) -> bool:
    # on_event functions on no bus subscribe to the app's shared Event Grid schema topic.
    return any(
        isinstance(f.fn.trigger, EventTrigger) and f.fn.trigger.bus is None for f in model.functions
    )


def bus_topic(bus: str) -> str:
    """The ARM expression naming an event bus's custom topic: ``<function app>-<bus>``,
    the app name shortened so the whole fits Event Grid's 50 characters for topic names."""
    return f"[format('{{0}}-{bus}', take(parameters('functionAppName'), {49 - len(bus)}))]"


def _bus_topic_name(model: DeployModel, bus: str) -> str:
    """The topic of a bus at this stage: an adopted topic's name, else polyfn's."""
    adopted = azure_existing(model.app.event_buses[bus], model.stage)
    return f"['{adopted.name}']" if adopted is not None else bus_topic(bus)


def _bus_topics(
    model: DeployModel,
) -> tuple[list[dict[str, Any]], list[dict[str, str]], list[dict[str, Any]]]:
    """Each event bus's custom topic, the app setting that binds it (its endpoint, which
    ``adapters/azure/backends/event_bus.py`` reads), and EventGrid Data Sender on it for
    the app's identity where a function publishes: no topic key in the app settings, and
    polyfn's own topics take no key at all (``disableLocalAuth``)."""
    topics: list[dict[str, Any]] = []
    settings: list[dict[str, str]] = []
    roles: list[dict[str, Any]] = []
    publishing = {bus for f in model.functions for bus in f.usage.resources("event_bus")}
    for name in model.event_buses:
        topic = _bus_topic_name(model, name)
        topic_id = f"resourceId('Microsoft.EventGrid/topics', {topic[1:-1]})"
        variable = binding_variable("event_bus", name)
        adopted = azure_existing(model.app.event_buses[name], model.stage) is not None
        if name in publishing:
            roles.append(topic_role_assignment(topic, scope_in_template=not adopted))
        if adopted:
            # An adopted topic (it must take CloudEvents, as polyfn's own does): referenced
            # with its API version, as ARM requires for a resource outside the template.
            settings.append(
                {"name": variable, "value": f"[reference({topic_id}, '{_GRID_API}').endpoint]"}
            )
            continue
        topics.append(
            {
                "type": "Microsoft.EventGrid/topics",
                "apiVersion": _GRID_API,
                "name": topic,
                "location": "[parameters('location')]",
                "properties": {
                    # CloudEvents in: the event keeps its own source (polyfn's), which the
                    # Event Grid schema would replace with the topic.
                    "inputSchema": "CloudEventSchemaV1_0",
                    # Microsoft Entra tokens only: the topic's access keys cannot publish.
                    "disableLocalAuth": True,
                },
            }
        )
        settings.append({"name": variable, "value": f"[reference({topic_id}).endpoint]"})
    return topics, settings, roles


def flex_instance_memory(model: DeployModel) -> int:
    """Flex Consumption's instance memory: the smallest size that fits the largest function.

    Memory is per app on Azure, so the function that asks for most decides; a size over the
    largest is refused earlier by the limits check.
    """
    sizes: list[int] = LIMITS["azure"]["memory_mb"]["flex"]["instance_sizes"]
    largest = max(f.memory for f in model.functions)
    return next((size for size in sorted(sizes) if size >= largest), max(sizes))


def http_instance_concurrency(model: DeployModel) -> int | None:
    """How many HTTP invocations one instance runs at once: one figure per Function App
    (Flex's perInstanceConcurrency, host.json's http.maxConcurrentRequests elsewhere), so
    the smallest any HTTP function asks for, which none of them exceeds (limits warns)."""
    asked = [f.fn.options.concurrency for f in model.of_kind("http") if f.fn.options.concurrency]
    return min(asked) if asked else None


def _always_ready(model: DeployModel) -> list[dict[str, Any]]:
    """Flex's always-ready instances from ``provisioned_concurrency``: HTTP functions scale
    as one ``http`` group, every other function on its own (``function:<name>``). One
    instance per provisioned execution: Flex runs several HTTP requests per instance, but
    polyfn cannot tell how many the handler takes, so it errs towards warm capacity."""
    groups: dict[str, int] = {}
    for function in model.functions:
        count = function.fn.options.provisioned_concurrency
        if not count:
            continue
        group = "http" if function.kind == "http" else f"function:{function.name}"
        groups[group] = max(groups.get(group, 0), count)
    return [{"name": name, "instanceCount": count} for name, count in sorted(groups.items())]


def _storage_account(name_parameter: str, *, shared_key: bool) -> dict[str, Any]:
    return {
        "type": "Microsoft.Storage/storageAccounts",
        "apiVersion": _STORAGE_API,
        "name": f"[parameters('{name_parameter}')]",
        "location": "[parameters('location')]",
        "sku": {"name": "Standard_LRS"},
        "kind": "StorageV2",
        "properties": {
            "minimumTlsVersion": "TLS1_2",
            "allowBlobPublicAccess": False,
            "supportsHttpsTrafficOnly": True,
            # No account key works against an account that refuses them.
            "allowSharedKeyAccess": shared_key,
        },
    }


def _child(
    account_parameter: str, service: str, kind: str, name: str, *, account_in_template: bool = True
) -> dict[str, Any]:
    child: dict[str, Any] = {
        "type": f"Microsoft.Storage/storageAccounts/{service}/{kind}",
        "apiVersion": _STORAGE_API,
        "name": f"[format('{{0}}/default/{name}', parameters('{account_parameter}'))]",
    }
    if account_in_template:  # an adopted account exists already: nothing to wait for
        child["dependsOn"] = [
            f"[resourceId('Microsoft.Storage/storageAccounts', parameters('{account_parameter}'))]"
        ]
    return child


def _adopted_names(model: DeployModel) -> set[tuple[str, str]]:
    """(service, name) of the containers, queues and tables this stage adopts."""
    service = {"bucket": "containers", "queue": "queues", "table": "tables"}
    return {
        (service[resource.kind], found.name)
        for registry in (model.app.buckets, model.app.queues, model.app.tables)
        for resource in registry.values()
        if (found := azure_existing(resource, model.stage)) is not None
    }


def _data_connection_settings() -> list[dict[str, str]]:
    """The identity-based connection to the data account: one service URI per service
    ("Common properties for identity-based connections", Azure Functions docs)."""
    endpoints = f"reference({_STORAGE_ID[1:-1]}, '{_STORAGE_API}').primaryEndpoints"
    return [
        {"name": f"{DATA_CONNECTION}__{service}ServiceUri", "value": f"[{endpoints}.{service}]"}
        for service in ("blob", "queue", "table")
    ]


def main_template(
    model: DeployModel,
    settings: dict[str, str],
    *,
    plan: str = DEFAULT_PLAN,
    region: str | None = None,
) -> dict[str, Any]:
    """Storage, plan, Function App (with ``settings`` as app settings), roles and topics.

    ``region`` becomes the default location; without it, the resource group's.
    """
    slug = "".join(c for c in app_slug(model.app) if c.isalnum())[:11]
    prefix = azure_function_app_name_prefix(model.app, model.stage)
    account_name = {"type": "string", "minLength": 3, "maxLength": 24}
    # An app that adopts existing containers, queues or tables keeps its data in their
    # account (deploy.existing); the template then references that account, never creates it.
    adopted_account = azure_data_account(
        [*model.app.buckets.values(), *model.app.queues.values(), *model.app.tables.values()],
        model.stage,
    )
    adopted = _adopted_names(model)
    parameters = {
        "location": {"type": "string", "defaultValue": region or "[resourceGroup().location]"},
        "storageAccountName": {
            **account_name,
            "defaultValue": adopted_account
            or f"[take(format('{slug}{{0}}', uniqueString(resourceGroup().id)), 24)]",
        },
        "hostStorageAccountName": {
            **account_name,
            "defaultValue": (
                f"[take(format('{slug}h{{0}}', uniqueString(resourceGroup().id, 'host')), 24)]"
            ),
        },
        "functionAppName": {
            "type": "string",
            "minLength": 2,
            "maxLength": 60,
            "defaultValue": f"[format('{prefix}{{0}}', uniqueString(resourceGroup().id))]",
        },
    }
    resources: list[dict[str, Any]] = [
        _storage_account("hostStorageAccountName", shared_key=plan != "flex"),
    ]
    if adopted_account is None:
        resources.insert(0, _storage_account("storageAccountName", shared_key=False))
    created: set[tuple[str, str]] = set()
    queue_names = _queue_names(model)
    if any(g.name == BLOB_POISON_QUEUE for g in data_grants(model)):
        queue_names.append(BLOB_POISON_QUEUE)
    for service, kind, names in (
        ("blobServices", "containers", [_physical(model, "bucket", n) for n in model.buckets]),
        ("queueServices", "queues", queue_names),
        ("tableServices", "tables", _table_names(model)),
    ):
        for name in names:
            if (kind, name) in adopted or (kind, name) in created:
                continue
            created.add((kind, name))
            resources.append(
                _child(
                    "storageAccountName",
                    service,
                    kind,
                    name,
                    account_in_template=adopted_account is None,
                )
            )
    if plan == "flex":
        resources.append(
            _child("hostStorageAccountName", "blobServices", "containers", _FLEX_PACKAGE_CONTAINER)
        )
    plan_shape = _PLAN_SKUS[plan]
    resources.append(
        {
            "type": "Microsoft.Web/serverfarms",
            "apiVersion": _WEB_API,
            "name": "[format('{0}-plan', parameters('functionAppName'))]",
            "location": "[parameters('location')]",
            "sku": plan_shape["sku"],
            "kind": plan_shape["kind"],
            "properties": {"reserved": True},  # Linux: Python functions run only on Linux
        }
    )
    # The host's storage through the identity: the account name is the whole setting.
    app_settings = [
        {
            "name": "AzureWebJobsStorage__accountName",
            "value": "[parameters('hostStorageAccountName')]",
        }
    ]
    if plan != "flex":
        # Flex takes the runtime from functionAppConfig and refuses these two settings.
        app_settings += [
            {"name": "FUNCTIONS_EXTENSION_VERSION", "value": "~4"},
            {"name": "FUNCTIONS_WORKER_RUNTIME", "value": "python"},
        ]
    if plan == "premium":
        app_settings += [
            {
                "name": "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
                "value": _CONTENT_SHARE_CONNECTION,
            },
            {"name": "WEBSITE_CONTENTSHARE", "value": "[toLower(parameters('functionAppName'))]"},
        ]
    app_settings += _data_connection_settings()
    settings = {**settings, **azure_auth.easy_auth_settings(model.app)}
    app_settings += [{"name": key, "value": value} for key, value in sorted(settings.items())]
    # Application Insights (workspace-based) receives the worker's logs, with their
    # invocation ids, and the host's requests and dependencies (deploy/observability.py).
    insights, insights_connection = app_insights_resources(
        "parameters('functionAppName')", DEFAULT_LOG_RETENTION_DAYS
    )
    resources.extend(insights)
    app_settings.append(
        {"name": "APPLICATIONINSIGHTS_CONNECTION_STRING", "value": insights_connection}
    )
    bus_topics, bus_settings, bus_roles = _bus_topics(model)
    resources.extend(bus_topics)
    app_settings += bus_settings
    site_config: dict[str, Any] = {
        "ftpsState": "Disabled",
        "minTlsVersion": "1.2",
        "appSettings": app_settings,
    }
    cors = azure_site_cors(model.app)
    if cors is not None:
        site_config["cors"] = cors  # the platform answers preflights (front_door)
    site_properties: dict[str, Any] = {"serverFarmId": _PLAN_ID, "httpsOnly": True}
    if plan == "flex":
        scale: dict[str, Any] = {
            "maximumInstanceCount": _FLEX_MAX_INSTANCES,
            "instanceMemoryMB": flex_instance_memory(model),
        }
        always_ready = _always_ready(model)
        if always_ready:
            scale["alwaysReady"] = always_ready
        concurrency = http_instance_concurrency(model)
        if concurrency is not None:
            scale["triggers"] = {"http": {"perInstanceConcurrency": concurrency}}
        site_properties["functionAppConfig"] = {
            "deployment": {
                "storage": {
                    "type": "blobContainer",
                    "value": f"[format('{{0}}{_FLEX_PACKAGE_CONTAINER}', reference("
                    f"{_HOST_STORAGE_ID[1:-1]}, '{_STORAGE_API}').primaryEndpoints.blob)]",
                    "authentication": {"type": "SystemAssignedIdentity"},
                }
            },
            "scaleAndConcurrency": scale,
            "runtime": {"name": "python", "version": PYTHON_VERSION},
        }
    else:
        site_config["linuxFxVersion"] = f"Python|{PYTHON_VERSION}"
    site_properties["siteConfig"] = site_config
    resources.append(
        {
            "type": "Microsoft.Web/sites",
            "apiVersion": _WEB_API,
            "name": "[parameters('functionAppName')]",
            "location": "[parameters('location')]",
            "kind": "functionapp,linux",
            "identity": {"type": "SystemAssigned"},
            "dependsOn": [_PLAN_ID]
            + ([_STORAGE_ID] if adopted_account is None else [])
            + [_HOST_STORAGE_ID, _INSIGHTS_ID]
            + [
                f"[resourceId('Microsoft.EventGrid/topics', {t['name'][1:-1]})]" for t in bus_topics
            ],
            "properties": site_properties,
        }
    )
    resources += [role_assignment("hostStorageAccountName", g) for g in host_grants(model)]
    resources += bus_roles
    resources += [
        role_assignment(
            "storageAccountName",
            g,
            scope_in_template=(
                adopted_account is None
                if g.service == "account"
                else (g.service, g.name) in created
            ),
        )
        for g in data_grants(model)
    ]
    easy_auth = azure_auth.easy_auth_config(model.app, _WEB_API, _SITE_ID)
    if easy_auth is not None:
        resources.append(easy_auth)
    outputs: dict[str, Any] = {
        "functionAppName": {"type": "string", "value": "[parameters('functionAppName')]"},
        "storageAccountName": {"type": "string", "value": "[parameters('storageAccountName')]"},
        "hostStorageAccountName": {
            "type": "string",
            "value": "[parameters('hostStorageAccountName')]",
        },
    }
    if _uses_storage_events(model, plan):
        resources.append(
            {
                "type": "Microsoft.EventGrid/systemTopics",
                "apiVersion": _GRID_API,
                "name": STORAGE_EVENTS_TOPIC,
                "location": "[parameters('location')]",
                "dependsOn": [_STORAGE_ID] if adopted_account is None else [],
                "properties": {
                    "source": _STORAGE_ID,
                    "topicType": "Microsoft.Storage.StorageAccounts",
                },
            }
        )
    if _uses_app_events(model):
        resources.append(
            {
                "type": "Microsoft.EventGrid/topics",
                "apiVersion": _GRID_API,
                "name": APP_EVENTS_TOPIC,
                "location": "[parameters('location')]",
                "properties": {"inputSchema": "EventGridSchema"},
            }
        )
        outputs["eventsTopicEndpoint"] = {
            "type": "string",
            "value": "[reference(resourceId('Microsoft.EventGrid/topics', "
            f"{APP_EVENTS_TOPIC[1:-1]})).endpoint]",
        }
    return _template(parameters, resources, outputs)


def _physical(model: DeployModel, kind: str, name: str) -> str:
    registry: dict[str, Any] = getattr(model.app, kind + "s")
    return azure_physical_name(registry[name], model.stage)


def _table_names(model: DeployModel) -> list[str]:
    """Each table, and the companion table of the index entities of one with indexes."""
    names: list[str] = []
    for name in model.tables:
        physical = _physical(model, "table", name)
        names.append(physical)
        if model.app.tables[name].indexes:
            names.append(physical + INDEX_TABLE_SUFFIX)
    return names


def _queue_names(model: DeployModel) -> list[str]:
    names: list[str] = []
    for name in model.queues:
        physical = _physical(model, "queue", name)
        # The host moves a message here after maxDequeueCount failures; creating it up front
        # lets the app's role see it and keeps the name visible in the template.
        names += [physical, f"{physical}-poison"]
    return names


def eventgrid_template(model: DeployModel, plan: str = DEFAULT_PLAN) -> dict[str, Any]:
    """Event Grid subscriptions for blob deletes, ``on_event`` functions and, on Flex,
    the blob triggers' Event Grid source."""
    parameters = {
        "functionAppName": {"type": "string"},
        "storageAccountName": {"type": "string"},
    }
    resources: list[dict[str, Any]] = []
    for function in model.functions:
        trigger = function.fn.trigger
        destination: dict[str, Any] = {
            "endpointType": "AzureFunction",
            "properties": {
                "resourceId": "[resourceId('Microsoft.Web/sites/functions', "
                f"parameters('functionAppName'), '{function.name}')]",
                "maxEventsPerBatch": 1,
            },
        }
        subscription = function.name.replace("_", "-")
        schema = "EventGridSchema"
        if isinstance(trigger, ObjectTrigger):
            if trigger.action == "created" and not _blob_created_from_event_grid(plan):
                continue  # the polling blob trigger needs no subscription
            container = _physical(model, "bucket", trigger.bucket.name)
            event_type = (
                "Microsoft.Storage.BlobDeleted"
                if trigger.action == "deleted"
                else "Microsoft.Storage.BlobCreated"
            )
            event_filter: dict[str, Any] = {
                "includedEventTypes": [event_type],
                "subjectBeginsWith": (
                    f"/blobServices/default/containers/{container}/blobs/{trigger.prefix}"
                ),
            }
            if trigger.suffix:
                event_filter["subjectEndsWith"] = trigger.suffix
            topic_type, topic = "Microsoft.EventGrid/systemTopics", STORAGE_EVENTS_TOPIC
            if trigger.action == "created":
                destination = _blob_extension_webhook(function.name)
        elif isinstance(trigger, EventTrigger) and trigger.bus is not None:
            event_filter = _bus_event_filter(trigger)
            topic_type = "Microsoft.EventGrid/topics"
            topic = _bus_topic_name(model, trigger.bus.name)
            schema = "CloudEventSchemaV1_0"
        elif isinstance(trigger, EventTrigger):
            event_filter = _event_filter(trigger)
            topic_type, topic = "Microsoft.EventGrid/topics", APP_EVENTS_TOPIC
        else:
            continue
        resources.append(
            {
                "type": f"{topic_type}/eventSubscriptions",
                "apiVersion": _GRID_API,
                "name": f"[format('{{0}}/{subscription}', {topic[1:-1]})]",
                "properties": {
                    "destination": destination,
                    "filter": event_filter,
                    "eventDeliverySchema": schema,
                    # Event Grid's own defaults, written out: retried for a day, then dropped.
                    "retryPolicy": {"maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440},
                },
            }
        )
    return _template(parameters, resources, {})


def _blob_extension_webhook(function: str) -> dict[str, Any]:
    """The blob extension's webhook for an Event Grid-sourced blob trigger, keyed with the
    host's ``blobs_extension`` system key ("Tutorial: Trigger Azure Functions on blob
    containers using an event subscription", learn.microsoft.com, read 2026-12). The key
    exists once the published app has indexed the trigger, hence this second template."""
    site = "resourceId('Microsoft.Web/sites', parameters('functionAppName'))"
    host = "resourceId('Microsoft.Web/sites/host', parameters('functionAppName'), 'default')"
    return {
        "endpointType": "WebHook",
        "properties": {
            "endpointUrl": "[format('https://{0}/runtime/webhooks/blobs?functionName="
            f"Host.Functions.{function}&code={{1}}', reference({site}, '{_WEB_API}')"
            f".defaultHostName, listKeys({host}, '{_WEB_API}').systemKeys.blobs_extension)]",
            "maxEventsPerBatch": 1,
        },
    }


def _bus_event_filter(trigger: EventTrigger) -> dict[str, Any]:
    """A subscription filter on a bus topic's CloudEvents: an exact type as
    ``includedEventTypes``, the source as an advanced filter on the ``source`` key (exact:
    StringIn, prefix: StringBeginsWith), per "Understand event filtering for Event Grid
    subscriptions" (learn.microsoft.com, checked 2026-12). A type prefix is left to the
    function, which applies on_event's filters to whatever arrives."""
    event_filter: dict[str, Any] = {}
    kind, source = trigger.type, trigger.source
    if kind not in (None, "*") and not kind.endswith("*"):
        event_filter["includedEventTypes"] = [kind]
    if source not in (None, "*"):
        operator, value = (
            ("StringBeginsWith", source[:-1]) if source.endswith("*") else ("StringIn", source)
        )
        event_filter["advancedFilters"] = [
            {"operatorType": operator, "key": "source", "values": [value]}
        ]
    return event_filter


def _event_filter(trigger: EventTrigger) -> dict[str, Any]:
    kind = trigger.type
    if kind in (None, "*"):
        return {}
    if kind.endswith("*"):
        return {
            "advancedFilters": [
                {"operatorType": "StringBeginsWith", "key": "eventType", "values": [kind[:-1]]}
            ]
        }
    return {"includedEventTypes": [kind]}
