"""The Azure infrastructure as ARM templates: ``infra/main.json`` and ``infra/eventgrid.json``.

``main.json`` creates the storage account (the Functions host's own, which also holds the
app's containers, queues with their ``-poison`` queues, and tables), the hosting plan,
the Function App with the binding settings, and the Event Grid topics the app needs.
``eventgrid.json`` subscribes functions to those topics; it is deployed after the code is
published, because an Event Grid subscription to a function fails until that function
exists.
"""

from __future__ import annotations

from typing import Any

from polyfn.core.functions import EventTrigger, ObjectTrigger
from polyfn.core.resources import binding_variable
from polyfn.deploy import azure_auth
from polyfn.deploy.model import DeployModel
from polyfn.deploy.naming import app_slug, azure_function_app_name_prefix, azure_physical_name

__all__ = ["PYTHON_VERSION", "eventgrid_template", "main_template"]

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PYTHON_VERSION = "3.12"
_STORAGE_API = "2023-05-01"
_WEB_API = "2023-12-01"
_GRID_API = "2022-06-15"
_PLAN_SKUS: dict[str, dict[str, Any]] = {
    "consumption": {"sku": {"name": "Y1", "tier": "Dynamic"}, "kind": "functionapp"},
    "premium": {"sku": {"name": "EP1", "tier": "ElasticPremium"}, "kind": "elastic"},
}
_STORAGE_ID = "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]"
_SITE_ID = "[resourceId('Microsoft.Web/sites', parameters('functionAppName'))]"
_PLAN_ID = (
    "[resourceId('Microsoft.Web/serverfarms', format('{0}-plan', parameters('functionAppName')))]"
)
_CONNECTION = (
    "[format('DefaultEndpointsProtocol=https;AccountName={0};"
    "EndpointSuffix={1};AccountKey={2}', "
    "parameters('storageAccountName'), environment().suffixes.storage, "
    f"listKeys({_STORAGE_ID[1:-1]}, '{_STORAGE_API}').keys[0].value)]"
)
STORAGE_EVENTS_TOPIC = "[format('{0}-storage-events', parameters('storageAccountName'))]"
APP_EVENTS_TOPIC = "[format('{0}-events', parameters('functionAppName'))]"


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


def _uses_storage_events(model: DeployModel) -> bool:
    return any(
        isinstance(f.fn.trigger, ObjectTrigger) and f.fn.trigger.action == "deleted"
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


def _bus_topics(model: DeployModel) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Each event bus's custom topic, and the app settings that bind it: the endpoint and
    an access key (``adapters/azure/backends/event_bus.py`` reads both)."""
    topics: list[dict[str, Any]] = []
    settings: list[dict[str, str]] = []
    for name in model.event_buses:
        topic = bus_topic(name)
        topic_id = f"resourceId('Microsoft.EventGrid/topics', {topic[1:-1]})"
        topics.append(
            {
                "type": "Microsoft.EventGrid/topics",
                "apiVersion": _GRID_API,
                "name": topic,
                "location": "[parameters('location')]",
                # CloudEvents in: the event keeps its own source (polyfn's), which the
                # Event Grid schema would replace with the topic.
                "properties": {"inputSchema": "CloudEventSchemaV1_0"},
            }
        )
        variable = binding_variable("event_bus", name)
        settings += [
            {"name": variable, "value": f"[reference({topic_id}).endpoint]"},
            {"name": f"{variable}_KEY", "value": f"[listKeys({topic_id}, '{_GRID_API}').key1]"},
        ]
    return topics, settings


def main_template(
    model: DeployModel,
    settings: dict[str, str],
    *,
    plan: str = "consumption",
    region: str | None = None,
) -> dict[str, Any]:
    """Storage, plan, Function App (with ``settings`` as app settings) and topics.

    ``region`` becomes the default location; without it, the resource group's.
    """
    slug = "".join(c for c in app_slug(model.app) if c.isalnum())[:11]
    prefix = azure_function_app_name_prefix(model.app, model.stage)
    parameters = {
        "location": {"type": "string", "defaultValue": region or "[resourceGroup().location]"},
        "storageAccountName": {
            "type": "string",
            "minLength": 3,
            "maxLength": 24,
            "defaultValue": f"[take(format('{slug}{{0}}', uniqueString(resourceGroup().id)), 24)]",
        },
        "functionAppName": {
            "type": "string",
            "minLength": 2,
            "maxLength": 60,
            "defaultValue": f"[format('{prefix}{{0}}', uniqueString(resourceGroup().id))]",
        },
    }
    storage_dependency = [_STORAGE_ID]
    resources: list[dict[str, Any]] = [
        {
            "type": "Microsoft.Storage/storageAccounts",
            "apiVersion": _STORAGE_API,
            "name": "[parameters('storageAccountName')]",
            "location": "[parameters('location')]",
            "sku": {"name": "Standard_LRS"},
            "kind": "StorageV2",
            "properties": {
                "minimumTlsVersion": "TLS1_2",
                "allowBlobPublicAccess": False,
                "supportsHttpsTrafficOnly": True,
            },
        }
    ]
    for service, kind, names in (
        ("blobServices", "containers", [_physical(model, "bucket", n) for n in model.buckets]),
        ("queueServices", "queues", _queue_names(model)),
        ("tableServices", "tables", [_physical(model, "table", n) for n in model.tables]),
    ):
        resources.extend(
            {
                "type": f"Microsoft.Storage/storageAccounts/{service}/{kind}",
                "apiVersion": _STORAGE_API,
                "name": f"[format('{{0}}/default/{name}', parameters('storageAccountName'))]",
                "dependsOn": storage_dependency,
            }
            for name in names
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
    app_settings = [
        {"name": "AzureWebJobsStorage", "value": _CONNECTION},
        {"name": "FUNCTIONS_EXTENSION_VERSION", "value": "~4"},
        {"name": "FUNCTIONS_WORKER_RUNTIME", "value": "python"},
    ]
    if plan == "premium":
        # Elastic Premium keeps the app's files on an Azure Files share of the same account.
        app_settings += [
            {"name": "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "value": _CONNECTION},
            {"name": "WEBSITE_CONTENTSHARE", "value": "[toLower(parameters('functionAppName'))]"},
        ]
    settings = {**settings, **azure_auth.easy_auth_settings(model.app)}
    app_settings += [{"name": key, "value": value} for key, value in sorted(settings.items())]
    bus_topics, bus_settings = _bus_topics(model)
    resources.extend(bus_topics)
    app_settings += bus_settings
    resources.append(
        {
            "type": "Microsoft.Web/sites",
            "apiVersion": _WEB_API,
            "name": "[parameters('functionAppName')]",
            "location": "[parameters('location')]",
            "kind": "functionapp,linux",
            "dependsOn": [_PLAN_ID, _STORAGE_ID]
            + [
                f"[resourceId('Microsoft.EventGrid/topics', {t['name'][1:-1]})]" for t in bus_topics
            ],
            "properties": {
                "serverFarmId": _PLAN_ID,
                "httpsOnly": True,
                "siteConfig": {
                    "linuxFxVersion": f"Python|{PYTHON_VERSION}",
                    "ftpsState": "Disabled",
                    "minTlsVersion": "1.2",
                    "appSettings": app_settings,
                },
            },
        }
    )
    easy_auth = azure_auth.easy_auth_config(model.app, _WEB_API, _SITE_ID)
    if easy_auth is not None:
        resources.append(easy_auth)
    outputs: dict[str, Any] = {
        "functionAppName": {"type": "string", "value": "[parameters('functionAppName')]"},
        "storageAccountName": {"type": "string", "value": "[parameters('storageAccountName')]"},
    }
    if _uses_storage_events(model):
        resources.append(
            {
                "type": "Microsoft.EventGrid/systemTopics",
                "apiVersion": _GRID_API,
                "name": STORAGE_EVENTS_TOPIC,
                "location": "[parameters('location')]",
                "dependsOn": storage_dependency,
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
    return azure_physical_name(registry[name])


def _queue_names(model: DeployModel) -> list[str]:
    names: list[str] = []
    for name in model.queues:
        physical = _physical(model, "queue", name)
        # The host moves a message here after maxDequeueCount failures; creating it up front
        # lets the app's role see it and keeps the name visible in the template.
        names += [physical, f"{physical}-poison"]
    return names


def eventgrid_template(model: DeployModel) -> dict[str, Any]:
    """Event Grid subscriptions for blob deletes and ``on_event`` functions."""
    parameters = {
        "functionAppName": {"type": "string"},
        "storageAccountName": {"type": "string"},
    }
    resources: list[dict[str, Any]] = []
    for function in model.functions:
        trigger = function.fn.trigger
        destination = {
            "endpointType": "AzureFunction",
            "properties": {
                "resourceId": "[resourceId('Microsoft.Web/sites/functions', "
                f"parameters('functionAppName'), '{function.name}')]",
                "maxEventsPerBatch": 1,
            },
        }
        subscription = function.name.replace("_", "-")
        schema = "EventGridSchema"
        if isinstance(trigger, ObjectTrigger) and trigger.action == "deleted":
            container = _physical(model, "bucket", trigger.bucket.name)
            event_filter: dict[str, Any] = {
                "includedEventTypes": ["Microsoft.Storage.BlobDeleted"],
                "subjectBeginsWith": (
                    f"/blobServices/default/containers/{container}/blobs/{trigger.prefix}"
                ),
            }
            if trigger.suffix:
                event_filter["subjectEndsWith"] = trigger.suffix
            topic_type, topic = "Microsoft.EventGrid/systemTopics", STORAGE_EVENTS_TOPIC
        elif isinstance(trigger, EventTrigger) and trigger.bus is not None:
            event_filter = _bus_event_filter(trigger)
            topic_type, topic = "Microsoft.EventGrid/topics", bus_topic(trigger.bus.name)
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
