"""The Azure translation: a Functions project in the Python v2 programming model.

``function_app.py`` is the two lines a user could write by hand; the Azure adapter
(``polyfn.adapters.azure.function_app``) registers one Azure function per polyfn function
when the host indexes it. What the v2 model keeps outside the code goes here:
``host.json`` (the queue retry count, the function timeout, the extension bundle),
``requirements.txt`` for the remote build, the app settings the bindings read
(``local.settings.json.example`` for ``func start``, and the same values in the ARM
template), and the templates in ``infra/``.

Azure has one timeout, one queue retry count and one batch size per Function App; the
largest timeout and the largest ``max_receives`` are used (a queue with a lower one has
its messages poisoned by the adapter, ``max_dequeue``).
"""

from __future__ import annotations

import json
from typing import Any

from polyfn.adapters.azure.settings import (
    BLOB_SOURCE_SETTING,
    DATA_CONNECTION,
    MAX_DEQUEUE_SETTING,
)
from polyfn.core.functions import MessageTrigger
from polyfn.core.resources import binding_variable
from polyfn.deploy.azure_arm import eventgrid_template, http_instance_concurrency, main_template
from polyfn.deploy.limits_data import LIMITS
from polyfn.deploy.model import DEFAULT_TIMEOUT_S, DeployModel
from polyfn.deploy.naming import azure_physical_name
from polyfn.deploy.observability import host_json_durable_tracing, host_json_sampling
from polyfn.deploy.requirements import Requirements
from polyfn.deploy.source import AppSource

__all__ = ["ROUTE_PREFIX", "app_settings", "azure_files", "host_json", "timeout_seconds"]

ROUTE_PREFIX = "api"  # the host's default, written out so the adapter and host.json agree
# Extension bundle 4.x: the blob, queue, timer and Event Grid bindings the v2 model uses.
EXTENSION_BUNDLE = {"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)"}


def timeout_seconds(model: DeployModel) -> int:
    """The app-wide timeout: the longest function timeout (each is polyfn's default if unset).

    Azure has one ``functionTimeout`` per Function App, so it must fit the slowest function.
    The plan's own default (5 min on Consumption) is not used, or a function that declares
    nothing would run ten times longer on Azure than on the other clouds; the limits check
    refuses a timeout over the plan's maximum.
    """
    return max((f.timeout for f in model.functions), default=DEFAULT_TIMEOUT_S)


def _consumers(model: DeployModel) -> list[MessageTrigger]:
    return [t for f in model.of_kind("message") if isinstance(t := f.fn.trigger, MessageTrigger)]


def max_dequeue(model: DeployModel) -> int:
    """host.json's ``maxDequeueCount``: the largest ``max_receives`` of the consumed queues.

    Azure has one count per Function App ("host.json reference: queues", learn.microsoft.com,
    read 2026-12). Of the two documented ways to give queues their own count (one Function
    App per count, or the function handling ``dequeueCount`` itself), polyfn takes the
    second: the host retries up to the largest count, and the queue trigger of a queue with
    a lower ``max_receives`` moves its message to ``<queue>-poison`` at that receive.
    """
    return max((t.queue.max_receives for t in _consumers(model)), default=5)


def queue_instance_concurrency(model: DeployModel) -> int | None:
    """How many messages one instance processes at once for each queue function, from
    ``concurrency=``: host.json's ``batchSize`` plus ``newBatchThreshold`` ("host.json
    reference: queues", learn.microsoft.com, read 2026-12: the limit applies to each
    queue-triggered function separately). The settings are one per Function App, so every
    queue function gets the smallest any of them asks for (the limits check warns)."""
    asked = [
        f.fn.options.concurrency
        for f in model.of_kind("message")
        if isinstance(f.fn.trigger, MessageTrigger) and f.fn.options.concurrency
    ]
    return min(asked) if asked else None


def _queue_batches(model: DeployModel, consumers: list[MessageTrigger]) -> dict[str, int]:
    """``batchSize`` (the messages fetched at once, at most 32, from the largest
    ``batch_size``) and, when a queue function asks for a ``concurrency``, the
    ``newBatchThreshold`` that makes the two add up to it. Azure hands each message to its
    own invocation, so a batch bounds parallelism only; a concurrency below the batch size
    lowers the batch to it (threshold 0: the next batch waits for this one)."""
    batch = min(LIMITS["azure"]["queue_batch_size"]["max"], max(t.batch_size for t in consumers))
    concurrency = queue_instance_concurrency(model)
    if concurrency is None:
        return {"batchSize": batch}
    batch = min(batch, concurrency)
    return {"batchSize": batch, "newBatchThreshold": concurrency - batch}


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def host_json(model: DeployModel, plan: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "version": "2.0",
        "functionTimeout": _hms(timeout_seconds(model)),
        "extensionBundle": EXTENSION_BUNDLE,
        "extensions": {"http": {"routePrefix": ROUTE_PREFIX}},
        "logging": {
            "logLevel": {"default": "Information"},
            "applicationInsights": host_json_sampling(),
        },
    }
    concurrency = http_instance_concurrency(model)
    if concurrency is not None and plan != "flex":
        # Flex takes it from the site's scaleAndConcurrency instead (azure_arm).
        document["extensions"]["http"]["maxConcurrentRequests"] = concurrency
    if model.app.workflows:
        document["extensions"]["durableTask"] = {"tracing": host_json_durable_tracing()}
    consumers = [f.fn.trigger for f in model.of_kind("message")]
    queues = [t.queue for t in consumers if isinstance(t, MessageTrigger)]
    if queues:
        settings: dict[str, Any] = {
            # One count per app: the largest; the adapter poisons the others' messages
            # itself at their own max_receives (app setting POLYFN_AZURE_MAX_DEQUEUE_COUNT).
            "maxDequeueCount": max_dequeue(model),
            **_queue_batches(model, _consumers(model)),
        }
        # The host's delay before a failed message is retried: polyfn's visibility timeout.
        # It is one per app; with several, the largest, so no queue's messages use up their
        # receives faster than declared (limits warns, naming each queue's value).
        settings["visibilityTimeout"] = _hms(max(q.visibility_timeout for q in queues))
        document["extensions"]["queues"] = settings
    return document


def app_settings(model: DeployModel, plan: str) -> dict[str, str]:
    """The settings polyfn reads: resource bindings, the timeout, the route prefix."""
    settings = {
        "POLYFN_TIMEOUT_SECONDS": str(timeout_seconds(model)),
        "POLYFN_AZURE_ROUTE_PREFIX": ROUTE_PREFIX,
    }
    counts = {t.queue.max_receives for t in _consumers(model)}
    if len(counts) > 1:
        settings[MAX_DEQUEUE_SETTING] = str(max_dequeue(model))
    if plan == "flex" and any(f.fn.trigger.kind == "object" for f in model.functions):
        # Flex has no polling blob trigger; the adapter registers the Event Grid source.
        settings[BLOB_SOURCE_SETTING] = "EventGrid"
    for kind, registry in (
        ("bucket", model.app.buckets),
        ("queue", model.app.queues),
        ("table", model.app.tables),
    ):
        for resource in registry.values():
            settings[binding_variable(kind, resource.name)] = azure_physical_name(
                resource, model.stage
            )
    return settings


def function_app_file(source: AppSource) -> str:
    return (
        '"""Azure Functions entry point written by polyfn deploy."""\n\n'
        "from polyfn.adapters import azure\n"
        f"{source.import_line('polyfn_app')}\n\n"
        "app = azure.function_app(polyfn_app)\n"
    )


_FUNCIGNORE = """\
# Not published: local settings, infrastructure templates, caches.
.venv
.git
__pycache__
local.settings.json
local.settings.json.example
infra
"""


def azure_files(
    model: DeployModel,
    source: AppSource,
    requirements: Requirements,
    *,
    plan: str,
    region: str | None = None,
) -> dict[str, str]:
    """Every generated file of the project (the app and polyfn are copied separately)."""
    settings = app_settings(model, plan)
    local_settings = {
        "IsEncrypted": False,
        "Values": {
            # Azurite's connection for `func start`; the ARM template sets identity-based
            # connections (no keys) to the real accounts.
            "AzureWebJobsStorage": "UseDevelopmentStorage=true",
            DATA_CONNECTION: "UseDevelopmentStorage=true",
            "FUNCTIONS_WORKER_RUNTIME": "python",
            **settings,
        },
    }
    files = {
        "function_app.py": function_app_file(source),
        "host.json": _json(host_json(model, plan)),
        "requirements.txt": requirements.text(
            "Installed by the Functions remote build; polyfn itself is in ./polyfn"
        ),
        "local.settings.json.example": _json(local_settings),
        ".funcignore": _FUNCIGNORE,
        "infra/main.json": _json(main_template(model, settings, plan=plan, region=region)),
    }
    subscriptions = eventgrid_template(model, plan)
    if subscriptions["resources"]:
        files["infra/eventgrid.json"] = _json(subscriptions)
    return files


def _json(document: Any) -> str:
    return json.dumps(document, indent=2) + "\n"
