"""The physical name of every function and resource on each cloud.

Names are decided here, once, so that the artifacts, the plan and the limits check agree.
The rules follow what each cloud scopes globally:

- AWS: CloudFormation names queues and tables itself (unique per stack); buckets are
  global, so their name carries the account and region, and it is spelled out (not a
  ``!Ref``) so that the bucket's notification and the function's variables do not depend
  on each other in a cycle.
- Azure: every resource lives in the app's own storage account, so containers and queues
  keep their logical names; table names allow letters and digits only, so hyphens go.
- Google Cloud: buckets are global, topics and Firestore collections are per project, so
  they carry the app and stage (and buckets the project id).
"""

from __future__ import annotations

import re

from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.core.functions import Function
from polyfn.core.resources import Bucket, Queue, Table

__all__ = [
    "DEFAULT_STAGE",
    "app_slug",
    "aws_bucket_name",
    "aws_fallback_function_name",
    "aws_function_name",
    "aws_logical_id",
    "aws_state_machine_name",
    "azure_function_app_name_prefix",
    "azure_physical_name",
    "check_stage",
    "gcp_bucket_name",
    "gcp_function_name",
    "gcp_physical_name",
]

DEFAULT_STAGE = "dev"
_STAGE = re.compile(r"^[a-z][a-z0-9]{0,15}$")

# Worst cases used to check a name whose final form is known only at deploy time.
AWS_ACCOUNT_ID_LENGTH = 12
AWS_LONGEST_REGION = 14  # "ap-southeast-5", "ap-northeast-3"
GCP_LONGEST_PROJECT_ID = 30  # project ids are 6-30 characters


def check_stage(stage: str) -> str:
    if not _STAGE.match(stage):
        raise ConfigError(
            f"stage {stage!r} must be 1-16 lower-case letters and digits, starting with a "
            "letter (it becomes part of resource names on every cloud)"
        )
    return stage


def app_slug(app: App) -> str:
    """The app name as every cloud's names accept it: lower case, '-' for '_'."""
    return app.name.lower().replace("_", "-")


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text))


def aws_logical_id(kind: str, name: str) -> str:
    """CloudFormation logical ids are alphanumeric: ``UploadsBucket``, ``GetUserFunction``."""
    return f"{_camel(name)}{_camel(kind)}"


def aws_function_name(app: App, stage: str, fn: Function) -> str:
    return f"{app_slug(app)}-{stage}-{fn.name}"


def aws_state_machine_name(app: App, stage: str, workflow: str) -> str:
    """The Step Functions state machine of a workflow (1-80 letters, digits, '-', '_')."""
    return f"{app_slug(app)}-{stage}-{workflow}"


def event_bus_name(app: App, stage: str, bus: str) -> str:
    """An event bus's name on the cloud: ``<app>-<stage>-<bus>`` (EventBridge bus names and
    Event Grid topic names (3-50 characters of letters, digits and '-') accept it, as do
    Pub/Sub topic ids)."""
    return f"{app_slug(app)}-{stage}-{bus}"


def aws_fallback_function_name(app: App, stage: str) -> str:
    """The function that answers 404/405 for HTTP paths no route has."""
    return f"{app_slug(app)}-{stage}-http-fallback"


def aws_bucket_name(app: App, stage: str, bucket: Bucket) -> str:
    """A ``Fn::Sub`` string; the account and region make the global name unique."""
    return f"{app_slug(app)}-{stage}-{bucket.name}-${{AWS::AccountId}}-${{AWS::Region}}"


def aws_bucket_name_longest(app: App, stage: str, bucket: Bucket) -> int:
    fixed = len(f"{app_slug(app)}-{stage}-{bucket.name}--")
    return fixed + AWS_ACCOUNT_ID_LENGTH + AWS_LONGEST_REGION


def azure_physical_name(resource: Bucket | Queue | Table, stage: str | None = None) -> str:
    """The container, queue or table name; at ``stage``, an adopted one's own name."""
    if stage is not None:
        from polyfn.deploy.existing import azure_existing

        adopted = azure_existing(resource, stage)
        if adopted is not None:
            return adopted.name
    if isinstance(resource, Table):
        return resource.name.replace("-", "")
    return resource.name


def azure_function_app_name_prefix(app: App, stage: str) -> str:
    """The Function App's name is this prefix plus ``uniqueString(resourceGroup().id)``."""
    return f"{app_slug(app)}-{stage}-"


AZURE_UNIQUE_STRING_LENGTH = 13  # ARM's uniqueString() returns 13 characters


def gcp_function_name(app: App, stage: str, fn: Function) -> str:
    # Cloud Functions gen2 become Cloud Run services, whose names take no '_'.
    return f"{app_slug(app)}-{stage}-{fn.name.lower().replace('_', '-')}"


def gcp_physical_name(app: App, stage: str, resource: Queue | Table) -> str:
    """Pub/Sub topic or Firestore collection: shared by the whole project, so prefixed;
    an adopted one (``existing=``) keeps its own name."""
    from polyfn.deploy.existing import gcp_existing

    return gcp_existing(resource, stage) or f"{app_slug(app)}-{stage}-{resource.name}"


def gcp_bucket_name(app: App, stage: str, bucket: Bucket, project: str = "${PROJECT_ID}") -> str:
    from polyfn.deploy.existing import gcp_existing

    return gcp_existing(bucket, stage) or f"{app_slug(app)}-{stage}-{bucket.name}-{project}"


def gcp_bucket_name_longest(app: App, stage: str, bucket: Bucket) -> int:
    return len(f"{app_slug(app)}-{stage}-{bucket.name}-") + GCP_LONGEST_PROJECT_ID
