"""The rules behind ``polyfn.deploy.limits``, one function per cloud and scope.

Each rule reads the figures in ``limits_data`` and reports through a collector's ``fail``
(the cloud would refuse the deployment) or ``warn`` (it would accept it and behave
differently from what the App declares).
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from polyfn.core.app import App
from polyfn.core.defaults import deployed_visibility
from polyfn.core.functions import (
    ChangeTrigger,
    EventTrigger,
    Function,
    HttpTrigger,
    MessageTrigger,
    ObjectTrigger,
)
from polyfn.deploy import naming
from polyfn.deploy.limits_data import LIMITS, KiB
from polyfn.deploy.model import effective_memory, effective_timeout

__all__ = ["APP_RULES", "FUNCTION_RULES", "Collector"]


class Collector(Protocol):
    def fail(self, limit: str, message: str, source: str) -> None: ...
    def warn(self, limit: str, message: str, source: str) -> None: ...


# ----------------------------------------------------------------------------- AWS


def _check_aws_function(app: App, fn: Function, plan: str, found: Collector) -> None:
    limits = LIMITS["aws"]
    timeout, memory = effective_timeout(fn), effective_memory(fn)
    _within(found, "timeout", timeout, limits["timeout_seconds"], "s", "Lambda's")
    _within(found, "memory", memory, limits["memory_mb"], "MB", "Lambda's")
    trigger = fn.trigger
    api = limits["http_api_timeout_seconds"]
    if trigger.kind == "http" and timeout > api["value"]:
        found.warn(
            "timeout",
            f"API Gateway HTTP APIs give up after {api['value']} s, so a client gets an error "
            f"while the function may run on for up to its {timeout} s timeout",
            api["source"],
        )
    if isinstance(trigger, ChangeTrigger):
        readers = [
            f.name
            for f in app.functions_of("change")
            if f.trigger.table is trigger.table  # type: ignore[union-attr]
        ]
        if len(readers) > 2:
            found.warn(
                "stream readers",
                f"{len(readers)} functions read table {trigger.table.name!r}'s stream "
                f"({', '.join(readers)}): DynamoDB advises at most two readers of a shard, "
                "more are throttled",
                "DynamoDB developer guide, 'Change data capture for DynamoDB Streams': "
                "no more than two processes reading from the same stream shard (read 2026-12)",
            )
    if isinstance(trigger, MessageTrigger):
        batch = limits["sqs_batch_size"]
        if trigger.batch_size > batch["max"]:
            found.fail(
                "batch_size",
                f"batch_size {trigger.batch_size} is over SQS's {batch['max']}",
                batch["source"],
            )
        elif trigger.batch_size > batch["max_without_window"]:
            found.warn(
                "batch_size",
                f"batch_size {trigger.batch_size} needs a batching window on SQS; polyfn sets "
                "MaximumBatchingWindowInSeconds=1, which can hold a batch back for a second",
                batch["source"],
            )
        visibility = deployed_visibility(trigger.queue, timeout)
        factor = limits["sqs_visibility_vs_timeout"]["recommended_factor"]
        if visibility < timeout:
            found.fail(
                "visibility_timeout",
                f"queue {trigger.queue.name!r} has visibility_timeout {visibility} s, under its "
                f"consumer's {timeout} s timeout, and Lambda refuses such a mapping; raise "
                "visibility_timeout (AWS suggests 6x the timeout) or lower the timeout",
                limits["sqs_visibility_vs_timeout"]["source"],
            )
        elif visibility < factor * timeout:
            found.warn(
                "visibility_timeout",
                f"queue {trigger.queue.name!r} has visibility_timeout {visibility} s, under "
                f"{factor}x its consumer's {timeout} s timeout: AWS recommends at "
                f"least {factor * timeout} s, so that a batch retried after a "
                "throttle or a slow run is not delivered again while still being worked on",
                limits["sqs_visibility_vs_timeout"]["source"],
            )
    rule = limits["function_name"]
    name = naming.aws_function_name(app, naming.DEFAULT_STAGE, fn)
    if not re.match(rule["pattern"], name):
        found.fail("name", f"Lambda refuses the characters of {name!r}", rule["source"])
    reserved = fn.options.reserved_concurrency
    provisioned = fn.options.provisioned_concurrency
    concurrency = limits["concurrency"]
    spare = concurrency["account_default"] - concurrency["unreserved_minimum"]
    if reserved is not None and reserved > spare:
        found.fail(
            "concurrency",
            f"reserved_concurrency {reserved} is over {spare}: Lambda keeps "
            f"{concurrency['unreserved_minimum']} of the default "
            f"{concurrency['account_default']} unreserved",
            concurrency["source"],
        )
    if provisioned is not None and reserved is not None and provisioned > reserved:
        found.fail(
            "concurrency",
            f"provisioned_concurrency {provisioned} exceeds reserved_concurrency {reserved}",
            concurrency["source"],
        )
    per_instance = limits["per_instance_concurrency"]
    if fn.options.concurrency is not None and fn.options.concurrency > per_instance["value"]:
        found.warn(
            "concurrency",
            f"Lambda runs one invocation per execution environment; concurrency "
            f"{fn.options.concurrency} is ignored (Lambda scales out instead)",
            per_instance["source"],
        )


def _check_aws_app(app: App, plan: str, stage: str, found: Collector) -> None:
    limits = LIMITS["aws"]
    rule = limits["function_name"]
    names = [naming.aws_function_name(app, stage, fn) for fn in app.functions.values()]
    if app.functions_of("http"):
        names.append(naming.aws_fallback_function_name(app, stage))
    for name in names:
        if len(name) > rule["max_length"]:
            found.fail(
                "name",
                f"Lambda function name {name!r} has {len(name)} characters, over "
                f"{rule['max_length']}; shorten the function, app or stage name",
                rule["source"],
            )
    bucket_rule = limits["s3_bucket_name"]
    for bucket in app.buckets.values():
        if bucket.existing_on(stage, "aws") is not None:
            continue  # adopted: its own name, checked by deploy.existing
        longest = naming.aws_bucket_name_longest(app, stage, bucket)
        if longest > bucket_rule["max_length"]:
            physical = naming.aws_bucket_name(app, stage, bucket)
            found.fail(
                "name",
                f"the S3 name of bucket {bucket.name!r} ({physical}) can reach {longest} "
                f"characters, over {bucket_rule['max_length']}; shorten the bucket, app or "
                "stage name",
                bucket_rule["source"],
            )
    _check_s3_overlaps(app, found)
    concurrency = limits["concurrency"]
    spare = concurrency["account_default"] - concurrency["unreserved_minimum"]
    reserved = sum(fn.options.reserved_concurrency or 0 for fn in app.functions.values())
    if reserved > spare:
        found.fail(
            "concurrency",
            f"the functions reserve {reserved} concurrent executions together, over the {spare} "
            "a default account can reserve; ask AWS for a higher quota first",
            concurrency["source"],
        )


def _check_s3_overlaps(app: App, found: Collector) -> None:
    """S3 refuses two notification rules whose event and key filters can both match."""
    triggers = [
        (fn.name, fn.trigger)
        for fn in app.functions.values()
        if isinstance(fn.trigger, ObjectTrigger)
    ]
    for index, (first, a) in enumerate(triggers):
        for second, b in triggers[index + 1 :]:
            same = a.bucket is b.bucket and a.action == b.action
            prefixes = a.prefix.startswith(b.prefix) or b.prefix.startswith(a.prefix)
            suffixes = a.suffix.endswith(b.suffix) or b.suffix.endswith(a.suffix)
            if same and prefixes and suffixes:
                found.fail(
                    "object_filter",
                    f"{first} and {second} both take object {a.action} events of bucket "
                    f"{a.bucket.name!r} with overlapping prefix/suffix filters, which S3 refuses; "
                    "make the filters disjoint or handle both in one function",
                    LIMITS["aws"]["s3_notifications"]["source"],
                )


# ----------------------------------------------------------------------------- Azure


def _check_azure_function(app: App, fn: Function, plan: str, found: Collector) -> None:
    limits = LIMITS["azure"]
    timeout = effective_timeout(fn)
    plan_timeout = limits["timeout_seconds"]
    maximum = plan_timeout[plan]["max"]
    if maximum is not None and timeout > maximum:
        found.fail(
            "timeout",
            f"timeout {timeout} s is over the Azure {plan} plan's {maximum} s",
            plan_timeout["source"],
        )
    http = limits["http_response_seconds"]
    if fn.trigger.kind == "http" and timeout > http["value"]:
        found.warn(
            "timeout",
            f"an HTTP-triggered function must answer within {http['value']} s (the load "
            f"balancer's idle timeout), whatever its {timeout} s timeout",
            http["source"],
        )
    trigger = fn.trigger
    if isinstance(trigger, ChangeTrigger):
        from polyfn.core.changes import NoChangeFeed

        found.fail(
            "change feed",
            str(NoChangeFeed(fn.name, trigger.table.name)),
            "Azure Table Storage offers no change feed (Azure Storage docs, 'Table storage "
            "overview' and the Functions bindings list: Table has input/output bindings "
            "only, no trigger; read 2026-12)",
        )
    batch = limits["queue_batch_size"]
    if isinstance(trigger, MessageTrigger) and trigger.batch_size > batch["max"]:
        found.warn(
            "batch_size",
            f"Azure's queue trigger fetches at most {batch['max']} messages at a time; "
            f"batch_size {trigger.batch_size} becomes {batch['max']}",
            batch["source"],
        )
    concurrency = limits["concurrency"]
    if fn.options.reserved_concurrency is not None:
        found.warn(
            "concurrency",
            "Azure Functions has no per-function reserved concurrency; it is ignored",
            concurrency["source"],
        )
    if fn.options.concurrency is not None and not isinstance(trigger, HttpTrigger | MessageTrigger):
        found.warn(
            "concurrency",
            "Azure sets per-instance concurrency for HTTP and queue functions only (host.json "
            "and the plan); this trigger's is the host's own, so concurrency is ignored",
            limits["http_per_instance_concurrency"]["source"],
        )
    if fn.options.provisioned_concurrency is not None and plan != "flex":
        found.warn(
            "concurrency",
            f"the {plan} plan has no per-function warm instances (Flex Consumption's "
            "always-ready instances are); provisioned_concurrency is ignored",
            concurrency["source"],
        )


def _check_azure_app(app: App, plan: str, stage: str, found: Collector) -> None:
    limits = LIMITS["azure"]
    memory = limits["memory_mb"]
    declared = {fn.options.memory for fn in app.functions.values() if fn.options.memory}
    if len(declared) > 1:
        found.warn(
            "memory",
            f"Azure sizes memory per app, not per function: the declared {sorted(declared)} MB "
            "all become the plan's instance memory",
            memory["source"],
        )
    largest = max(declared, default=0)
    available = memory[plan].get("instance") or max(memory[plan]["instance_sizes"])
    if largest > available:
        found.fail(
            "memory",
            f"a function needs {largest} MB; an Azure {plan} instance has {available} MB",
            memory["source"],
        )
    asked = {
        fn.options.concurrency
        for fn in app.functions.values()
        if isinstance(fn.trigger, HttpTrigger) and fn.options.concurrency is not None
    }
    if len(asked) > 1:
        found.warn(
            "concurrency",
            f"Azure has one per-instance HTTP concurrency per Function App; the HTTP "
            f"functions ask for {sorted(asked)}, so all get the smallest, {min(asked)}",
            limits["http_per_instance_concurrency"]["source"],
        )
    queue_functions = [
        fn for fn in app.functions.values() if isinstance(fn.trigger, MessageTrigger)
    ]
    queue_asked = {fn.options.concurrency for fn in queue_functions if fn.options.concurrency}
    if queue_asked and (
        len(queue_asked) > 1 or any(fn.options.concurrency is None for fn in queue_functions)
    ):
        found.warn(
            "concurrency",
            "Azure's queue concurrency (host.json batchSize + newBatchThreshold) is one setting "
            f"per Function App, applied to each queue function: asked {sorted(queue_asked)}, "
            f"so every queue function of the app gets {min(queue_asked)}",
            limits["queue_per_instance_concurrency"]["source"],
        )
    delays = {
        fn.trigger.queue.name: fn.trigger.queue.visibility_timeout
        for fn in queue_functions
        if isinstance(fn.trigger, MessageTrigger)
    }
    if len(set(delays.values())) > 1:
        found.warn(
            "visibility",
            "Azure retries a failed queue message after one delay per Function App (host.json "
            "visibilityTimeout), so every queue function waits the largest visibility_timeout, "
            f"{max(delays.values())} s, before a retry: "
            + ", ".join(f"{name} {seconds} s" for name, seconds in sorted(delays.items())),
            limits["queue_retry_delay"]["source"],
        )
    # Differing max_receives are fine: host.json gets the largest and the queue trigger
    # poisons the other queues' messages at their own count (azure_project.max_dequeue).
    for kind, registry in (
        ("container", app.buckets),
        ("queue", app.queues),
        ("table", app.tables),
    ):
        _check_azure_names(kind, list(registry.values()), stage, found)
    site = limits["function_app_name"]
    prefix = naming.azure_function_app_name_prefix(app, stage)
    length = len(prefix) + naming.AZURE_UNIQUE_STRING_LENGTH
    if length > site["max_length"]:
        found.fail(
            "name",
            f"the Function App name ({prefix} and 13 unique characters) would have {length} "
            f"characters, over {site['max_length']}; shorten the app or stage name",
            site["source"],
        )
    size = limits["queue_message_bytes"]
    for queue in sorted(app.queues):
        found.warn(
            "payload",
            f"queue {queue!r}: Azure Queue Storage refuses messages over "
            f"{size['value'] // KiB} KiB (48 KiB of data once base64-encoded); SQS and "
            "Pub/Sub take more",
            size["source"],
        )


def _check_azure_names(kind: str, resources: list[Any], stage: str, found: Collector) -> None:
    rule = LIMITS["azure"][f"{kind}_name"]
    owners: dict[str, str] = {}
    for resource in resources:
        physical = naming.azure_physical_name(resource, stage)  # adopted: its own name
        for name in [physical, f"{physical}-poison"] if kind == "queue" else [physical]:
            fits = rule["min_length"] <= len(name) <= rule["max_length"]
            if not fits or not re.match(rule["pattern"], name):
                found.fail(
                    "name",
                    f"Azure {kind} name {name!r} (from {resource.name!r}) must have "
                    f"{rule['min_length']}-{rule['max_length']} characters and match "
                    f"{rule['pattern']}",
                    rule["source"],
                )
        if physical in owners:
            found.fail(
                "name",
                f"{owners[physical]!r} and {resource.name!r} are both Azure {kind} {physical!r}",
                rule["source"],
            )
        owners[physical] = resource.name


# ----------------------------------------------------------------------------- Google Cloud


def _check_gcp_function(app: App, fn: Function, plan: str, found: Collector) -> None:
    limits = LIMITS["gcp"]
    timeout, memory = effective_timeout(fn), effective_memory(fn)
    kind = "http" if fn.trigger.kind == "http" else "event"
    label = "HTTP" if kind == "http" else "event-driven"
    maximum = limits["timeout_seconds"][kind]
    if timeout > maximum:
        found.fail(
            "timeout",
            f"timeout {timeout} s is over the {maximum} s allowed for {label} functions",
            limits["timeout_seconds"]["source"],
        )
    _within(found, "memory", memory, limits["memory_mb"], "MB", "Cloud Functions'")
    trigger = fn.trigger
    if isinstance(trigger, ChangeTrigger):
        firestore = (
            "Cloud Functions docs, 'Extend Cloud Firestore with Cloud Run functions (2nd gen)': "
            "one event per document write, delivered at least once and in no set order; "
            "events are retried for up to 7 days with --retry (read 2026-12)"
        )
        if trigger.batch_size > 1:
            found.warn(
                "batch_size",
                f"Eventarc delivers one Firestore document event per invocation: "
                f"batch_size {trigger.batch_size} is 1 on Google Cloud, and changes of one "
                "document may arrive out of order",
                firestore,
            )
        if trigger.start == "oldest":
            found.warn(
                "start",
                "a Firestore trigger delivers only the writes made after it is deployed; "
                "start='oldest' reads nothing older on Google Cloud",
                firestore,
            )
    attempts = limits["pubsub_max_delivery_attempts"]
    if isinstance(trigger, MessageTrigger):
        queue = trigger.queue
        if queue.max_receives < attempts["min"]:
            found.warn(
                "max_receives",
                f"queue {queue.name!r} dead-letters after {queue.max_receives} receives, but "
                f"Pub/Sub's minimum is {attempts['min']} delivery attempts, so messages are "
                f"tried {attempts['min']} times",
                attempts["source"],
            )
        elif queue.max_receives > attempts["max"]:
            found.fail(
                "max_receives",
                f"queue {queue.name!r}: max_receives {queue.max_receives} is over Pub/Sub's "
                f"{attempts['max']}",
                attempts["source"],
            )
    if isinstance(trigger, ObjectTrigger) and (trigger.prefix or trigger.suffix):
        found.warn(
            "object_filter",
            f"Eventarc filters Cloud Storage events by bucket and event type only, not by "
            f"object name: every object {trigger.action} in {trigger.bucket.name!r} invokes "
            f"the function, which drops what does not match {trigger.prefix!r}*"
            f"{trigger.suffix!r} in code; those invocations are billed (set "
            "filter_match_ratio in polyfn plan's traffic profile to price them)",
            limits["object_name_filter"]["source"],
        )
    if isinstance(trigger, EventTrigger) and trigger.bus is None:
        # On an app's event bus (a Pub/Sub topic) the function filters; elsewhere Eventarc
        # must, and it routes custom types only through a channel or topic.
        if trigger.type is None or trigger.type.endswith("*"):
            found.fail(
                "event_filter",
                "an Eventarc trigger needs an exact event type: give on_event(type=...) in full",
                limits["event_type_filter"]["source"],
            )
        elif not trigger.type.startswith("google."):
            found.fail(
                "event_filter",
                f"Eventarc delivers the custom event type {trigger.type!r} only through a "
                "channel or topic: publish it through app.event_bus(...) and subscribe with "
                "on_event(bus=...)",
                "https://cloud.google.com/eventarc/docs/functions/create-triggers "
                "(custom events are published to an Eventarc channel, read 2026-12)",
            )
    rule = limits["function_name"]
    name = naming.gcp_function_name(app, naming.DEFAULT_STAGE, fn)
    if not re.match(rule["pattern"], name):
        found.fail("name", f"Cloud Functions refuses the characters of {name!r}", rule["source"])


def _check_gcp_app(app: App, plan: str, stage: str, found: Collector) -> None:
    limits = LIMITS["gcp"]
    rule = limits["function_name"]
    for fn in app.functions.values():
        name = naming.gcp_function_name(app, stage, fn)
        if len(name) > rule["max_length"]:
            found.fail(
                "name",
                f"function name {name!r} has {len(name)} characters, over {rule['max_length']}",
                rule["source"],
            )
    bucket_rule = limits["bucket_name"]
    for bucket in app.buckets.values():
        if bucket.existing_on(stage, "gcp") is not None:
            continue  # adopted: its own name, checked by deploy.existing
        longest = naming.gcp_bucket_name_longest(app, stage, bucket)
        if longest > bucket_rule["max_length"]:
            found.warn(
                "name",
                f"bucket name {naming.gcp_bucket_name(app, stage, bucket)} reaches {longest} "
                f"characters with a {naming.GCP_LONGEST_PROJECT_ID}-character project id, over "
                f"{bucket_rule['max_length']}; shorten the bucket, app or stage name",
                bucket_rule["source"],
            )


def _within(
    found: Collector, limit: str, value: int, rule: dict[str, Any], unit: str, whose: str
) -> None:
    if not rule["min"] <= value <= rule["max"]:
        found.fail(
            limit,
            f"{limit} {value} {unit} is outside {whose} {rule['min']}-{rule['max']} {unit}",
            rule["source"],
        )


FUNCTION_RULES = {
    "aws": _check_aws_function,
    "azure": _check_azure_function,
    "gcp": _check_gcp_function,
}
APP_RULES = {"aws": _check_aws_app, "azure": _check_azure_app, "gcp": _check_gcp_app}
