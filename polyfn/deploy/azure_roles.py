"""Role assignments for the Function App's managed identity, scoped to each resource.

The app reaches storage with its system-assigned identity, never with an account key. Two
storage accounts keep the scopes honest: the Functions host needs Storage Blob Data Owner
on its *whole* account (leases, keys, the Flex deployment package), which would cover
every container of a shared account; so the app's own containers, queues and tables live
in a second, data account, where each role is assigned on one container, one queue or one
table, and only the roles the functions' code needs (``polyfn.deploy.usage``).

Role IDs are Azure's built-in role definitions ("Azure built-in roles for Storage",
learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage, read
2026-12); which trigger needs which role is from "Identity-based connections" in the
Blob, Queue and Table bindings pages of the Azure Functions docs (read 2026-12).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyfn.core.functions import MessageTrigger, ObjectTrigger
from polyfn.deploy.model import DeployModel
from polyfn.deploy.naming import azure_physical_name

__all__ = [
    "BLOB_POISON_QUEUE",
    "ROLE_IDS",
    "Grant",
    "data_grants",
    "host_grants",
    "role_assignment",
    "topic_role_assignment",
]

ROLE_IDS = {
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Storage Queue Data Reader": "19e7f393-937e-4f77-808e-94535e297925",
    "Storage Queue Data Message Processor": "8a0f0c08-91a1-4084-bc3d-661d67233fed",
    "Storage Queue Data Message Sender": "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Storage Table Data Reader": "76199698-9eea-4c19-bc75-cec21354c6b6",
    # Publishing to an Event Grid custom topic with a Microsoft Entra token ("Azure built-in
    # roles for Integration", EventGrid Data Sender, read 2026-12).
    "EventGrid Data Sender": "d5a91429-5739-47e2-a06b-3470a27159e7",
}
# The blob trigger writes blobs that keep failing to this queue of the account its
# connection names (Blob trigger docs, "Poison blobs"); created up front so its role can be
# scoped to it instead of to every queue of the account.
BLOB_POISON_QUEUE = "webjobs-blob-poison"
_ROLE_API = "2022-04-01"
_WEB_API = "2023-12-01"


@dataclass(frozen=True, order=True)
class Grant:
    """One role on one scope: ``service`` is ``account``, ``containers``, ``queues`` or
    ``tables``; ``name`` the container, queue or table (empty for the account)."""

    service: str
    name: str
    role: str


def host_grants(model: DeployModel | None = None) -> list[Grant]:
    """The host's own account: Blob Data Owner, the one role the Functions docs require
    for ``AzureWebJobsStorage`` with an identity ("Connecting to host storage with an
    identity"); it also covers the Flex deployment container in that account.

    An App with workflows runs Durable Functions, whose task hub (the Azure Storage
    provider) keeps its queues and history tables in that account: with an identity it
    needs Queue and Table Data Contributor there too ("Configure Durable Functions with
    managed identity", learn.microsoft.com, Durable Functions docs, read 2026-12).
    """
    grants = [Grant("account", "", "Storage Blob Data Owner")]
    if model is not None and model.app.workflows:
        grants += [
            Grant("account", "", "Storage Queue Data Contributor"),
            Grant("account", "", "Storage Table Data Contributor"),
        ]
    return grants


def data_grants(model: DeployModel) -> list[Grant]:
    """The roles on the data account, each on one resource, from triggers and code use."""
    grants: set[Grant] = set()
    for function in model.functions:
        trigger = function.fn.trigger
        if isinstance(trigger, ObjectTrigger):
            container = _container(model, trigger.bucket.name)
            if trigger.action == "created":
                # The blob trigger reads the blob and keeps receipts: Owner on the container.
                grants.add(Grant("containers", container, "Storage Blob Data Owner"))
                grants.add(Grant("queues", BLOB_POISON_QUEUE, "Storage Queue Data Contributor"))
        if isinstance(trigger, MessageTrigger):
            queue = azure_physical_name(trigger.queue, model.stage)
            grants.add(Grant("queues", queue, "Storage Queue Data Reader"))
            grants.add(Grant("queues", queue, "Storage Queue Data Message Processor"))
            # After max_receives failures the message moves to the poison queue.
            grants.add(Grant("queues", f"{queue}-poison", "Storage Queue Data Message Sender"))
        usage = function.usage
        for name in usage.resources("bucket"):
            access = usage.access("bucket", name)
            role = (
                "Storage Blob Data Contributor"
                if access & {"write", "delete"}
                else "Storage Blob Data Reader"
            )
            grants.add(Grant("containers", _container(model, name), role))
        for name in usage.resources("queue"):
            queue = azure_physical_name(model.app.queues[name], model.stage)
            grants.add(Grant("queues", queue, "Storage Queue Data Message Sender"))
        for name in usage.resources("table"):
            access = usage.access("table", name)
            role = (
                "Storage Table Data Contributor"
                if access & {"write", "delete"}
                else "Storage Table Data Reader"
            )
            table = azure_physical_name(model.app.tables[name], model.stage)
            grants.add(Grant("tables", table, role))
    return sorted(_drop_covered(grants))


# A role that includes another on the same scope makes the lesser one redundant.
_COVERS = {
    "Storage Blob Data Owner": {"Storage Blob Data Contributor", "Storage Blob Data Reader"},
    "Storage Blob Data Contributor": {"Storage Blob Data Reader"},
    "Storage Table Data Contributor": {"Storage Table Data Reader"},
}


def _drop_covered(grants: set[Grant]) -> set[Grant]:
    return {
        g
        for g in grants
        if not any(
            o.service == g.service and o.name == g.name and g.role in _COVERS.get(o.role, ())
            for o in grants
        )
    }


def _container(model: DeployModel, bucket: str) -> str:
    return azure_physical_name(model.app.buckets[bucket], model.stage)


def _scope(account_parameter: str, grant: Grant) -> str:
    """The ARM ``scope`` of an extension resource on the account or one of its children."""
    account = f"parameters('{account_parameter}')"
    if grant.service == "account":
        return f"[format('Microsoft.Storage/storageAccounts/{{0}}', {account})]"
    service = {"containers": "blobServices", "queues": "queueServices", "tables": "tableServices"}
    return (
        f"[format('Microsoft.Storage/storageAccounts/{{0}}/{service[grant.service]}/default/"
        f"{grant.service}/{grant.name}', {account})]"
    )


def _scope_id(account_parameter: str, grant: Grant) -> str:
    """``resourceId`` of the scope, for ``dependsOn`` and the assignment's stable name."""
    account = f"parameters('{account_parameter}')"
    if grant.service == "account":
        return f"resourceId('Microsoft.Storage/storageAccounts', {account})"
    service = {"containers": "blobServices", "queues": "queueServices", "tables": "tableServices"}
    kind = f"Microsoft.Storage/storageAccounts/{service[grant.service]}/{grant.service}"
    return f"resourceId('{kind}', {account}, 'default', '{grant.name}')"


def role_assignment(
    account_parameter: str, grant: Grant, *, scope_in_template: bool = True
) -> dict[str, Any]:
    """The ``Microsoft.Authorization/roleAssignments`` resource for one grant to the app.

    An adopted scope (an existing account, container, queue or table) is not a resource of
    the template, so the assignment cannot depend on it; ARM refuses a dependency on a
    resource the template does not declare."""
    return _assignment(
        _scope(account_parameter, grant),
        _scope_id(account_parameter, grant),
        grant.role,
        scope_in_template=scope_in_template,
    )


def topic_role_assignment(topic_name: str, *, scope_in_template: bool) -> dict[str, Any]:
    """EventGrid Data Sender on one custom topic (``topic_name``: an ARM expression in
    brackets), so the app publishes with its identity instead of the topic's key."""
    name = topic_name[1:-1]
    return _assignment(
        f"[format('Microsoft.EventGrid/topics/{{0}}', {name})]",
        f"resourceId('Microsoft.EventGrid/topics', {name})",
        "EventGrid Data Sender",
        scope_in_template=scope_in_template,
    )


def _assignment(scope: str, scope_id: str, role: str, *, scope_in_template: bool) -> dict[str, Any]:
    role_id = ROLE_IDS[role]
    site = "resourceId('Microsoft.Web/sites', parameters('functionAppName'))"
    return {
        "type": "Microsoft.Authorization/roleAssignments",
        "apiVersion": _ROLE_API,
        "scope": scope,
        # A stable name: re-deploying the template finds the same assignment.
        "name": f"[guid({scope_id}, {site}, '{role_id}')]",
        "dependsOn": ([f"[{scope_id}]"] if scope_in_template else []) + [f"[{site}]"],
        "properties": {
            "roleDefinitionId": "[subscriptionResourceId("
            f"'Microsoft.Authorization/roleDefinitions', '{role_id}')]",
            "principalId": f"[reference({site}, '{_WEB_API}', 'full').identity.principalId]",
            "principalType": "ServicePrincipal",
        },
    }
