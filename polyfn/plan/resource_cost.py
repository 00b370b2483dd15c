"""What the functions' requests to the app's queues and buckets cost on each cloud.

The compute bill is not the whole bill: every message sent and consumed, every object
read or written is a billed request. The counts come from two places:

- the traffic profile: how many times a month each handler runs, its payload, and a
  queue consumer's batch size;
- the deploy step's scan of the code (``polyfn.deploy.usage``): which queues the function
  sends to and which buckets it reads, writes or lists. Each handler run is counted as
  one request of each kind it makes on each resource: the scan knows *that* a handler
  writes, not how often, so this is the floor for code that writes once per event.

Consuming a queue costs too: on SQS a receive and a batch delete per batch (Lambda's
poller), on Queue Storage a get per batch and a delete per message, on Pub/Sub one push
per message. A Cloud Storage object notification is a Class B operation. Deletes are free
on S3, Blob Storage and Cloud Storage. SQS bills each started 64 KB of a payload as a
request; Pub/Sub bills bytes, at least 1000 per publish or push. Idle polling (Lambda's
pollers and the Functions host long-poll an empty queue), Event Grid, tables, storage at
rest and data transfer are not priced here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from polyfn.plan.prices import Prices

__all__ = ["ResourceTraffic", "price_path", "resource_costs", "resource_meters"]

# meter -> (price path, units the price is for); Pub/Sub's bytes are priced per TiB.
_PRICED = {
    "aws": {
        "sqs_requests": ("resources.aws.sqs_requests_per_million", 1e6),
        "s3_write": ("resources.aws.s3_write_per_1000", 1e3),
        "s3_read": ("resources.aws.s3_read_per_1000", 1e3),
    },
    "azure": {
        "queue_operations": ("resources.azure.queue_operations_per_10k", 1e4),
        "blob_write": ("resources.azure.blob_write_per_10k", 1e4),
        "blob_read": ("resources.azure.blob_read_per_10k", 1e4),
    },
    "gcp": {
        "pubsub_bytes": ("resources.gcp.pubsub_per_tib", float(2**40)),
        "gcs_class_a": ("resources.gcp.gcs_class_a_per_1000", 1e3),
        "gcs_class_b": ("resources.gcp.gcs_class_b_per_1000", 1e3),
    },
}
_FREE = {
    "aws": {"sqs_requests": "resources.aws.sqs_free_requests"},
    "gcp": {"pubsub_bytes": "resources.gcp.pubsub_free_bytes"},
}
# Which bucket access is billed at which rate (list is a write-class request everywhere).
_BUCKET_METERS = {
    "aws": {"write": "s3_write", "list": "s3_write", "read": "s3_read"},
    "azure": {"write": "blob_write", "list": "blob_write", "read": "blob_read"},
    "gcp": {"write": "gcs_class_a", "list": "gcs_class_a", "read": "gcs_class_b"},
}


@dataclass(frozen=True)
class ResourceTraffic:
    """One function's month as the resources see it."""

    kind: str  # the trigger kind
    events: float  # handler runs a month (before the platform batches them)
    payload_kb: float  # the size of the event the function receives
    avg_batch: float = 1.0  # a queue consumer's messages per batch
    # (kind, name) -> what the code does with it: "read", "write", "send", ...
    accesses: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    # queue -> the size of its messages (its consumer's payload_kb; 1 KB when unknown)
    queue_payload_kb: Mapping[str, float] = field(default_factory=dict)
    # An object function with a prefix/suffix: the share of the bucket's object events that
    # match it (the profile's filter_match_ratio). Cloud Storage notifies the function of
    # every object, so it is notified events / this times (the cost model's invocations).
    filter_match_ratio: float | None = None


def _message(cloud: str, messages: float, kb: float, prices: Prices) -> dict[str, float]:
    """What sending (or one delivery of) ``messages`` of ``kb`` each is billed as."""
    if cloud == "aws":
        chunks = max(1, math.ceil(kb / prices.value("resources.aws.sqs_chunk_kb") - 1e-9))
        return {"sqs_requests": messages * chunks}
    if cloud == "azure":
        return {"queue_operations": messages}
    minimum = prices.value("resources.gcp.pubsub_min_request_bytes")
    return {"pubsub_bytes": messages * max(minimum, kb * 1000)}


def resource_meters(cloud: str, traffic: ResourceTraffic, prices: Prices) -> dict[str, float]:
    """The month's billed units of the function's queue and bucket requests."""
    meters: dict[str, float] = {}

    def add(units: Mapping[str, float]) -> None:
        for meter, amount in units.items():
            meters[meter] = meters.get(meter, 0.0) + amount

    events = traffic.events
    if traffic.kind == "message":
        batches = events / max(1.0, traffic.avg_batch)
        if cloud == "aws":  # ReceiveMessage and DeleteMessageBatch per batch
            add({k: 2 * v for k, v in _message(cloud, batches, traffic.payload_kb, prices).items()})
        elif cloud == "azure":  # a get per batch, a delete per message
            add({"queue_operations": batches + events})
        else:  # one push per message
            add(_message(cloud, events, traffic.payload_kb, prices))
    if traffic.kind == "object" and cloud == "gcp":
        # One notification per object in the bucket, matching or not: polyfn filters
        # inside the function, which reads and writes only for the matching ones.
        ratio = traffic.filter_match_ratio
        add({"gcs_class_b": events / ratio if ratio else events})
    for (kind, name), accesses in sorted(traffic.accesses.items()):
        if kind == "queue" and "send" in accesses:
            add(_message(cloud, events, traffic.queue_payload_kb.get(name, 1.0), prices))
        elif kind == "bucket":
            for access in sorted(accesses):
                meter = _BUCKET_METERS[cloud].get(access)  # delete: free
                if meter is not None:
                    add({meter: events})
    return meters


def resource_costs(
    cloud: str, meters: Sequence[Mapping[str, float]], prices: Prices
) -> tuple[list[float], list[float]]:
    """Each function's cost of its meters, without and with the free allowances (shared
    out by each function's use, as the account-wide allowances are)."""
    totals: dict[str, float] = {}
    for function in meters:
        for meter, amount in function.items():
            totals[meter] = totals.get(meter, 0.0) + amount
    billable = {
        meter: max(0.0, total - _free(cloud, meter, prices)) / total if total else 0.0
        for meter, total in totals.items()
    }
    costs: list[float] = []
    costs_free: list[float] = []
    for function in meters:
        cost = cost_free = 0.0
        for meter, amount in function.items():
            path, unit = _PRICED[cloud][meter]
            line = amount / unit * prices.value(path)
            cost += line
            cost_free += line * billable[meter]
        costs.append(cost)
        costs_free.append(cost_free)
    return costs, costs_free


def price_path(cloud: str, meter: str) -> str:
    """Where ``meter``'s price is in prices.json."""
    return _PRICED[cloud][meter][0]


def _free(cloud: str, meter: str, prices: Prices) -> float:
    path = _FREE.get(cloud, {}).get(meter)
    return prices.value(path) if path else 0.0
