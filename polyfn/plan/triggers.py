"""The trigger map: each function's trigger on each cloud, and what behaves differently.

The figures (batch sizes, payload limits, retry counts, timeouts) live in
``triggers.json`` with their sources; this module compares them with what the app
declares (batch_size, max_receives, filters, timeouts, schedule) and the traffic profile
(payload size) and says, per function and cloud, what a move changes. A note is ``info``
(behaves differently, nothing to change), ``change`` (a setting or the code must change)
or ``blocked`` (the target cannot express it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

from polyfn.core.app import App
from polyfn.core.defaults import deployed_visibility, effective_timeout
from polyfn.core.errors import ConfigError
from polyfn.core.functions import (
    ChangeTrigger,
    EventTrigger,
    Function,
    HttpTrigger,
    MessageTrigger,
    ObjectTrigger,
    ScheduleTrigger,
    TaskTrigger,
)
from polyfn.core.schedule import to_eventbridge, to_ncrontab, to_unix_cron
from polyfn.plan.model import Impact, TriggerMapping, TriggerNote
from polyfn.plan.traffic import FunctionTraffic

__all__ = ["Facts", "load_facts", "map_triggers"]


class Facts:
    """The figures of ``triggers.json``, by id."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.facts: dict[str, dict[str, Any]] = document["facts"]

    def value(self, key: str) -> Any:
        return self.facts[key]["value"]

    def source(self, key: str) -> str:
        fact = self.facts[key]
        return f"{fact['source']} (read {fact['read']})"


@lru_cache(maxsize=1)
def load_facts() -> Facts:
    text = resources.files("polyfn.plan").joinpath("triggers.json").read_text(encoding="utf-8")
    return Facts(json.loads(text))


class _Notes:
    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.items: list[TriggerNote] = []

    def add(self, topic: str, impact: Impact, text: str, fact: str) -> None:
        self.items.append(TriggerNote(topic, impact, text, self.facts.source(fact)))


def map_triggers(
    app: App,
    clouds: Sequence[str],
    azure_plan: str,
    traffic_of: Callable[[str], FunctionTraffic],
) -> list[TriggerMapping]:
    facts = load_facts()
    mappings: list[TriggerMapping] = []
    for fn in app.functions.values():
        traffic = traffic_of(fn.name)
        for cloud in clouds:
            notes = _Notes(facts)
            native = _map_trigger(app, fn, cloud, azure_plan, traffic, notes)
            _timeout(fn, cloud, azure_plan, notes)
            _cold_start(fn, cloud, azure_plan, notes)
            mappings.append(TriggerMapping(fn.name, cloud, native, tuple(notes.items)))
    return mappings


def _map_trigger(
    app: App, fn: Function, cloud: str, azure_plan: str, traffic: FunctionTraffic, notes: _Notes
) -> str:
    trigger = fn.trigger
    if isinstance(trigger, HttpTrigger):
        return _http(trigger, cloud, traffic, notes)
    if isinstance(trigger, ObjectTrigger):
        return _object(trigger, cloud, notes)
    if isinstance(trigger, MessageTrigger):
        return _message(app, trigger, fn, cloud, traffic, notes)
    if isinstance(trigger, ScheduleTrigger):
        return _schedule(trigger, cloud, notes)
    if isinstance(trigger, ChangeTrigger):
        return _change(trigger, fn, cloud, notes)
    if isinstance(trigger, TaskTrigger):
        # What runs the task on each cloud; the workflow itself is priced and checked per
        # cloud in the plan's workflow section.
        engine = {
            "aws": "Lambda run by a Step Functions Task state",
            "azure": "Durable Functions activity",
            "gcp": "HTTP function called by Cloud Workflows (OIDC)",
            "local": "the local workflow executor",
        }.get(cloud, "workflow task")
        return f"{engine}: {trigger.describe()}"
    assert isinstance(trigger, EventTrigger)
    return _event(trigger, cloud, traffic, notes)


def _change(trigger: ChangeTrigger, fn: Function, cloud: str, n: _Notes) -> str:
    """A table's change feed on each cloud; Azure Table Storage has none."""
    f = n.facts
    if cloud == "azure":
        from polyfn.core.changes import NoChangeFeed

        n.add(
            "change feed",
            "blocked",
            str(NoChangeFeed(fn.name, trigger.table.name)),
            "azure.change.native",
        )
        return f"(none) {trigger.describe()}"
    if cloud == "aws":
        n.add(
            "change feed",
            "info",
            f"a change still failing after {trigger.retries} retries goes to the function's "
            f"failures queue as a pointer to the shard; the record itself is kept for "
            f"{f.value('aws.change.retention_h')} hours",
            "aws.change.retention_h",
        )
    if cloud == "gcp":
        n.add(
            "ordering",
            "info",
            f"{f.value('gcp.change.ordering')}: batch_size={trigger.batch_size} is 1 and "
            "changes of one document may arrive out of order",
            "gcp.change.ordering",
        )
    if cloud in ("aws", "gcp"):
        return f"{f.value(f'{cloud}.change.native')}: {trigger.describe()}"
    return f"the local change log: {trigger.describe()}"


def _payload(cloud: str, limit_kib: float, label: str, traffic: FunctionTraffic, n: _Notes) -> None:
    fact = {
        "http": f"{cloud}.http.payload_mb",
        "message": f"{cloud}.message.payload_{'mb' if cloud == 'gcp' else 'kib'}",
        "event": f"{cloud}.event.payload_kib",
        "bus": "bus.payload_kib",
    }[label]
    if traffic.payload_kb > limit_kib:
        n.add(
            "payload",
            "change",
            f"typical payload {traffic.payload_kb:g} KiB is over the {limit_kib:g} KiB limit: "
            "put the body in a bucket and pass its key",
            fact,
        )
    else:
        n.add("payload", "info", f"payload limit {_size(limit_kib)}", fact)


def _size(kib: float) -> str:
    return f"{kib / 1024:g} MB" if kib >= 1024 else f"{kib:g} KiB"


def _http(trigger: HttpTrigger, cloud: str, traffic: FunctionTraffic, n: _Notes) -> str:
    f = n.facts
    native = f"{f.value(f'{cloud}.http.native')}: {trigger.describe()}"
    limit = f.value(f"{cloud}.http.timeout_s")
    n.add("timeout", "info", f"the response must start within {limit} s", f"{cloud}.http.timeout_s")
    _payload(cloud, f.value(f"{cloud}.http.payload_mb") * 1024, "http", traffic, n)
    if trigger.auth == "function":  # core's value for auth="platform-key"
        n.add("auth", "change", str(f.value("auth.platform_key")), "auth.platform_key")
    return native


def _object(trigger: ObjectTrigger, cloud: str, n: _Notes) -> str:
    f = n.facts
    native = f"{f.value(f'{cloud}.object.native')}: {trigger.describe()}"
    filtered = bool(trigger.prefix or trigger.suffix)
    if filtered:
        impact: Impact = "info"
        n.add("filter", impact, str(f.value(f"{cloud}.object.filter")), f"{cloud}.object.filter")
    if cloud == "azure" and trigger.action == "deleted":
        n.add("trigger", "change", str(f.value("azure.object.deleted")), "azure.object.deleted")
    if cloud == "gcp" and trigger.action == "deleted":
        n.add("semantics", "info", str(f.value("gcp.object.overwrite")), "gcp.object.overwrite")
    if cloud == "aws":
        n.add(
            "retries",
            "info",
            f"a failed event is retried {f.value('aws.object.retries')} times, then dropped "
            "unless an on-failure destination is set",
            "aws.object.retries",
        )
    elif cloud == "azure":
        n.add(
            "retries",
            "info",
            f"a failed blob is tried {f.value('azure.object.retries')} times, then its name "
            "goes to the webjobs-blobtrigger-poison queue",
            "azure.object.retries",
        )
    else:
        n.add("retries", "info", str(f.value("gcp.event.retries")), "gcp.event.retries")
    return native


def _message(
    app: App,
    trigger: MessageTrigger,
    fn: Function,
    cloud: str,
    traffic: FunctionTraffic,
    n: _Notes,
) -> str:
    f = n.facts
    queue = trigger.queue
    native = f"{f.value(f'{cloud}.message.native')}: {trigger.describe()}"
    if cloud == "aws":
        if trigger.batch_size > 10:
            n.add(
                "batching",
                "info",
                f"batch_size {trigger.batch_size} needs a batching window (SQS allows up to "
                f"{f.value('aws.message.batch_max'):,} per batch with one, 10 without)",
                "aws.message.batch_max",
            )
        n.add(
            "dead-letter",
            "info",
            f"{f.value('aws.message.dlq')} (maxReceiveCount {queue.max_receives})",
            "aws.message.dlq",
        )
        factor = f.value("aws.message.visibility_factor")
        # The timeout it deploys with, declared or not: the default one is just as real.
        timeout = effective_timeout(fn)
        visibility = deployed_visibility(queue, timeout)
        if visibility < factor * timeout:
            n.add(
                "retries",
                "change",
                f"queue {queue.name!r} visibility_timeout {visibility} s is under "
                f"{factor} x the function timeout ({timeout} s): set it to at least "
                f"{factor * timeout} s or messages are redelivered while still running",
                "aws.message.visibility_factor",
            )
        _payload(cloud, f.value("aws.message.payload_kib"), "message", traffic, n)
        n.add("ordering", "info", str(f.value("aws.message.ordering")), "aws.message.ordering")
    elif cloud == "azure":
        n.add(
            "batching",
            "info",
            f"batch_size {trigger.batch_size} has no equivalent: each message is its own "
            f"invocation, the host runs up to {f.value('azure.message.host_batch')} at once "
            "per instance",
            "azure.message.host_batch",
        )
        receives = sorted({q.max_receives for q in app.queues.values()})
        if len(receives) > 1:
            n.add(
                "dead-letter",
                "info",
                "maxDequeueCount is one host.json setting per function app: deploy sets the "
                f"largest ({receives[-1]}) and polyfn moves a message of '{queue.name}' to "
                f"'{queue.name}-poison' itself after its own {queue.max_receives} receives",
                "azure.message.max_dequeue",
            )
        else:
            n.add(
                "dead-letter",
                "info",
                f"after maxDequeueCount = {queue.max_receives} (Azure's default is "
                f"{f.value('azure.message.max_dequeue')}) a message moves to "
                f"'{queue.name}-poison'",
                "azure.message.max_dequeue",
            )
        _payload(cloud, f.value("azure.message.payload_kib"), "message", traffic, n)
        n.add("ordering", "info", str(f.value("azure.message.ordering")), "azure.message.ordering")
    else:
        n.add(
            "batching",
            "info",
            f"batch_size {trigger.batch_size} has no equivalent: a push subscription delivers "
            "one message per invocation (and one billed request each)",
            "gcp.message.native",
        )
        minimum = f.value("gcp.message.dlq_min")
        if queue.max_receives < minimum:
            n.add(
                "dead-letter",
                "change",
                f"max_receives={queue.max_receives} is below Pub/Sub's minimum of {minimum} "
                f"delivery attempts: messages are dead-lettered after {minimum}, not "
                f"{queue.max_receives}",
                "gcp.message.dlq_min",
            )
        else:
            n.add(
                "dead-letter",
                "info",
                f"dead-letter topic after {queue.max_receives} delivery attempts",
                "gcp.message.dlq_min",
            )
        _payload(cloud, f.value("gcp.message.payload_mb") * 1024, "message", traffic, n)
        n.add("ordering", "info", str(f.value("gcp.message.ordering")), "gcp.message.ordering")
    return native


_DIALECTS = {
    "aws": ("EventBridge", to_eventbridge),
    "azure": ("NCRONTAB", to_ncrontab),
    "gcp": ("Cloud Scheduler cron", to_unix_cron),
}


def _schedule(trigger: ScheduleTrigger, cloud: str, n: _Notes) -> str:
    f = n.facts
    dialect, convert = _DIALECTS[cloud]
    expression = trigger.expression
    try:
        converted = convert(expression)
    except ConfigError as exc:
        n.add("schedule", "blocked", str(exc), f"{cloud}.schedule.native")
        return f"{f.value(f'{cloud}.schedule.native')}: cannot express {expression.text!r}"
    n.add(
        "precision",
        "info",
        f"fires with {f.value(f'{cloud}.schedule.precision')} precision",
        f"{cloud}.schedule.precision",
    )
    if expression.is_rate and cloud == "aws":
        n.add("schedule", "info", str(f.value("aws.schedule.rate")), "aws.schedule.rate")
    elif expression.is_rate:
        n.add(
            "schedule",
            "info",
            f"{expression.text} becomes '{converted}', which fires on clock boundaries "
            "(EventBridge counts a rate from when the rule was created)",
            f"{cloud}.schedule.native",
        )
    if cloud == "azure":
        n.add(
            "schedule", "info", str(f.value("azure.schedule.singleton")), "azure.schedule.singleton"
        )
    return f"{f.value(f'{cloud}.schedule.native')}: {dialect} '{converted}'"


def _event(trigger: EventTrigger, cloud: str, traffic: FunctionTraffic, n: _Notes) -> str:
    f = n.facts
    if trigger.bus is not None:
        # Published through the app's own bus: the same source and type on every cloud,
        # carried as the platform allows (what differs is said, with its cost on GCP).
        n.add("carried", "info", str(f.value(f"{cloud}.bus.carry")), f"{cloud}.bus.carry")
        _payload(cloud, f.value("bus.payload_kib"), "bus", traffic, n)
        platform = {
            "aws": "EventBridge custom bus",
            "azure": "Event Grid custom topic (CloudEvents)",
            "gcp": "Pub/Sub topic -> Eventarc",
        }[cloud]
        return (
            f"{platform} {trigger.bus.name}: "
            f"source={trigger.source or '*'} type={trigger.type or '*'}"
        )
    native = f"{f.value(f'{cloud}.event.native')}: {trigger.describe()}"
    if cloud == "azure" and trigger.source not in (None, "*"):
        fact = "azure.event.source_is_topic"
        n.add("source", "change", str(f.value(fact)), fact)
    if cloud == "gcp" and not (
        trigger.type is not None
        and trigger.type.startswith("google.")
        and not trigger.type.endswith("*")
    ):
        n.add("type", "change", str(f.value("gcp.event.custom_type")), "gcp.event.custom_type")
    prefix = any(
        p is not None and p.endswith("*") and p != "*" for p in (trigger.source, trigger.type)
    )
    if prefix or cloud != "gcp":
        n.add("filter", "info", str(f.value(f"{cloud}.event.filter")), f"{cloud}.event.filter")
    if cloud == "gcp":
        n.add("retries", "info", str(f.value("gcp.event.retries")), "gcp.event.retries")
    else:
        _payload(cloud, f.value(f"{cloud}.event.payload_kib"), "event", traffic, n)
    return native


def _timeout(fn: Function, cloud: str, azure_plan: str, n: _Notes) -> None:
    timeout = fn.options.timeout
    if not timeout:
        return
    if cloud == "aws":
        limit, fact = n.facts.value("aws.timeout_s"), "aws.timeout_s"
    elif cloud == "azure":
        if azure_plan != "consumption":
            return  # Flex and Premium have no enforced maximum
        limit, fact = n.facts.value("azure.timeout_s"), "azure.timeout_s"
    elif fn.trigger.kind == "http":
        limit, fact = n.facts.value("gcp.http.timeout_s"), "gcp.http.timeout_s"
    else:
        limit, fact = n.facts.value("gcp.event_timeout_s"), "gcp.event_timeout_s"
    if timeout > limit:
        n.add(
            "timeout",
            "blocked",
            f"timeout {timeout} s is over the {limit} s maximum: split the work or move it to "
            "a queue of smaller steps",
            fact,
        )


def _cold_start(fn: Function, cloud: str, azure_plan: str, n: _Notes) -> None:
    warm = fn.options.provisioned_concurrency
    if not warm:
        return
    fact = f"{cloud}.cold_start"
    if cloud == "azure" and azure_plan == "consumption":
        n.add(
            "cold start",
            "change",
            f"provisioned_concurrency={warm}: {n.facts.value(fact)}",
            fact,
        )
    else:
        n.add("cold start", "info", f"provisioned_concurrency={warm}: {n.facts.value(fact)}", fact)
