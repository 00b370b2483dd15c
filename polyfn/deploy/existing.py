"""Resources a deploy adopts instead of creating: ``existing={stage: {cloud: id}}``.

A migration deploys next to data that is already there. Each cloud names an existing
resource its own way, so each gets a parser here that checks the id offline (the forms
and character rules are each cloud's documented naming rules, read 2026-12) and returns
what the translations need: a name for the binding variable and, on AWS, an ARN for the
policies and event sources.

- AWS: a bucket by name or ``arn:aws:s3:::name``; a queue by name (this account and
  region), ARN or URL; a table and an event bus by name or ARN. An ARN binds the function
  to the resource wherever it lives (SQS takes the queue URL built from it, DynamoDB and
  EventBridge take the ARN itself).
- Azure: ``account/name`` (a container, queue or table) in a storage account of the
  deployment's resource group; every adopted resource of an app names the same account,
  which becomes the app's data account (identity-based connections name one account).
  An event bus: the name of an Event Grid custom topic in that resource group.
- Google Cloud: a bucket name (or ``gs://name``), a Pub/Sub topic id, a Firestore
  collection id, each in the deployment's project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from polyfn.core.errors import ConfigError
from polyfn.core.resources import Resource

__all__ = [
    "AwsExisting",
    "AzureExisting",
    "adopted",
    "aws_existing",
    "azure_data_account",
    "azure_existing",
    "gcp_existing",
]

_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_SQS_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}(\.fifo)?$")
_DYNAMODB_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_EVENT_BUS_NAME = re.compile(r"^[A-Za-z0-9/_.-]{1,256}$")
_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):"
    r"(?P<account>\d{12})?:(?P<resource>.+)$"
)
_SQS_URL = re.compile(
    r"^https://sqs\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<account>\d{12})/"
    r"(?P<name>[^/]+)$"
)
_AZURE_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
# Containers and queues: 3-63 lower-case letters, digits and single hyphens, starting and
# ending with a letter or digit; tables: 3-63 letters and digits, starting with a letter.
_AZURE_CONTAINER_OR_QUEUE = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_AZURE_TABLE = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,62}$")
_AZURE_TOPIC = re.compile(r"^[A-Za-z0-9-]{3,50}$")
_GCS_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_PUBSUB_TOPIC = re.compile(r"^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$")
_FIRESTORE_COLLECTION = re.compile(r"^(?!__.*__$)[^/]{1,1500}$")


def adopted(resource: Resource, stage: str, cloud: str) -> str | None:
    return resource.existing_on(stage, cloud)


def _refuse(resource: Resource, cloud: str, physical: str, expected: str) -> ConfigError:
    return ConfigError(
        f"{resource.kind} {resource.name!r}: existing {cloud} id {physical!r} is not {expected}"
    )


# ----------------------------------------------------------------------------- AWS


@dataclass(frozen=True)
class AwsExisting:
    """An adopted AWS resource: ``binding`` for the function's variable, ``arn`` for its
    policies and event sources (a string, or a ``Fn::Sub`` of this stack's account)."""

    binding: str
    arn: Any
    name: str


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def aws_existing(resource: Resource, stage: str) -> AwsExisting | None:
    physical = adopted(resource, stage, "aws")
    if physical is None:
        return None
    kind = resource.kind
    arn = _ARN.match(physical)
    if kind == "bucket":
        name = physical
        if arn:
            if arn["service"] != "s3" or arn["region"] or arn["account"]:
                raise _refuse(resource, "aws", physical, "an S3 bucket ARN (arn:aws:s3:::name)")
            name = arn["resource"]
        if not _S3_BUCKET.match(name):
            raise _refuse(resource, "aws", physical, "an S3 bucket name or ARN")
        return AwsExisting(name, _sub(f"arn:${{AWS::Partition}}:s3:::{name}"), name)
    if kind == "queue":
        url = _SQS_URL.match(physical)
        if url:
            name, region, account = url["name"], url["region"], url["account"]
            partition = "aws-cn" if ".amazonaws.com.cn/" in physical else "aws"
            arn_text = f"arn:{partition}:sqs:{region}:{account}:{name}"
        elif arn:
            if arn["service"] != "sqs" or not arn["region"] or not arn["account"]:
                raise _refuse(resource, "aws", physical, "an SQS queue ARN")
            name, arn_text = arn["resource"], physical
            suffix = ".cn" if arn["partition"] == "aws-cn" else ""
            url_text = f"https://sqs.{arn['region']}.amazonaws.com{suffix}/{arn['account']}/{name}"
        else:
            name = physical
        if not _SQS_NAME.match(name):
            raise _refuse(resource, "aws", physical, "an SQS queue name, ARN or URL")
        if url:
            return AwsExisting(physical, arn_text, name)
        if arn:
            # The URL, not the name: GetQueueUrl by name finds only this account's queues.
            return AwsExisting(url_text, arn_text, name)
        return AwsExisting(
            name, _sub(f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{name}"),
            name,
        )  # fmt: skip
    if kind == "table":
        if arn:
            if arn["service"] != "dynamodb" or not arn["resource"].startswith("table/"):
                raise _refuse(resource, "aws", physical, "a DynamoDB table ARN")
            name = arn["resource"].removeprefix("table/")
            if not _DYNAMODB_NAME.match(name):
                raise _refuse(resource, "aws", physical, "a DynamoDB table ARN")
            return AwsExisting(physical, physical, name)  # DynamoDB takes the ARN as TableName
        if not _DYNAMODB_NAME.match(physical):
            raise _refuse(resource, "aws", physical, "a DynamoDB table name or ARN")
        table_arn = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/"
        return AwsExisting(physical, _sub(table_arn + physical), physical)
    if kind == "event_bus":
        if arn:
            if arn["service"] != "events" or not arn["resource"].startswith("event-bus/"):
                raise _refuse(resource, "aws", physical, "an EventBridge event bus ARN")
            return AwsExisting(physical, physical, arn["resource"].removeprefix("event-bus/"))
        if not _EVENT_BUS_NAME.match(physical) or physical == "default":
            raise _refuse(resource, "aws", physical, "a custom EventBridge bus name or ARN")
        bus_arn = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/"
        return AwsExisting(physical, _sub(bus_arn + physical), physical)
    raise ConfigError(f"{kind} {resource.name!r}: adopting an existing {kind} is not supported")


# ----------------------------------------------------------------------------- Azure


@dataclass(frozen=True)
class AzureExisting:
    account: str  # empty for an Event Grid topic
    name: str


def azure_existing(resource: Resource, stage: str) -> AzureExisting | None:
    physical = adopted(resource, stage, "azure")
    if physical is None:
        return None
    if resource.kind == "event_bus":
        if not _AZURE_TOPIC.match(physical):
            raise _refuse(resource, "azure", physical, "an Event Grid topic name")
        return AzureExisting("", physical)
    account, _, name = physical.partition("/")
    rule = _AZURE_TABLE if resource.kind == "table" else _AZURE_CONTAINER_OR_QUEUE
    if not _AZURE_ACCOUNT.match(account) or not rule.match(name):
        what = {"bucket": "container", "queue": "queue", "table": "table"}[resource.kind]
        raise _refuse(resource, "azure", physical, f"'<storage account>/<{what}>'")
    return AzureExisting(account, name)


def azure_data_account(resources: list[Resource], stage: str) -> str | None:
    """The existing storage account the app's data lives in at ``stage``, if it adopts any.

    One account: the Functions host reads every trigger through one identity-based
    connection (``PolyfnStorage__*ServiceUri``), so two accounts would need two.
    """
    accounts = {
        found.account
        for resource in resources
        if (found := azure_existing(resource, stage)) is not None and found.account
    }
    if len(accounts) > 1:
        raise ConfigError(
            "Azure: the adopted containers, queues and tables must live in one storage "
            f"account (the app's data account); stage {stage!r} names "
            + ", ".join(sorted(accounts))
        )
    return next(iter(accounts), None)


# ----------------------------------------------------------------------------- Google Cloud


def gcp_existing(resource: Resource, stage: str) -> str | None:
    physical = adopted(resource, stage, "gcp")
    if physical is None:
        return None
    kind = resource.kind
    if kind == "bucket":
        name = physical.removeprefix("gs://").rstrip("/")
        if not _GCS_BUCKET.match(name) or "goog" in name:
            raise _refuse(resource, "gcp", physical, "a Cloud Storage bucket name")
        return name
    if kind in ("queue", "event_bus"):
        if not _PUBSUB_TOPIC.match(physical) or physical.startswith("goog"):
            raise _refuse(resource, "gcp", physical, "a Pub/Sub topic id of this project")
        return physical
    if not _FIRESTORE_COLLECTION.match(physical) or physical in (".", ".."):
        raise _refuse(resource, "gcp", physical, "a Firestore collection id")
    return physical
