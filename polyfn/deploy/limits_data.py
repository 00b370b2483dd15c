"""The figures behind ``polyfn.deploy.limits``: each cloud's documented limits.

Every figure carries the page it comes from and when it was read. When a cloud changes a
limit, change it here (and the date); the checks in ``limits`` read only this table.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LIMITS", "PLANS"]

PLANS: dict[str, tuple[str, ...]] = {
    "aws": ("lambda",),
    # The first is the default: Flex Consumption, as deploy builds it.
    "azure": ("flex", "consumption", "premium"),
    "gcp": ("gen2",),
}
KiB = 1024
MiB = 1024 * KiB
READ = "2026-11"  # when the pages below were read


def _read(url: str, what: str = "") -> str:
    return f"{url} ({what + ', ' if what else ''}read {READ})"


_LAMBDA_QUOTAS = _read("https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html")
_LAMBDA_SQS = _read("https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html")
_LAMBDA_SQS_SCALING = _read(
    "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html"
)
_HTTP_API_QUOTAS = _read(
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html"
)
_S3_NAMES = _read("https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html")
_SQS_QUOTAS = _read(
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html"
)
_AZ_SCALE = _read(
    "https://learn.microsoft.com/azure/azure-functions/functions-scale",
    "service limits",
)
_AZ_TIMEOUT = _read("https://learn.microsoft.com/azure/azure-functions/functions-scale#timeout")
_AZ_FLEX = _read(
    "https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan",
    "instance memory",
)
_AZ_PREMIUM = _read(
    "https://learn.microsoft.com/azure/azure-functions/functions-premium-plan",
    "available instance SKUs",
)
_AZ_HOST_QUEUES = _read(
    "https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#host-json"
)
_AZ_QUEUE_SIZE = _read(
    "https://learn.microsoft.com/azure/storage/queues/storage-queues-introduction",
    "64 KiB message",
)
_AZ_NAMES = _read(
    "https://learn.microsoft.com/rest/api/storageservices/"
    "naming-and-referencing-containers--blobs--and-metadata",
    "and the queue and table naming pages",
)
_AZ_SITE_NAMES = _read(
    "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftweb"
)
_AZ_TIMER = _read(
    "https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#ncrontab-expressions"
)
_GCF_QUOTAS = _read(
    "https://cloud.google.com/functions/quotas",
    "resource and time limits, 2nd gen",
)
_GCF_DEPLOY = _read(
    "https://cloud.google.com/functions/docs/deploy",
    "function names",
)
_GCS_NAMES = _read("https://cloud.google.com/storage/docs/buckets#naming")
_PUBSUB_DLQ = _read(
    "https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions#DeadLetterPolicy",
    "maxDeliveryAttempts 5-100",
)
_EVENTARC = _read(
    "https://cloud.google.com/eventarc/docs/reference/supported-events",
    "type filter required",
)
_S3_NOTIFICATIONS = _read(
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html",
    "overlapping prefixes and suffixes",
)
_EVENTBRIDGE_SCHEDULE = _read(
    "https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html"
)

LIMITS: dict[str, dict[str, Any]] = {
    "aws": {
        "timeout_seconds": {"min": 1, "max": 900, "source": _LAMBDA_QUOTAS},
        "memory_mb": {"min": 128, "max": 10240, "step": 1, "source": _LAMBDA_QUOTAS},
        "payload_sync_bytes": {"value": 6 * MiB, "source": _LAMBDA_QUOTAS},
        "payload_async_bytes": {"value": 256 * KiB, "source": _LAMBDA_QUOTAS},
        "package_unzipped_bytes": {"value": 250 * 1000 * 1000, "source": _LAMBDA_QUOTAS},
        "package_zipped_direct_bytes": {"value": 50 * 1000 * 1000, "source": _LAMBDA_QUOTAS},
        "environment_bytes": {"value": 4 * KiB, "source": _LAMBDA_QUOTAS},
        "concurrency": {
            "account_default": 1000,
            "unreserved_minimum": 100,
            "source": _LAMBDA_QUOTAS,
        },
        # One invocation per execution environment at a time (Lambda concurrency docs).
        "per_instance_concurrency": {
            "value": 1,
            "source": "https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html "
            "(read 2026-12)",
        },
        "function_name": {
            "max_length": 64,
            "pattern": r"^[A-Za-z0-9_-]+$",
            "source": _LAMBDA_QUOTAS,
        },
        "http_api_timeout_seconds": {"value": 30, "source": _HTTP_API_QUOTAS},
        "http_api_payload_bytes": {"value": 10 * MiB, "source": _HTTP_API_QUOTAS},
        "sqs_batch_size": {"max_without_window": 10, "max": 10000, "source": _LAMBDA_SQS},
        "sqs_visibility_vs_timeout": {
            "rule": "queue visibility timeout >= function timeout (AWS recommends 6x)",
            # "set the source queue's visibility timeout to at least six times the timeout
            # that you configure on your function"
            "recommended_factor": 6,
            "source": _LAMBDA_SQS_SCALING,
        },
        "sqs_message_bytes": {"default": 256 * KiB, "max": 1 * MiB, "source": _SQS_QUOTAS},
        "s3_bucket_name": {
            "min_length": 3,
            "max_length": 63,
            "pattern": r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
            "source": _S3_NAMES,
        },
        "schedule": {
            "precision": "1 minute",
            "dialect": "EventBridge",
            "source": _EVENTBRIDGE_SCHEDULE,
        },
        "s3_notifications": {
            "rule": "no two rules of one bucket may match the same event type and key",
            "source": _S3_NOTIFICATIONS,
        },
    },
    "azure": {
        # Minutes in the docs; seconds here. None: no maximum ("unbounded").
        "timeout_seconds": {
            "consumption": {"default": 300, "max": 600},
            "flex": {"default": 1800, "max": None},
            "premium": {"default": 1800, "max": None},
            "source": _AZ_TIMEOUT,
        },
        "http_response_seconds": {"value": 230, "source": _AZ_TIMEOUT},
        "memory_mb": {
            "consumption": {"instance": 1536},
            "flex": {"instance_sizes": [512, 2048, 4096]},
            "premium": {"instance_sizes": [3584, 7168, 14336]},
            "per_function": False,
            "source": f"{_AZ_SCALE}; {_AZ_FLEX}; {_AZ_PREMIUM}",
        },
        "http_request_bytes": {"value": 100 * MiB, "source": _AZ_SCALE},
        "queue_message_bytes": {"value": 64 * KiB, "source": _AZ_QUEUE_SIZE},
        "queue_batch_size": {"max": 32, "default": 16, "source": _AZ_HOST_QUEUES},
        "queue_max_dequeue_count": {"default": 5, "per_app": True, "source": _AZ_HOST_QUEUES},
        "storage_account_name": {
            "min_length": 3,
            "max_length": 24,
            "pattern": r"^[a-z0-9]+$",
            "source": _AZ_NAMES,
        },
        "container_name": {
            "min_length": 3,
            "max_length": 63,
            "pattern": r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$",
            "source": _AZ_NAMES,
        },
        "queue_name": {
            "min_length": 3,
            "max_length": 63,
            "pattern": r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$",
            "source": _AZ_NAMES,
        },
        "table_name": {
            "min_length": 3,
            "max_length": 63,
            "pattern": r"^[A-Za-z][A-Za-z0-9]*$",
            "source": _AZ_NAMES,
        },
        "function_app_name": {"min_length": 2, "max_length": 60, "source": _AZ_SITE_NAMES},
        "concurrency": {"per_function": {"flex": "alwaysReady"}, "source": _AZ_FLEX},
        # Flex: functionAppConfig.scaleAndConcurrency.triggers.http.perInstanceConcurrency,
        # one value for every HTTP function of the app; Consumption and Premium: host.json's
        # extensions.http.maxConcurrentRequests, per instance too. Other triggers take their
        # concurrency from their own host.json settings (queues: batchSize).
        "http_per_instance_concurrency": {
            "min": 1,
            "max": 1000,
            "source": "https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan"
            " (per-instance concurrency); https://learn.microsoft.com/azure/azure-functions/"
            "functions-host-json#http (read 2026-12)",
        },
        # A queue function processes at most batchSize + newBatchThreshold messages at once
        # per instance, counted per function; both are host.json settings, one per app.
        "queue_per_instance_concurrency": {
            "per_app": True,
            "source": "https://learn.microsoft.com/azure/azure-functions/"
            "functions-bindings-storage-queue (host.json settings, batchSize: 'the maximum "
            "number of concurrent messages being processed per function is batchSize plus "
            "newBatchThreshold. This limit applies separately to each queue-triggered "
            "function'; read 2026-12)",
        },
        # host.json's queues.visibilityTimeout is the delay before a failed message is
        # retried, one value for every queue function of the app (default 00:00:00).
        "queue_retry_delay": {
            "per_app": True,
            "source": "https://learn.microsoft.com/azure/azure-functions/"
            "functions-bindings-storage-queue (host.json settings, visibilityTimeout: 'the "
            "time interval between retries when processing of a message fails'; read 2026-12)",
        },
        "schedule": {"precision": "1 second", "dialect": "NCRONTAB", "source": _AZ_TIMER},
    },
    "gcp": {
        "timeout_seconds": {"http": 3600, "event": 540, "source": _GCF_QUOTAS},
        "memory_mb": {"min": 128, "max": 32768, "source": _GCF_QUOTAS},
        # Concurrency over 1 needs at least 1 vCPU, and Python needs as many threads
        # (THREADS); the vCPU each memory size gets by default, as (up to MiB, vCPU).
        "concurrency": {
            "max": 1000,
            "min_cpu_over_one": 1,
            "source": "https://cloud.google.com/functions/docs/configuring/concurrency "
            "(read 2026-12)",
        },
        "cpu_by_memory": {
            "tiers": [
                [128, 0.083],
                [256, 0.167],
                [512, 0.333],
                [1024, 0.583],
                [2048, 1],
                [4096, 2],
                [8192, 2],
                [16384, 4],
                [32768, 8],
            ],
            "source": "https://cloud.google.com/functions/docs/configuring/memory (read 2026-12)",
        },
        "http_request_bytes": {"value": 32 * MiB, "source": _GCF_QUOTAS},
        "event_bytes": {"value": 512 * KiB, "source": _GCF_QUOTAS},
        "function_name": {
            "max_length": 63,
            "pattern": r"^[a-z][a-z0-9-]*[a-z0-9]$",
            "source": _GCF_DEPLOY,
        },
        "bucket_name": {"min_length": 3, "max_length": 63, "source": _GCS_NAMES},
        "pubsub_max_delivery_attempts": {"min": 5, "max": 100, "source": _PUBSUB_DLQ},
        "event_type_filter": {"rule": "an exact event type", "source": _EVENTARC},
        # Direct Cloud Storage events take filters on type and bucket only; the path
        # pattern operator applies to Cloud Audit Logs events
        # (cloud.google.com/eventarc/docs/path-patterns, read 2026-12).
        "object_name_filter": {
            "rule": "type and bucket only",
            "source": _read(
                "https://cloud.google.com/eventarc/docs/path-patterns",
                "path patterns for Audit Logs events, not direct Cloud Storage events",
            ),
        },
        "schedule": {"precision": "1 minute", "dialect": "unix cron", "source": _GCF_QUOTAS},
    },
}
# A note on the GCF gen2 event-driven maximum: the English quotas page reads "9 minutes for
# event-driven functions"; one translated copy read at the same time shows 60 minutes for
# both kinds. We keep the lower figure until the English page changes.
