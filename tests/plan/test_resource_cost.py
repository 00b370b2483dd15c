"""Queue and bucket requests priced from the traffic profile and the code's resource use,
each figure recomputed by hand from prices.json's rates."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyfn.loading import load_app
from polyfn.plan.planner import PlanInputs, build_plan
from polyfn.plan.prices import load_prices
from polyfn.plan.resource_cost import ResourceTraffic, resource_costs, resource_meters
from polyfn.plan.traffic import TrafficProfile

APP = Path(__file__).parent / "fixtures" / "resource_app" / "app.py"
MESSAGES = 1_000_000
PROFILE = {
    "functions": {
        # 100 KB messages: two 64 KB chunks on SQS, 100,000 bytes on Pub/Sub.
        "ingest": {"invocations": MESSAGES, "payload_kb": 2},
        "process": {"invocations": MESSAGES, "payload_kb": 100, "avg_batch": 10},
        "prune": {"invocations": 730},
    }
}


def _lines():  # type: ignore[no-untyped-def]
    plan = build_plan(
        PlanInputs(
            app=load_app(str(APP)),
            clouds=("aws", "azure", "gcp"),
            traffic=TrafficProfile(PROFILE),
            root=APP.parent,
        )
    )
    return {(cost.cloud, line.function): line for cost in plan.costs for line in cost.functions}, {
        cost.cloud: cost for cost in plan.costs
    }


def test_sqs_and_s3_requests_by_hand() -> None:
    lines, clouds = _lines()
    # ingest: 1M sends of 100 KB = 2M SQS requests; 1M PUTs x $0.005/1000 = $5.00.
    # process: 100,000 batches x (receive + batch delete) x 2 chunks = 400,000 requests;
    # 1M GETs x $0.0004/1000 = $0.40. SQS: 2.4M x $0.40/M = $0.96.
    assert lines["aws", "ingest"].resource_cost == pytest.approx(5.00 + 2.0 * 0.40)
    assert lines["aws", "process"].resource_cost == pytest.approx(0.40 + 0.4 * 0.40)
    assert lines["aws", "prune"].resource_cost == 0  # S3 deletes are free
    # With SQS's free million, 1.4M of 2.4M requests are billed, shared out by use.
    prices = load_prices()
    meters = [{"sqs_requests": 2_000_000, "s3_write": MESSAGES}, {"sqs_requests": 400_000}]
    _, with_free = resource_costs("aws", meters, prices)
    billed = 1.4 / 2.4
    assert with_free == [
        pytest.approx(5.00 + 0.80 * billed),
        pytest.approx(0.16 * billed),
    ]
    # The S3 request rates were confirmed on 2026-12-05; the bill no longer lists them.
    assert not any(p.startswith("resources.") for p in clouds["aws"].unconfirmed_prices)


def test_queue_storage_and_blob_operations_by_hand() -> None:
    lines, clouds = _lines()
    # Queue and blob operation rates are still unconfirmed, and the Azure bill says so.
    assert "resources.azure.queue_operations_per_10k" in clouds["azure"].unconfirmed_prices
    # ingest: 1M puts x $0.004/10k = $0.40; 1M writes x $0.05/10k = $5.00.
    assert lines["azure", "ingest"].resource_cost == pytest.approx(0.40 + 5.00)
    # process: 100,000 gets (batches) + 1M deletes = 1.1M x $0.004/10k = $0.44; 1M reads
    # x $0.004/10k = $0.40.
    assert lines["azure", "process"].resource_cost == pytest.approx(0.44 + 0.40)


def test_pubsub_throughput_and_cloud_storage_operations_by_hand() -> None:
    lines, _ = _lines()
    tib = 2**40
    # ingest: 1M publishes of 100,000 bytes = 1e11 bytes x $40/TiB; 1M Class A x
    # $0.005/1000 = $5.00. process: 1M pushes of 1e11 bytes in all; 1M Class B = $0.40.
    assert lines["gcp", "ingest"].resource_cost == pytest.approx(1e11 / tib * 40 + 5.00)
    assert lines["gcp", "process"].resource_cost == pytest.approx(1e11 / tib * 40 + 0.40)


def test_meters_by_hand_for_small_messages_and_object_notifications() -> None:
    prices = load_prices()
    small = ResourceTraffic(
        kind="object",
        events=1000,
        payload_kb=0.2,
        accesses={("queue", "q"): frozenset({"send"}), ("bucket", "b"): frozenset({"list"})},
    )
    # Pub/Sub bills 1000 bytes at least per publish; the notification is a Class B op;
    # listing is Class A.
    assert resource_meters("gcp", small, prices) == {
        "gcs_class_b": 1000,
        "pubsub_bytes": 1000 * 1000,
        "gcs_class_a": 1000,
    }
    assert resource_meters("aws", small, prices) == {"sqs_requests": 1000, "s3_write": 1000}
    # Pub/Sub's 10 GiB free covers a million bytes: nothing billed with the free tier.
    costs, costs_free = resource_costs("gcp", [{"pubsub_bytes": 1e6}], prices)
    assert costs == [pytest.approx(1e6 / 2**40 * 40)]
    assert costs_free == [0.0]


def test_cloud_storage_notifies_a_filtered_function_of_every_object_by_hand() -> None:
    prices = load_prices()
    # 250,000 matching uploads read and written by a prefix/suffix function, half of the
    # bucket's writes matching: Cloud Storage cannot filter, so 500,000 notifications
    # (Class B, as many as the cost model's invocations) come in, and the function reads
    # and writes only for the 250,000 that match.
    thumbs = ResourceTraffic(
        kind="object",
        events=250_000,
        payload_kb=0.5,
        accesses={("bucket", "uploads"): frozenset({"read", "write"})},
        filter_match_ratio=0.5,
    )
    assert resource_meters("gcp", thumbs, prices) == {
        "gcs_class_b": 500_000 + 250_000,
        "gcs_class_a": 250_000,
    }
    # Event Grid filters before invoking (as S3 does): no notification is a storage request.
    assert resource_meters("azure", thumbs, prices) == {
        "blob_read": 250_000,
        "blob_write": 250_000,
    }
